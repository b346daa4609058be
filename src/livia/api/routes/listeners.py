"""``/v2/lbaas/listeners``: protocol and port on the VIP."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response

from livia.api import changes, listing, quota, refs, routing
from livia.api.context import CallDep, new_id
from livia.api.routes import l7policies as l7policy_routes
from livia.api.routes import pools as pool_routes
from livia.api.routes import security_groups
from livia.api.schemas.listeners import (
    ListenerCreateBody,
    ListenerFields,
    ListenerMany,
    ListenerOne,
    ListenerUpdateBody,
    StatsOne,
)
from livia.api.views import id_refs, view
from livia.domain import listeners as rules
from livia.domain.errors import Duplicate, InvalidInput
from livia.domain.listeners import DEFAULT_TIMEOUTS, TCP_FAMILY, Listener
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.pools import check_listener_compatible
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.tokens import Caller
from livia.store import amphorae, l7policies, listeners, pools
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("listeners")
RESOURCE = refs.LISTENER


def present(conn: Connection, items: list[Listener]) -> list[dict[str, Any]]:
    ids = [li.id for li in items]
    policies = l7policies.records.where(conn, l7policies.records.table.c.listener_id.in_(ids))
    by_listener: dict[str, list[str]] = {}
    for p in sorted(policies, key=lambda p: p.position):
        by_listener.setdefault(p.listener_id, []).append(p.id)
    out = []
    for li in items:
        d = view(li)
        d["loadbalancers"] = id_refs([li.loadbalancer_id])
        d["l7policies"] = id_refs(by_listener.get(li.id, []))
        d["allowed_cidrs"] = d["allowed_cidrs"] or None
        out.append(d)
    return out


def _timeouts(spec: ListenerFields) -> dict[str, int]:
    return {k: getattr(spec, k) if getattr(spec, k) is not None else v
            for k, v in DEFAULT_TIMEOUTS.items()}


def build(lb: LoadBalancer, spec: ListenerFields, project: str) -> Listener:
    now = utcnow()
    listener = Listener(
        id=new_id(), project_id=project, loadbalancer_id=lb.id, name=spec.name,
        description=spec.description, admin_state_up=spec.admin_state_up,
        protocol=spec.protocol, protocol_port=spec.protocol_port,
        connection_limit=spec.connection_limit, default_pool_id=spec.default_pool_id,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE, created_at=now, updated_at=None,
        insert_headers=dict(spec.insert_headers or {}),
        allowed_cidrs=tuple(spec.allowed_cidrs or ()),
        default_tls_container_ref=spec.default_tls_container_ref,
        sni_container_refs=tuple(spec.sni_container_refs),
        client_authentication=spec.client_authentication,
        client_ca_tls_container_ref=spec.client_ca_tls_container_ref,
        client_crl_container_ref=spec.client_crl_container_ref,
        tls_ciphers=spec.tls_ciphers, tls_versions=tuple(spec.tls_versions or ()),
        alpn_protocols=tuple(spec.alpn_protocols or ()), hsts_max_age=spec.hsts_max_age,
        hsts_include_subdomains=spec.hsts_include_subdomains, hsts_preload=spec.hsts_preload,
        tags=tuple(spec.tags), **_timeouts(spec),
    )
    rules.check(listener)
    return listener


def check_port_free(conn: Connection, listener: Listener) -> None:
    family = TCP_FAMILY if listener.protocol in TCP_FAMILY else {listener.protocol}
    for other in listeners.records.where(
        conn, listeners.records.table.c.loadbalancer_id == listener.loadbalancer_id,
        listeners.records.table.c.protocol_port == listener.protocol_port,
    ):
        if other.id != listener.id and other.protocol in family:
            raise Duplicate(
                f"Another Listener on this Load Balancer is already using protocol_port "
                f"{listener.protocol_port}"
            )


def check_default_pool(conn: Connection, listener: Listener) -> None:
    if listener.default_pool_id is None:
        return
    pool = refs.pool_of(pools.records.get(conn, listener.default_pool_id),
                        listener.loadbalancer_id, listener.default_pool_id)
    check_listener_compatible(listener.protocol, pool)


def add(conn: Connection, caller: Caller, lb: LoadBalancer, spec: Any, project: str
        ) -> Listener:
    """Insert a listener with its inline default pool and L7 policies (used by the graph too)."""
    listener = build(lb, spec, project)
    check_port_free(conn, listener)
    inline_pool = getattr(spec, "default_pool", None)
    if inline_pool is not None:
        if listener.default_pool_id is not None:
            raise InvalidInput("Give default_pool_id or an inline default_pool, not both.")
        pool = pool_routes.add(conn, caller, lb, inline_pool, project)
        listener = dataclasses.replace(listener, default_pool_id=pool.id)
    check_default_pool(conn, listener)
    listeners.records.insert(conn, listener)
    for policy_spec in getattr(spec, "l7policies", []):
        l7policy_routes.add(conn, caller, lb, listener, policy_spec, project)
    security_groups.follow_listener(conn, lb, listener)
    return listener


@router.post("/listeners", status_code=201, response_model=ListenerOne,
             response_model_exclude_unset=True)
def create_listener(body: ListenerCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.listener
    with call.db.write() as conn:
        lb = refs.loadbalancer(conn, call.caller, spec.loadbalancer_id)
        project = call.owning_project(spec.project_id or spec.tenant_id or lb.project_id)
        changes.take(conn, lb.id)
        listener = add(conn, call.caller, lb, spec, project)
        quota.enforce(conn, call.settings, project, *MADE_BY[Resource.LISTENER])
        out = present(conn, [listener])[0]
    call.wake()
    return {"listener": out}


@router.get("/listeners", response_model=ListenerMany, response_model_exclude_unset=True)
def list_listeners(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = listeners.records.page(conn, query)
        items = [listing.select(d, fields) for d in present(conn, page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          present_ids(page.items), has_more=page.has_more, query=query)
    return {"listeners": items, "listeners_links": links}


def present_ids(items: list[Any]) -> list[dict[str, str]]:
    return [{"id": x.id} for x in items]


@router.get("/listeners/{listener_id}", response_model=ListenerOne,
            response_model_exclude_unset=True)
def show_listener(listener_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        out = present(conn, [refs.listener(conn, call.caller, listener_id)])[0]
    return {"listener": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/listeners/{listener_id}", response_model=ListenerOne,
            response_model_exclude_unset=True)
def update_listener(listener_id: str, body: ListenerUpdateBody, call: CallDep
                    ) -> dict[str, Any]:
    call.require_write()
    changes_in = body.listener.model_dump(exclude_unset=True)
    if not changes_in:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        current = refs.listener(conn, call.caller, listener_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        lb = changes.take(conn, current.loadbalancer_id, listener_ids=[current.id])
        updated = _apply_update(current, changes_in)
        check_default_pool(conn, updated)
        values = {f.name: getattr(updated, f.name) for f in dataclasses.fields(updated)
                  if getattr(updated, f.name) != getattr(current, f.name)}
        listeners.records.update(conn, current.id, **values,
                                 provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        if updated.allowed_cidrs != current.allowed_cidrs:
            security_groups.follow_listener(conn, lb, updated)
        out = present(conn, [listeners.records.get(conn, current.id)])  # type: ignore[list-item]
    call.wake()
    return {"listener": out[0]}


def _apply_update(current: Listener, given: dict[str, Any]) -> Listener:
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key in DEFAULT_TIMEOUTS and value is None:
            value = DEFAULT_TIMEOUTS[key]
        elif key == "connection_limit" and value is None:
            value = -1
        elif key in ("sni_container_refs", "allowed_cidrs", "tls_versions", "alpn_protocols",
                     "tags"):
            value = tuple(value or ())
        elif key == "insert_headers":
            value = dict(value or {})
        elif key in ("hsts_include_subdomains", "hsts_preload") and value is None:
            value = False
        elif key == "admin_state_up" and value is None:
            value = True
        elif key == "client_authentication" and value is None:
            value = "NONE"
        values[key] = value
    updated = dataclasses.replace(current, **values)
    rules.check(updated)
    return updated


@router.delete("/listeners/{listener_id}", status_code=204, response_class=Response)
def delete_listener(listener_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        current = refs.listener(conn, call.caller, listener_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        lb = changes.take(conn, current.loadbalancer_id)
        listeners.records.update(conn, current.id,
                                 provisioning_status=ProvisioningStatus.PENDING_DELETE)
        security_groups.drop_listener(conn, lb, current.id)
    call.wake()
    return Response(status_code=204)


@router.get("/listeners/{listener_id}/stats", response_model=StatsOne)
def listener_stats(listener_id: str, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        listener = refs.listener(conn, call.caller, listener_id)
        return {"stats": amphorae.stats_sum(conn, listener_id=listener.id)}
