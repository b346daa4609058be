"""``/v2.0/security-groups`` and ``/v2.0/security-group-rules`` (Neutron-shaped).

Each load balancer owns a group ``lb-<load balancer id>`` on its VIP side.
Its listener rules follow the listeners: a listener adds one ingress rule
for its port (one per ``allowed_cidrs`` entry, or open to all), deleting it
removes them. Users add ICMP, SSH or anything else as ordinary rules. Any
rule change bumps the group's revision, and the controller pushes the new
ruleset to the amphorae of the load balancers whose revision is behind.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response

from livia.api import listing, refs, routing
from livia.api.context import CallDep, new_id
from livia.api.routes.networks import neutron_time
from livia.api.schemas.security_groups import (
    GroupCreateBody,
    GroupMany,
    GroupOne,
    GroupUpdateBody,
    RuleCreate,
    RuleCreateBody,
    RuleMany,
    RuleOne,
)
from livia.domain.errors import Conflict, Duplicate, InUse, InvalidInput
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.networks import (
    ICMP,
    ICMPV6,
    PORTED_PROTOCOLS,
    SecurityGroup,
    SecurityGroupRule,
    protocol_number,
)
from livia.domain.status import ProvisioningStatus
from livia.store import loadbalancers, networks, security_groups, tables
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("security-groups")

LISTENER_RULE = "listener {}"
FAMILY = {"IPv4": 4, "IPv6": 6}


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


# -- views and look-ups -------------------------------------------------------

def present_rules(items: Sequence[SecurityGroupRule]) -> list[dict[str, Any]]:
    return [{
        "id": r.id, "security_group_id": r.security_group_id, "direction": r.direction,
        "ethertype": r.ethertype, "protocol": r.protocol, "port_range_min": r.port_range_min,
        "port_range_max": r.port_range_max, "remote_ip_prefix": r.remote_ip_prefix,
        "normalized_cidr": r.remote_ip_prefix, "remote_group_id": r.remote_group_id,
        "remote_address_group_id": None, "description": r.description or "",
        "project_id": r.project_id, "tenant_id": r.project_id,
        "created_at": neutron_time(r.created_at), "updated_at": neutron_time(r.updated_at),
        "revision_number": r.revision_number, "belongs_to_default_sg": False,
    } for r in items]


def present(conn: Connection, groups: Sequence[SecurityGroup]) -> list[dict[str, Any]]:
    ids = [g.id for g in groups]
    rules = security_groups.rules.where(
        conn, tables.security_group_rules.c.security_group_id.in_(ids))
    return [{
        "id": g.id, "name": g.name or "", "description": g.description or "",
        "stateful": g.stateful, "shared": False, "project_id": g.project_id,
        "tenant_id": g.project_id, "tags": list(g.tags),
        "security_group_rules": present_rules([r for r in rules
                                               if r.security_group_id == g.id]),
        "created_at": neutron_time(g.created_at), "updated_at": neutron_time(g.updated_at),
        "revision_number": g.revision_number,
    } for g in groups]


def owner_of(conn: Connection, group_id: str) -> LoadBalancer | None:
    """The live load balancer whose ``lb-<id>`` group this is, if any."""
    t = tables.loadbalancers
    found = loadbalancers.records.where(
        conn, t.c.security_group_id == group_id,
        t.c.provisioning_status != ProvisioningStatus.DELETED.value)
    return found[0] if found else None


# -- security groups ----------------------------------------------------------

@router.post("/security-groups", status_code=201, response_model=GroupOne)
def create_security_group(body: GroupCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.security_group
    with call.db.write() as conn:
        group = create_group(conn, project=call.owning_project(spec.project_id or spec.tenant_id),
                             name=spec.name or "", description=spec.description)
        if spec.tags or not spec.stateful:
            security_groups.records.update(conn, group.id, stateful=spec.stateful,
                                           tags=tuple(spec.tags), updated_at=None)
            group = dataclasses.replace(group, stateful=spec.stateful,
                                        tags=tuple(sorted(set(spec.tags))))
        out = present(conn, [group])[0]
    return {"security_group": out}


@router.get("/security-groups", response_model=GroupMany)
def list_security_groups(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = security_groups.records.page(conn, query)
        items = [listing.select(d, fields) for d in present(conn, page.items)]
    out: dict[str, Any] = {"security_groups": items}
    if request.query_params.get("limit"):
        out["security_groups_links"] = listing.links(
            call.base_url, request.url.path, request.query_params,
            [{"id": g.id} for g in page.items], has_more=page.has_more, query=query)
    return out


@router.get("/security-groups/{group_id}", response_model=GroupOne)
def show_security_group(group_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        out = present(conn, [refs.security_group(conn, call.caller, group_id)])[0]
    return {"security_group": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/security-groups/{group_id}", response_model=GroupOne)
def update_security_group(group_id: str, body: GroupUpdateBody, call: CallDep
                          ) -> dict[str, Any]:
    call.require_write()
    given = body.security_group.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        group = refs.security_group(conn, call.caller, group_id)
        lb = owner_of(conn, group.id)
        if lb is not None and "name" in given and given["name"] != group.name:
            raise Conflict(f"Security group {group.id} belongs to load balancer {lb.id}; "
                           "its name stays lb-<load balancer id>.")
        values = {k: (tuple(v or ()) if k == "tags" else v) for k, v in given.items()
                  if v is not None or k in ("name", "description")}
        security_groups.records.update(conn, group.id, **values,
                                       revision_number=group.revision_number + 1)
        out = present(conn, [refs.security_group(conn, call.caller, group_id)])[0]
    call.wake()
    return {"security_group": out}


def _drop_remote_references(conn: Connection, group_id: str) -> None:
    """Rules of other groups that name this one as their remote group go with it."""
    t = tables.security_group_rules
    for rule in security_groups.rules.where(conn, t.c.remote_group_id == group_id,
                                            t.c.security_group_id != group_id):
        security_groups.rules.delete(conn, rule.id)
        security_groups.bump_revision(conn, rule.security_group_id)


@router.delete("/security-groups/{group_id}", status_code=204, response_class=Response)
def delete_security_group(group_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        group = refs.security_group(conn, call.caller, group_id)
        lb = owner_of(conn, group.id)
        if lb is not None:
            raise InUse(f"Security group {group.id} belongs to load balancer {lb.id} and is "
                        "deleted with it.")
        users = networks.ports.where(conn, networks.using_group(group.id))
        if users:
            raise InUse(f"Security group {group.id} is in use by port {users[0].id}; take it "
                        "off the port first.")
        _drop_remote_references(conn, group.id)
        for rule in security_groups.rules_of(conn, group.id):
            security_groups.rules.delete(conn, rule.id)
        security_groups.records.delete(conn, group.id)
    call.wake()
    return Response(status_code=204)


# -- security group rules -----------------------------------------------------

def _check_family(spec: RuleCreate) -> None:
    if protocol_number(spec.protocol, spec.ethertype) == ICMPV6 and spec.ethertype == "IPv4":
        raise InvalidInput(f"Protocol {spec.protocol} is ICMPv6: the rule's ethertype must "
                           "be IPv6, not IPv4.")
    if spec.remote_ip_prefix is not None:
        version = ipaddress.ip_network(spec.remote_ip_prefix).version
        if version != FAMILY[spec.ethertype]:
            raise InvalidInput(f"remote_ip_prefix {spec.remote_ip_prefix} is an IPv{version} "
                               f"network but the rule's ethertype is {spec.ethertype}; "
                               "they must match.")
        if spec.remote_group_id is not None:
            raise InvalidInput("A rule takes remote_ip_prefix or remote_group_id, not both.")


def _check_ports(spec: RuleCreate) -> None:
    low, high = spec.port_range_min, spec.port_range_max
    if low is None and high is None:
        return
    number = protocol_number(spec.protocol, spec.ethertype)
    if number is None:
        raise InvalidInput("port_range_min/port_range_max need a protocol (tcp, udp, sctp, "
                           "icmp...) in the same rule.")
    if number in PORTED_PROTOCOLS:
        if low == 0 or high == 0:
            raise InvalidInput("Port 0 cannot be part of a port range; ports are 1-65535.")
        if low is None or high is None or low > high:
            raise InvalidInput(f"For protocol {spec.protocol}, give both port_range_min and "
                               f"port_range_max, min not above max (got {low} and {high}).")
    elif number in (ICMP, ICMPV6):
        for field, value in (("type (port_range_min)", low), ("code (port_range_max)", high)):
            if value is not None and value > 255:
                raise InvalidInput(f"ICMP {field} {value} is outside 0-255.")
        if low is None:
            raise InvalidInput(f"ICMP code (port_range_max) {high} needs an ICMP type "
                               "(port_range_min) too.")
    else:
        raise InvalidInput(f"Protocol {spec.protocol} has no ports: port ranges apply to tcp, "
                           "udp, sctp, dccp and udplite, and are type and code for icmp.")


def _same_source(prefix: str | None) -> str | None:
    """0.0.0.0/0 and ::/0 allow as much as no prefix at all."""
    if prefix is None or ipaddress.ip_network(prefix).prefixlen == 0:
        return None
    return prefix


def rule_key(rule: SecurityGroupRule | RuleCreate) -> tuple[object, ...]:
    """What makes two rules the same rule, whatever their ids and descriptions."""
    return (rule.direction, rule.ethertype, protocol_number(rule.protocol, rule.ethertype),
            rule.port_range_min, rule.port_range_max, _same_source(rule.remote_ip_prefix),
            rule.remote_group_id)


@router.post("/security-group-rules", status_code=201, response_model=RuleOne)
def create_security_group_rule(body: RuleCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.security_group_rule
    _check_family(spec)
    _check_ports(spec)
    with call.db.write() as conn:
        group = refs.security_group(conn, call.caller, spec.security_group_id)
        if spec.remote_group_id is not None:
            refs.security_group(conn, call.caller, spec.remote_group_id)
        for existing in security_groups.rules_of(conn, group.id):
            if rule_key(existing) == rule_key(spec):
                raise Duplicate(f"Security group rule already exists. Rule id is {existing.id}.")
        rule = dataclasses.replace(
            new_rule(group, group_id=group.id, direction=spec.direction,
                     ethertype=spec.ethertype, protocol=spec.protocol,
                     port_min=spec.port_range_min, port_max=spec.port_range_max,
                     remote_ip_prefix=spec.remote_ip_prefix, description=spec.description),
            remote_group_id=spec.remote_group_id)
        security_groups.rules.insert(conn, rule)
        security_groups.bump_revision(conn, group.id)
    call.wake()
    return {"security_group_rule": present_rules([rule])[0]}


@router.get("/security-group-rules", response_model=RuleMany)
def list_security_group_rules(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = security_groups.rules.page(conn, query)
    items = [listing.select(d, fields) for d in present_rules(page.items)]
    out: dict[str, Any] = {"security_group_rules": items}
    if request.query_params.get("limit"):
        out["security_group_rules_links"] = listing.links(
            call.base_url, request.url.path, request.query_params,
            [{"id": r.id} for r in page.items], has_more=page.has_more, query=query)
    return out


@router.get("/security-group-rules/{rule_id}", response_model=RuleOne)
def show_security_group_rule(rule_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        rule = refs.security_group_rule(conn, call.caller, rule_id)
    out = present_rules([rule])[0]
    return {"security_group_rule": listing.select(out,
                                                  listing.selected_fields(request.query_params))}


@router.delete("/security-group-rules/{rule_id}", status_code=204, response_class=Response)
def delete_security_group_rule(rule_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        rule = refs.security_group_rule(conn, call.caller, rule_id)
        security_groups.rules.delete(conn, rule.id)
        security_groups.bump_revision(conn, rule.security_group_id)
    call.wake()
    return Response(status_code=204)
