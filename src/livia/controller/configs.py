"""Render every configuration of a load balancer and push what changed to its amphorae."""

from __future__ import annotations

import hashlib
import hmac
import logging
import resource
from collections.abc import Awaitable, Callable

from livia.controller.amphorae import endpoint, runtime_config
from livia.controller.context import Controller, gather_all
from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.status import AmphoraRole, AmphoraStatus, Topology
from livia.drivers.agent_client import AgentEndpoint
from livia.render.firewall import FirewallOptions, render_firewall
from livia.render.haproxy import HaproxyOptions, maxconn_for_fd_limit, render_haproxy
from livia.render.keepalived import KeepalivedOptions, render_keepalived

log = logging.getLogger(__name__)


def maxconn_cap() -> int:
    """What one HAProxy can back with file descriptors under this host's hard limit."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return 100_000
    return maxconn_for_fd_limit(hard)


def auth_pass(ctl: Controller, lb_id: str) -> str:
    """A stable per-load-balancer VRRP password (keepalived takes 8 characters)."""
    return hmac.new(ctl.heartbeat_key, lb_id.encode(), hashlib.sha256).hexdigest()[:8]


def render_all(ctl: Controller, graph: LoadBalancerGraph, amp: Amphora) -> dict[str, str]:
    """kind -> configuration text for one amphora."""
    live = graph.live()
    paths = AmphoraPaths(ctl.compute.amphora_host(amp.id).base_dir)
    s = ctl.settings
    out = {
        "haproxy": render_haproxy(live, amp, HaproxyOptions(paths=paths,
                                                             maxconn_cap=maxconn_cap())),
        "firewall": render_firewall(live, amp, FirewallOptions()),
    }
    if graph.loadbalancer.topology is Topology.ACTIVE_STANDBY:
        out["keepalived"] = render_keepalived(live, amp, KeepalivedOptions(
            paths=paths, advert_int=s.vrrp_advert_int, check_interval=s.vrrp_check_interval,
            fall=s.vrrp_fail_count, rise=s.vrrp_rise_count, garp_refresh=s.vrrp_garp_refresh,
            garp_refresh_repeat=s.vrrp_garp_refresh_repeat,
            auth_pass=auth_pass(ctl, graph.loadbalancer.id)))
    return out


def _pushers(ctl: Controller) -> dict[str, Callable[[AgentEndpoint, str], Awaitable[None]]]:
    return {
        "firewall": ctl.agents.put_firewall,
        "haproxy": ctl.agents.put_haproxy,
        "keepalived": ctl.agents.put_keepalived,
    }


async def push(ctl: Controller, graph: LoadBalancerGraph, amp: Amphora, *,
               vrrp: bool = True) -> None:
    """Firewall first (the port opens before HAProxy listens), then HAProxy, then VRRP
    (unless ``vrrp`` is False); the runtime settings (heartbeats) alongside."""
    ctl.applied.track(amp.id, amp.updated_at)
    configs = render_all(ctl, graph, amp)
    await gather_all([_push_runtime(ctl, amp), _push_configs(ctl, amp, configs, vrrp=vrrp)])


async def _push_runtime(ctl: Controller, amp: Amphora) -> None:
    runtime = runtime_config(ctl)
    runtime_text = repr(runtime)
    if not ctl.applied.is_current(amp.id, "runtime", runtime_text):
        await ctl.agents.put_runtime_config(endpoint(ctl, amp), runtime)
        ctl.applied.remember(amp.id, "runtime", runtime_text)


async def _push_configs(ctl: Controller, amp: Amphora, configs: dict[str, str], *,
                        vrrp: bool) -> None:
    for kind in _pushers(ctl):
        if vrrp or kind != "keepalived":
            await _send(ctl, amp, kind, configs)


async def _send(ctl: Controller, amp: Amphora, kind: str, configs: dict[str, str]) -> None:
    text = configs.get(kind)
    if text is None or ctl.applied.is_current(amp.id, kind, text):
        return
    await _pushers(ctl)[kind](endpoint(ctl, amp), text)
    ctl.applied.remember(amp.id, kind, text)


async def push_all(ctl: Controller, graph: LoadBalancerGraph) -> None:
    amps = [a for a in graph.amphorae if a.status is AmphoraStatus.ALLOCATED]
    # Both keepalived start as BACKUP with nopreempt, so the first one to start takes the
    # VIP (the priorities' skew is only ~4 ms): a MASTER without VRRP yet is pushed first.
    # Only the keepalived of the others waits: their firewall and HAProxy go out together
    # with the MASTER's push (a new pair was provisioned one amphora after the other).
    first = [a for a in amps if a.role is AmphoraRole.MASTER
             and (a.id, "keepalived") not in ctl.applied.digests]
    others = [a for a in amps if a not in first]
    await gather_all([*(push(ctl, graph, a) for a in first),
                      *(push(ctl, graph, a, vrrp=not first) for a in others)])
    if first:
        await gather_all([push(ctl, graph, a) for a in others])
