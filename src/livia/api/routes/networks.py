"""``/v2.0/networks``: tenant networks, each a Linux bridge on the host (Neutron-shaped)."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from livia.api import listing, refs, routing
from livia.api.context import CallDep, new_id
from livia.api.schemas.networks import (
    NetworkCreateBody,
    NetworkMany,
    NetworkOne,
    NetworkUpdateBody,
)
from livia.api.views import plain
from livia.domain.errors import InUse, InvalidInput
from livia.domain.networks import NETWORK_DELETING, Network
from livia.domain.visibility import Need
from livia.store import networks, tables
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("networks")


def neutron_time(value: Any) -> Any:
    return f"{plain(value)}Z" if value is not None else None


def present(conn: Connection, items: list[Network]) -> list[dict[str, Any]]:
    ids = [n.id for n in items]
    subnets = networks.subnets.where(conn, tables.subnets.c.network_id.in_(ids))
    out = []
    for n in items:
        out.append({
            "id": n.id, "name": n.name or "", "description": n.description or "",
            "admin_state_up": n.admin_state_up, "status": n.status,
            "subnets": [s.id for s in subnets if s.network_id == n.id],
            "shared": n.shared, "router:external": n.router_external, "mtu": n.mtu,
            "project_id": n.project_id, "tenant_id": n.project_id, "tags": list(n.tags),
            "created_at": neutron_time(n.created_at), "updated_at": neutron_time(n.updated_at),
            "revision_number": n.revision_number, "port_security_enabled": True,
            "availability_zones": [], "availability_zone_hints": [],
            "ipv4_address_scope": None, "ipv6_address_scope": None, "is_default": False,
            "provider:network_type": "flat", "provider:physical_network": None,
            "provider:segmentation_id": None, "l2_adjacency": True, "qos_policy_id": None,
            "dns_domain": "",
        })
    return out


@router.post("/networks", status_code=201, response_model=NetworkOne)
def create_network(body: NetworkCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.network
    if (spec.shared or spec.router_external) and not call.caller.is_admin:
        call.require_admin()
    network = Network(
        id=new_id(), project_id=call.owning_project(spec.project_id or spec.tenant_id),
        name=spec.name, description=spec.description, admin_state_up=spec.admin_state_up,
        status="ACTIVE", shared=spec.shared, router_external=spec.router_external,
        mtu=spec.mtu, revision_number=1, created_at=utcnow(), updated_at=None,
        tags=tuple(spec.tags),
    )
    with call.db.write() as conn:
        networks.records.insert(conn, network)
        out = present(conn, [network])[0]
    return {"network": out}


@router.get("/networks", response_model=NetworkMany)
def list_networks(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=None,
                               max_limit=call.settings.pagination_max_limit,
                               renames={"router:external": "router_external"})
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = networks.records.page(conn, query, networks.visible_to(call.scope))
        items = [listing.select(d, fields) for d in present(conn, page.items)]
    out: dict[str, Any] = {"networks": items}
    if request.query_params.get("limit"):
        out["networks_links"] = listing.links(
            call.base_url, request.url.path, request.query_params,
            [{"id": n.id} for n in page.items], has_more=page.has_more, query=query)
    return out


@router.get("/networks/{network_id}", response_model=NetworkOne)
def show_network(network_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        out = present(conn, [refs.network(conn, call.caller, network_id)])[0]
    return {"network": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/networks/{network_id}", response_model=NetworkOne)
def update_network(network_id: str, body: NetworkUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    given = body.network.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        network = refs.network(conn, call.caller, network_id, Need.OWN)
        if ("shared" in given or "router_external" in given) and not call.caller.is_admin:
            call.require_admin()
        values = {k: (tuple(v or ()) if k == "tags" else v) for k, v in given.items()
                  if v is not None or k in ("name", "description")}
        networks.records.update(conn, network.id, **values,
                                revision_number=network.revision_number + 1)
        out = present(conn, [refs.network(conn, call.caller, network_id)])[0]
    return {"network": out}


@router.delete("/networks/{network_id}", status_code=204, response_class=Response)
def delete_network(network_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        network = refs.network(conn, call.caller, network_id, Need.OWN)
        in_use = networks.ports.where(conn, tables.ports.c.network_id == network.id)
        if in_use:
            raise InUse(f"Unable to complete operation on network {network.id}. There are "
                        "one or more ports still in use on the network.")
        for subnet in networks.subnets_of(conn, network.id):
            networks.subnets.delete(conn, subnet.id)
        # The controller removes the bridge, then the row.
        networks.records.update(conn, network.id, status=NETWORK_DELETING)
    call.wake()
    return Response(status_code=204)
