"""``/v2.0/floatingips``: an external address NATed to a port's fixed IP (Neutron-shaped).

A floating IP owns up to two ports: its address on the external network
(``network:floatingip``) and, while it is associated, the NAT's address on
the target port's network (``network:router_gateway``). The API writes the
row with ``applied`` False and wakes the controller, which plumbs the NAT on
the host and sets ``applied``/``status``. Deleting marks the row
``pending_delete``: the controller removes the NAT, both ports and the row.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

from fastapi import Request, Response

from livia.api import listing, refs, routing
from livia.api.context import Call, CallDep, new_id
from livia.api.routes import networks as network_routes
from livia.api.schemas.floatingips import (
    FloatingIpCreate,
    FloatingIpCreateBody,
    FloatingIpMany,
    FloatingIpOne,
    FloatingIpUpdateBody,
)
from livia.domain.errors import Conflict, InvalidInput
from livia.domain.networks import (
    OWNER_FIP_ROUTER,
    OWNER_FLOATINGIP,
    FloatingIp,
    Network,
    Port,
    Subnet,
)
from livia.store import floatingips, networks
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("floatingips")
DOWN = "DOWN"


def present(items: list[FloatingIp]) -> list[dict[str, Any]]:
    t = network_routes.neutron_time
    return [{
        "id": f.id, "floating_ip_address": f.floating_ip_address,
        "floating_network_id": f.floating_network_id, "port_id": f.port_id,
        "fixed_ip_address": f.fixed_ip_address, "router_id": f.router_id, "status": f.status,
        "description": f.description or "", "project_id": f.project_id,
        "tenant_id": f.project_id, "tags": list(f.tags), "created_at": t(f.created_at),
        "updated_at": t(f.updated_at), "revision_number": f.revision_number,
        "port_details": None, "port_forwardings": [], "dns_domain": "", "dns_name": "",
        "qos_policy_id": None, "qos_network_policy_id": None,
    } for f in items]


def _external_network(conn: Connection, call: Call, network_id: str) -> Network:
    network = refs.network(conn, call.caller, network_id)
    if not network.router_external:
        raise InvalidInput(f"Network {network.id} is not an external network "
                           "(router:external); floating IPs come only from one.")
    return network


def _floating_subnet(conn: Connection, network: Network, spec: FloatingIpCreate) -> Subnet:
    subnets = [s for s in networks.subnets_of(conn, network.id) if s.ip_version == 4]
    if spec.subnet_id is not None:
        subnets = [s for s in subnets if s.id == spec.subnet_id]
        if not subnets:
            raise InvalidInput(f"Subnet {spec.subnet_id} is no IPv4 subnet of external "
                               f"network {network.id}.")
    if spec.floating_ip_address is not None:
        address = ipaddress.ip_address(spec.floating_ip_address)
        subnets = [s for s in subnets if address in ipaddress.ip_network(s.cidr)]
        if not subnets:
            raise InvalidInput(f"Floating IP address {address} is in no IPv4 subnet of "
                               f"external network {network.id}.")
        networks.check_host_address(subnets[0], str(address))
        return subnets[0]
    for subnet in subnets:
        if networks.free_count(conn, subnet) > 0:
            return subnet
    if not subnets:
        raise InvalidInput(f"External network {network.id} has no IPv4 subnet.")
    raise Conflict(f"No more IP addresses available on external network {network.id}.")


def _target(conn: Connection, call: Call, port_id: str, fixed_ip: str | None,
            external_id: str) -> tuple[Port, str]:
    """The port to NAT to and which of its IPv4 addresses (default: its first)."""
    port = refs.port(conn, call.caller, port_id)
    if port.network_id == external_id:
        raise InvalidInput(f"Port {port.id} is on the external network itself; a floating "
                           "IP maps to a port on another network.")
    v4 = [f.ip_address for f in port.fixed_ips if ipaddress.ip_address(f.ip_address).version == 4]
    if fixed_ip is None:
        if not v4:
            raise InvalidInput(f"Port {port.id} has no IPv4 address to map a floating IP to.")
        return port, v4[0]
    if fixed_ip not in v4:
        raise InvalidInput(f"Port {port.id} does not have fixed IPv4 address {fixed_ip}.")
    return port, fixed_ip


def _check_free_target(conn: Connection, port: Port, fixed_ip: str, fip_id: str) -> None:
    for other in floatingips.of_port(conn, port.id):
        if other.id != fip_id and other.fixed_ip_address == fixed_ip:
            raise Conflict(f"Fixed IP {fixed_ip} of port {port.id} already has floating IP "
                           f"{other.floating_ip_address} ({other.id}).")


def _nat_port(conn: Connection, fip: FloatingIp, port: Port, fixed_ip: str) -> Port:
    """The NAT's own address on the target's subnet, next to the fixed IP."""
    subnet_id = next(f.subnet_id for f in port.fixed_ips if f.ip_address == fixed_ip)
    subnet = networks.subnets.get(conn, subnet_id)
    assert subnet is not None
    return networks.create_port(conn, project=fip.project_id, network_id=port.network_id,
                                fixed_ips=[(subnet, None)], name=f"fip-nat-{fip.id}",
                                device_owner=OWNER_FIP_ROUTER, device_id=fip.id)


def _release_nat(conn: Connection, fip_id: str) -> None:
    _, nat_port_id, _ = floatingips.plumbing_ports(conn, fip_id)
    if nat_port_id is not None:
        networks.ports.delete(conn, nat_port_id)


def _associate(conn: Connection, call: Call, fip: FloatingIp, port_id: str,
               fixed_ip: str | None) -> dict[str, Any]:
    port, address = _target(conn, call, port_id, fixed_ip, fip.floating_network_id)
    _check_free_target(conn, port, address, fip.id)
    _release_nat(conn, fip.id)
    nat = _nat_port(conn, fip, port, address)
    return {"port_id": port.id, "fixed_ip_address": address, "nat_port_id": nat.id,
            "applied": False, "status": DOWN}


def _disassociated(conn: Connection, fip_id: str) -> dict[str, Any]:
    _release_nat(conn, fip_id)
    return {"port_id": None, "fixed_ip_address": None, "nat_port_id": None,
            "applied": False, "status": DOWN}


def disassociate_port(conn: Connection, port_id: str) -> bool:
    """Unmap every floating IP of a port about to be deleted; True if there was one."""
    found = floatingips.of_port(conn, port_id)
    for fip in found:
        floatingips.records.update(conn, fip.id, **_disassociated(conn, fip.id),
                                   revision_number=fip.revision_number + 1)
    return bool(found)


@router.post("/floatingips", status_code=201, response_model=FloatingIpOne)
def create_floatingip(body: FloatingIpCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.floatingip
    if spec.fixed_ip_address is not None and spec.port_id is None:
        raise InvalidInput("fixed_ip_address needs a port_id.")
    with call.db.write() as conn:
        network = _external_network(conn, call, spec.floating_network_id)
        fip = FloatingIp(
            id=new_id(), project_id=call.owning_project(spec.project_id or spec.tenant_id),
            floating_network_id=network.id, floating_ip_address="", port_id=None,
            fixed_ip_address=None, router_id=None, status=DOWN, description=spec.description,
            revision_number=1, created_at=utcnow(), updated_at=None, tags=tuple(spec.tags))
        outer = networks.create_port(
            conn, project=fip.project_id, network_id=network.id,
            fixed_ips=[(_floating_subnet(conn, network, spec), spec.floating_ip_address)],
            name=f"fip-{fip.id}", device_owner=OWNER_FLOATINGIP, device_id=fip.id)
        fip = dataclasses.replace(fip, floating_ip_address=outer.first_ip or "")
        floatingips.add(conn, fip, floating_port_id=outer.id, nat_port_id=None)
        if spec.port_id is not None:
            values = _associate(conn, call, fip, spec.port_id, spec.fixed_ip_address)
            floatingips.records.update(conn, fip.id, **values, updated_at=None)
        out = present([refs.floatingip(conn, call.caller, fip.id)])[0]
    call.wake()
    return {"floatingip": out}


@router.get("/floatingips", response_model=FloatingIpMany)
def list_floatingips(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = floatingips.records.page(conn, query, floatingips.live())
    out: dict[str, Any] = {"floatingips": [listing.select(d, fields)
                                           for d in present(page.items)]}
    if request.query_params.get("limit"):
        out["floatingips_links"] = listing.links(
            call.base_url, request.url.path, request.query_params,
            [{"id": f.id} for f in page.items], has_more=page.has_more, query=query)
    return out


@router.get("/floatingips/{fip_id}", response_model=FloatingIpOne)
def show_floatingip(fip_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        fip = refs.floatingip(conn, call.caller, fip_id)
    out = present([fip])[0]
    return {"floatingip": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/floatingips/{fip_id}", response_model=FloatingIpOne)
def update_floatingip(fip_id: str, body: FloatingIpUpdateBody, call: CallDep
                      ) -> dict[str, Any]:
    call.require_write()
    spec = body.floatingip
    given = spec.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        fip = refs.floatingip(conn, call.caller, fip_id)
        values: dict[str, Any] = {k: given[k] for k in ("description",) if k in given}
        if "tags" in given:
            values["tags"] = tuple(spec.tags or ())
        if spec.port_id is not None:
            values.update(_associate(conn, call, fip, spec.port_id, spec.fixed_ip_address))
        elif "port_id" in given:
            values.update(_disassociated(conn, fip.id))
        elif spec.fixed_ip_address is not None:
            if fip.port_id is None:
                raise InvalidInput("fixed_ip_address needs a port_id.")
            values.update(_associate(conn, call, fip, fip.port_id, spec.fixed_ip_address))
        floatingips.records.update(conn, fip.id, **values,
                                   revision_number=fip.revision_number + 1)
        out = present([refs.floatingip(conn, call.caller, fip_id)])[0]
    call.wake()
    return {"floatingip": out}


@router.delete("/floatingips/{fip_id}", status_code=204, response_class=Response)
def delete_floatingip(fip_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        fip = refs.floatingip(conn, call.caller, fip_id)
        # The controller removes the NAT, then both ports and the row.
        floatingips.records.update(conn, fip.id, pending_delete=True, applied=False)
    call.wake()
    return Response(status_code=204)
