"""``/v2/lbaas/healthmonitors``: how a pool's members are checked."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request, Response

from livia.api import changes, listing, quota, refs, routing
from livia.api.context import CallDep, new_id
from livia.api.schemas.healthmonitors import (
    HealthMonitorCreateBody,
    HealthMonitorFields,
    HealthMonitorMany,
    HealthMonitorOne,
    HealthMonitorUpdateBody,
)
from livia.api.views import id_refs, view
from livia.domain import healthmonitors as rules
from livia.domain.errors import Duplicate, InvalidInput
from livia.domain.healthmonitors import HTTP_DEFAULTS, HTTP_TYPES, HealthMonitor
from livia.domain.pools import Pool
from livia.domain.quotas import MADE_BY, Resource
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.store import healthmonitors, pools
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("healthmonitors")
RESOURCE = refs.HEALTHMONITOR


def present(items: list[HealthMonitor]) -> list[dict[str, Any]]:
    out = []
    for h in items:
        d = view(h, blank=("name",))
        d["pools"] = id_refs([h.pool_id])
        out.append(d)
    return out


def _given_or(value: Any, default: Any) -> Any:
    return default if value is None else value


def build(pool: Pool, spec: HealthMonitorFields, project: str) -> HealthMonitor:
    defaults: dict[str, Any] = dict(HTTP_DEFAULTS) if spec.type in HTTP_TYPES else {}
    monitor = HealthMonitor(
        id=new_id(), project_id=project, pool_id=pool.id, name=spec.name,
        admin_state_up=spec.admin_state_up, type=spec.type, delay=spec.delay,
        timeout=spec.timeout, max_retries=spec.max_retries,
        max_retries_down=spec.max_retries_down,
        # Only an absent value takes the default: "" is checked (and refused) like any other.
        http_method=_given_or(spec.http_method, defaults.get("http_method")),
        url_path=_given_or(spec.url_path, defaults.get("url_path")),
        expected_codes=_given_or(spec.expected_codes, defaults.get("expected_codes")),
        http_version=spec.http_version, domain_name=spec.domain_name,
        provisioning_status=ProvisioningStatus.PENDING_CREATE,
        operating_status=OperatingStatus.OFFLINE, created_at=utcnow(), updated_at=None,
        tags=tuple(spec.tags),
    )
    if spec.type not in HTTP_TYPES:
        # Report what the user sent, not our defaults.
        monitor = dataclasses.replace(monitor, http_method=spec.http_method,
                                      url_path=spec.url_path,
                                      expected_codes=spec.expected_codes)
    rules.check(monitor, pool.protocol)
    return monitor


def add(conn: Connection, pool: Pool, spec: HealthMonitorFields, project: str
        ) -> HealthMonitor:
    existing = healthmonitors.records.where(
        conn, healthmonitors.records.table.c.pool_id == pool.id)
    if existing:
        raise Duplicate(f"Pool {pool.id} already has a health monitor {existing[0].id}.")
    monitor = build(pool, spec, project)
    healthmonitors.records.insert(conn, monitor)
    return monitor


@router.post("/healthmonitors", status_code=201, response_model=HealthMonitorOne,
             response_model_exclude_unset=True)
def create_healthmonitor(body: HealthMonitorCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.healthmonitor
    with call.db.write() as conn:
        pool = refs.pool(conn, call.caller, spec.pool_id)
        changes.require_active(pool.provisioning_status, "Pool", pool.id)
        project = call.owning_project(spec.project_id or spec.tenant_id or pool.project_id)
        changes.take(conn, pool.loadbalancer_id,
                     listener_ids=changes.listeners_using_pool(conn, pool.id),
                     pool_ids=[pool.id])
        monitor = add(conn, pool, spec, project)
        quota.enforce(conn, call.settings, project, *MADE_BY[Resource.HEALTHMONITOR])
    call.wake()
    return {"healthmonitor": present([monitor])[0]}


@router.get("/healthmonitors", response_model=HealthMonitorMany,
            response_model_exclude_unset=True)
def list_healthmonitors(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = healthmonitors.records.page(conn, query)
    items = [listing.select(d, fields) for d in present(page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": h.id} for h in page.items], has_more=page.has_more,
                          query=query)
    return {"healthmonitors": items, "healthmonitors_links": links}


@router.get("/healthmonitors/{monitor_id}", response_model=HealthMonitorOne,
            response_model_exclude_unset=True)
def show_healthmonitor(monitor_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        monitor = refs.healthmonitor(conn, call.caller, monitor_id)
    out = present([monitor])[0]
    return {"healthmonitor": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/healthmonitors/{monitor_id}", response_model=HealthMonitorOne,
            response_model_exclude_unset=True)
def update_healthmonitor(monitor_id: str, body: HealthMonitorUpdateBody, call: CallDep
                         ) -> dict[str, Any]:
    call.require_write()
    given = body.healthmonitor.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        current = refs.healthmonitor(conn, call.caller, monitor_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        pool = pools.records.get(conn, current.pool_id)
        assert pool is not None
        changes.take(conn, pool.loadbalancer_id,
                     listener_ids=changes.listeners_using_pool(conn, pool.id),
                     pool_ids=[pool.id])
        values: dict[str, Any] = {}
        for key, value in given.items():
            if key == "tags":
                value = tuple(value or ())
            elif value is None and key in HTTP_DEFAULTS and current.type in HTTP_TYPES:
                value = HTTP_DEFAULTS[key]
            elif value is None and key == "max_retries_down":
                value = 3
            elif value is None and key == "admin_state_up":
                value = True
            values[key] = value
        updated = dataclasses.replace(current, **values,
                                      provisioning_status=ProvisioningStatus.PENDING_UPDATE)
        rules.check(updated, pool.protocol)
        healthmonitors.records.update(conn, current.id, **values,
                                      provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    call.wake()
    return {"healthmonitor": present([updated])[0]}


@router.delete("/healthmonitors/{monitor_id}", status_code=204, response_class=Response)
def delete_healthmonitor(monitor_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        current = refs.healthmonitor(conn, call.caller, monitor_id)
        changes.require_mutable(current.provisioning_status, RESOURCE, current.id)
        pool = pools.records.get(conn, current.pool_id)
        assert pool is not None
        changes.take(conn, pool.loadbalancer_id,
                     listener_ids=changes.listeners_using_pool(conn, pool.id),
                     pool_ids=[pool.id])
        healthmonitors.records.update(conn, current.id,
                                      provisioning_status=ProvisioningStatus.PENDING_DELETE)
    call.wake()
    return Response(status_code=204)
