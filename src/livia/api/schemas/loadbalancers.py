"""Load balancer request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from livia.api.schemas.fields import (
    Body,
    IpAddress,
    Name,
    Out,
    ProjectId,
    Tags,
    Uuid,
    Uuids,
)
from livia.api.schemas.listeners import ListenerSingleCreate
from livia.api.schemas.pools import PoolSingleCreate, count_pool
from livia.domain import limits


class AdditionalVip(Body):
    subnet_id: Uuid
    ip_address: IpAddress | None = None
    port_id: Uuid | None = None


class LoadBalancerCreate(Body):
    model_config = ConfigDict(json_schema_extra={"description": (
        "A load balancer; with `listeners` and `pools`, a fully populated one, which holds "
        f"at most {limits.MAX_GRAPH_OBJECTS} objects (listeners, pools, members, health "
        "monitors, L7 policies and rules, counted together).")})

    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    vip_address: IpAddress | None = None
    vip_port_id: Uuid | None = None
    vip_subnet_id: Uuid | None = None
    vip_network_id: Uuid | None = None
    vip_qos_policy_id: Uuid | None = None
    vip_sg_ids: Uuids | None = None
    additional_vips: Annotated[list[AdditionalVip], Field(max_length=limits.MAX_SHORT_LIST)] = []
    provider: str | None = Field(None, max_length=limits.PROVIDER_LENGTH)
    flavor_id: Uuid | None = None
    availability_zone: str | None = Field(None, max_length=limits.NAME_LENGTH)
    listeners: Annotated[list[ListenerSingleCreate],
                         Field(max_length=limits.MAX_GRAPH_OBJECTS)] = []
    pools: Annotated[list[PoolSingleCreate], Field(max_length=limits.MAX_GRAPH_OBJECTS)] = []
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None

    @model_validator(mode="after")
    def _bounded_graph(self) -> LoadBalancerCreate:
        count = sum(listener.count_objects() for listener in self.listeners)
        count += sum(count_pool(pool) for pool in self.pools)
        if count > limits.MAX_GRAPH_OBJECTS:
            raise ValueError(f"A load balancer create holds at most {limits.MAX_GRAPH_OBJECTS} "
                             f"listeners, pools, members, health monitors, L7 policies and "
                             f"rules together; this one holds {count}.")
        return self


class LoadBalancerUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool | None = None
    vip_qos_policy_id: Uuid | None = None
    vip_sg_ids: Uuids | None = None
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
