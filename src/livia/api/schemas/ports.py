"""Port request and response schemas (Neutron-shaped)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from livia.api.schemas.fields import (
    Body,
    IpAddress,
    Name,
    Out,
    ProjectId,
    ShortText,
    Tags,
    Uuid,
    Uuids,
)
from livia.domain import limits

_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$")


def _mac(value: str) -> str:
    if not _MAC.match(value):
        raise ValueError("Value should be a MAC address like fa:16:3e:00:00:01")
    mac = value.lower().replace("-", ":")
    if int(mac[:2], 16) & 1:
        raise ValueError("A multicast or broadcast MAC address cannot be a port's address")
    if mac == "00:00:00:00:00:00":
        raise ValueError("The all-zero MAC address cannot be a port's address")
    return mac


def _ip_or_cidr(value: str) -> str:
    try:
        if "/" in value:
            return str(ipaddress.ip_network(value, strict=False))
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise ValueError("Value should be an IP address or a CIDR") from exc


MacAddress = Annotated[str, StringConstraints(max_length=limits.ADDRESS_LENGTH),
                       AfterValidator(_mac)]
IpOrCidr = Annotated[str, StringConstraints(max_length=limits.ADDRESS_LENGTH),
                     AfterValidator(_ip_or_cidr)]
# Accepted and ignored: whatever JSON, within a bound.
Extras = Annotated[dict[ShortText, Any], Field(max_length=limits.MAX_LIST_ITEMS)]


class FixedIpIn(Body):
    subnet_id: Uuid | None = None
    ip_address: IpAddress | None = None


class AddressPairIn(Body):
    ip_address: IpOrCidr
    mac_address: MacAddress | None = None


FixedIps = Annotated[list[FixedIpIn], Field(max_length=limits.MAX_FIXED_IPS)]
AddressPairs = Annotated[list[AddressPairIn], Field(max_length=limits.MAX_SHORT_LIST)]


class _PortCommon(Body):
    name: Name | None = None
    description: Name | None = None
    device_id: ShortText | None = None
    device_owner: ShortText | None = None
    # Accepted so that clients which send them work; Livia has one binding.
    binding_vnic_type: Literal["normal"] | None = Field(None, alias="binding:vnic_type")
    binding_host_id: ShortText | None = Field(None, alias="binding:host_id")
    binding_profile: Extras | None = Field(None, alias="binding:profile")
    port_security_enabled: bool | None = None
    extra_dhcp_opts: Annotated[list[Extras], Field(max_length=limits.MAX_LIST_ITEMS)] | None = None
    dns_name: ShortText | None = None
    qos_policy_id: ShortText | None = None


class PortCreate(_PortCommon):
    network_id: Uuid
    admin_state_up: bool = True
    mac_address: MacAddress | None = None
    fixed_ips: FixedIps | None = None  # absent: one address from the first IPv4 subnet
    security_groups: Uuids = []
    allowed_address_pairs: AddressPairs = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None
    tags: Tags = []


class PortUpdate(_PortCommon):
    admin_state_up: bool | None = None
    fixed_ips: FixedIps | None = None
    security_groups: Uuids | None = None
    allowed_address_pairs: AddressPairs | None = None
    tags: Tags | None = None


class PortCreateBody(Body):
    port: PortCreate


class PortUpdateBody(Body):
    port: PortUpdate


class PortOne(Out):
    port: dict[str, object]


class PortMany(Out):
    ports: list[dict[str, object]]
