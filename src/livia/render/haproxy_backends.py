"""HAProxy backends: one per (pool, listener) pair, with its servers and health check.

A pool may serve several listeners (as a default pool or an L7 target), and a
PROXY pool takes its mode from the listener, so a backend is named
``<pool id>:<listener id>`` as Octavia does (and as its heartbeats report
pools). Each backend also takes the listener's timeouts, connection limit and
inserted headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from livia.domain.errors import InvalidInput
from livia.domain.healthmonitors import HealthMonitor, MonitorType
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.members import Member
from livia.domain.pools import (
    LISTENER_POOL_PROTOCOLS,
    SUPPORTED_POOL_PROTOCOLS,
    LbAlgorithm,
    PersistenceType,
    Pool,
    PoolProtocol,
)
from livia.render.values import (
    checked_id,
    checked_port,
    checked_token,
    haproxy_address,
    haproxy_logformat_quoted,
    haproxy_quoted,
    host_port,
)

Mode = Literal["http", "tcp"]

_BALANCE: dict[LbAlgorithm, str] = {
    LbAlgorithm.ROUND_ROBIN: "roundrobin",
    LbAlgorithm.LEAST_CONNECTIONS: "leastconn",
    LbAlgorithm.SOURCE_IP: "source",
}
_SEND_PROXY: dict[PoolProtocol, str] = {
    PoolProtocol.PROXY: "send-proxy",
    PoolProtocol.PROXYV2: "send-proxy-v2",
}
# Headers whose value is the client's address (Octavia accepts them but drops them).
_CLIENT_IP_HEADERS = ("X-Forwarded-IP", "X-Client-IP", "X-Real-IP")
_STATUS_CODE = re.compile(r"[1-5][0-9][0-9]\Z")
_HTTP_VERSIONS = {1.0: "HTTP/1.0", 1.1: "HTTP/1.1"}


@dataclass(frozen=True, slots=True)
class BackendContext:
    """What every backend of one configuration shares."""

    stick_type: str  # "ip" or "ipv6", after the VIP's family
    stick_size: str
    peers: str | None  # the peers section stick tables sync through
    ping_command: str


@dataclass(frozen=True, slots=True)
class PersistenceView:
    kind: Literal["source-ip", "http-cookie", "app-cookie"]
    table: str | None = None  # stick-table arguments
    cookie: str | None = None  # application cookie name


@dataclass(frozen=True, slots=True)
class MonitorView:
    kind: Literal["http", "ssl-hello", "tcp", "ping"]
    timeout: int
    http_send: str | None = None
    http_expect: str | None = None
    command: str | None = None  # external check (PING)


@dataclass(frozen=True, slots=True)
class CheckView:
    inter: int
    fall: int
    rise: int
    ssl: bool
    addr: str | None
    port: int | None


@dataclass(frozen=True, slots=True)
class ServerView:
    name: str
    address: str
    weight: int
    check: CheckView | None
    cookie: str | None
    send_proxy: str | None
    ssl: bool
    verify_none: bool
    backup: bool
    disabled: bool


@dataclass(frozen=True, slots=True)
class BackendView:
    name: str
    mode: Mode
    disabled: bool
    balance: str
    http_reuse: bool
    persistence: PersistenceView | None
    monitor: MonitorView | None
    forwardfor: bool
    set_headers: tuple[tuple[str, str], ...]
    fullconn: int
    timeout_connect: int
    timeout_server: int
    servers: tuple[ServerView, ...]


def backend_name(pool_id: str, listener_id: str) -> str:
    return f"{checked_id(pool_id, 'pool id')}:{checked_id(listener_id, 'listener id')}"


def backend_mode(pool: Pool, listener: Listener, listener_mode: Mode) -> Mode:
    if pool.protocol not in SUPPORTED_POOL_PROTOCOLS:
        raise InvalidInput(f"pool {pool.id}: protocol {pool.protocol} is not supported")
    if pool.protocol not in LISTENER_POOL_PROTOCOLS[listener.protocol]:
        raise InvalidInput(
            f"pool {pool.id}: a {pool.protocol} pool cannot serve a {listener.protocol} listener"
        )
    if pool.protocol is PoolProtocol.HTTP:
        return "http"
    if pool.protocol in _SEND_PROXY:
        return listener_mode
    return "tcp"


def backend_view(
    graph: LoadBalancerGraph,
    pool: Pool,
    listener: Listener,
    listener_mode: Mode,
    maxconn: int,
    context: BackendContext,
) -> BackendView:
    mode = backend_mode(pool, listener, listener_mode)
    if pool.lb_algorithm not in _BALANCE:
        raise InvalidInput(f"pool {pool.id}: {pool.lb_algorithm} is not supported by HAProxy")
    monitor = graph.monitor_of(pool.id)
    if monitor is not None and not monitor.admin_state_up:
        monitor = None
    persistence = _persistence(pool, mode, context)
    http = mode == "http"
    return BackendView(
        name=backend_name(pool.id, listener.id),
        mode=mode,
        disabled=not pool.admin_state_up,
        balance=_BALANCE[pool.lb_algorithm],
        http_reuse=pool.protocol is PoolProtocol.HTTP,
        persistence=persistence,
        monitor=_monitor(monitor, context) if monitor else None,
        forwardfor=http and listener.header_enabled("X-Forwarded-For"),
        set_headers=_set_headers(listener) if http else (),
        fullconn=maxconn,
        timeout_connect=listener.timeout_member_connect,
        timeout_server=listener.timeout_member_data,
        servers=tuple(
            _server(member, pool, monitor, persistence)
            for member in sorted(graph.members_of(pool.id), key=lambda m: m.id)
        ),
    )


def _persistence(pool: Pool, mode: Mode, context: BackendContext) -> PersistenceView | None:
    persistence = pool.session_persistence
    if persistence is None:
        return None
    peers = f" peers {context.peers}" if context.peers else ""
    if persistence.type is PersistenceType.SOURCE_IP:
        table = f"type {context.stick_type} size {context.stick_size}{peers}"
        return PersistenceView("source-ip", table=table)
    if mode != "http":
        raise InvalidInput(f"pool {pool.id}: {persistence.type} persistence needs HTTP")
    if persistence.type is PersistenceType.HTTP_COOKIE:
        return PersistenceView("http-cookie")
    cookie = checked_token(persistence.cookie_name, f"pool {pool.id} cookie name")
    table = f"type string len 64 size {context.stick_size}{peers}"
    return PersistenceView("app-cookie", table=table, cookie=cookie)


def _set_headers(listener: Listener) -> tuple[tuple[str, str], ...]:
    headers: list[tuple[str, str]] = []
    if listener.header_enabled("X-Forwarded-Port"):
        headers.append(("X-Forwarded-Port", "%[dst_port]"))
    if listener.header_enabled("X-Forwarded-Proto"):
        # TERMINATED_HTTPS (the only listener that would say "https") is not served.
        headers.append(("X-Forwarded-Proto", "http"))
    headers.extend((h, "%[src]") for h in _CLIENT_IP_HEADERS if listener.header_enabled(h))
    return tuple(headers)


def _monitor(monitor: HealthMonitor, context: BackendContext) -> MonitorView:
    match monitor.type:
        case MonitorType.HTTP | MonitorType.HTTPS:
            return MonitorView("http", monitor.timeout, _http_send(monitor), _http_expect(monitor))
        case MonitorType.TLS_HELLO:
            return MonitorView("ssl-hello", monitor.timeout)
        case MonitorType.TCP:
            return MonitorView("tcp", monitor.timeout)
        case MonitorType.PING:
            return MonitorView("ping", monitor.timeout, command=context.ping_command)
    raise InvalidInput(f"health monitor {monitor.id}: {monitor.type} is not supported by HAProxy")


def _http_send(monitor: HealthMonitor) -> str:
    what = f"health monitor {monitor.id}"
    method = monitor.http_method.value if monitor.http_method else "GET"
    parts = [f"meth {method}", f"uri {haproxy_quoted(monitor.url_path or '/', what + ' url_path')}"]
    if monitor.http_version is not None:
        if monitor.http_version not in _HTTP_VERSIONS:
            raise InvalidInput(f"{what}: HTTP version {monitor.http_version} is not supported")
        parts.append(f"ver {_HTTP_VERSIONS[monitor.http_version]}")
    if monitor.domain_name:
        # `hdr` values are log-format strings in HAProxy.
        parts.append(f"hdr host {haproxy_logformat_quoted(monitor.domain_name, what + ' domain')}")
    return " ".join(parts)


def _http_expect(monitor: HealthMonitor) -> str:
    try:
        codes = monitor.expected_code_list()
    except ValueError as exc:
        raise InvalidInput(f"health monitor {monitor.id}: bad expected_codes") from exc
    if not codes or not all(_STATUS_CODE.match(code) for code in codes):
        raise InvalidInput(f"health monitor {monitor.id}: bad expected_codes")
    if len(codes) == 1:
        return f"status {codes[0]}"
    return f"rstatus {haproxy_quoted('^(' + '|'.join(codes) + ')$', 'expected codes')}"


def _server(
    member: Member,
    pool: Pool,
    monitor: HealthMonitor | None,
    persistence: PersistenceView | None,
) -> ServerView:
    check = _check(member, pool, monitor) if monitor else None
    if not 0 <= member.weight <= 256:
        raise InvalidInput(f"member {member.id}: weight {member.weight} is out of range")
    http_cookie = persistence is not None and persistence.kind == "http-cookie"
    return ServerView(
        name=checked_id(member.id, "member id"),
        address=host_port(member.address, member.protocol_port, f"member {member.id}"),
        weight=member.weight,
        check=check,
        cookie=member.id if http_cookie else None,
        send_proxy=_SEND_PROXY.get(pool.protocol),
        ssl=pool.tls_enabled,
        verify_none=pool.tls_enabled or (check is not None and check.ssl),
        backup=member.backup,
        disabled=not member.admin_state_up,
    )


def _check(member: Member, pool: Pool, monitor: HealthMonitor) -> CheckView:
    addr = None
    if member.monitor_address:
        addr = haproxy_address(member.monitor_address, f"member {member.id} monitor_address")
    port = member.monitor_port
    if port is not None:
        checked_port(port, f"member {member.id} monitor_port")
    return CheckView(
        inter=monitor.delay,
        fall=monitor.max_retries_down,
        rise=monitor.max_retries,
        # A TLS pool's checks already use TLS; otherwise only HTTPS monitors need it.
        ssl=monitor.type is MonitorType.HTTPS and not pool.tls_enabled,
        addr=addr,
        port=port,
    )
