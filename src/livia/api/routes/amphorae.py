"""``/v2/octavia/amphorae``: the admin view of the units that serve load balancers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request, Response

from livia.api import listing, routing
from livia.api.context import CallDep, parse_id
from livia.api.openapi import documented
from livia.api.schemas.fields import Out
from livia.api.views import view
from livia.domain.amphorae import Amphora
from livia.domain.errors import Conflict, Immutable, NotFound
from livia.domain.status import AmphoraStatus, ProvisioningStatus
from livia.store import amphorae, loadbalancers
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("amphorae", responses=documented(403))  # admin only
RESOURCE = "Amphora"


class AmphoraOut(Out):
    id: str | None = None
    loadbalancer_id: str | None = None
    compute_id: str | None = None
    lb_network_ip: str | None = None
    vrrp_ip: str | None = None
    ha_ip: str | None = None
    vrrp_port_id: str | None = None
    ha_port_id: str | None = None
    cert_expiration: str | None = None
    cert_busy: bool | None = None
    role: str | None = None
    status: str | None = None
    vrrp_interface: str | None = None
    vrrp_id: int | None = None
    vrrp_priority: int | None = None
    cached_zone: str | None = None
    image_id: str | None = None
    compute_flavor: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


class AmphoraOne(Out):
    amphora: AmphoraOut


class AmphoraMany(Out):
    amphorae: list[AmphoraOut]
    amphorae_links: list[dict[str, str]]


class AmphoraStats(Out):
    amphora_stats: list[dict[str, Any]]


def present(items: list[Amphora]) -> list[dict[str, Any]]:
    return [view(a, hide=("mgmt_port_id",), blank=()) for a in items]


@router.get("/amphorae", response_model=AmphoraMany, response_model_exclude_unset=True)
def list_amphorae(request: Request, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    query = listing.list_query(request.query_params, project_scope=None,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    not_deleted = amphorae.records.table.c.status != AmphoraStatus.DELETED.value
    with call.db.read() as conn:
        page = amphorae.records.page(conn, query, not_deleted)
    items = [listing.select(d, fields) for d in present(page.items)]
    links = listing.links(call.base_url, request.url.path, request.query_params,
                          [{"id": a.id} for a in page.items], has_more=page.has_more,
                          query=query)
    return {"amphorae": items, "amphorae_links": links}


def _get(conn: Connection, amphora_id: str) -> Amphora:
    amp = amphorae.records.get(conn, parse_id(amphora_id, RESOURCE))
    if amp is None or amp.status is AmphoraStatus.DELETED:
        raise NotFound(RESOURCE, amphora_id)
    return amp


@router.get("/amphorae/{amphora_id}", response_model=AmphoraOne,
            response_model_exclude_unset=True)
def show_amphora(amphora_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    with call.db.read() as conn:
        out = present([_get(conn, amphora_id)])[0]
    return {"amphora": listing.select(out, listing.selected_fields(request.query_params))}


def _take_lb(conn: Connection, amp: Amphora) -> None:
    if amp.loadbalancer_id is None:
        raise Conflict(f"Amphora {amp.id} serves no load balancer.")
    lb = loadbalancers.records.get(conn, amp.loadbalancer_id, for_update=True)
    if lb is None or lb.provisioning_status is not ProvisioningStatus.ACTIVE:
        state = lb.provisioning_status if lb else "DELETED"
        raise Immutable(f"Invalid state {state} of loadbalancer resource {amp.loadbalancer_id}")
    loadbalancers.records.update(conn, lb.id,
                                 provisioning_status=ProvisioningStatus.PENDING_UPDATE)


@router.put("/amphorae/{amphora_id}/failover", status_code=202, response_class=Response)
def failover_amphora(amphora_id: str, call: CallDep) -> Response:
    call.require_admin()
    with call.db.write() as conn:
        amp = _get(conn, amphora_id)
        _take_lb(conn, amp)
        amphorae.records.update(conn, amp.id, failover_reason="failover requested")
    call.wake()
    return Response(status_code=202)


@router.put("/amphorae/{amphora_id}/config", status_code=202, response_class=Response)
def configure_amphora(amphora_id: str, call: CallDep) -> Response:
    """Push the agent's runtime settings (heartbeats) and configurations again."""
    call.require_admin()
    with call.db.write() as conn:
        amp = _get(conn, amphora_id)
        _take_lb(conn, amp)
        # A new updated_at tells the controller to send this amphora everything again
        # (stored to the second: step past a change made in this same second).
        stamp = utcnow()
        if amp.updated_at is not None and amp.updated_at >= stamp:
            stamp = amp.updated_at + timedelta(seconds=1)
        amphorae.records.update(conn, amp.id, updated_at=stamp)
    call.wake()
    return Response(status_code=202)


@router.get("/amphorae/{amphora_id}/stats", response_model=AmphoraStats)
def amphora_stats(amphora_id: str, call: CallDep) -> dict[str, Any]:
    call.require_admin()
    with call.db.read() as conn:
        amp = _get(conn, amphora_id)
        rows = amphorae.stats_rows(conn, amp.id)
    return {"amphora_stats": [
        {"id": amp.id, "listener_id": r["listener_id"], "loadbalancer_id": r["loadbalancer_id"],
         **{k: r[k] for k in amphorae.STAT_FIELDS}} for r in rows
    ]}


@router.delete("/amphorae/{amphora_id}", status_code=204, response_class=Response)
def delete_amphora(amphora_id: str, call: CallDep) -> Response:
    """Only an amphora in ERROR may be removed by hand; the controller tears it down."""
    call.require_admin()
    with call.db.write() as conn:
        amp = _get(conn, amphora_id)
        if amp.status is not AmphoraStatus.ERROR:
            raise Immutable(f"Amphora {amp.id} is not in ERROR and cannot be deleted; "
                            "fail it over instead.")
        amphorae.records.update(conn, amp.id, status=AmphoraStatus.PENDING_DELETE)
    call.wake()
    return Response(status_code=204)
