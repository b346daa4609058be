"""``/v2.0/subnets``: CIDRs, gateways and allocation pools; IPAM lives here (Neutron-shaped)."""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import Request, Response

from livia.api import listing, refs, routing
from livia.api.context import Call, CallDep, new_id
from livia.api.routes import networks as network_routes
from livia.api.schemas.networks import (
    SubnetCreate,
    SubnetCreateBody,
    SubnetMany,
    SubnetOne,
    SubnetUpdateBody,
)
from livia.domain.errors import InUse, InvalidInput
from livia.domain.networks import AllocationPool, Subnet
from livia.domain.visibility import Need
from livia.store import networks
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("subnets")


def present(items: list[Subnet]) -> list[dict[str, Any]]:
    t = network_routes.neutron_time
    return [{
        "id": s.id, "name": s.name or "", "description": s.description or "",
        "network_id": s.network_id, "ip_version": s.ip_version, "cidr": s.cidr,
        "gateway_ip": s.gateway_ip, "enable_dhcp": s.enable_dhcp,
        "allocation_pools": [{"start": p.start, "end": p.end} for p in s.allocation_pools],
        "dns_nameservers": list(s.dns_nameservers), "host_routes": list(s.host_routes),
        "project_id": s.project_id, "tenant_id": s.project_id, "tags": list(s.tags),
        "created_at": t(s.created_at), "updated_at": t(s.updated_at),
        "revision_number": s.revision_number, "ipv6_ra_mode": None,
        "ipv6_address_mode": None, "subnetpool_id": None, "service_types": [],
        "segment_id": None, "dns_publish_fixed_ip": False,
    } for s in items]


def _pools(net: ipaddress.IPv4Network | ipaddress.IPv6Network, gateway: str | None,
           given: list[Any] | None) -> tuple[AllocationPool, ...]:
    if given:
        pools = []
        for p in given:
            start, end = ipaddress.ip_address(p.start), ipaddress.ip_address(p.end)
            if start not in net or end not in net or int(start) > int(end):
                raise InvalidInput(f"The allocation pool {p.start}-{p.end} spans beyond the "
                                   f"subnet cidr {net}.")
            pools.append(AllocationPool(start=str(start), end=str(end)))
        return tuple(pools)
    hosts = list(_host_range(net))
    if gateway is None or ipaddress.ip_address(gateway) not in net:
        return (AllocationPool(start=str(hosts[0]), end=str(hosts[1])),)
    gw = int(ipaddress.ip_address(gateway))
    first, last = int(hosts[0]), int(hosts[1])
    out = []
    if first < gw:
        out.append(AllocationPool(start=str(hosts[0]), end=str(ipaddress.ip_address(gw - 1))))
    if gw < last:
        out.append(AllocationPool(start=str(ipaddress.ip_address(gw + 1)), end=str(hosts[1])))
    return tuple(out)


def _host_range(net: ipaddress.IPv4Network | ipaddress.IPv6Network
                ) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
    if net.num_addresses <= 2:
        raise InvalidInput(f"Subnet {net} is too small: it has no usable host addresses.")
    first = net.network_address + 1
    last = net.broadcast_address - (1 if net.version == 4 else 0)
    return (first, last)


def build(conn: Connection, call: Call, spec: SubnetCreate) -> Subnet:
    network = refs.network(conn, call.caller, spec.network_id, Need.OWN)
    if not spec.cidr:
        raise InvalidInput("A cidr must be specified in the absence of a subnet pool.")
    net = ipaddress.ip_network(spec.cidr, strict=False)
    if net.version != spec.ip_version:
        raise InvalidInput(f"Cidr {spec.cidr} does not match ip_version {spec.ip_version}.")
    for other in networks.subnets_of(conn, network.id):
        if ipaddress.ip_network(other.cidr).overlaps(net):
            raise InvalidInput(f"Invalid input for operation: Requested subnet with cidr: "
                               f"{net} for network: {network.id} overlaps with another "
                               "subnet.")
    gateway: str | None
    if "gateway_ip" not in spec.model_fields_set:
        gateway = str(_host_range(net)[0])
    else:
        gateway = spec.gateway_ip
        if gateway is not None and ipaddress.ip_address(gateway) not in net:
            raise InvalidInput(f"Gateway IP {gateway} is not in subnet {net}.")
    return Subnet(
        id=new_id(), project_id=call.owning_project(spec.project_id or spec.tenant_id
                                                    or network.project_id),
        network_id=network.id, name=spec.name, description=spec.description,
        ip_version=spec.ip_version, cidr=str(net), gateway_ip=gateway,
        enable_dhcp=spec.enable_dhcp, revision_number=1, created_at=utcnow(), updated_at=None,
        allocation_pools=_pools(net, gateway, spec.allocation_pools),
        dns_nameservers=tuple(spec.dns_nameservers),
        host_routes=tuple({"destination": r.destination, "nexthop": r.nexthop}
                          for r in spec.host_routes),
        tags=tuple(spec.tags),
    )


@router.post("/subnets", status_code=201, response_model=SubnetOne)
def create_subnet(body: SubnetCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    with call.db.write() as conn:
        subnet = build(conn, call, body.subnet)
        networks.subnets.insert(conn, subnet)
    return {"subnet": present([subnet])[0]}


@router.get("/subnets", response_model=SubnetMany)
def list_subnets(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=None,
                               max_limit=call.settings.pagination_max_limit)
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = networks.subnets.page(conn, query, networks.subnets_visible_to(call.scope))
    out: dict[str, Any] = {"subnets": [listing.select(d, fields) for d in present(page.items)]}
    if request.query_params.get("limit"):
        out["subnets_links"] = listing.links(
            call.base_url, request.url.path, request.query_params,
            [{"id": s.id} for s in page.items], has_more=page.has_more, query=query)
    return out


@router.get("/subnets/{subnet_id}", response_model=SubnetOne)
def show_subnet(subnet_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        subnet = refs.subnet(conn, call.caller, subnet_id)
    out = present([subnet])[0]
    return {"subnet": listing.select(out, listing.selected_fields(request.query_params))}


@router.put("/subnets/{subnet_id}", response_model=SubnetOne)
def update_subnet(subnet_id: str, body: SubnetUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    given = body.subnet.model_dump(exclude_unset=True)
    if not given:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        subnet = refs.subnet(conn, call.caller, subnet_id, Need.OWN)
        values: dict[str, Any] = {}
        net = ipaddress.ip_network(subnet.cidr)
        for key, value in given.items():
            if key == "allocation_pools":
                value = _pools(net, subnet.gateway_ip, body.subnet.allocation_pools)
            elif key == "host_routes":
                value = tuple({"destination": r.destination, "nexthop": r.nexthop}
                              for r in (body.subnet.host_routes or []))
            elif key in ("dns_nameservers", "tags"):
                value = tuple(value or ())
            elif key == "gateway_ip" and value is not None and ipaddress.ip_address(
                    value) not in net:
                raise InvalidInput(f"Gateway IP {value} is not in subnet {net}.")
            values[key] = value
        networks.subnets.update(conn, subnet.id, **values,
                                revision_number=subnet.revision_number + 1)
        updated = networks.subnets.get(conn, subnet.id)
    assert updated is not None
    return {"subnet": present([updated])[0]}


@router.delete("/subnets/{subnet_id}", status_code=204, response_class=Response)
def delete_subnet(subnet_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        subnet = refs.subnet(conn, call.caller, subnet_id, Need.OWN)
        if networks.allocated(conn, subnet.id):
            raise InUse(f"Unable to complete operation on subnet {subnet.id}: One or more "
                        "ports have an IP allocation from this subnet.")
        networks.subnets.delete(conn, subnet.id)
    return Response(status_code=204)
