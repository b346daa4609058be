"""Pool request and response schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from livia.api.schemas.fields import (
    AlpnProtocols,
    Body,
    ContainerRef,
    Name,
    NotNull,
    Out,
    ProjectId,
    Tags,
    TlsCiphers,
    TlsVersions,
    Uuid,
)
from livia.api.schemas.healthmonitors import HealthMonitorSingleCreate
from livia.api.schemas.members import Members
from livia.domain import limits
from livia.domain.pools import LbAlgorithm, PersistenceType, PoolProtocol


class SessionPersistenceIn(Body):
    type: PersistenceType
    cookie_name: str | None = Field(None, max_length=limits.NAME_LENGTH)
    persistence_timeout: int | None = None
    persistence_granularity: str | None = Field(None, max_length=limits.ADDRESS_LENGTH)


class SessionPersistenceUpdate(Body):
    type: PersistenceType | None = None
    cookie_name: str | None = Field(None, max_length=limits.NAME_LENGTH)
    persistence_timeout: int | None = None
    persistence_granularity: str | None = Field(None, max_length=limits.ADDRESS_LENGTH)


class PoolFields(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool = True
    protocol: PoolProtocol
    lb_algorithm: LbAlgorithm
    session_persistence: SessionPersistenceIn | None = None
    tls_enabled: bool = False
    tls_container_ref: ContainerRef | None = None
    ca_tls_container_ref: ContainerRef | None = None
    crl_container_ref: ContainerRef | None = None
    tls_ciphers: TlsCiphers | None = None
    tls_versions: TlsVersions | None = None
    alpn_protocols: AlpnProtocols | None = None
    tags: Tags = []
    project_id: ProjectId | None = None
    tenant_id: ProjectId | None = None


class PoolCreate(PoolFields):
    loadbalancer_id: Uuid | None = None
    listener_id: Uuid | None = None
    healthmonitor: HealthMonitorSingleCreate | None = None
    members: Members = []


class PoolSingleCreate(PoolFields):
    """A pool inside a single-call load balancer create."""

    healthmonitor: HealthMonitorSingleCreate | None = None
    members: Members = []


def count_pool(pool: PoolSingleCreate) -> int:
    """The objects a pool of a fully populated create adds: itself, its monitor, members."""
    return 1 + (pool.healthmonitor is not None) + len(pool.members)


class PoolUpdate(Body):
    name: Name | None = None
    description: Name | None = None
    admin_state_up: bool | None = None
    lb_algorithm: Annotated[LbAlgorithm | None, NotNull] = None
    session_persistence: SessionPersistenceUpdate | None = None
    tls_enabled: bool | None = None
    tls_container_ref: ContainerRef | None = None
    ca_tls_container_ref: ContainerRef | None = None
    crl_container_ref: ContainerRef | None = None
    tls_ciphers: TlsCiphers | None = None
    tls_versions: TlsVersions | None = None
    alpn_protocols: AlpnProtocols | None = None
    tags: Tags | None = None


class PoolCreateBody(Body):
    pool: PoolCreate


class PoolUpdateBody(Body):
    pool: PoolUpdate


class PoolOut(Out):
    id: str | None = None
    name: str | None = None
    description: str | None = None
    admin_state_up: bool | None = None
    protocol: str | None = None
    lb_algorithm: str | None = None
    session_persistence: dict[str, object] | None = None
    loadbalancers: list[dict[str, str]] | None = None
    listeners: list[dict[str, str]] | None = None
    members: list[dict[str, str]] | None = None
    healthmonitor_id: str | None = None
    project_id: str | None = None
    provisioning_status: str | None = None
    operating_status: str | None = None
    tls_enabled: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: list[str] | None = None


class PoolOne(Out):
    pool: PoolOut


class PoolMany(Out):
    pools: list[PoolOut]
    pools_links: list[dict[str, str]]
