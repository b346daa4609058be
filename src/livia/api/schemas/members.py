"""Member request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from livia.api.schemas.fields import Body, IpAddress, Name, Out, Port, ProjectId, Tags, Uuid
from livia.domain import limits


class MemberCreate(Body):
    name: Name | None = None
    admin_state_up: bool = True
    address: IpAddress
    protocol_port: Port
    weight: int = Field(1, ge=0, le=256)
    backup: bool = False
    subnet_id: Uuid | None = None
    monitor_address: IpAddress | None = None
    monitor_port: Port | None = None
    request_sriov: bool = False
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


class MemberUpdate(Body):
    name: Name | None = None
    admin_state_up: bool | None = None
    weight: int | None = Field(None, ge=0, le=256)
    backup: bool | None = None
    monitor_address: IpAddress | None = None
    monitor_port: Port | None = None
    tags: Tags | None = None


class MemberCreateBody(Body):
    member: MemberCreate


class MemberUpdateBody(Body):
    member: MemberUpdate


Members = Annotated[list[MemberCreate], Field(
    max_length=limits.MAX_BATCH_MEMBERS,
    description=f"At most {limits.MAX_BATCH_MEMBERS} members.")]


class MemberBatchBody(Body):
    members: Members


class MemberOut(Out):
    id: str | None = None
    name: str | None = None
    address: str | None = None
    protocol_port: int | None = None
    weight: int | None = None
    backup: bool | None = None
    subnet_id: str | None = None
    monitor_address: str | None = None
    monitor_port: int | None = None
    admin_state_up: bool | None = None
    project_id: str | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    vnic_type: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class MemberOne(Out):
    member: MemberOut


class MemberMany(Out):
    members: list[MemberOut]
    members_links: list[dict[str, str]]
