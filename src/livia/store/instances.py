"""Instance rows: names unique per project, one uid per confined instance."""

from __future__ import annotations

import dataclasses

from sqlalchemy import ColumnElement, Connection, select
from sqlalchemy.exc import IntegrityError

from livia.domain.errors import Conflict, Duplicate
from livia.domain.instances import (
    CONFINED_ID_COUNT,
    CONFINED_ID_FIRST,
    DELETING,
    Instance,
)
from livia.store import tables
from livia.store.records import Records

records = Records(tables.instances, Instance, tagged=False)
_t = tables.instances
_ATTEMPTS = 8  # inserts tried when concurrent writers take the same uid


def named(conn: Connection, project_id: str | None, name: str) -> list[Instance]:
    """The instances called ``name`` in one project (None: in every project)."""
    conditions = [_t.c.name == name]
    if project_id is not None:
        conditions.append(_t.c.project_id == project_id)
    return records.where(conn, *conditions)


def listed() -> ColumnElement[bool]:
    """Instances a list shows: not those being deleted."""
    return _t.c.status != DELETING


def free_uid(conn: Connection) -> int:
    """The lowest uid of the confined range no instance holds."""
    used = {row[0] for row in conn.execute(select(_t.c.uid).where(_t.c.uid.is_not(None)))}
    for uid in range(CONFINED_ID_FIRST, CONFINED_ID_FIRST + CONFINED_ID_COUNT):
        if uid not in used:
            return uid
    raise Conflict(f"Every one of the {CONFINED_ID_COUNT} uids for confined instances is "
                   "taken; delete an instance first.")


def _duplicate(name: str) -> Duplicate:
    return Duplicate(f"An instance named {name} already exists.")


def add(conn: Connection, instance: Instance) -> Instance:
    """Insert an instance; a confined one gets the lowest free uid.

    Two writers (PostgreSQL) may pick the same uid: the loser tries the next
    one. A name its project already uses is a Duplicate.
    """
    for _ in range(_ATTEMPTS):
        if instance.confined:
            instance = dataclasses.replace(instance, uid=free_uid(conn))
        try:
            with conn.begin_nested():
                records.insert(conn, instance)
            return instance
        except IntegrityError as exc:
            if named(conn, instance.project_id, instance.name):
                raise _duplicate(instance.name) from exc
            if not instance.confined:
                raise
    raise Conflict("Too many instances are being created at once; try again.")


def check_name_free(conn: Connection, project_id: str, name: str) -> None:
    if named(conn, project_id, name):
        raise _duplicate(name)
