"""Port request and response schemas (Neutron-shaped)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from livia.api.schemas.fields import Body, IpAddress, Name, Out, Tags, Uuid

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


MacAddress = Annotated[str, AfterValidator(_mac)]
IpOrCidr = Annotated[str, AfterValidator(_ip_or_cidr)]


class FixedIpIn(Body):
    subnet_id: Uuid | None = None
    ip_address: IpAddress | None = None


class AddressPairIn(Body):
    ip_address: IpOrCidr
    mac_address: MacAddress | None = None


class _PortCommon(Body):
    name: Name | None = None
    description: Name | None = None
    device_id: str | None = Field(None, max_length=255)
    device_owner: str | None = Field(None, max_length=255)
    # Accepted so that clients which send them work; Livia has one binding.
    binding_vnic_type: Literal["normal"] | None = Field(None, alias="binding:vnic_type")
    binding_host_id: str | None = Field(None, alias="binding:host_id")
    binding_profile: dict[str, Any] | None = Field(None, alias="binding:profile")
    port_security_enabled: bool | None = None
    extra_dhcp_opts: list[dict[str, Any]] | None = None
    dns_name: str | None = None
    qos_policy_id: str | None = None


class PortCreate(_PortCommon):
    network_id: Uuid
    admin_state_up: bool = True
    mac_address: MacAddress | None = None
    fixed_ips: list[FixedIpIn] | None = None  # absent: one address from the first IPv4 subnet
    security_groups: list[Uuid] = []
    allowed_address_pairs: list[AddressPairIn] = []
    project_id: str | None = Field(None, max_length=255)
    tenant_id: str | None = Field(None, max_length=255)
    tags: Tags = []


class PortUpdate(_PortCommon):
    admin_state_up: bool | None = None
    fixed_ips: list[FixedIpIn] | None = None
    security_groups: list[Uuid] | None = None
    allowed_address_pairs: list[AddressPairIn] | None = None
    tags: Tags | None = None


class PortCreateBody(Body):
    port: PortCreate


class PortUpdateBody(Body):
    port: PortUpdate


class PortOne(Out):
    port: dict[str, object]


class PortMany(Out):
    ports: list[dict[str, object]]
