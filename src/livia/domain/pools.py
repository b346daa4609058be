"""Pools: the member set a listener (or an L7 policy) sends traffic to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.listeners import ListenerProtocol, check_tls_options
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.text import is_http_token


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


def check(pool: Pool) -> None:
    """Octavia's rules for a pool's fields, on the pool as it will be stored."""
    if pool.protocol not in SUPPORTED_POOL_PROTOCOLS:
        raise InvalidInput(
            f"Pool protocol {pool.protocol} is not supported by this provider "
            "(UDP and SCTP need IPVS in the kernel)."
        )
    if pool.lb_algorithm is LbAlgorithm.SOURCE_IP_PORT:
        raise InvalidInput(
            "Provider 'amphora' does not support a requested option: "
            "lb_algorithm SOURCE_IP_PORT is not supported for TCP-based pools."
        )
    check_tls_options(pool.tls_versions, pool.alpn_protocols, pool.tls_ciphers)
    sp = pool.session_persistence
    if sp is None:
        return
    if sp.type is PersistenceType.APP_COOKIE and not sp.cookie_name:
        raise InvalidInput(
            "Validation failure: Field cookie_name is required for APP_COOKIE session "
            "persistence."
        )
    if sp.cookie_name and sp.type is not PersistenceType.APP_COOKIE:
        raise InvalidInput(
            "Validation failure: Field cookie_name is only valid with APP_COOKIE session "
            "persistence."
        )
    if sp.cookie_name and (len(sp.cookie_name) > 255 or not is_http_token(sp.cookie_name)):
        raise InvalidInput(
            f"Invalid input for field/attribute cookie_name. Value: '{quote(sp.cookie_name)}'. "
            "Cookie names are HTTP tokens without ' # $ or `."
        )
    if sp.persistence_timeout is not None or sp.persistence_granularity is not None:
        raise InvalidInput(
            "Validation failure: persistence_timeout and persistence_granularity are only "
            "valid for UDP and SCTP pools."
        )


def check_listener_compatible(listener_protocol: ListenerProtocol, pool: Pool) -> None:
    if pool.protocol not in LISTENER_POOL_PROTOCOLS[listener_protocol]:
        raise InvalidInput(
            f"The pool protocol '{pool.protocol}' is invalid while the listener protocol "
            f"is '{listener_protocol}'."
        )
