"""What render_keepalived writes, what it refuses, and that keepalived -t can fail."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from render_checks import keepalived_check
from render_graphs import GraphFactory, amphora_of
from render_scenarios import seed

from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.errors import InvalidInput
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.settings import Settings
from livia.domain.status import AmphoraRole, AmphoraStatus, Topology
from livia.render.keepalived import (
    KeepalivedOptions,
    keepalived_view,
    render_keepalived,
    vrrp_peer_addresses,
)

PATHS = AmphoraPaths("/var/lib/livia/amphorae/test")


def options(**over: object) -> KeepalivedOptions:
    base = KeepalivedOptions.from_settings(Settings(), PATHS, "s3cret")
    return replace(base, **over)  # type: ignore[arg-type]


def roles(graph: LoadBalancerGraph) -> tuple[Amphora, Amphora]:
    return amphora_of(graph, AmphoraRole.MASTER), amphora_of(graph, AmphoraRole.BACKUP)


def test_settings_map_onto_the_instance(factory: GraphFactory) -> None:
    graph = seed(factory)
    master = amphora_of(graph, AmphoraRole.MASTER)
    view = keepalived_view(graph, master, options())
    assert (view.vrrp_version, view.advert_int, view.auth_pass) == (3, "0.1", None)
    assert view.check_interval == 1  # 0.1 s rounded up: keepalived takes whole seconds
    assert (view.fall, view.rise, view.garp_refresh, view.garp_refresh_repeat) == (2, 2, 5, 2)
    assert (view.priority, view.virtual_router_id) == (100, 1)
    assert (view.source_ip, view.peers, view.vip) == (
        "198.18.0.10",
        ("198.18.0.11",),
        "198.18.0.3/24",
    )
    assert view.notify_script == PATHS.keepalived_notify_script
    assert view.check_script == PATHS.keepalived_check_script


@pytest.mark.parametrize(("interval", "expected"), [(0.1, 1), (1, 1), (2.5, 3), (5, 5)])
def test_check_interval_is_rounded_up_to_whole_seconds(
    factory: GraphFactory, interval: float, expected: int
) -> None:
    graph = seed(factory)
    view = keepalived_view(graph, graph.amphorae[0], options(check_interval=interval))
    assert view.check_interval == expected


def test_single_topology_has_no_keepalived(factory: GraphFactory) -> None:
    graph = replace(seed(factory), amphorae=())
    graph = replace(graph, loadbalancer=replace(graph.loadbalancer, topology=Topology.SINGLE))
    amphora = amphora_of(seed(GraphFactory()), AmphoraRole.MASTER)
    with pytest.raises(InvalidInput, match="no keepalived"):
        render_keepalived(graph, amphora, options())


def test_peers_being_deleted_are_left_out_and_none_left_is_refused(
    factory: GraphFactory,
) -> None:
    graph = seed(factory)
    master, backup = roles(graph)
    booting = replace(backup, status=AmphoraStatus.BOOTING)
    assert vrrp_peer_addresses(replace(graph, amphorae=(master, booting)), master) == (
        "198.18.0.11",
    )
    leaving = replace(backup, status=AmphoraStatus.PENDING_DELETE)
    alone = replace(graph, amphorae=(master, leaving))
    assert vrrp_peer_addresses(alone, master) == ()
    with pytest.raises(InvalidInput, match="no VRRP peer"):
        render_keepalived(alone, master, options())


def test_vrrp2_needs_a_usable_password_and_vrrp3_ignores_it(factory: GraphFactory) -> None:
    graph = seed(factory)
    amphora = graph.amphorae[0]
    for bad in ("", "toolongpass", "sp ace", 'q"uote'):
        with pytest.raises(InvalidInput):
            render_keepalived(graph, amphora, options(advert_int=1, auth_pass=bad))
        assert "authentication" not in render_keepalived(graph, amphora, options(auth_pass=bad))


def test_ipv6_always_uses_vrrp3(factory: GraphFactory) -> None:
    factory.vip, factory.cidr = "2001:db8::3", "2001:db8::/64"
    graph = factory.graph(vrrp_ips=("2001:db8::10", "2001:db8::11"))
    view = keepalived_view(graph, graph.amphorae[0], options(advert_int=1))
    assert (view.vrrp_version, view.auth_pass, view.vip) == (3, None, "2001:db8::3/64")


@pytest.mark.parametrize("advert", [0.0, 0.001, 41.0 + 0.5, 300.0])
def test_advert_intervals_vrrp_cannot_carry_are_refused(
    factory: GraphFactory, advert: float
) -> None:
    graph = seed(factory)
    with pytest.raises(InvalidInput):
        render_keepalived(graph, graph.amphorae[0], options(advert_int=advert))


def test_vip_and_vrrp_address_must_share_a_family(factory: GraphFactory) -> None:
    graph = factory.graph(vrrp_ips=("2001:db8::10", "2001:db8::11"))
    with pytest.raises(InvalidInput, match="family"):
        render_keepalived(graph, graph.amphorae[0], options())


def test_vip_outside_the_subnet_gets_a_host_prefix(factory: GraphFactory) -> None:
    factory.cidr = "10.9.0.0/16"
    graph = factory.graph()
    assert keepalived_view(graph, graph.amphorae[0], options()).vip == "198.18.0.3/32"


def test_keepalived_check_fails_on_a_broken_file(
    factory: GraphFactory, amphora_paths: AmphoraPaths, tmp_path: Path, validation_netns: str
) -> None:
    graph = seed(factory)
    good = render_keepalived(graph, graph.amphorae[0], options(paths=amphora_paths))
    conf = tmp_path / "keepalived.conf"
    conf.write_text(good)
    assert keepalived_check(validation_netns, conf).returncode == 0

    conf.write_text(good.replace("    priority 100\n", "    prioritty 100\n"))
    checked = keepalived_check(validation_netns, conf)
    assert checked.returncode != 0
    assert "Unknown keyword 'prioritty'" in checked.output


def test_startup_delay_is_rendered_only_when_asked(factory: GraphFactory) -> None:
    graph = seed(factory)
    backup = amphora_of(graph, AmphoraRole.BACKUP)
    plain = render_keepalived(graph, backup, options())
    delayed = render_keepalived(graph, backup, options(startup_delay=1.0))
    assert "vrrp_startup_delay" not in plain
    assert "    vrrp_startup_delay 1\n" in delayed
    assert delayed.replace("    vrrp_startup_delay 1\n", "") == plain
    with pytest.raises(InvalidInput):
        render_keepalived(graph, backup, options(startup_delay=-1.0))


def test_keepalived_accepts_the_startup_delay(
    factory: GraphFactory, amphora_paths: AmphoraPaths, tmp_path: Path, validation_netns: str
) -> None:
    graph = seed(factory)
    text = render_keepalived(graph, amphora_of(graph, AmphoraRole.BACKUP),
                             options(paths=amphora_paths, startup_delay=1.5))
    conf = tmp_path / "keepalived.conf"
    conf.write_text(text)
    checked = keepalived_check(validation_netns, conf)
    assert checked.returncode == 0, checked.output
    assert "vrrp_startup_delay 1.5" in text
