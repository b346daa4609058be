"""Network and subnet request and response schemas (Neutron-shaped)."""

from __future__ import annotations

from pydantic import Field

from livia.api.schemas.fields import Body, Cidr, IpAddress, Name, Out, Tags, Uuid


class NetworkCreate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    shared: bool = False
    router_external: bool = Field(False, alias="router:external")
    mtu: int = Field(1500, ge=68, le=9000)
    project_id: str | None = Field(None, max_length=255)
    tenant_id: str | None = Field(None, max_length=255)
    tags: Tags = []
    # Accepted and ignored, so that `openstack network create` works unchanged.
    port_security_enabled: bool | None = None
    availability_zone_hints: list[str] | None = None
    is_default: bool | None = None
    provider_network_type: str | None = Field(None, alias="provider:network_type")
    provider_physical_network: str | None = Field(None, alias="provider:physical_network")
    provider_segmentation_id: int | None = Field(None, alias="provider:segmentation_id")
    dns_domain: str | None = None
    qos_policy_id: str | None = None


class NetworkUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool | None = None
    shared: bool | None = None
    router_external: bool | None = Field(None, alias="router:external")
    tags: Tags | None = None


class NetworkCreateBody(Body):
    network: NetworkCreate


class NetworkUpdateBody(Body):
    network: NetworkUpdate


class AllocationPoolIn(Body):
    start: IpAddress
    end: IpAddress


class HostRouteIn(Body):
    destination: Cidr
    nexthop: IpAddress


class SubnetCreate(Body):
    network_id: Uuid
    name: Name | None = None
    description: Name | None = None
    ip_version: int = 4
    cidr: Cidr | None = None
    gateway_ip: IpAddress | None = None  # absent: the first host; null: no gateway
    enable_dhcp: bool = True
    allocation_pools: list[AllocationPoolIn] | None = None
    dns_nameservers: list[IpAddress] = []
    host_routes: list[HostRouteIn] = []
    project_id: str | None = Field(None, max_length=255)
    tenant_id: str | None = Field(None, max_length=255)
    tags: Tags = []
    # Accepted and ignored (IPv6 modes, subnet pools, segments, service types).
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None
    subnetpool_id: str | None = None
    use_default_subnetpool: bool | None = None
    prefixlen: int | None = None
    segment_id: str | None = None
    service_types: list[str] | None = None
    dns_publish_fixed_ip: bool | None = None


class SubnetUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    gateway_ip: IpAddress | None = None
    enable_dhcp: bool | None = None
    dns_nameservers: list[IpAddress] | None = None
    host_routes: list[HostRouteIn] | None = None
    allocation_pools: list[AllocationPoolIn] | None = None
    tags: Tags | None = None


class SubnetCreateBody(Body):
    subnet: SubnetCreate


class SubnetUpdateBody(Body):
    subnet: SubnetUpdate


class NetworkOne(Out):
    network: dict[str, object]


class NetworkMany(Out):
    networks: list[dict[str, object]]


class SubnetOne(Out):
    subnet: dict[str, object]


class SubnetMany(Out):
    subnets: list[dict[str, object]]
