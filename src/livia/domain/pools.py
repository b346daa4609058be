"""Pools: the member set a listener (or an L7 policy) sends traffic to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.listeners import ListenerProtocol
from livia.domain.status import OperatingStatus, ProvisioningStatus


class PoolProtocol(StrEnum):
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"
    PROXY = "PROXY"
    PROXYV2 = "PROXYV2"
    UDP = "UDP"
    SCTP = "SCTP"


class LbAlgorithm(StrEnum):
    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_CONNECTIONS = "LEAST_CONNECTIONS"
    SOURCE_IP = "SOURCE_IP"
    SOURCE_IP_PORT = "SOURCE_IP_PORT"


class PersistenceType(StrEnum):
    SOURCE_IP = "SOURCE_IP"
    HTTP_COOKIE = "HTTP_COOKIE"
    APP_COOKIE = "APP_COOKIE"


# Which pool protocols a listener of each protocol may send to.
LISTENER_POOL_PROTOCOLS: dict[ListenerProtocol, frozenset[PoolProtocol]] = {
    ListenerProtocol.TCP: frozenset(
        {PoolProtocol.HTTP, PoolProtocol.HTTPS, PoolProtocol.PROXY, PoolProtocol.PROXYV2,
         PoolProtocol.TCP}
    ),
    ListenerProtocol.HTTP: frozenset({PoolProtocol.HTTP, PoolProtocol.PROXY, PoolProtocol.PROXYV2}),
    ListenerProtocol.HTTPS: frozenset(
        {PoolProtocol.HTTPS, PoolProtocol.PROXY, PoolProtocol.PROXYV2, PoolProtocol.TCP}
    ),
    ListenerProtocol.TERMINATED_HTTPS: frozenset(
        {PoolProtocol.HTTP, PoolProtocol.PROXY, PoolProtocol.PROXYV2}
    ),
    ListenerProtocol.UDP: frozenset({PoolProtocol.UDP}),
    ListenerProtocol.SCTP: frozenset({PoolProtocol.SCTP}),
    ListenerProtocol.PROMETHEUS: frozenset(),
}

SUPPORTED_POOL_PROTOCOLS = frozenset(
    {PoolProtocol.TCP, PoolProtocol.HTTP, PoolProtocol.HTTPS, PoolProtocol.PROXY,
     PoolProtocol.PROXYV2}
)


@dataclass(frozen=True, slots=True)
class SessionPersistence:
    type: PersistenceType
    cookie_name: str | None = None
    persistence_timeout: int | None = None
    persistence_granularity: str | None = None


@dataclass(frozen=True, slots=True)
class Pool:
    id: str
    project_id: str
    loadbalancer_id: str
    name: str | None
    description: str | None
    admin_state_up: bool
    protocol: PoolProtocol
    lb_algorithm: LbAlgorithm
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    created_at: datetime
    updated_at: datetime | None
    session_persistence: SessionPersistence | None = None
    tls_enabled: bool = False
    tls_container_ref: str | None = None
    ca_tls_container_ref: str | None = None
    crl_container_ref: str | None = None
    tls_ciphers: str | None = None
    tls_versions: tuple[str, ...] = ()
    alpn_protocols: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
