"""Floating IP request and response schemas (Neutron-shaped)."""

from __future__ import annotations

from livia.api.schemas.fields import Body, IpAddress, Name, Out, ProjectId, ShortText, Tags, Uuid


class FloatingIpCreate(Body):
    floating_network_id: Uuid
    floating_ip_address: IpAddress | None = None
    subnet_id: Uuid | None = None  # the external subnet to take the address from
    port_id: Uuid | None = None
    fixed_ip_address: IpAddress | None = None
    description: Name | None = None
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None
    tags: Tags = []
    # Accepted and ignored.
    dns_name: ShortText | None = None
    dns_domain: ShortText | None = None
    qos_policy_id: ShortText | None = None


class FloatingIpUpdate(Body):
    port_id: Uuid | None = None  # null: disassociate
    fixed_ip_address: IpAddress | None = None
    description: Name | None = None
    tags: Tags | None = None
    qos_policy_id: ShortText | None = None


class FloatingIpCreateBody(Body):
    floatingip: FloatingIpCreate


class FloatingIpUpdateBody(Body):
    floatingip: FloatingIpUpdate


class FloatingIpOne(Out):
    floatingip: dict[str, object]


class FloatingIpMany(Out):
    floatingips: list[dict[str, object]]
