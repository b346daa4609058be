"""Instance request and response schemas (``/v2.0/livia/instances``, Livia's own)."""

from __future__ import annotations

from pydantic import Field

from livia.api.schemas.fields import Body, IpAddress, Out, Uuid
from livia.domain.instances import (
    DEFAULT_COMMAND,
    MAX_COMMAND_ARGS,
    MAX_NAME_LENGTH,
    NAME_PATTERN,
)


class InstanceCreate(Body):
    name: str = Field(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)
    network_id: Uuid
    ip_address: IpAddress | None = None
    command: list[str] = Field(default_factory=lambda: list(DEFAULT_COMMAND), min_length=1,
                               max_length=MAX_COMMAND_ARGS)
    project_id: str | None = Field(None, max_length=255)


class InstanceCreateBody(Body):
    instance: InstanceCreate


class InstanceOut(Out):
    id: str | None = None
    name: str | None = None
    project_id: str | None = None
    network_id: str | None = None
    port_id: str | None = None
    ip_address: str | None = None
    command: list[str] | None = None
    status: str | None = None
    confined: bool | None = None
    uid: int | None = None


class InstanceOne(Out):
    instance: InstanceOut


class InstanceMany(Out):
    instances: list[InstanceOut]
