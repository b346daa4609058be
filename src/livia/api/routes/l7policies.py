"""``/v2/lbaas/l7policies``: what a listener does with requests that match all rules of a policy."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response

from livia.api import changes, listing, quota, refs, routing
from livia.api.context import CallDep, new_id
from livia.api.routes import l7rules as rule_routes
from livia.api.routes import pools as pool_routes
from livia.api.schemas.l7policies import (
    L7PolicyCreateBody,
    L7PolicyFields,
    L7PolicyMany,
    L7PolicyOne,
    L7PolicyUpdateBody,
)
from livia.api.views import id_refs, view
from livia.domain import l7policies as rules
from livia.domain.errors import InvalidInput
from livia.domain.l7policies import L7Action, L7Policy
from livia.domain.listeners import Listener, ListenerProtocol
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.pools import check_listener_compatible
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.tokens import Caller
from livia.store import l7policies, l7rules, listeners, loadbalancers, pools
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("l7policies")
RESOURCE = refs.L7POLICY
HTTP_LISTENERS = (ListenerProtocol.HTTP, ListenerProtocol.TERMINATED_HTTPS)


def present(conn: Connection, items: list[L7Policy]) -> list[dict[str, Any]]:
    ids = [p.id for p in items]
    found = l7rules.records.where(conn, l7rules.records.table.c.l7policy_id.in_(ids))
    out = []
    for p in items:
        d = view(p)
        d["rules"] = id_refs(r.id for r in found if r.l7policy_id == p.id)
        out.append(d)
    return out


def _check_listener(listener: Listener) -> None:
    if listener.protocol not in HTTP_LISTENERS:
        raise InvalidInput(
            f"L7 policies are only valid on HTTP and TERMINATED_HTTPS listeners; listener "
            f"{listener.id} is {listener.protocol}."
        )


def _check_pool(conn: Connection, policy: L7Policy, listener: Listener) -> None:
    if policy.redirect_pool_id is None:
        return
    pool = refs.pool_of(pools.records.get(conn, policy.redirect_pool_id),
                        listener.loadbalancer_id, policy.redirect_pool_id)
    check_listener_compatible(listener.protocol, pool)


def _siblings(conn: Connection, listener_id: str, exclude: str | None = None
              ) -> list[L7Policy]:
    found = l7policies.records.where(conn, l7policies.records.table.c.listener_id == listener_id)
    live = [p for p in found if p.id != exclude
            and p.provisioning_status is not ProvisioningStatus.PENDING_DELETE]
    return sorted(live, key=lambda p: (p.position, p.created_at))


def place(conn: Connection, listener_id: str, policy_id: str, position: int) -> int:
    """Put the policy at ``position`` (1-based; past the end appends) and renumber the rest."""
    others = _siblings(conn, listener_id, exclude=policy_id)
    index = min(max(position, 1), len(others) + 1) - 1
    order = [p.id for p in others]
    order.insert(index, policy_id)
    by_id = {p.id: p for p in others}
    for number, pid in enumerate(order, start=1):
        if pid in by_id and by_id[pid].position != number:
            l7policies.records.update(conn, pid, position=number,
                                      updated_at=by_id[pid].updated_at)
    return index + 1


def add(conn: Connection, caller: Caller, lb: LoadBalancer, listener: Listener,
        spec: L7PolicyFields, project: str) -> L7Policy:
    """Insert a policy with its inline rules (and, in a graph, its inline redirect pool)."""
    _check_listener(listener)
    redirect_pool_id = spec.redirect_pool_id
    inline_pool = getattr(spec, "redirect_pool", None)
    if inline_pool is not None:
        redirect_pool_id = pool_routes.add(conn, caller, lb, inline_pool, project).id
    given = L7Policy(
        id=new_id(), project_id=project, listener_id=listener.id, name=spec.name,
        description=spec.description, admin_state_up=spec.admin_state_up,
        action=spec.action, position=spec.position, redirect_pool_id=redirect_pool_id,
        redirect_url=spec.redirect_url, redirect_prefix=spec.redirect_prefix,
        redirect_http_code=spec.redirect_http_code,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE, created_at=utcnow(), updated_at=None,
        tags=tuple(spec.tags),
    )
    rules.check(given)  # also the fields normalize drops: a bad value is a 400, not ignored
    policy = rules.normalize(given)
    rules.check(policy)
    _check_pool(conn, policy, listener)
    policy = dataclasses.replace(policy, position=place(conn, listener.id, policy.id,
                                                        policy.position))
    l7policies.records.insert(conn, policy)
    for rule_spec in spec.rules:
        rule_routes.add(conn, policy, rule_spec, project)
    return policy


@router.post("/l7policies", status_code=201, response_model=L7PolicyOne,
             response_model_exclude_unset=True)
def create_l7policy(body: L7PolicyCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.l7policy
    with call.db.write() as conn:
        listener = refs.listener(conn, call.caller, spec.listener_id)
        lb = loadbalancers.live(conn, listener.loadbalancer_id)
        project = call.owning_project(spec.project_id or spec.tenant_id or listener.project_id)
        changes.take(conn, lb.id, listener_ids=[listener.id])
        policy = add(conn, call.caller, lb, listener, spec, project)
        quota.enforce(conn, call.settings, project, *MADE_BY[Resource.L7POLICY])
        out = present(conn, [policy])[0]
    call.wake()
    return {"l7policy": out}


@router.get("/l7policies", response_model=L7PolicyMany, response_model_exclude_unset=True)
def list_l7policies(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = l7policies.records.page(conn, query)
        items = [listing.select(d, fields) for d in present(conn, page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": p.id} for p in page.items], has_more=page.has_more,
                          query=query)
    return {"l7policies": items, "l7policies_links": links}


@router.get("/l7policies/{policy_id}", response_model=L7PolicyOne,
            response_model_exclude_unset=True)
def show_l7policy(policy_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        out = present(conn, [refs.l7policy(conn, call.caller, policy_id)])[0]
    return {"l7policy": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/l7policies/{policy_id}", response_model=L7PolicyOne,
            response_model_exclude_unset=True)
def update_l7policy(policy_id: str, body: L7PolicyUpdateBody, call: CallDep
                    ) -> dict[str, Any]:
    call.require_write()
    given = body.l7policy.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        current = refs.l7policy(conn, call.caller, policy_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        listener = listeners.records.get(conn, current.listener_id)
        assert listener is not None
        changes.take(conn, listener.loadbalancer_id, listener_ids=[listener.id])
        values: dict[str, Any] = {k: (tuple(v or ()) if k == "tags" else v)
                                  for k, v in given.items()}
        if values.get("admin_state_up", True) is None:
            values["admin_state_up"] = True
        if "redirect_pool_id" in values and "action" not in values and values["redirect_pool_id"]:
            values["action"] = L7Action.REDIRECT_TO_POOL
        raw = dataclasses.replace(current, **values)
        rules.check(raw)
        updated = rules.normalize(raw)
        rules.check(updated)
        _check_pool(conn, updated, listener)
        if "position" in values and values["position"] is not None:
            updated = dataclasses.replace(
                updated, position=place(conn, listener.id, current.id, values["position"]))
        stored = {f.name: getattr(updated, f.name) for f in dataclasses.fields(updated)
                  if f.name not in ("id", "created_at", "provisioning_status")}
        l7policies.records.update(conn, current.id, **stored,
                                  provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        out = present(conn, [dataclasses.replace(
            updated, provisioning_status=ProvisioningStatus.PENDING_UPDATE)])[0]
    call.wake()
    return {"l7policy": out}


@router.delete("/l7policies/{policy_id}", status_code=204, response_class=Response)
def delete_l7policy(policy_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        current = refs.l7policy(conn, call.caller, policy_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        listener = listeners.records.get(conn, current.listener_id)
        assert listener is not None
        changes.take(conn, listener.loadbalancer_id, listener_ids=[listener.id])
        l7policies.records.update(conn, current.id,
                                  provisioning_status=ProvisioningStatus.PENDING_DELETE)
        place(conn, listener.id, current.id, rules.MAX_POSITION)  # the others close the gap
    call.wake()
    return Response(status_code=204)
