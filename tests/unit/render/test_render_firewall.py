"""The nftables ruleset: what it accepts, what it refuses, and that applying it is idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from render_checks import nft_check, run
from render_graphs import GraphFactory, amphora_of
from render_scenarios import security_groups, seed

from livia.domain.errors import InvalidInput
from livia.domain.status import AmphoraRole, AmphoraStatus
from livia.render.firewall import FirewallOptions, firewall_view, render_firewall

OPTIONS = FirewallOptions()


@pytest.fixture
def netns_without_table(validation_netns: str) -> Iterator[str]:
    try:
        yield validation_netns
    finally:
        run(["ip", "netns", "exec", validation_netns, "nft", "delete", "table", "inet", "livia"])


def test_applying_twice_gives_the_same_ruleset(
    factory: GraphFactory, tmp_path: Path, netns_without_table: str
) -> None:
    graph = security_groups(factory)
    rules = tmp_path / "firewall.nft"
    rules.write_text(render_firewall(graph, graph.amphorae[0], OPTIONS))
    apply = ["ip", "netns", "exec", netns_without_table, "nft", "-f", str(rules)]
    show = ["ip", "netns", "exec", netns_without_table, "nft", "list", "table", "inet", "livia"]

    assert run(apply).returncode == 0
    first = run(show).output
    assert run(apply).returncode == 0
    assert run(show).output == first
    assert "policy drop" in first
    assert first.count('accept comment "security group rule') == 10
    assert "ip saddr 198.18.0.11 meta l4proto vrrp accept" in first


def test_peer_rules_follow_the_other_amphora(factory: GraphFactory) -> None:
    graph = seed(factory)
    master, backup = amphora_of(graph, AmphoraRole.MASTER), amphora_of(graph, AmphoraRole.BACKUP)
    view = firewall_view(graph, master, FirewallOptions(peer_port=1111))
    assert [(p.family, p.address) for p in view.peers] == [("ip", "198.18.0.11")]
    assert "tcp dport 1111 accept" in render_firewall(
        graph, master, FirewallOptions(peer_port=1111)
    )

    leaving = replace(graph, amphorae=(master, replace(backup, status=AmphoraStatus.DELETED)))
    assert firewall_view(leaving, master, OPTIONS).peers == ()


def test_security_group_rules_map_to_matches(factory: GraphFactory) -> None:
    graph = security_groups(factory)
    view = firewall_view(graph, graph.amphorae[0], OPTIONS)
    found = {
        (a.nfproto, a.source, a.l4proto, a.dport, a.icmp_type, a.icmp_code) for a in view.accepts
    }
    assert ("ipv4", "198.18.0.0/15", 6, "22", None, None) in found
    assert ("ipv4", "10.0.0.0/8", 1, None, 8, 0) in found
    assert ("ipv4", None, 17, "5000-5100", None, None) in found
    assert ("ipv4", None, 17, "53", None, None) in found
    assert ("ipv4", "192.0.2.0/24", None, None, None, None) in found
    assert ("ipv6", None, 58, None, None, None) in found
    assert ("ipv6", "fe80::/10", 58, None, 135, None) in found  # "icmp" in IPv6 is ICMPv6
    assert ("ipv4", None, 47, None, None, None) in found
    assert [s.reason for s in view.skipped] == ["remote groups are not supported"]
    assert len(view.accepts) == 10  # the egress rule is not an input rule


@pytest.mark.parametrize(
    "over",
    [
        {"protocol": "bogus"},
        {"protocol": "256"},
        {"protocol": "icmpv6"},  # in an IPv4 rule
        {"ethertype": "IPv5"},
        {"remote_ip_prefix": "2001:db8::/32"},  # in an IPv4 rule
        {"remote_ip_prefix": "10.0.0.0/33"},
        {"port_range_min": 90, "port_range_max": 80},
        {"port_range_min": 0, "port_range_max": 80},
        {"protocol": "icmp", "port_range_min": 300},
    ],
)
def test_rules_that_cannot_be_expressed_are_refused(
    factory: GraphFactory, over: dict[str, object]
) -> None:
    rule = factory.sg_rule("tcp", 80, 80)
    graph = factory.graph()
    bad = replace(graph, security_group_rules=(replace(rule, **over),))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        render_firewall(bad, graph.amphorae[0], OPTIONS)


def test_table_names_are_checked(factory: GraphFactory) -> None:
    graph = factory.graph()
    with pytest.raises(InvalidInput):
        render_firewall(graph, graph.amphorae[0], FirewallOptions(table="x; flush ruleset"))


def test_nft_check_fails_on_a_broken_ruleset(
    factory: GraphFactory, tmp_path: Path, validation_netns: str
) -> None:
    graph = seed(factory)
    text = render_firewall(graph, graph.amphorae[0], OPTIONS)
    rules = tmp_path / "firewall.nft"
    rules.write_text(
        text.replace("ct state established,related accept", "ct state establishd accept")
    )
    checked = nft_check(validation_netns, rules)
    assert checked.returncode != 0
    assert "establishd" in checked.output
