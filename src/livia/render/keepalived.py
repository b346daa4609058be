"""keepalived.conf for one amphora of an ACTIVE_STANDBY load balancer.

VRRP over unicast between the amphorae holds the VIP. Both amphorae start as
BACKUP (so that ``nopreempt`` works) and the higher priority wins the first
election. A SINGLE load balancer has no keepalived: :func:`render_keepalived`
raises :class:`InvalidInput` for it rather than return an empty file.

What keepalived 2.2.7 accepts, checked with ``keepalived -t``:

- sub-second ``advert_int`` needs ``vrrp_version 3``, and VRRPv3 has no
  authentication (an ``authentication`` block fails the config test). So a
  whole-second advert interval on an IPv4 VIP renders VRRPv2 with PASS
  authentication; a fractional one, or an IPv6 VIP (VRRPv2 is IPv4 only),
  renders VRRPv3 without it. Both use ``check_unicast_src``: adverts
  from any address but the peers' are dropped (nftables drops them too).
- a ``vrrp_script`` interval is whole seconds (1-4294): fractional intervals
  are rounded up.
- an empty ``unicast_peer`` block falls back to multicast (and fails the
  config test), so an amphora with no peer cannot be rendered.
"""

from __future__ import annotations

import ipaddress
import math
import re
from dataclasses import dataclass

from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.errors import InvalidInput
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.settings import Settings
from livia.domain.status import ROLE_PRIORITY, AmphoraStatus, Topology
from livia.render.engine import render_template
from livia.render.values import checked_id, checked_ip, checked_network, checked_path

_INTERFACE = re.compile(r"[A-Za-z0-9_.-]{1,15}\Z")
_AUTH_PASS = re.compile(r"[A-Za-z0-9]{1,8}\Z")
_GONE = frozenset({AmphoraStatus.DELETED, AmphoraStatus.PENDING_DELETE})


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepalivedOptions:
    paths: AmphoraPaths
    advert_int: float
    check_interval: float
    fall: int
    rise: int
    garp_refresh: int
    garp_refresh_repeat: int
    auth_pass: str  # used only with whole-second adverts (VRRPv2); see the module doc
    vrrp_interface: str = "eth1"
    # Seconds before the VRRP instance starts when keepalived starts (not on a reload);
    # 0: at once. See :func:`render_keepalived`.
    startup_delay: float = 0.0

    @classmethod
    def from_settings(
        cls, settings: Settings, paths: AmphoraPaths, auth_pass: str
    ) -> KeepalivedOptions:
        return cls(
            paths=paths,
            advert_int=settings.vrrp_advert_int,
            check_interval=settings.vrrp_check_interval,
            fall=settings.vrrp_fail_count,
            rise=settings.vrrp_rise_count,
            garp_refresh=settings.vrrp_garp_refresh,
            garp_refresh_repeat=settings.vrrp_garp_refresh_repeat,
            auth_pass=auth_pass,
        )


@dataclass(frozen=True, slots=True)
class KeepalivedView:
    loadbalancer_id: str
    amphora_id: str
    vrrp_version: int
    check_script: str
    check_interval: int
    fall: int
    rise: int
    instance: str
    interface: str
    virtual_router_id: int
    priority: int
    advert_int: str
    auth_pass: str | None
    source_ip: str
    peers: tuple[str, ...]
    vip: str  # address/prefix
    garp_refresh: int
    garp_refresh_repeat: int
    notify_script: str
    startup_delay: str | None = None


def render_keepalived(
    graph: LoadBalancerGraph, amphora: Amphora, options: KeepalivedOptions
) -> str:
    """keepalived.conf; ``options.startup_delay`` renders ``vrrp_startup_delay``.

    keepalived 2.2.7 applies that delay when it starts, not when it reloads (checked: a
    MASTER reloaded with or without it keeps the VIP without a gap). A BACKUP started
    with a delay cannot win the first election of a new pair against a MASTER started
    at the same time, whatever the two processes' start order.
    """
    return render_template("keepalived.conf.j2", k=keepalived_view(graph, amphora, options))


def vrrp_peer_addresses(graph: LoadBalancerGraph, amphora: Amphora) -> tuple[str, ...]:
    """The VRRP addresses of the load balancer's other amphorae that are not being deleted.

    A peer still booting is included: adverts to it are harmless, and it joins
    the election as soon as its keepalived starts.
    """
    return tuple(
        sorted(
            str(checked_ip(other.vrrp_ip, f"amphora {other.id} vrrp_ip"))
            for other in graph.amphorae
            if other.id != amphora.id and other.vrrp_ip and other.status not in _GONE
        )
    )


def keepalived_view(
    graph: LoadBalancerGraph, amphora: Amphora, options: KeepalivedOptions
) -> KeepalivedView:
    lb = graph.loadbalancer
    if lb.topology is not Topology.ACTIVE_STANDBY:
        raise InvalidInput(f"load balancer {lb.id} is {lb.topology}: it runs no keepalived")
    peers = vrrp_peer_addresses(graph, amphora)
    if not peers:
        raise InvalidInput(f"amphora {amphora.id} has no VRRP peer to advertise to")
    vip = _vip(graph, amphora)
    version, advert = _advert(options.advert_int, ipv6=":" in vip)
    paths = options.paths
    return KeepalivedView(
        loadbalancer_id=checked_id(lb.id, "load balancer id"),
        amphora_id=checked_id(amphora.id, "amphora id"),
        vrrp_version=version,
        check_script=checked_path(paths.keepalived_check_script),
        check_interval=_script_interval(options.check_interval),
        fall=_at_least_one(options.fall, "fall"),
        rise=_at_least_one(options.rise, "rise"),
        instance=lb.id.replace("-", ""),
        interface=_interface(options.vrrp_interface),
        virtual_router_id=_in_range(lb.vrrp_id or amphora.vrrp_id, 1, 255, "VRRP id"),
        priority=_priority(amphora),
        advert_int=advert,
        auth_pass=_auth_pass(options.auth_pass) if version == 2 else None,
        source_ip=str(checked_ip(amphora.vrrp_ip, f"amphora {amphora.id} vrrp_ip")),
        peers=peers,
        vip=vip,
        garp_refresh=_at_least_one(options.garp_refresh, "garp_refresh"),
        garp_refresh_repeat=_at_least_one(options.garp_refresh_repeat, "garp_refresh_repeat"),
        notify_script=checked_path(paths.keepalived_notify_script),
        startup_delay=_startup_delay(options.startup_delay),
    )


def _startup_delay(seconds: float) -> str | None:
    if seconds == 0:
        return None
    if not 0 < seconds <= 3600:
        raise InvalidInput(f"VRRP startup delay {seconds} is not within 0-3600 s")
    return f"{round(float(seconds), 2):g}"


def _advert(advert_int: float, ipv6: bool) -> tuple[int, str]:
    """The VRRP version and advert_int text (see the module doc)."""
    advert_int = float(advert_int)  # an int is a float to mypy, not to Python 3.11
    if not ipv6 and advert_int.is_integer() and 1 <= advert_int <= 255:
        return 2, str(int(advert_int))
    if 0.01 <= advert_int <= 40.95:
        return 3, f"{round(advert_int, 2):g}"
    raise InvalidInput(f"advert_int {advert_int} is outside what VRRP can advertise")


def _script_interval(interval: float) -> int:
    return _in_range(max(1, math.ceil(interval)), 1, 4294, "check interval")


def _priority(amphora: Amphora) -> int:
    priority = amphora.vrrp_priority
    if priority is None and amphora.role is not None:
        priority = ROLE_PRIORITY[amphora.role]
    return _in_range(priority, 1, 254, f"amphora {amphora.id} VRRP priority")


def _vip(graph: LoadBalancerGraph, amphora: Amphora) -> str:
    vip = checked_ip(graph.loadbalancer.vip_address, "VIP address")
    own = checked_ip(amphora.vrrp_ip, f"amphora {amphora.id} vrrp_ip")
    if vip.version != own.version:
        raise InvalidInput("the VIP and the VRRP address must be of the same IP family")
    prefix: int = vip.max_prefixlen
    subnet = graph.vip_subnet
    if subnet is not None:
        network = checked_network(subnet.cidr, f"subnet {subnet.id} cidr")
        if network.version == vip.version and vip in network:
            prefix = network.prefixlen
    return str(ipaddress.ip_interface(f"{vip}/{prefix}"))


def _interface(name: str) -> str:
    if not _INTERFACE.match(name):
        raise InvalidInput(f"{name!r} is not an interface name")
    return name


def _auth_pass(value: str) -> str:
    if not _AUTH_PASS.match(value):
        raise InvalidInput("the VRRP password must be 1 to 8 letters or digits")
    return value


def _at_least_one(value: int, what: str) -> int:
    return _in_range(value, 1, 2**31 - 1, what)


def _in_range(value: int | None, low: int, high: int, what: str) -> int:
    if value is None or not low <= value <= high:
        raise InvalidInput(f"{what} {value} is not within {low}-{high}")
    return value
