"""haproxy.cfg for one load balancer: all its listeners, for one amphora.

Two steps: :func:`haproxy_view` resolves the graph into sorted, checked
dataclasses; ``templates/haproxy.cfg.j2`` only loops and prints them. The text
is the same for the MASTER and the BACKUP: HAProxy finds its own entry of the
``peers`` section from ``-L <amphora.peer_name>`` on its command line.

Choices worth knowing (each checked with ``haproxy -c -dW`` on 2.6.12):

- logs go to an in-memory ``ring`` (``show events livia`` on the stats
  socket): HAProxy cannot write files, daemon mode has no stdout, and a ring
  needs no syslog daemon;
- ``option idle-close-on-response`` sits in each HTTP frontend rather than in
  ``defaults``: a TCP frontend inheriting it draws a warning;
- backends are ``<pool id>:<listener id>`` (see haproxy_backends), L7 rules
  are written in the order HAProxy runs them (see haproxy_l7);
- user strings are quoted by :mod:`livia.render.values`; anything that cannot
  be rendered safely raises :class:`InvalidInput`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.errors import InvalidInput
from livia.domain.flavors import NO_OPTIONS, FlavorOptions
from livia.domain.listeners import (
    HTTP_MODE_PROTOCOLS,
    SUPPORTED_PROTOCOLS,
    Listener,
    ListenerProtocol,
)
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.status import AmphoraStatus, Topology
from livia.render.engine import render_template
from livia.render.haproxy_backends import (
    BackendContext,
    BackendView,
    Mode,
    backend_name,
    backend_view,
)
from livia.render.haproxy_l7 import L7View, l7_view
from livia.render.values import checked_id, checked_ip, checked_path, host_port

LOG_RING = "livia"
_SIZE = re.compile(r"[1-9][0-9]*[kmg]?\Z")
_NAME = re.compile(r"[a-z_][a-z0-9_-]*\Z")


@dataclass(frozen=True, slots=True)
class HaproxyOptions:
    paths: AmphoraPaths
    peer_port: int = 1025
    stick_size: str = "10k"
    # HAProxy sizes its file descriptors from maxconn and refuses to start when
    # the hard `ulimit -n` cannot back them: see maxconn_for_fd_limit (7000 fits
    # the 20000 of the hosts Livia runs on).
    maxconn_cap: int = 7000
    # Connections on top of the listeners' limits, so that the stats socket
    # (agent, keepalived check) and the peers link still get in when they are full.
    reserved_conns: int = 16
    connection_logging: bool = True
    log_ring_size: int = 1 << 20
    # Workers drop root; the master keeps it for reloads. None keeps root.
    user: str | None = "nobody"
    group: str | None = "nogroup"


@dataclass(frozen=True, slots=True)
class GlobalView:
    maxconn: int
    nbthread: int | None  # the flavor's haproxy_threads; None: HAProxy's default
    stats_socket: str
    state_file: str
    external_check: bool
    log_ring: str
    log_ring_size: int
    user: str | None
    group: str | None


@dataclass(frozen=True, slots=True)
class PeerView:
    name: str
    address: str


@dataclass(frozen=True, slots=True)
class PeersView:
    name: str
    peers: tuple[PeerView, ...]


@dataclass(frozen=True, slots=True)
class FrontendView:
    name: str
    mode: Mode
    maxconn: int
    bind: str
    timeout_client: int
    inspect_delay: int
    log: str  # "httplog", "tcplog" or "none"
    prometheus: bool
    l7: L7View
    default_backend: str | None


@dataclass(frozen=True, slots=True)
class HaproxyView:
    loadbalancer_id: str
    global_: GlobalView
    peers: PeersView | None
    frontends: tuple[FrontendView, ...]
    backends: tuple[BackendView, ...]


def maxconn_for_fd_limit(fd_limit: int, spare: int = 1000) -> int:
    """The largest global maxconn one HAProxy can back under a hard ``ulimit -n``.

    HAProxy asks for two descriptors per connection plus, because this config
    turns splicing on, maxconn/4 pipes of two descriptors each: 2.5 per
    connection (maxconn 8000 wants 20053 and fails under 20000). ``spare``
    covers listeners, peers, checks and threads.
    """
    return max(100, (fd_limit - spare) * 2 // 5)


def render_haproxy(graph: LoadBalancerGraph, amphora: Amphora, options: HaproxyOptions) -> str:
    """The haproxy.cfg the amphora should run; PENDING_DELETE objects are left out."""
    return render_template("haproxy.cfg.j2", cfg=haproxy_view(graph, amphora, options))


def haproxy_view(
    graph: LoadBalancerGraph, amphora: Amphora, options: HaproxyOptions
) -> HaproxyView:
    _check_options(options)
    live = graph.live()
    lb = live.loadbalancer
    peers = _peers(live, amphora, options)
    listeners = _served_listeners(live)
    context = BackendContext(
        stick_type=_stick_type(lb.vip_address) if listeners else "ip",
        stick_size=options.stick_size,
        peers=peers.name if peers else None,
        ping_command=checked_path(options.paths.ping_wrapper),
    )
    flavor = lb.flavor_options or NO_OPTIONS
    listener_cap = options.maxconn_cap
    if flavor.max_listener_connections is not None:
        listener_cap = min(listener_cap, flavor.max_listener_connections)
    frontends: list[FrontendView] = []
    backends: list[BackendView] = []
    for listener in listeners:
        frontend, listener_backends = _listener_proxies(live, listener, listener_cap,
                                                        options, context)
        frontends.append(frontend)
        backends.extend(listener_backends)
    return HaproxyView(
        loadbalancer_id=checked_id(lb.id, "load balancer id"),
        global_=_global(options, flavor, frontends, backends),
        peers=peers,
        frontends=tuple(frontends),
        backends=tuple(sorted(backends, key=lambda b: b.name)),
    )


def _check_options(options: HaproxyOptions) -> None:
    if not _SIZE.match(options.stick_size):
        raise InvalidInput(f"stick table size {options.stick_size!r} is not a size")
    for name in (options.user, options.group):
        if name is not None and not _NAME.match(name):
            raise InvalidInput(f"{name!r} is not a user or group name")


def _served_listeners(graph: LoadBalancerGraph) -> tuple[Listener, ...]:
    if not graph.loadbalancer.admin_state_up:
        return ()
    listeners = sorted((li for li in graph.listeners if li.admin_state_up), key=lambda li: li.id)
    for listener in listeners:
        if listener.protocol not in SUPPORTED_PROTOCOLS:
            raise InvalidInput(f"listener {listener.id}: {listener.protocol} is not supported")
    return tuple(listeners)


def _peers(graph: LoadBalancerGraph, amphora: Amphora, options: HaproxyOptions) -> PeersView | None:
    """Stick tables sync between the ALLOCATED amphorae (and the one rendered for)."""
    lb = graph.loadbalancer
    if lb.topology is not Topology.ACTIVE_STANDBY:
        return None
    if amphora.vrrp_ip is None:
        raise InvalidInput(f"amphora {amphora.id} has no VRRP address for the peers section")
    members = {a.id: a for a in graph.amphorae if a.status is AmphoraStatus.ALLOCATED and a.vrrp_ip}
    members[amphora.id] = amphora
    peers = tuple(
        PeerView(a.peer_name, host_port(a.vrrp_ip, options.peer_port, f"amphora {a.id} vrrp_ip"))
        for a in sorted(members.values(), key=lambda a: a.peer_name)
    )
    return PeersView(f"{checked_id(lb.id, 'load balancer id').replace('-', '')}_peers", peers)


def _stick_type(vip_address: str | None) -> str:
    return "ipv6" if checked_ip(vip_address, "VIP address").version == 6 else "ip"


def _listener_proxies(
    graph: LoadBalancerGraph,
    listener: Listener,
    cap: int,
    options: HaproxyOptions,
    context: BackendContext,
) -> tuple[FrontendView, tuple[BackendView, ...]]:
    """A listener's frontend and the backends of the pools it can send to."""
    mode: Mode = "http" if listener.protocol in HTTP_MODE_PROTOCOLS else "tcp"
    prometheus = listener.protocol is ListenerProtocol.PROMETHEUS
    if mode != "http" or prometheus:
        _refuse_l7(graph, listener)
    maxconn = _maxconn(listener, cap)
    default_pool = None if prometheus else graph.pool(listener.default_pool_id)
    enabled_pools = frozenset(p.id for p in graph.pools if p.admin_state_up)
    l7 = l7_view(graph, listener, enabled_pools, backend_name)
    pool_ids = {route.pool_id for route in l7.routes}
    if default_pool is not None:
        pool_ids.add(default_pool.id)
    backends = tuple(
        backend_view(graph, pool, listener, mode, maxconn, context)
        for pool in graph.pools
        if pool.id in pool_ids
    )
    frontend = FrontendView(
        name=checked_id(listener.id, "listener id"),
        mode=mode,
        maxconn=maxconn,
        bind=host_port(graph.loadbalancer.vip_address, listener.protocol_port, "VIP"),
        timeout_client=listener.timeout_client_data,
        inspect_delay=listener.timeout_tcp_inspect,
        log=_log_option(mode, options),
        prometheus=prometheus,
        l7=l7,
        default_backend=backend_name(default_pool.id, listener.id) if default_pool else None,
    )
    return frontend, backends


def _refuse_l7(graph: LoadBalancerGraph, listener: Listener) -> None:
    if graph.policies_of(listener.id):
        raise InvalidInput(f"listener {listener.id}: L7 policies need an HTTP listener")


def _maxconn(listener: Listener, cap: int) -> int:
    """Octavia counts a limit of -1 (and 0) as unlimited; Livia caps it at ``cap`` (the
    host's maxconn_cap, or the flavor's max_listener_connections when lower)."""
    limit = listener.connection_limit
    return min(limit, cap) if limit > 0 else cap


def _log_option(mode: Mode, options: HaproxyOptions) -> str:
    if not options.connection_logging:
        return "none"
    return "httplog" if mode == "http" else "tcplog"


def _global(
    options: HaproxyOptions,
    flavor: FlavorOptions,
    frontends: list[FrontendView],
    backends: list[BackendView],
) -> GlobalView:
    paths = options.paths
    wanted = sum(f.maxconn for f in frontends) + options.reserved_conns
    return GlobalView(
        maxconn=min(wanted, options.maxconn_cap),
        nbthread=flavor.haproxy_threads,
        stats_socket=checked_path(paths.haproxy_stats_socket),
        state_file=checked_path(paths.haproxy_state),
        external_check=any(b.monitor is not None and b.monitor.kind == "ping" for b in backends),
        log_ring=LOG_RING,
        log_ring_size=options.log_ring_size,
        user=options.user,
        group=options.group,
    )
