"""Instance request and response schemas (``/v2.0/livia/instances``, Livia's own)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from livia.api.schemas.fields import Body, IpAddress, Out, ProjectId, Uuid
from livia.domain.instances import (
    DEFAULT_COMMAND,
    MAX_COMMAND_ARGS,
    MAX_COMMAND_LENGTH,
    MAX_NAME_LENGTH,
    NAME_PATTERN,
)


class InstanceCreate(Body):
    name: str = Field(pattern=NAME_PATTERN, max_length=MAX_NAME_LENGTH)
    network_id: Uuid
    ip_address: IpAddress | None = None
    command: list[Annotated[str, StringConstraints(max_length=MAX_COMMAND_LENGTH)]] = Field(
        default_factory=lambda: list(DEFAULT_COMMAND), min_length=1,
        max_length=MAX_COMMAND_ARGS)
    project_id: ProjectId | None = None


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
