"""Where a new load balancer's VIP goes: subnet selection and the VIP port."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from livia.api import refs
from livia.domain.errors import Conflict, InvalidInput
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.networks import OWNER_VIP, Network, Port, Subnet
from livia.domain.status import Topology, roles_for
from livia.domain.tokens import Caller
from livia.domain.visibility import Need, allows
from livia.store import loadbalancers, networks
from livia.store.database import Connection
from livia.store.records import utcnow


@dataclass(frozen=True)
class VipPlan:
    network: Network
    subnet: Subnet
    address: str | None  # None: allocate the next free address
    port: Port | None  # a port the user created for the VIP


def _network(conn: Connection, caller: Caller, network_id: str) -> Network:
    return refs.network(conn, caller, network_id, Need.USE, invalid=True)


def _subnet(conn: Connection, caller: Caller, subnet_id: str) -> Subnet:
    return refs.subnet(conn, caller, subnet_id, Need.USE, invalid=True)


def _needed(topology: Topology, with_vip: bool) -> int:
    """Addresses a load balancer takes on its VIP subnet: the VIP and one per amphora."""
    return len(roles_for(topology)) + (1 if with_vip else 0)


def _check_room(conn: Connection, subnet: Subnet, needed: int) -> None:
    free = networks.free_count(conn, subnet)
    if free < needed:
        raise Conflict(
            f"Subnet {subnet.id} has {free} free IP addresses; this load balancer needs "
            f"{needed} (the VIP and one per amphora)."
        )


def _subnet_for_address(subnets: list[Subnet], address: str) -> Subnet | None:
    ip = ipaddress.ip_address(address)
    return next((s for s in subnets if ip in ipaddress.ip_network(s.cidr)), None)


def resolve(conn: Connection, caller: Caller, spec: object, project: str,
            topology: Topology) -> VipPlan:
    port_id = getattr(spec, "vip_port_id", None)
    subnet_id = getattr(spec, "vip_subnet_id", None)
    network_id = getattr(spec, "vip_network_id", None)
    address = getattr(spec, "vip_address", None)
    if port_id:
        return _from_port(conn, caller, port_id, topology)
    if subnet_id:
        subnet = _subnet(conn, caller, subnet_id)
        if network_id and network_id != subnet.network_id:
            raise InvalidInput(f"Subnet {subnet_id} is not on network {network_id}.")
        if address and _subnet_for_address([subnet], address) is None:
            raise InvalidInput(f"VIP address {address} is not in subnet {subnet_id}.")
        _check_room(conn, subnet, _needed(topology, True))
        return VipPlan(_network(conn, caller, subnet.network_id), subnet, address, None)
    if network_id:
        return _from_network(conn, caller, network_id, address, topology)
    raise InvalidInput(
        "Validation failure: VIP must contain one of: vip_port_id, vip_network_id, "
        "vip_subnet_id."
    )
    del project


def _from_port(conn: Connection, caller: Caller, port_id: str, topology: Topology
               ) -> VipPlan:
    port = refs.port(conn, caller, port_id, invalid=True)
    if port.device_owner or port.device_id:
        raise Conflict(f"Port {port_id} is already in use by {port.device_owner or 'a device'}.")
    if not port.fixed_ips:
        raise InvalidInput(f"Port {port_id} has no fixed IP to use as the VIP.")
    network = networks.records.get(conn, port.network_id)
    if network is None or not allows(caller, network, Need.USE):
        raise InvalidInput(f"Port {port_id} is on network {port.network_id}, where this "
                           "project may not place a VIP.")
    subnet = networks.subnets.get(conn, port.fixed_ips[0].subnet_id)
    assert subnet is not None  # an allocation's subnet lives as long as the allocation
    _check_room(conn, subnet, _needed(topology, False))
    return VipPlan(network, subnet, port.first_ip, port)


def _from_network(conn: Connection, caller: Caller, network_id: str, address: str | None,
                  topology: Topology) -> VipPlan:
    network = _network(conn, caller, network_id)
    subnets = networks.subnets_of(conn, network.id)
    if address:
        subnet = _subnet_for_address(subnets, address)
        if subnet is None:
            raise InvalidInput(f"VIP address {address} is in no subnet of network "
                               f"{network_id}.")
        _check_room(conn, subnet, _needed(topology, True))
        return VipPlan(network, subnet, address, None)
    needed = _needed(topology, True)
    for version in (4, 6):
        for subnet in subnets:
            if subnet.ip_version == version and networks.free_count(conn, subnet) >= needed:
                return VipPlan(network, subnet, None, None)
    raise InvalidInput(
        f"Validation failure: No subnet on network {network_id} has {needed} free IP addresses."
    )


def vip_port(conn: Connection, lb: LoadBalancer, plan: VipPlan, group_id: str) -> Port:
    """The VIP's port: the user's own if given, else a new one on the subnet."""
    if plan.port is not None:
        networks.ports.update(conn, plan.port.id, device_owner=OWNER_VIP,
                              device_id=f"lb-{lb.id}", security_groups=(group_id,),
                              updated_at=utcnow())
        found = networks.ports.get(conn, plan.port.id)
        assert found is not None
        return found
    return networks.create_port(conn, project=lb.project_id, network_id=plan.network.id,
                       fixed_ips=[(plan.subnet, plan.address)], name=f"octavia-lb-{lb.id}",
                       device_owner=OWNER_VIP, device_id=f"lb-{lb.id}",
                       security_groups=(group_id,))


def free_vrrp_id(conn: Connection, network_id: str) -> int:
    """The lowest VRRP router id no other live load balancer on the network uses."""
    used = loadbalancers.vrrp_ids_on(conn, network_id)
    for candidate in range(1, 256):
        if candidate not in used:
            return candidate
    raise Conflict(f"Network {network_id} has no free VRRP router id (at most 255 load "
                   "balancers per network).")
