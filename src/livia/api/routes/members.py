"""``/v2/lbaas/pools/{pool_id}/members``: the hosts behind a pool, one by one or in a batch."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response

from livia.api import changes, listing, quota, refs, routing
from livia.api.context import CallDep, new_id, parse_id
from livia.api.schemas.members import (
    MemberBatchBody,
    MemberCreate,
    MemberCreateBody,
    MemberMany,
    MemberOne,
    MemberUpdateBody,
)
from livia.api.views import view
from livia.domain import members as rules
from livia.domain.errors import Duplicate, InvalidInput, NotFound
from livia.domain.members import Member
from livia.domain.pools import Pool
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.tokens import Caller
from livia.domain.visibility import Need
from livia.store import healthmonitors, members
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("members")
RESOURCE = "Member"


def present(items: list[Member]) -> list[dict[str, Any]]:
    out = []
    for m in items:
        d = view(m, blank=("name",))
        d["vnic_type"] = "normal"
        out.append(d)
    return out


def build(pool: Pool, spec: MemberCreate, project: str, *, monitored: bool) -> Member:
    member = Member(
        id=new_id(), project_id=project, pool_id=pool.id, name=spec.name,
        admin_state_up=spec.admin_state_up, address=spec.address,
        protocol_port=spec.protocol_port, weight=spec.weight, backup=spec.backup,
        subnet_id=spec.subnet_id, monitor_address=spec.monitor_address,
        monitor_port=spec.monitor_port,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE if monitored else OperatingStatus.NO_MONITOR,
        created_at=utcnow(), updated_at=None, tags=tuple(spec.tags),
    )
    rules.check(member)
    if spec.request_sriov:
        raise InvalidInput("Member SR-IOV requires a flavor that allows it; none does here.")
    return member


def _check_subnet(conn: Connection, caller: Caller, member: Member) -> None:
    """The amphorae get a port on a member's subnet: the caller must be allowed to put one there."""
    if member.subnet_id:
        refs.subnet(conn, caller, member.subnet_id, Need.USE, invalid=True)


def _check_unique(conn: Connection, member: Member) -> None:
    t = members.records.table
    clash = members.records.where(conn, t.c.pool_id == member.pool_id,
                                  t.c.address == member.address,
                                  t.c.protocol_port == member.protocol_port)
    if clash and clash[0].id != member.id:
        raise Duplicate(
            f"Another member on this pool is already using ip address {member.address} on "
            f"protocol_port {member.protocol_port}"
        )


def add(conn: Connection, caller: Caller, pool: Pool, spec: MemberCreate, project: str, *,
        monitored: bool) -> Member:
    member = build(pool, spec, project, monitored=monitored)
    _check_subnet(conn, caller, member)
    _check_unique(conn, member)
    members.records.insert(conn, member)
    return member


def _take_pool(conn: Connection, pool: Pool) -> None:
    changes.require_active(pool.provisioning_status, "Pool", pool.id)
    changes.take(conn, pool.loadbalancer_id,
                 listener_ids=changes.listeners_using_pool(conn, pool.id), pool_ids=[pool.id])


def _monitored(conn: Connection, pool_id: str) -> bool:
    return bool(healthmonitors.records.where(
        conn, healthmonitors.records.table.c.pool_id == pool_id))


@router.post("/pools/{pool_id}/members", status_code=201, response_model=MemberOne,
             response_model_exclude_unset=True)
def create_member(pool_id: str, body: MemberCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    with call.db.write() as conn:
        pool = refs.pool(conn, call.caller, pool_id)
        _take_pool(conn, pool)
        spec = body.member
        project = call.owning_project(spec.project_id or spec.tenant_id or pool.project_id)
        member = add(conn, call.caller, pool, spec, project,
                     monitored=_monitored(conn, pool.id))
        quota.enforce(conn, call.settings, project, *MADE_BY[Resource.MEMBER])
    call.wake()
    return {"member": present([member])[0]}


@router.get("/pools/{pool_id}/members", response_model=MemberMany,
            response_model_exclude_unset=True)
def list_members(pool_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        pool = refs.pool(conn, call.caller, pool_id)
        page = members.records.page(conn, query, members.records.table.c.pool_id == pool.id)
    items = [listing.select(d, fields) for d in present(page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": m.id} for m in page.items], has_more=page.has_more,
                          query=query)
    return {"members": items, "members_links": links}


def _member(conn: Connection, pool: Pool, member_id: str) -> Member:
    member = members.records.get(conn, parse_id(member_id, RESOURCE))
    if member is None or member.pool_id != pool.id:
        raise NotFound(RESOURCE, member_id)
    return member


@router.get("/pools/{pool_id}/members/{member_id}", response_model=MemberOne,
            response_model_exclude_unset=True)
def show_member(pool_id: str, member_id: str, request: Request, call: CallDep
                ) -> dict[str, Any]:
    with call.db.read() as conn:
        member = _member(conn, refs.pool(conn, call.caller, pool_id), member_id)
    out = present([member])[0]
    return {"member": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/pools/{pool_id}/members/{member_id}", response_model=MemberOne,
            response_model_exclude_unset=True)
def update_member(pool_id: str, member_id: str, body: MemberUpdateBody, call: CallDep
                  ) -> dict[str, Any]:
    call.require_write()
    given = body.member.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        pool = refs.pool(conn, call.caller, pool_id)
        current = _member(conn, pool, member_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        _take_pool(conn, pool)
        values = _update_values(given)
        updated = dataclasses.replace(current, **values,
                                      provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        rules.check(updated)
        members.records.update(conn, current.id, **values,
                               provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    call.wake()
    return {"member": present([updated])[0]}


def _update_values(given: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key == "weight" and value is None:
            value = 1
        elif key == "backup" and value is None:
            value = False
        elif key == "admin_state_up" and value is None:
            value = True
        elif key == "tags":
            value = tuple(value or ())
        values[key] = value
    return values


@router.delete("/pools/{pool_id}/members/{member_id}", status_code=204,
               response_class=Response)
def delete_member(pool_id: str, member_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        pool = refs.pool(conn, call.caller, pool_id)
        current = _member(conn, pool, member_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        _take_pool(conn, pool)
        members.records.update(conn, current.id,
                               provisioning_status=ProvisioningStatus.PENDING_DELETE)
    call.wake()
    return Response(status_code=204)


@router.put("/pools/{pool_id}/members", status_code=202, response_class=Response)
def batch_update_members(pool_id: str, body: MemberBatchBody, request: Request,
                         call: CallDep) -> Response:
    """Make the pool's members the given list (keyed by address and port)."""
    call.require_write()
    additive = request.query_params.get("additive_only", "false").lower() in ("true", "1")
    keys = [(m.address, m.protocol_port) for m in body.members]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise InvalidInput(f"Member {dup[0]}:{dup[1]} is listed more than once in the batch.")
    with call.db.write() as conn:
        pool = refs.pool(conn, call.caller, pool_id)
        existing = {(m.address, m.protocol_port): m for m in members.records.where(
            conn, members.records.table.c.pool_id == pool.id)}
        if not body.members and (additive or not existing):
            return Response(status_code=202)
        _take_pool(conn, pool)
        monitored = _monitored(conn, pool.id)
        added: set[str] = set()
        for spec in body.members:
            current = existing.get((spec.address, spec.protocol_port))
            if current is None:
                project = call.owning_project(spec.project_id or pool.project_id)
                add(conn, call.caller, pool, spec, project, monitored=monitored)
                added.add(project)
                continue
            values = {k: v for k, v in _update_values(spec.model_dump(
                include={"name", "admin_state_up", "weight", "backup", "monitor_address",
                         "monitor_port", "tags"})).items()}
            rules.check(dataclasses.replace(current, **values))
            members.records.update(conn, current.id, **values,
                                   provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        if not additive:
            for key, current in existing.items():
                if key not in set(keys):
                    members.records.update(conn, current.id,
                                           provisioning_status=ProvisioningStatus.PENDING_DELETE)
        for project in sorted(added):
            quota.enforce(conn, call.settings, project, *MADE_BY[Resource.MEMBER])
    call.wake()
    return Response(status_code=202)
