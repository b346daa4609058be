"""``/v2.0/ports``: addresses on networks (Neutron-shaped).

Ports are created by ``livia.store.networks.create_port`` (IPAM included).
``/v2.0/extensions`` lives here too: ``openstack port create`` asks it
whether tags may be given in the create request.

Ports that Livia makes for its own objects (VIP, VRRP, amphora, instance,
floating IP and NAT ports) are deleted with their owner: the API refuses to
delete them or to move their addresses.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence
from typing import Any

from fastapi import Request, Response

from livia.api import listing, refs, routing
from livia.api.context import Call, CallDep
from livia.api.routes import floatingips as floatingip_routes
from livia.api.routes import networks as network_routes
from livia.api.schemas.ports import (
    AddressPairIn,
    FixedIpIn,
    PortCreateBody,
    PortMany,
    PortOne,
    PortUpdateBody,
)
from livia.domain.errors import Conflict, Forbidden, InUse, InvalidInput, NotFound
from livia.domain.networks import OWNER_INSTANCE, FixedIp, Network, Port, Subnet
from livia.domain.visibility import Need
from livia.store import networks, tables
from livia.store.database import ColumnElement, Connection

router = routing.router("ports")
MANAGED_PREFIXES = ("Octavia", "livia:", "network:")
IGNORED = {"binding_vnic_type", "binding_host_id", "binding_profile", "port_security_enabled",
           "extra_dhcp_opts", "dns_name", "qos_policy_id"}
FIXED_IP_FILTERS = ("ip_address", "subnet_id", "ip_address_substr")
# The Neutron API extensions whose behaviour this API has: alias -> name.
EXTENSIONS = {
    "allowed-address-pairs": "Allowed Address Pairs",
    "external-net": "Neutron external network",
    "ip-substring-filtering": "IP address substring filtering",
    "port-security": "Port Security",
    "security-group": "security-group",
    "standard-attr-description": "standard-attr-description",
    "standard-attr-revisions": "Resource revision numbers",
    "standard-attr-tag": "Tag support for resources with standard attribute",
    "standard-attr-timestamp": "Resource timestamps",
    "stateful-security-group": "Stateful security group",
    "tag-ports-during-bulk-creation": "Tag Ports During Bulk Creation",
}


def is_managed(device_owner: str) -> bool:
    """Ports of load balancers, amphorae, instances and floating IPs: Livia's, not the user's."""
    return device_owner.startswith(MANAGED_PREFIXES) or device_owner == OWNER_INSTANCE


def delete_port(conn: Connection, port_id: str) -> None:
    networks.ports.delete(conn, port_id)


def present(items: Sequence[Port]) -> list[dict[str, Any]]:
    t = network_routes.neutron_time
    return [{
        "id": p.id, "name": p.name or "", "description": p.description or "",
        "network_id": p.network_id, "mac_address": p.mac_address,
        "fixed_ips": [{"subnet_id": f.subnet_id, "ip_address": f.ip_address}
                      for f in p.fixed_ips],
        "device_id": p.device_id, "device_owner": p.device_owner, "status": p.status,
        "admin_state_up": p.admin_state_up, "security_groups": list(p.security_groups),
        "allowed_address_pairs": [dict(pair) for pair in p.allowed_address_pairs],
        "project_id": p.project_id, "tenant_id": p.project_id, "tags": list(p.tags),
        "created_at": t(p.created_at), "updated_at": t(p.updated_at),
        "revision_number": p.revision_number, "binding:vnic_type": "normal",
        "binding:host_id": "", "binding:profile": {}, "binding:vif_type": "unbound",
        "binding:vif_details": {}, "port_security_enabled": True, "extra_dhcp_opts": [],
        "dns_name": "", "dns_assignment": [], "dns_domain": "", "qos_policy_id": None,
        "qos_network_policy_id": None, "propagate_uplink_status": False,
        "ip_allocation": "immediate", "resource_request": None, "data_plane_status": None,
        "numa_affinity_policy": None,
    } for p in items]


def _subnet_on(conn: Connection, call: Call, network: Network, entry: FixedIpIn) -> Subnet:
    if entry.subnet_id is not None:
        subnet = refs.subnet(conn, call.caller, entry.subnet_id)
        if subnet.network_id != network.id:
            raise InvalidInput(f"Subnet {subnet.id} is not on network {network.id}; a "
                               "port takes addresses only from its own network.")
        return subnet
    if entry.ip_address is None:
        raise InvalidInput("Each fixed_ips entry needs a subnet_id, an ip_address or both.")
    address = ipaddress.ip_address(entry.ip_address)
    for subnet in networks.subnets_of(conn, network.id):
        if address in ipaddress.ip_network(subnet.cidr):
            return subnet
    raise InvalidInput(f"IP address {entry.ip_address} is in no subnet of network "
                       f"{network.id}.")


def address_requests(conn: Connection, call: Call, network: Network,
                     given: list[FixedIpIn] | None, keep: Sequence[FixedIp] = ()
                     ) -> list[tuple[Subnet, str | None]]:
    """What to allocate: given entries (None: the first IPv4 subnet's next address).

    ``keep`` are the port's current addresses: an entry naming only a subnet keeps
    the address the port already has there, as Neutron does on update.
    """
    if given is None:
        subnets = networks.subnets_of(conn, network.id)
        first = next((s for s in subnets if s.ip_version == 4), subnets[0] if subnets else None)
        return [(first, None)] if first is not None else []
    named = {e.ip_address for e in given if e.ip_address}
    spare = [f for f in keep if f.ip_address not in named]
    out: list[tuple[Subnet, str | None]] = []
    for entry in given:
        subnet = _subnet_on(conn, call, network, entry)
        wanted = entry.ip_address
        if wanted is None:
            reuse = next((f for f in spare if f.subnet_id == subnet.id), None)
            if reuse is not None:
                spare.remove(reuse)
                wanted = reuse.ip_address
        else:
            networks.check_host_address(subnet, wanted)
        out.append((subnet, wanted))
    return out


def _groups(conn: Connection, call: Call, ids: Sequence[str]) -> tuple[str, ...]:
    for group_id in ids:
        refs.security_group(conn, call.caller, group_id)
    return tuple(dict.fromkeys(ids))


def _pairs(pairs: Sequence[AddressPairIn], mac: str) -> tuple[dict[str, str], ...]:
    out = [{"ip_address": p.ip_address, "mac_address": p.mac_address or mac} for p in pairs]
    if len({(p["ip_address"], p["mac_address"]) for p in out}) != len(out):
        raise InvalidInput("allowed_address_pairs lists one address pair more than once.")
    return tuple(out)


def _check_owner(call: Call, owner: str | None) -> None:
    if owner and is_managed(owner) and not call.caller.is_admin:
        raise Forbidden(f"device_owner {owner} is reserved for ports Livia manages.")


def _check_mac(conn: Connection, mac: str) -> None:
    if networks.ports.where(conn, tables.ports.c.mac_address == mac):
        # Not which port: it may be another project's.
        raise Conflict(f"MAC address {mac} is already in use.")


@router.post("/ports", status_code=201, response_model=PortOne)
def create_port(body: PortCreateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    spec = body.port
    _check_owner(call, spec.device_owner)
    with call.db.write() as conn:
        network = refs.network(conn, call.caller, spec.network_id, Need.USE)
        if spec.mac_address:
            _check_mac(conn, spec.mac_address)
        mac = spec.mac_address or networks.new_mac(conn)
        port = networks.create_port(
            conn, project=call.owning_project(spec.project_id or spec.tenant_id),
            network_id=network.id, fixed_ips=address_requests(conn, call, network, spec.fixed_ips),
            name=spec.name, device_owner=spec.device_owner or "",
            device_id=spec.device_id or "",
            security_groups=_groups(conn, call, spec.security_groups),
            allowed_address_pairs=_pairs(spec.allowed_address_pairs, mac), mac_address=mac)
        networks.ports.update(conn, port.id, description=spec.description,
                              admin_state_up=spec.admin_state_up, tags=tuple(spec.tags),
                              updated_at=None)
        created = dataclasses.replace(port, description=spec.description,
                                      admin_state_up=spec.admin_state_up,
                                      tags=tuple(sorted(set(spec.tags))))
    return {"port": present([created])[0]}


def _fixed_ip_filter(values: Sequence[str]) -> ColumnElement[bool]:
    wanted: dict[str, list[str]] = {key: [] for key in FIXED_IP_FILTERS}
    for raw in values:
        key, sep, value = raw.partition("=")
        if not sep or key not in wanted:
            raise InvalidInput(f"Invalid fixed_ips filter {raw!r}: use ip_address=<address>, "
                               "subnet_id=<id> or ip_address_substr=<text>.")
        wanted[key].append(value)
    return networks.with_fixed_ip(wanted["ip_address"], wanted["subnet_id"],
                                  wanted["ip_address_substr"])


@router.get("/ports", response_model=PortMany)
def list_ports(request: Request, call: CallDep) -> dict[str, Any]:
    query = listing.list_query(request.query_params, project_scope=call.scope,
                               max_limit=call.settings.pagination_max_limit)
    special = {k: v for k, v in query.filters.items() if k in ("fixed_ips", "security_groups")}
    query = dataclasses.replace(query, filters={k: v for k, v in query.filters.items()
                                                if k not in special})
    conditions = [networks.using_group(g) for g in special.get("security_groups", ())]
    if special.get("fixed_ips"):
        conditions.append(_fixed_ip_filter(special["fixed_ips"]))
    fields = listing.selected_fields(request.query_params)
    with call.db.read() as conn:
        page = networks.ports.page(conn, query, *conditions)
    out: dict[str, Any] = {"ports": [listing.select(d, fields) for d in present(page.items)]}
    if request.query_params.get("limit"):
        out["ports_links"] = listing.links(
            call.base_url, request.url.path, request.query_params,
            [{"id": p.id} for p in page.items], has_more=page.has_more, query=query)
    return out


@router.get("/ports/{port_id}", response_model=PortOne)
def show_port(port_id: str, request: Request, call: CallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        port = refs.port(conn, call.caller, port_id)
    out = present([port])[0]
    return {"port": listing.select(out, listing.selected_fields(request.query_params))}


def _update_values(conn: Connection, call: Call, port: Port, body: PortUpdateBody
                   ) -> dict[str, Any]:
    spec = body.port
    given = {k: v for k, v in spec.model_dump(exclude_unset=True).items() if k not in IGNORED}
    locked = {"fixed_ips", "device_id", "device_owner", "security_groups"} & set(given)
    if locked and is_managed(port.device_owner):
        raise Conflict(f"Port {port.id} is managed by Livia ({port.device_owner}); its "
                       f"{', '.join(sorted(locked))} change only with its owner.")
    _check_owner(call, spec.device_owner)
    values: dict[str, Any] = {}
    for key in ("name", "description"):
        if key in given:
            values[key] = given[key]
    for key in ("device_id", "device_owner"):
        if key in given:
            values[key] = given[key] or ""
    if spec.admin_state_up is not None:
        values["admin_state_up"] = spec.admin_state_up
    if spec.security_groups is not None:
        values["security_groups"] = _groups(conn, call, spec.security_groups)
    if spec.allowed_address_pairs is not None:
        values["allowed_address_pairs"] = _pairs(spec.allowed_address_pairs, port.mac_address)
    if "tags" in given:
        values["tags"] = tuple(spec.tags or ())
    return values


def _reallocate(conn: Connection, call: Call, port: Port, given: list[FixedIpIn]) -> None:
    network = refs.network(conn, call.caller, port.network_id)
    requests = address_requests(conn, call, network, given, keep=port.fixed_ips)
    networks.release(conn, port.id)
    networks.allocate(conn, port.id, requests)


@router.put("/ports/{port_id}", response_model=PortOne)
def update_port(port_id: str, body: PortUpdateBody, call: CallDep) -> dict[str, Any]:
    call.require_write()
    if not body.port.model_fields_set:
        raise InvalidInput("No attributes to update were given.")
    with call.db.write() as conn:
        port = refs.port(conn, call.caller, port_id)
        values = _update_values(conn, call, port, body)
        if body.port.fixed_ips is not None:
            _reallocate(conn, call, port, body.port.fixed_ips)
        if values or body.port.fixed_ips is not None:
            networks.ports.update(conn, port.id, **values,
                                  revision_number=port.revision_number + 1)
        updated = refs.port(conn, call.caller, port_id)
    return {"port": present([updated])[0]}


@router.delete("/ports/{port_id}", status_code=204, response_class=Response)
def remove_port(port_id: str, call: CallDep) -> Response:
    call.require_write()
    with call.db.write() as conn:
        port = refs.port(conn, call.caller, port_id)
        if is_managed(port.device_owner):
            owner = f" {port.device_id}" if port.device_id else ""
            raise InUse(f"Port {port.id} belongs to {port.device_owner}{owner} and is "
                        "deleted with it, not on its own.")
        released = floatingip_routes.disassociate_port(conn, port.id)
        delete_port(conn, port.id)
    if released:
        call.wake()
    return Response(status_code=204)


def _extension(alias: str) -> dict[str, Any]:
    return {"alias": alias, "name": EXTENSIONS[alias], "description": EXTENSIONS[alias],
            "updated": "2024-01-01T00:00:00-00:00", "links": []}


@router.get("/extensions")
def list_extensions(call: CallDep) -> dict[str, Any]:
    del call  # authenticated like every other request
    return {"extensions": [_extension(alias) for alias in sorted(EXTENSIONS)]}


@router.get("/extensions/{alias}")
def show_extension(alias: str, call: CallDep) -> dict[str, Any]:
    del call
    if alias not in EXTENSIONS:
        raise NotFound("Extension", alias)
    return {"extension": _extension(alias)}
