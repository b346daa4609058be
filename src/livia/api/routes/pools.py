"""``/v2/lbaas/pools``: the member sets listeners and L7 policies send traffic to."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response

from livia.api import changes, listing, quota, refs, routing
from livia.api.context import CallDep, new_id
from livia.api.routes import healthmonitors as monitor_routes
from livia.api.routes import members as member_routes
from livia.api.schemas.pools import PoolCreateBody, PoolFields, PoolMany, PoolOne, PoolUpdateBody
from livia.api.views import id_refs, view
from livia.domain import pools as rules
from livia.domain.errors import Duplicate, InUse, InvalidInput
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.pools import Pool, SessionPersistence
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.tokens import Caller
from livia.store import healthmonitors, l7policies, listeners, members, pools
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("pools")
RESOURCE = refs.POOL


def present(conn: Connection, items: list[Pool]) -> list[dict[str, Any]]:
    ids = [p.id for p in items]
    pool_members = members.records.where(conn, members.records.table.c.pool_id.in_(ids))
    monitors = healthmonitors.records.where(
        conn, healthmonitors.records.table.c.pool_id.in_(ids))
    default_of = listeners.records.where(
        conn, listeners.records.table.c.default_pool_id.in_(ids))
    redirect_of = l7policies.records.where(
        conn, l7policies.records.table.c.redirect_pool_id.in_(ids))
    out = []
    for p in items:
        d = view(p)
        d["loadbalancers"] = id_refs([p.loadbalancer_id])
        users = {li.id for li in default_of if li.default_pool_id == p.id}
        users |= {pol.listener_id for pol in redirect_of if pol.redirect_pool_id == p.id}
        d["listeners"] = id_refs(sorted(users))
        d["members"] = id_refs(m.id for m in pool_members if m.pool_id == p.id)
        d["healthmonitor_id"] = next((h.id for h in monitors if h.pool_id == p.id), None)
        d["tls_versions"] = d["tls_versions"] or None
        d["alpn_protocols"] = d["alpn_protocols"] or None
        out.append(d)
    return out


def _persistence(spec: Any) -> SessionPersistence | None:
    if spec is None:
        return None
    return SessionPersistence(type=spec.type, cookie_name=spec.cookie_name,
                              persistence_timeout=spec.persistence_timeout,
                              persistence_granularity=spec.persistence_granularity)


def build(lb: LoadBalancer, spec: PoolFields, project: str) -> Pool:
    pool = Pool(
        id=new_id(), project_id=project, loadbalancer_id=lb.id, name=spec.name,
        description=spec.description, admin_state_up=spec.admin_state_up,
        protocol=spec.protocol, lb_algorithm=spec.lb_algorithm,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE, created_at=utcnow(), updated_at=None,
        session_persistence=_persistence(spec.session_persistence),
        tls_enabled=spec.tls_enabled, tls_container_ref=spec.tls_container_ref,
        ca_tls_container_ref=spec.ca_tls_container_ref,
        crl_container_ref=spec.crl_container_ref, tls_ciphers=spec.tls_ciphers,
        tls_versions=tuple(spec.tls_versions or ()),
        alpn_protocols=tuple(spec.alpn_protocols or ()), tags=tuple(spec.tags),
    )
    rules.check(pool)
    return pool


def add(conn: Connection, caller: Caller, lb: LoadBalancer, spec: Any, project: str) -> Pool:
    """Insert a pool with its inline members and monitor (used by the graph too)."""
    pool = build(lb, spec, project)
    pools.records.insert(conn, pool)
    monitor_spec = getattr(spec, "healthmonitor", None)
    if monitor_spec is not None:
        monitor_routes.add(conn, pool, monitor_spec, project)
    for member_spec in getattr(spec, "members", []):
        member_routes.add(conn, caller, pool, member_spec, project,
                          monitored=monitor_spec is not None)
    return pool


def _listener_for(conn: Connection, caller: Caller, listener_id: str) -> Listener:
    listener = refs.listener(conn, caller, listener_id)
    if listener.default_pool_id is not None:
        raise Duplicate(f"Listener {listener.id} already has default pool "
                        f"{listener.default_pool_id}.")
    return listener


@router.post("/pools", status_code=201, response_model=PoolOne,
             response_model_exclude_unset=True)
def create_pool(body: PoolCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.pool
    if spec.loadbalancer_id is None and spec.listener_id is None:
        raise InvalidInput("Validation failure: A pool must have a loadbalancer_id or a "
                           "listener_id.")
    with call.db.write() as conn:
        listener = (_listener_for(conn, call.caller, spec.listener_id) if spec.listener_id
                    else None)
        lb_id = listener.loadbalancer_id if listener else spec.loadbalancer_id
        assert lb_id is not None
        if listener and spec.loadbalancer_id and spec.loadbalancer_id != lb_id:
            raise InvalidInput("The listener is on another load balancer.")
        lb = refs.loadbalancer(conn, call.caller, lb_id)
        project = call.owning_project(spec.project_id or spec.tenant_id or lb.project_id)
        changes.take(conn, lb.id, listener_ids=[listener.id] if listener else [])
        pool = build(lb, spec, project)
        if listener is not None:
            rules.check_listener_compatible(listener.protocol, pool)
        pools.records.insert(conn, pool)
        if spec.healthmonitor is not None:
            monitor_routes.add(conn, pool, spec.healthmonitor, project)
        for member_spec in spec.members:
            member_routes.add(conn, call.caller, pool, member_spec, project,
                              monitored=spec.healthmonitor is not None)
        if listener is not None:
            listeners.records.update(conn, listener.id, default_pool_id=pool.id)
        quota.enforce(conn, call.settings, project, *MADE_BY[Resource.POOL])
        out = present(conn, [pool])[0]
    call.wake()
    return {"pool": out}


@router.get("/pools", response_model=PoolMany, response_model_exclude_unset=True)
def list_pools(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = pools.records.page(conn, query)
        items = [listing.select(d, fields) for d in present(conn, page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": p.id} for p in page.items], has_more=page.has_more,
                          query=query)
    return {"pools": items, "pools_links": links}


@router.get("/pools/{pool_id}", response_model=PoolOne, response_model_exclude_unset=True)
def show_pool(pool_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        out = present(conn, [refs.pool(conn, call.caller, pool_id)])[0]
    return {"pool": listing.select(out, listing.selected_fields(request.query_params))}


def _merged_persistence(current: Pool, given: dict[str, Any] | None
                        ) -> SessionPersistence | None:
    """A PUT's session_persistence without a type keeps the stored type (Octavia)."""
    if given is None:
        return None
    base = current.session_persistence
    kind = given.get("type") or (base.type if base else None)
    if kind is None:
        raise InvalidInput("Validation failure: session_persistence needs a type.")
    return SessionPersistence(
        type=kind,
        cookie_name=given.get("cookie_name"),
        persistence_timeout=given.get("persistence_timeout"),
        persistence_granularity=given.get("persistence_granularity"),
    )


@router.put("/pools/{pool_id}", response_model=PoolOne, response_model_exclude_unset=True)
def update_pool(pool_id: str, body: PoolUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    given = body.pool.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        current = refs.pool(conn, call.caller, pool_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        changes.take(conn, current.loadbalancer_id,
                     listener_ids=changes.listeners_using_pool(conn, current.id))
        values: dict[str, Any] = {}
        for key, value in given.items():
            if key == "session_persistence":
                value = _merged_persistence(current, value)
            elif key in ("tls_versions", "alpn_protocols", "tags"):
                value = tuple(value or ())
            elif key == "tls_enabled" and value is None:
                value = False
            elif key == "admin_state_up" and value is None:
                value = True
            values[key] = value
        updated = dataclasses.replace(current, **values)
        rules.check(updated)
        pools.records.update(conn, current.id, **values,
                             provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        out = present(conn, [dataclasses.replace(
            updated, provisioning_status=ProvisioningStatus.PENDING_UPDATE)])[0]
    call.wake()
    return {"pool": out}


@router.delete("/pools/{pool_id}", status_code=204, response_class=Response)
def delete_pool(pool_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        current = refs.pool(conn, call.caller, pool_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        users = l7policies.records.where(
            conn, l7policies.records.table.c.redirect_pool_id == current.id)
        if users:
            raise InUse(f"Pool {current.id} is in use by L7 policy {users[0].id}.")
        changes.take(conn, current.loadbalancer_id,
                     listener_ids=changes.listeners_using_pool(conn, current.id))
        pools.records.update(conn, current.id,
                             provisioning_status=ProvisioningStatus.PENDING_DELETE)
    call.wake()
    return Response(status_code=204)
