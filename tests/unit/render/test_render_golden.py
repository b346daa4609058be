"""Golden files for every scenario, each also accepted by the real daemon's config check."""

from __future__ import annotations

from pathlib import Path

import pytest
from render_checks import GoldenCheck, haproxy_check, keepalived_check, nft_check
from render_graphs import GraphFactory
from render_scenarios import SCENARIOS

from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.settings import Settings
from livia.domain.status import Topology
from livia.render.firewall import FirewallOptions, render_firewall
from livia.render.haproxy import HaproxyOptions, render_haproxy
from livia.render.keepalived import KeepalivedOptions, render_keepalived

GOLDEN_PATHS = AmphoraPaths("/var/lib/livia/amphorae/golden")
ACTIVE_STANDBY = sorted(
    name
    for name, build in SCENARIOS.items()
    if build(GraphFactory()).loadbalancer.topology is Topology.ACTIVE_STANDBY
)


def build(name: str) -> LoadBalancerGraph:
    return SCENARIOS[name](GraphFactory())


def keepalived_options(paths: AmphoraPaths, **settings: float) -> KeepalivedOptions:
    return KeepalivedOptions.from_settings(Settings(**settings), paths, "s3cret")  # type: ignore[arg-type]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_haproxy_cfg_matches_golden_and_passes_haproxy_check(
    name: str, golden: GoldenCheck, amphora_paths: AmphoraPaths, tmp_path: Path
) -> None:
    graph = build(name)
    amphora = graph.amphorae[0]
    golden(f"{name}.haproxy.cfg", render_haproxy(graph, amphora, HaproxyOptions(GOLDEN_PATHS)))

    text = render_haproxy(graph, amphora, HaproxyOptions(amphora_paths))
    checked = haproxy_check(write(tmp_path, "haproxy.cfg", text), amphora.peer_name)
    assert checked.returncode == 0, checked.output


@pytest.mark.parametrize("name", ACTIVE_STANDBY)
def test_keepalived_conf_matches_golden_and_passes_keepalived_check(
    name: str,
    golden: GoldenCheck,
    amphora_paths: AmphoraPaths,
    tmp_path: Path,
    validation_netns: str,
) -> None:
    graph = build(name)
    for amphora in graph.amphorae:
        suffix = "" if amphora.role is graph.amphorae[0].role else f".{amphora.role}"
        text = render_keepalived(graph, amphora, keepalived_options(GOLDEN_PATHS))
        if name == "seed" or not suffix:
            golden(f"{name}{suffix.lower()}.keepalived.conf", text)
        text = render_keepalived(graph, amphora, keepalived_options(amphora_paths))
        checked = keepalived_check(validation_netns, write(tmp_path, "keepalived.conf", text))
        assert checked.returncode == 0, checked.output


def test_whole_second_adverts_render_vrrp2_with_authentication(
    golden: GoldenCheck, amphora_paths: AmphoraPaths, tmp_path: Path, validation_netns: str
) -> None:
    graph = build("seed")
    master = graph.amphorae[0]
    text = render_keepalived(graph, master, keepalived_options(GOLDEN_PATHS, vrrp_advert_int=1.0))
    golden("seed_vrrp2.keepalived.conf", text)
    assert "vrrp_version 2" in text and "auth_pass s3cret" in text

    text = render_keepalived(graph, master, keepalived_options(amphora_paths, vrrp_advert_int=1))
    checked = keepalived_check(validation_netns, write(tmp_path, "keepalived.conf", text))
    assert checked.returncode == 0, checked.output


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_firewall_matches_golden_and_passes_nft_check(
    name: str, golden: GoldenCheck, tmp_path: Path, validation_netns: str
) -> None:
    graph = build(name)
    amphora: Amphora = graph.amphorae[0]
    text = render_firewall(graph, amphora, FirewallOptions())
    golden(f"{name}.nft", text)

    checked = nft_check(validation_netns, write(tmp_path, "firewall.nft", text))
    assert checked.returncode == 0, checked.output
