"""Listener request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from livia.api.schemas.fields import (
    AlpnProtocols,
    Body,
    Cidrs,
    ContainerRef,
    ContainerRefs,
    Name,
    Out,
    Port,
    ProjectId,
    Tags,
    TlsCiphers,
    TlsVersions,
    Uuid,
)
from livia.api.schemas.l7policies import L7PolicySingleCreate
from livia.api.schemas.pools import PoolSingleCreate, count_pool
from livia.domain import limits
from livia.domain.listeners import MAX_TIMEOUT, ListenerProtocol

Timeout = int | None
# Integer columns are 32-bit: larger values are bad input, not a database error.
MAX_INT = 2**31 - 1
ClientAuthentication = Annotated[str, StringConstraints(max_length=16)]
InsertHeaders = Annotated[
    dict[Annotated[str, StringConstraints(max_length=limits.HEADER_NAME_LENGTH)],
         Annotated[str, StringConstraints(max_length=limits.HEADER_VALUE_LENGTH)]],
    Field(max_length=limits.MAX_LIST_ITEMS)]


class ListenerFields(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    protocol: ListenerProtocol
    protocol_port: Port
    connection_limit: int = Field(-1, ge=-1, le=MAX_INT)
    default_pool_id: Uuid | None = None
    default_tls_container_ref: ContainerRef | None = None
    sni_container_refs: ContainerRefs = []
    client_authentication: ClientAuthentication = "NONE"
    client_ca_tls_container_ref: ContainerRef | None = None
    client_crl_container_ref: ContainerRef | None = None
    insert_headers: InsertHeaders | None = None
    timeout_client_data: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    timeout_member_connect: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    timeout_member_data: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    timeout_tcp_inspect: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    allowed_cidrs: Cidrs | None = None
    tls_ciphers: TlsCiphers | None = Field(None, pattern=r"^[A-Za-z0-9\-+!:@=_.]*$")
    tls_versions: TlsVersions | None = None
    alpn_protocols: AlpnProtocols | None = None
    hsts_max_age: int | None = Field(None, ge=0, le=MAX_INT)
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


Policies = Annotated[list[L7PolicySingleCreate], Field(max_length=limits.MAX_GRAPH_OBJECTS)]


class ListenerCreate(ListenerFields):
    loadbalancer_id: Uuid
    default_pool: PoolSingleCreate | None = None
    l7policies: Policies = []


class ListenerSingleCreate(ListenerFields):
    default_pool: PoolSingleCreate | None = None
    l7policies: Policies = []

    def count_objects(self) -> int:
        """What this listener adds to a fully populated create (itself included)."""
        count = 1 + sum(policy.count_objects() for policy in self.l7policies)
        pool = self.default_pool
        return count + (count_pool(pool) if pool is not None else 0)


class ListenerUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool | None = None
    connection_limit: int | None = Field(None, ge=-1, le=MAX_INT)
    default_pool_id: Uuid | None = None
    default_tls_container_ref: ContainerRef | None = None
    sni_container_refs: ContainerRefs | None = None
    client_authentication: ClientAuthentication | None = None
    client_ca_tls_container_ref: ContainerRef | None = None
    client_crl_container_ref: ContainerRef | None = None
    insert_headers: InsertHeaders | None = None
    timeout_client_data: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    timeout_member_connect: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    timeout_member_data: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    timeout_tcp_inspect: int | None = Field(None, ge=0, le=MAX_TIMEOUT)
    allowed_cidrs: Cidrs | None = None
    tls_ciphers: TlsCiphers | None = Field(None, pattern=r"^[A-Za-z0-9\-+!:@=_.]*$")
    tls_versions: TlsVersions | None = None
    alpn_protocols: AlpnProtocols | None = None
    hsts_max_age: int | None = Field(None, ge=0, le=MAX_INT)
    hsts_include_subdomains: bool | None = None
    hsts_preload: bool | None = None
    tags: Tags | None = None


class ListenerCreateBody(Body):
    listener: ListenerCreate


class ListenerUpdateBody(Body):
    listener: ListenerUpdate


class ListenerOut(Out):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    admin_state_up: bool | None = None
    protocol: str | None = None
    protocol_port: int | None = None
    connection_limit: int | None = None
    default_pool_id: str | None = None
    loadbalancers: list[dict[str, str]] | None = None
    l7policies: list[dict[str, str]] | None = None
    insert_headers: dict[str, str] | None = None
    timeout_client_data: int | None = None
    timeout_member_connect: int | None = None
    timeout_member_data: int | None = None
    timeout_tcp_inspect: int | None = None
    allowed_cidrs: list[str] | None = None
    project_id: str | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class ListenerOne(Out):
    listener: ListenerOut


class ListenerMany(Out):
    listeners: list[ListenerOut]
    listeners_links: list[dict[str, str]]


class StatsOut(Out):
    bytes_in: int
    bytes_out: int
    active_connections: int
    total_connections: int
    request_errors: int


class StatsOne(Out):
    stats: StatsOut
