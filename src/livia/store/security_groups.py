"""Security groups and their rules; a group's revision grows with every rule change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, ScalarSelect, select

from livia.domain.networks import SecurityGroup, SecurityGroupRule
from livia.store import tables
from livia.store.records import Records

records = Records(tables.security_groups, SecurityGroup)
rules = Records(tables.security_group_rules, SecurityGroupRule, tagged=False)


def bump_revision(conn: Connection, group_id: str) -> None:
    sg = tables.security_groups
    records.update_where(conn, sg.c.id == group_id, revision_number=sg.c.revision_number + 1)


def rules_of(conn: Connection, group_id: str) -> list[SecurityGroupRule]:
    return rules.where(conn, tables.security_group_rules.c.security_group_id == group_id)


def rules_and_revision(conn: Connection, group_id: str
                       ) -> tuple[tuple[SecurityGroupRule, ...], int]:
    group = records.get(conn, group_id)
    return tuple(rules_of(conn, group_id)), (group.revision_number if group else 0)


def revision_subquery() -> ScalarSelect[Any]:
    """The revision of a load balancer's group, for use inside a load-balancer query."""
    sg = tables.security_groups
    lb = tables.loadbalancers
    return select(sg.c.revision_number).where(sg.c.id == lb.c.security_group_id).scalar_subquery()
