"""The Neutron-shaped network model: networks, subnets, ports, security groups, floating IPs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote

# A network deleted through the API keeps its row (status DELETING, invisible
# to the API) until the controller has removed its bridge.
NETWORK_DELETING = "DELETING"


@dataclass(frozen=True, slots=True)
class Network:
    id: str
    project_id: str
    name: str | None
    description: str | None
    admin_state_up: bool
    status: str
    shared: bool
    router_external: bool
    mtu: int
    revision_number: int
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AllocationPool:
    start: str
    end: str


@dataclass(frozen=True, slots=True)
class Subnet:
    id: str
    project_id: str
    network_id: str
    name: str | None
    description: str | None
    ip_version: int
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool
    revision_number: int
    created_at: datetime
    updated_at: datetime | None
    allocation_pools: tuple[AllocationPool, ...] = ()
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[dict[str, str], ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FixedIp:
    subnet_id: str
    ip_address: str


@dataclass(frozen=True, slots=True)
class Port:
    id: str
    project_id: str
    network_id: str
    name: str | None
    description: str | None
    admin_state_up: bool
    status: str
    mac_address: str
    device_id: str
    device_owner: str
    revision_number: int
    created_at: datetime
    updated_at: datetime | None
    fixed_ips: tuple[FixedIp, ...] = ()
    security_groups: tuple[str, ...] = ()
    allowed_address_pairs: tuple[dict[str, str], ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def first_ip(self) -> str | None:
        return self.fixed_ips[0].ip_address if self.fixed_ips else None


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    id: str
    project_id: str
    name: str | None
    description: str | None
    stateful: bool
    revision_number: int
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SecurityGroupRule:
    id: str
    project_id: str
    security_group_id: str
    direction: str
    ethertype: str
    protocol: str | None
    port_range_min: int | None
    port_range_max: int | None
    remote_ip_prefix: str | None
    remote_group_id: str | None
    description: str | None
    revision_number: int
    created_at: datetime
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class FloatingIp:
    id: str
    project_id: str
    floating_network_id: str
    floating_ip_address: str
    port_id: str | None
    fixed_ip_address: str | None
    router_id: str | None
    status: str
    description: str | None
    revision_number: int
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()


# device_owner values Livia uses for the ports it creates itself.
OWNER_VIP = "Octavia"
OWNER_VRRP = "Octavia:vrrp"
OWNER_MGMT = "livia:amphora-mgmt"
OWNER_MEMBER = "livia:amphora-member"
OWNER_INSTANCE = "compute:livia"
OWNER_FLOATINGIP = "network:floatingip"
OWNER_FIP_ROUTER = "network:router_gateway"

# Neutron's IP protocol names with their numbers: what a security group rule may name.
IP_PROTOCOLS: dict[str, int] = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "icmp": 1, "icmpv6": 58,
    "igmp": 2, "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113,
    "rsvp": 46, "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}  # fmt: skip
# IP protocols whose rules may carry a port range (tcp, udp, dccp, sctp, udplite).
PORTED_PROTOCOLS = frozenset({6, 17, 33, 132, 136})
ICMP, ICMPV6 = 1, 58


def protocol_number(protocol: str | None, ethertype: str) -> int | None:
    """The IP protocol a rule matches (None: any). ``protocol`` is a name of
    :data:`IP_PROTOCOLS` (any case) or a number 0-255 in ASCII digits; "icmp" in an
    IPv6 rule means ICMPv6, as Neutron reads it."""
    if protocol is None or protocol.lower() in ("", "any"):
        return None
    name = protocol.lower()
    if name.isascii() and name.isdigit() and int(name) <= 255:
        number = int(name)
    elif name in IP_PROTOCOLS:
        number = IP_PROTOCOLS[name]
    else:
        raise InvalidInput(f"Protocol '{quote(protocol)}' is not supported; use one of "
                           f"{', '.join(sorted(IP_PROTOCOLS))}, a number 0-255 or any.")
    return ICMPV6 if (number == ICMP and ethertype == "IPv6") else number
