"""Floating IP request and response schemas (Neutron-shaped)."""

from __future__ import annotations

from pydantic import Field

from livia.api.schemas.fields import Body, IpAddress, Name, Out, Tags, Uuid


class FloatingIpCreate(Body):
    floating_network_id: Uuid
    floating_ip_address: IpAddress | None = None
    subnet_id: Uuid | None = None  # the external subnet to take the address from
    port_id: Uuid | None = None
    fixed_ip_address: IpAddress | None = None
    description: Name | None = None
    project_id: str | None = Field(None, max_length=255)
    tenant_id: str | None = Field(None, max_length=255)
    tags: Tags = []
    # Accepted and ignored.
    dns_name: str | None = None
    dns_domain: str | None = None
    qos_policy_id: str | None = None


class FloatingIpUpdate(Body):
    port_id: Uuid | None = None  # null: disassociate
    fixed_ip_address: IpAddress | None = None
    description: Name | None = None
    tags: Tags | None = None
    qos_policy_id: str | None = None


class FloatingIpCreateBody(Body):
    floatingip: FloatingIpCreate


class FloatingIpUpdateBody(Body):
    floatingip: FloatingIpUpdate


class FloatingIpOne(Out):
    floatingip: dict[str, object]


class FloatingIpMany(Out):
    floatingips: list[dict[str, object]]
