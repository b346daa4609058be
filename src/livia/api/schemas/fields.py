"""Field types shared by the request schemas, with Octavia's limits."""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError) as exc:
        raise ValueError("Value should be UUID format") from exc


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError as exc:
        raise ValueError("Value should be IPv4 or IPv6 format") from exc


def _cidr(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as exc:
        raise ValueError("Value should be IPv4 or IPv6 CIDR format") from exc


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("Value must not contain control characters")
    return value


def _not_null(value: T) -> T:
    if value is None:
        raise ValueError("Value must not be null: the field has no default to reset to")
    return value


# For update fields that may be left out but not set to null (null was a NOT NULL error).
NotNull = AfterValidator(_not_null)
Uuid = Annotated[str, AfterValidator(_uuid)]
IpAddress = Annotated[str, AfterValidator(_ip)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Name = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_control)]
Description = Annotated[str, StringConstraints(max_length=255)]
Tag = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_control)]
Tags = list[Tag]
Port = Annotated[int, Field(ge=1, le=65535)]
SafeText = Annotated[str, StringConstraints(max_length=255), AfterValidator(_no_control)]


class Body(BaseModel):
    """Every request object: unknown attributes are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Response objects: documented fields; unknown ones pass (fields= selects)."""

    model_config = ConfigDict(extra="allow")


class IdRef(Out):
    id: str
