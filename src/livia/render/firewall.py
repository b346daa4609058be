"""The nftables ruleset of an amphora's data namespace: the load balancer's security group.

Inbound traffic is dropped unless it is loopback, part of a connection the
amphora already has (answers to health checks, to the peers link...), VRRP or
the HAProxy peers link from the other amphora, IPv6 neighbour discovery, or
matched by an ingress rule of the load balancer's security group
(``graph.security_group_rules``: the ``lb-<id>`` group that follows the
listeners, plus the rules users add for ICMP, SSH...). Egress is not filtered:
the amphora only answers clients and talks to members, as Neutron's default
egress rules allow.

Rules with a ``remote_group_id`` and no prefix are not applied (this side does
not know the group's members): they are listed as comments, and their traffic
stays dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from livia.domain.amphorae import Amphora
from livia.domain.errors import InvalidInput
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.networks import (
    ICMP,
    ICMPV6,
    PORTED_PROTOCOLS,
    SecurityGroupRule,
    protocol_number,
)
from livia.domain.status import Topology
from livia.render.engine import render_template
from livia.render.keepalived import vrrp_peer_addresses
from livia.render.values import checked_id, checked_ip, checked_network, checked_port

_FAMILIES: dict[str, tuple[Literal["ipv4", "ipv6"], Literal["ip", "ip6"], int]] = {
    "IPv4": ("ipv4", "ip", 4),
    "IPv6": ("ipv6", "ip6", 6),
}
_TABLE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}\Z")


@dataclass(frozen=True, slots=True)
class FirewallOptions:
    peer_port: int = 1025
    table: str = "livia"


@dataclass(frozen=True, slots=True)
class PeerView:
    family: Literal["ip", "ip6"]
    address: str


@dataclass(frozen=True, slots=True)
class AcceptView:
    id: str
    nfproto: Literal["ipv4", "ipv6"]
    family: Literal["ip", "ip6"]
    source: str | None  # a prefix; None for any source
    l4proto: int | None
    dport: str | None  # "80" or "8000-8080"
    icmp: Literal["icmp", "icmpv6"] | None
    icmp_type: int | None
    icmp_code: int | None


@dataclass(frozen=True, slots=True)
class SkippedView:
    id: str
    reason: str


@dataclass(frozen=True, slots=True)
class FirewallView:
    table: str
    loadbalancer_id: str
    amphora_id: str
    peer_port: int
    peers: tuple[PeerView, ...]
    accepts: tuple[AcceptView, ...]
    skipped: tuple[SkippedView, ...]


def render_firewall(graph: LoadBalancerGraph, amphora: Amphora, options: FirewallOptions) -> str:
    return render_template("firewall.nft.j2", fw=firewall_view(graph, amphora, options))


def firewall_view(
    graph: LoadBalancerGraph, amphora: Amphora, options: FirewallOptions
) -> FirewallView:
    if not _TABLE.match(options.table):
        raise InvalidInput(f"{options.table!r} is not an nftables table name")
    accepts: list[AcceptView] = []
    skipped: list[SkippedView] = []
    for rule in sorted(graph.security_group_rules, key=lambda r: r.id):
        if rule.direction != "ingress":
            continue
        if rule.remote_group_id and not rule.remote_ip_prefix:
            skipped.append(SkippedView(checked_id(rule.id), "remote groups are not supported"))
            continue
        accepts.append(_accept(rule))
    return FirewallView(
        table=options.table,
        loadbalancer_id=checked_id(graph.loadbalancer.id, "load balancer id"),
        amphora_id=checked_id(amphora.id, "amphora id"),
        peer_port=checked_port(options.peer_port, "peer port"),
        peers=_peers(graph, amphora),
        accepts=tuple(accepts),
        skipped=tuple(skipped),
    )


def _peers(graph: LoadBalancerGraph, amphora: Amphora) -> tuple[PeerView, ...]:
    if graph.loadbalancer.topology is not Topology.ACTIVE_STANDBY:
        return ()
    return tuple(
        PeerView("ip6" if checked_ip(address, "peer").version == 6 else "ip", address)
        for address in vrrp_peer_addresses(graph, amphora)
    )


def _accept(rule: SecurityGroupRule) -> AcceptView:
    what = f"security group rule {rule.id}"
    if rule.ethertype not in _FAMILIES:
        raise InvalidInput(f"{what}: ethertype {rule.ethertype!r} is not IPv4 or IPv6")
    nfproto, family, version = _FAMILIES[rule.ethertype]
    l4proto = _protocol(rule.protocol, version, what)
    icmp: Literal["icmp", "icmpv6"] | None = None
    if l4proto in (ICMP, ICMPV6):
        icmp = "icmp" if l4proto == ICMP else "icmpv6"
    return AcceptView(
        id=checked_id(rule.id, "security group rule id"),
        nfproto=nfproto,
        family=family,
        source=_source(rule.remote_ip_prefix, version, what),
        l4proto=l4proto,
        dport=_ports(rule, what) if l4proto in PORTED_PROTOCOLS else None,
        icmp=icmp,
        icmp_type=_icmp_field(rule.port_range_min, what) if icmp else None,
        icmp_code=_icmp_field(rule.port_range_max, what) if icmp else None,
    )


def _protocol(protocol: str | None, version: int, what: str) -> int | None:
    number = protocol_number(protocol, "IPv6" if version == 6 else "IPv4")
    if version == 4 and number == ICMPV6:
        raise InvalidInput(f"{what}: ICMPv6 in an IPv4 rule")
    return number


def _source(prefix: str | None, version: int, what: str) -> str | None:
    if not prefix:
        return None
    network = checked_network(prefix, f"{what} remote_ip_prefix")
    if network.version != version:
        raise InvalidInput(f"{what}: remote_ip_prefix {prefix} is not of its ethertype")
    return None if network.prefixlen == 0 else str(network)


def _ports(rule: SecurityGroupRule, what: str) -> str | None:
    low, high = rule.port_range_min, rule.port_range_max
    if low is None and high is None:
        return None
    low = checked_port(low if low is not None else 1, f"{what} port_range_min")
    high = checked_port(high if high is not None else low, f"{what} port_range_max")
    if high < low:
        raise InvalidInput(f"{what}: port range {low}-{high} is empty")
    return str(low) if low == high else f"{low}-{high}"


def _icmp_field(value: int | None, what: str) -> int | None:
    if value is not None and not 0 <= value <= 255:
        raise InvalidInput(f"{what}: ICMP type/code {value} is not within 0-255")
    return value
