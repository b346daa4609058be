"""Network and subnet request and response schemas (Neutron-shaped)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from livia.api.schemas.fields import (
    Body,
    Cidr,
    IpAddress,
    Name,
    NotNull,
    Out,
    ProjectId,
    ShortText,
    ShortTexts,
    Tags,
    Uuid,
)
from livia.domain import limits


class NetworkCreate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    shared: bool = False
    router_external: bool = Field(False, alias="router:external")
    mtu: int = Field(1500, ge=68, le=9000)
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None
    tags: Tags = []
    # Accepted and ignored, so that `openstack network create` works unchanged.
    port_security_enabled: bool | None = None
    availability_zone_hints: ShortTexts | None = None
    is_default: bool | None = None
    provider_network_type: ShortText | None = Field(None, alias="provider:network_type")
    provider_physical_network: ShortText | None = Field(None, alias="provider:physical_network")
    provider_segmentation_id: int | None = Field(None, alias="provider:segmentation_id")
    dns_domain: ShortText | None = None
    qos_policy_id: ShortText | None = None


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


AllocationPools = Annotated[list[AllocationPoolIn],
                           Field(max_length=limits.MAX_ALLOCATION_POOLS)]
DnsNameservers = Annotated[list[IpAddress], Field(max_length=limits.MAX_DNS_NAMESERVERS)]
HostRoutes = Annotated[list[HostRouteIn], Field(max_length=limits.MAX_HOST_ROUTES)]


class SubnetCreate(Body):
    network_id: Uuid
    name: Name | None = None
    description: Name | None = None
    ip_version: int = 4
    cidr: Cidr | None = None
    gateway_ip: IpAddress | None = None  # absent: the first host; null: no gateway
    enable_dhcp: bool = True
    allocation_pools: AllocationPools | None = None
    dns_nameservers: DnsNameservers = []
    host_routes: HostRoutes = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None
    tags: Tags = []
    # Accepted and ignored (IPv6 modes, subnet pools, segments, service types).
    ipv6_ra_mode: ShortText | None = None
    ipv6_address_mode: ShortText | None = None
    subnetpool_id: ShortText | None = None
    use_default_subnetpool: bool | None = None
    prefixlen: int | None = None
    segment_id: ShortText | None = None
    service_types: ShortTexts | None = None
    dns_publish_fixed_ip: bool | None = None


class SubnetUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    gateway_ip: IpAddress | None = None  # null: no gateway
    enable_dhcp: Annotated[bool | None, NotNull] = None
    dns_nameservers: DnsNameservers | None = None
    host_routes: HostRoutes | None = None
    allocation_pools: AllocationPools | None = None
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
