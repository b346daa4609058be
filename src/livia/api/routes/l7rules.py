"""``/v2/lbaas/l7policies/{policy_id}/rules``: the conditions of an L7 policy."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response

from livia.api import changes, listing, quota, refs, routing
from livia.api.context import CallDep, new_id, parse_id
from livia.api.schemas.l7rules import (
    L7RuleCreate,
    L7RuleCreateBody,
    L7RuleMany,
    L7RuleOne,
    L7RuleUpdateBody,
)
from livia.api.views import view
from livia.domain import l7rules as rules
from livia.domain.errors import Conflict, InvalidInput, NotFound
from livia.domain.l7policies import L7Policy
from livia.domain.l7rules import MAX_RULES_PER_POLICY, L7Rule
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.store import l7policies, l7rules, listeners
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("l7rules")
RESOURCE = "L7 Rule"


def present(items: list[L7Rule]) -> list[dict[str, Any]]:
    return [view(r, blank=()) for r in items]


def add(conn: Connection, policy: L7Policy, spec: L7RuleCreate, project: str) -> L7Rule:
    count = l7rules.records.count(conn, l7rules.records.table.c.l7policy_id == policy.id)
    if count >= MAX_RULES_PER_POLICY:
        raise Conflict(f"Too many rules on L7 policy {policy.id}: at most "
                       f"{MAX_RULES_PER_POLICY}.")
    rule = L7Rule(
        id=new_id(), project_id=project, l7policy_id=policy.id, type=spec.type,
        compare_type=spec.compare_type, key=spec.key, value=spec.value, invert=spec.invert,
        admin_state_up=spec.admin_state_up,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE, created_at=utcnow(), updated_at=None,
        tags=tuple(spec.tags),
    )
    rules.check(rule)
    l7rules.records.insert(conn, rule)
    return rule


def _take_policy(conn: Connection, policy: L7Policy) -> None:
    changes.require_active(policy.provisioning_status, "L7 Policy", policy.id)
    listener = listeners.records.get(conn, policy.listener_id)
    assert listener is not None
    changes.take(conn, listener.loadbalancer_id, listener_ids=[listener.id])
    l7policies.records.update(conn, policy.id,
                              provisioning_status=ProvisioningStatus.PENDING_UPDATE)


def _rule(conn: Connection, policy: L7Policy, rule_id: str) -> L7Rule:
    rule = l7rules.records.get(conn, parse_id(rule_id, RESOURCE))
    if rule is None or rule.l7policy_id != policy.id:
        raise NotFound(RESOURCE, rule_id)
    return rule


@router.post("/l7policies/{policy_id}/rules", status_code=201, response_model=L7RuleOne,
             response_model_exclude_unset=True)
def create_l7rule(policy_id: str, body: L7RuleCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    with call.db.write() as conn:
        policy = refs.l7policy(conn, call.caller, policy_id)
        _take_policy(conn, policy)
        spec = body.rule
        project = call.owning_project(spec.project_id or spec.tenant_id or policy.project_id)
        rule = add(conn, policy, spec, project)
        quota.enforce(conn, call.settings, project, *MADE_BY[Resource.L7RULE])
    call.wake()
    return {"rule": present([rule])[0]}


@router.get("/l7policies/{policy_id}/rules", response_model=L7RuleMany,
            response_model_exclude_unset=True)
def list_l7rules(policy_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        policy = refs.l7policy(conn, call.caller, policy_id)
        page = l7rules.records.page(conn, query,
                                    l7rules.records.table.c.l7policy_id == policy.id)
    items = [listing.select(d, fields) for d in present(page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": r.id} for r in page.items], has_more=page.has_more,
                          query=query)
    return {"rules": items, "rules_links": links}


@router.get("/l7policies/{policy_id}/rules/{rule_id}", response_model=L7RuleOne,
            response_model_exclude_unset=True)
def show_l7rule(policy_id: str, rule_id: str, request: Request, call: CallDep
                ) -> dict[str, Any]:
    with call.db.read() as conn:
        rule = _rule(conn, refs.l7policy(conn, call.caller, policy_id), rule_id)
    out = present([rule])[0]
    return {"rule": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/l7policies/{policy_id}/rules/{rule_id}", response_model=L7RuleOne,
            response_model_exclude_unset=True)
def update_l7rule(policy_id: str, rule_id: str, body: L7RuleUpdateBody, call: CallDep
                  ) -> dict[str, Any]:
    call.require_write()
    given = body.rule.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        policy = refs.l7policy(conn, call.caller, policy_id)
        current = _rule(conn, policy, rule_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        _take_policy(conn, policy)
        values: dict[str, Any] = {k: (tuple(v or ()) if k == "tags" else v)
                                  for k, v in given.items()}
        for key in ("type", "compare_type", "value"):
            if key in values and values[key] is None:
                raise InvalidInput(f"{key} cannot be null.")
        for key, default in (("invert", False), ("admin_state_up", True)):
            if key in values and values[key] is None:
                values[key] = default
        updated = dataclasses.replace(current, **values,
                                      provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        rules.check(updated)
        l7rules.records.update(conn, current.id, **values,
                               provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    call.wake()
    return {"rule": present([updated])[0]}


@router.delete("/l7policies/{policy_id}/rules/{rule_id}", status_code=204,
               response_class=Response)
def delete_l7rule(policy_id: str, rule_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        policy = refs.l7policy(conn, call.caller, policy_id)
        current = _rule(conn, policy, rule_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        _take_policy(conn, policy)
        l7rules.records.update(conn, current.id,
                               provisioning_status=ProvisioningStatus.PENDING_DELETE)
    call.wake()
    return Response(status_code=204)
