"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules`` (Neutron-shaped).

Each load balancer owns a group ``lb-<load balancer id>`` on its VIP side.
Its listener rules follow the listeners: a listener adds one ingress rule
for its port (one per ``allowed_cidrs`` entry, or open to all), deleting it
removes them. Users add ICMP, SSH or anything else as ordinary rules. Any
rule change bumps the group's revision, and the controller pushes the new
ruleset to the amphorae of the load balancers whose revision is behind.
"""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter
from sqlalchemy import Connection

from livia.api.context import new_id
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.networks import SecurityGroup, SecurityGroupRule
from livia.store import security_groups
from livia.store.records import utcnow

router = APIRouter(tags=["security-groups"])

LISTENER_RULE = "listener {}"


def new_rule(group: SecurityGroup | LoadBalancer, *, group_id: str, direction: str,
             ethertype: str, protocol: str | None = None, port_min: int | None = None,
             port_max: int | None = None, remote_ip_prefix: str | None = None,
             description: str | None = None) -> SecurityGroupRule:
    return SecurityGroupRule(
        id=new_id(), project_id=group.project_id, security_group_id=group_id,
        direction=direction, ethertype=ethertype, protocol=protocol, port_range_min=port_min,
        port_range_max=port_max, remote_ip_prefix=remote_ip_prefix, remote_group_id=None,
        description=description, revision_number=1, created_at=utcnow(), updated_at=None,
    )


def create_group(conn: Connection, *, project: str, name: str, description: str | None
                 ) -> SecurityGroup:
    group = SecurityGroup(id=new_id(), project_id=project, name=name, description=description,
                          stateful=True, revision_number=1, created_at=utcnow(),
                          updated_at=None)
    security_groups.records.insert(conn, group)
    for ethertype in ("IPv4", "IPv6"):
        security_groups.rules.insert(conn, new_rule(group, group_id=group.id,
                                                    direction="egress", ethertype=ethertype))
    return group


def create_lb_group(conn: Connection, lb: LoadBalancer) -> SecurityGroup:
    return create_group(conn, project=lb.project_id, name=f"lb-{lb.id}",
                        description=f"Security group of load balancer {lb.id}")


def _ethertype(address: str | None) -> str:
    if address and ipaddress.ip_address(address).version == 6:
        return "IPv6"
    return "IPv4"


def follow_listener(conn: Connection, lb: LoadBalancer, listener: Listener) -> None:
    """Make the group's rules for ``listener`` match its port and allowed CIDRs."""
    if lb.security_group_id is None:
        return
    drop_listener(conn, lb, listener.id)
    tag = LISTENER_RULE.format(listener.id)
    for prefix in listener.allowed_cidrs or (None,):
        rule = new_rule(lb, group_id=lb.security_group_id, direction="ingress",
                        ethertype=_ethertype(prefix.split("/")[0] if prefix else lb.vip_address),
                        protocol="tcp", port_min=listener.protocol_port,
                        port_max=listener.protocol_port, remote_ip_prefix=prefix,
                        description=tag)
        security_groups.rules.insert(conn, rule)
    security_groups.bump_revision(conn, lb.security_group_id)


def drop_listener(conn: Connection, lb: LoadBalancer, listener_id: str) -> None:
    if lb.security_group_id is None:
        return
    tag = LISTENER_RULE.format(listener_id)
    for rule in security_groups.rules_of(conn, lb.security_group_id):
        if rule.description == tag:
            security_groups.rules.delete(conn, rule.id)
    security_groups.bump_revision(conn, lb.security_group_id)
