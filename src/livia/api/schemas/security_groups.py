"""Security group and security group rule schemas (Neutron-shaped)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from livia.api.schemas.fields import Body, Cidr, Name, Out, ProjectId, Tags, Uuid
from livia.domain.limits import quote
from livia.domain.networks import IP_PROTOCOLS

PROTOCOL_LENGTH = 40  # the column

def _ethertype(value: object) -> object:
    """Neutron takes the ethertype in any letter case."""
    if isinstance(value, str):
        return {"ipv4": "IPv4", "ipv6": "IPv6"}.get(value.lower(), value)
    return value


def _protocol(value: object) -> object:
    """A name (any case), a number 0-255 (as text or integer), or "any"/null for all."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("Protocol must be a name or a number")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or len(value) > PROTOCOL_LENGTH:
        raise ValueError("Protocol must be a name or a number")
    lowered = value.strip().lower()
    if lowered in ("", "any"):
        return None
    if lowered.isascii() and lowered.isdigit():
        if int(lowered) > 255:
            raise ValueError("A protocol number is within 0-255")
        return str(int(lowered))
    if lowered not in IP_PROTOCOLS:
        raise ValueError(f"Protocol {quote(value)} is not supported; use one of "
                         f"{', '.join(sorted(IP_PROTOCOLS))}, a number 0-255 or any")
    return lowered


Ethertype = Annotated[Literal["IPv4", "IPv6"], BeforeValidator(_ethertype)]
Protocol = Annotated[str | None, BeforeValidator(_protocol), WithJsonSchema({"anyOf": [
    {"type": "string", "maxLength": PROTOCOL_LENGTH}, {"type": "integer", "minimum": 0,
                                                      "maximum": 255}, {"type": "null"}]})]


class GroupCreate(Body):
    name: Name | None = None
    description: Name | None = None
    stateful: bool = True
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None
    tags: Tags = []


class GroupUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    stateful: bool | None = None
    tags: Tags | None = None


class GroupCreateBody(Body):
    security_group: GroupCreate


class GroupUpdateBody(Body):
    security_group: GroupUpdate


class RuleCreate(Body):
    security_group_id: Uuid
    direction: Literal["ingress", "egress"]
    ethertype: Ethertype = "IPv4"
    protocol: Protocol = None
    port_range_min: int | None = Field(None, ge=0, le=65535)
    port_range_max: int | None = Field(None, ge=0, le=65535)
    remote_ip_prefix: Cidr | None = None
    remote_group_id: Uuid | None = None
    remote_address_group_id: None = None  # address groups are not supported
    description: Name | None = None
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


class RuleCreateBody(Body):
    security_group_rule: RuleCreate


class GroupOne(Out):
    security_group: dict[str, object]


class GroupMany(Out):
    security_groups: list[dict[str, object]]


class RuleOne(Out):
    security_group_rule: dict[str, object]


class RuleMany(Out):
    security_group_rules: list[dict[str, object]]
