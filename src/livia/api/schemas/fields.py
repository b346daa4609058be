"""Field types shared by the request schemas, with Octavia's limits.

Every string a request can carry has a maximum length and every list a
maximum number of items (``livia.domain.limits``), so that they show in
``/openapi.json`` and no accepted value can make a load balancer or a list
unwieldy.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from livia.domain import limits

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
# Ids and addresses are checked by parsing; the length caps what a message quotes.
Uuid = Annotated[str, StringConstraints(max_length=limits.ID_LENGTH), AfterValidator(_uuid),
                 Field(json_schema_extra={"format": "uuid"})]
IpAddress = Annotated[str, StringConstraints(max_length=limits.ADDRESS_LENGTH),
                      AfterValidator(_ip)]
Cidr = Annotated[str, StringConstraints(max_length=limits.ADDRESS_LENGTH), AfterValidator(_cidr)]
Name = Annotated[str, StringConstraints(max_length=limits.NAME_LENGTH),
                 AfterValidator(_no_control)]
Description = Annotated[str, StringConstraints(max_length=limits.NAME_LENGTH)]
Tag = Annotated[str, StringConstraints(max_length=limits.TAG_LENGTH), AfterValidator(_no_control)]
Tags = Annotated[list[Tag], Field(max_length=limits.MAX_TAGS,
                                  description=f"At most {limits.MAX_TAGS} tags of at most "
                                              f"{limits.TAG_LENGTH} characters.")]
Port = Annotated[int, Field(ge=1, le=65535)]
SafeText = Annotated[str, StringConstraints(max_length=limits.SHORT_TEXT_LENGTH),
                     AfterValidator(_no_control)]
# Free text that is accepted and stored or ignored as given (device_owner, dns_name, ...).
ShortText = Annotated[str, StringConstraints(max_length=limits.SHORT_TEXT_LENGTH)]
ProjectId = Annotated[str, StringConstraints(max_length=limits.PROJECT_ID_LENGTH)]
ContainerRef = Annotated[str, StringConstraints(max_length=limits.CONTAINER_REF_LENGTH)]
ContainerRefs = Annotated[list[ContainerRef], Field(max_length=limits.MAX_LIST_ITEMS)]
Url = Annotated[str, StringConstraints(max_length=limits.URL_LENGTH)]
TlsCiphers = Annotated[str, StringConstraints(max_length=limits.TLS_CIPHERS_LENGTH)]
TlsVersions = Annotated[
    list[Annotated[str, StringConstraints(max_length=limits.TLS_VERSION_LENGTH)]],
    Field(max_length=limits.MAX_SHORT_LIST)]
AlpnProtocols = Annotated[
    list[Annotated[str, StringConstraints(max_length=limits.ALPN_PROTOCOL_LENGTH)]],
    Field(max_length=limits.MAX_SHORT_LIST)]
Cidrs = Annotated[list[Cidr], Field(max_length=limits.MAX_LIST_ITEMS)]
Uuids = Annotated[list[Uuid], Field(max_length=limits.MAX_LIST_ITEMS)]
ShortTexts = Annotated[list[ShortText], Field(max_length=limits.MAX_LIST_ITEMS)]


class Body(BaseModel):
    """Every request object: unknown attributes are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Response objects: documented fields; unknown ones pass (fields= selects)."""

    model_config = ConfigDict(extra="allow")


class IdRef(Out):
    id: str
