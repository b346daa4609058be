"""Load balancer request and response schemas."""

from __future__ import annotations

from pydantic import Field

from livia.api.schemas.fields import Body, IpAddress, Name, Out, Tags, Uuid
from livia.api.schemas.listeners import ListenerSingleCreate
from livia.api.schemas.pools import PoolSingleCreate


class AdditionalVip(Body):
    subnet_id: Uuid
    ip_address: IpAddress | None = None
    port_id: Uuid | None = None


class LoadBalancerCreate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    vip_address: IpAddress | None = None
    vip_port_id: Uuid | None = None
    vip_subnet_id: Uuid | None = None
    vip_network_id: Uuid | None = None
    vip_qos_policy_id: Uuid | None = None
    vip_sg_ids: list[Uuid] | None = None
    additional_vips: list[AdditionalVip] = []
    provider: str | None = Field(None, max_length=64)
    flavor_id: Uuid | None = None
    availability_zone: str | None = Field(None, max_length=255)
    listeners: list[ListenerSingleCreate] = []
    pools: list[PoolSingleCreate] = []
    tags: Tags = []
    project_id: str | None = Field(None, max_length=255)
    tenant_id: str | None = Field(None, max_length=255)


class LoadBalancerUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool | None = None
    vip_qos_policy_id: Uuid | None = None
    vip_sg_ids: list[Uuid] | None = None
    tags: Tags | None = None


class LoadBalancerCreateBody(Body):
    loadbalancer: LoadBalancerCreate


class LoadBalancerUpdateBody(Body):
    loadbalancer: LoadBalancerUpdate


class LoadBalancerOut(Out):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    admin_state_up: bool | None = None
    project_id: str | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    vip_address: str | None = None
    vip_port_id: str | None = None
    vip_subnet_id: str | None = None
    vip_network_id: str | None = None
    vip_qos_policy_id: str | None = None
    vip_vnic_type: str | None = None
    listeners: list[dict[str, object]] | None = None
    pools: list[dict[str, object]] | None = None
    provider: str | None = None
    flavor_id: str | None = None
    availability_zone: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class LoadBalancerOne(Out):
    loadbalancer: LoadBalancerOut


class LoadBalancerMany(Out):
    loadbalancers: list[LoadBalancerOut]
    loadbalancers_links: list[dict[str, str]]


class StatusTree(Out):
    statuses: dict[str, object]
