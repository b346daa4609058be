"""The Neutron-shaped network model: networks, subnets, ports, security groups, floating IPs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
