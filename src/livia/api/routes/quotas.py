"""``/v2/lbaas/quotas``: Octavia's quota API (the check itself is ``livia.api.quota``).

A project's reader reads its quota; admins, global observers and quota
admins read every project's; admins and quota admins change them
(``livia.domain.policy``). Values shown are the effective ones: the
project's override, else the default.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response

from livia.api import routing
from livia.api.context import CallDep
from livia.api.schemas.quotas import QuotaMany, QuotaOne, QuotaUpdateBody
from livia.domain.errors import InvalidInput
from livia.domain.policy import Rule
from livia.domain.quotas import DEPRECATED, Quota, Resource
from livia.domain.settings import Settings
from livia.store import quotas

router = routing.router("quotas")


def present(quota: Quota, settings: Settings) -> dict[str, Any]:
    out: dict[str, Any] = {"project_id": quota.project_id}
    for resource in Resource:
        out[resource.value] = quota.limit(resource, settings.quota_defaults)
    for old, resource in DEPRECATED.items():
        out[old] = out[resource.value]
    return out


@router.get("/quotas", response_model=QuotaMany)
def list_quotas(call: CallDep) -> dict[str, Any]:
    everyone = call.caller.allows(Rule.READ_QUOTA_GLOBAL)
    if not everyone:
        call.require(Rule.READ_QUOTA)
    with call.db.read() as conn:
        found = quotas.overridden(conn, None if everyone else call.caller.project_id)
    return {"quotas": [present(q, call.settings) for q in found], "quotas_links": []}


@router.get("/quotas/defaults", response_model=QuotaOne)
def default_quotas(call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ_QUOTA)
    out = present(Quota(project_id=""), call.settings)
    out.pop("project_id")
    return {"quota": out}


@router.get("/quotas/{project_id}", response_model=QuotaOne)
def show_quota(project_id: str, call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ_QUOTA, project_id)
    with call.db.read() as conn:
        quota = quotas.of(conn, project_id)
    return {"quota": present(quota, call.settings)}


@router.get("/quotas/{project_id}/default", response_model=QuotaOne)
def project_default_quota(project_id: str, call: CallDep) -> dict[str, Any]:
    call.require(Rule.READ_QUOTA, project_id)
    return {"quota": present(Quota(project_id=project_id), call.settings)}


@router.put("/quotas/{project_id}", status_code=202, response_model=QuotaOne)
def update_quota(project_id: str, body: QuotaUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require(Rule.WRITE_QUOTA, project_id)
    given = body.quota.model_dump(exclude_none=True)
    for old, resource in DEPRECATED.items():
        if old in given:
            value = given.pop(old)
            if given.setdefault(resource.value, value) != value:
                raise InvalidInput(f"Conflicting values for {resource.value} and {old}.")
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        current = quotas.of(conn, project_id)
        updated = Quota(**{"project_id": project_id, **{
            r.value: given.get(r.value, getattr(current, r.value)) for r in Resource}})
        quotas.save(conn, updated)
    return {"quota": present(updated, call.settings)}


@router.delete("/quotas/{project_id}", status_code=202, response_class=Response)
def reset_quota(project_id: str, call: CallDep) -> Response:
    call.require(Rule.WRITE_QUOTA, project_id)
    with call.db.write() as conn:
        quotas.reset(conn, project_id)
    return Response(status_code=202)
