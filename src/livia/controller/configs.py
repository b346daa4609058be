"""Render every configuration of a load balancer and push what changed to its amphorae."""

from __future__ import annotations

import hashlib
import hmac
import logging
import resource
from collections.abc import Awaitable, Callable

from livia.controller.amphorae import endpoint, runtime_config
from livia.controller.context import Controller, gather_all
from livia.domain import renderable
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


def new_backup_vrrp_delay(ctl: Controller) -> float:
    """How long the BACKUP of a new pair waits before its first VRRP election: the MASTER,
    started at the same time, takes the VIP after ~3 adverts (plus its first check)."""
    return max(1.0, 10 * ctl.settings.vrrp_advert_int)


def render_all(ctl: Controller, graph: LoadBalancerGraph, amp: Amphora, *,
               vrrp_startup_delay: float = 0.0) -> dict[str, str]:
    """kind -> configuration text for one amphora (PENDING_DELETE objects left out)."""
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
            auth_pass=auth_pass(ctl, graph.loadbalancer.id), startup_delay=vrrp_startup_delay))
    return out


def _pushers(ctl: Controller) -> dict[str, Callable[[AgentEndpoint, str], Awaitable[None]]]:
    return {
        "firewall": ctl.agents.put_firewall,
        "haproxy": ctl.agents.put_haproxy,
        "keepalived": ctl.agents.put_keepalived,
    }


async def push(ctl: Controller, graph: LoadBalancerGraph, amp: Amphora, *,
               vrrp_delay: bool = False) -> None:
    """Firewall and HAProxy together, then VRRP (its check script tracks HAProxy); the
    runtime settings (heartbeats) alongside.

    The firewall and HAProxy do not wait for each other: until both are done the change
    is not ACTIVE, and a listener's port that opens a few milliseconds before or after
    HAProxy listens on it is not yet promised to anyone. In sequence, a listener change
    waited for ``nft`` (~30-40 ms) and then for HAProxy's check and reload.

    With ``vrrp_delay`` keepalived gets ``vrrp_startup_delay`` (see :func:`push_all`), and
    what is remembered as sent is the text without it: the two differ only when keepalived
    starts, so a later push of the same configuration changes nothing.
    """
    ctl.applied.track(amp.id, amp.updated_at)
    configs = render_all(ctl, graph, amp)
    sent = dict(configs)
    if vrrp_delay and "keepalived" in configs:
        sent["keepalived"] = render_all(
            ctl, graph, amp, vrrp_startup_delay=new_backup_vrrp_delay(ctl))["keepalived"]
    await gather_all([_push_runtime(ctl, amp), _push_configs(ctl, amp, configs, sent)])


async def _push_runtime(ctl: Controller, amp: Amphora) -> None:
    runtime = runtime_config(ctl)
    runtime_text = repr(runtime)
    if not ctl.applied.is_current(amp.id, "runtime", runtime_text):
        await ctl.agents.put_runtime_config(endpoint(ctl, amp), runtime)
        ctl.applied.remember(amp.id, "runtime", runtime_text)


async def _push_configs(ctl: Controller, amp: Amphora, configs: dict[str, str],
                        sent: dict[str, str]) -> None:
    await gather_all([_push_one(ctl, amp, kind, configs, sent)
                      for kind in ("firewall", "haproxy")])
    await _push_one(ctl, amp, "keepalived", configs, sent)


async def _push_one(ctl: Controller, amp: Amphora, kind: str, configs: dict[str, str],
                    sent: dict[str, str]) -> None:
    text = configs.get(kind)
    if text is None or ctl.applied.is_current(amp.id, kind, text):
        return
    await _pushers(ctl)[kind](endpoint(ctl, amp), sent[kind])
    ctl.applied.remember(amp.id, kind, text)


async def push_all(ctl: Controller, graph: LoadBalancerGraph) -> dict[str, str]:
    """Every amphora at once, without the objects that cannot be rendered; returns
    those (id -> why, :mod:`livia.domain.renderable`), which ``settle`` puts in ERROR.

    Both keepalived of a pair start as BACKUP with ``nopreempt``, so the first one whose
    election ends takes the VIP (the priorities' skew is ~4 ms). When a MASTER gets its
    first keepalived configuration (a new pair, a replaced MASTER, or everything after a
    controller restart), the others that get theirs too start VRRP only after
    :func:`new_backup_vrrp_delay`; a survivor that already runs keepalived gets none, and
    neither does a replaced BACKUP (its MASTER runs: the BACKUP may be needed at once).
    """
    refused = renderable.refusals(graph)
    renderable_graph = renderable.without(graph, refused)
    amps = [a for a in graph.amphorae if a.status is AmphoraStatus.ALLOCATED]
    starting = {a.id for a in amps if (a.id, "keepalived") not in ctl.applied.digests}
    master_starts = any(a.role is AmphoraRole.MASTER and a.id in starting for a in amps)
    await gather_all([
        push(ctl, renderable_graph, a, vrrp_delay=master_starts and a.id in starting
             and a.role is not AmphoraRole.MASTER)
        for a in amps])
    return refused
