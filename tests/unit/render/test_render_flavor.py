"""A flavor's data-plane keys in haproxy.cfg: worker threads and the per-listener cap."""

from __future__ import annotations

from pathlib import Path

from render_checks import haproxy_check
from render_graphs import GraphFactory

from livia.domain.amphorae import AmphoraPaths
from livia.domain.flavors import FlavorOptions
from livia.domain.listeners import ListenerProtocol
from livia.domain.status import Topology
from livia.render.haproxy import HaproxyOptions, haproxy_view, render_haproxy

OPTIONS = HaproxyOptions(AmphoraPaths("/var/lib/livia/amphorae/test"))


def test_threads_are_nbthread_in_global(factory: GraphFactory) -> None:
    factory.listener(ListenerProtocol.TCP, 80)
    graph = factory.graph(Topology.SINGLE, vrrp_ips=("198.18.0.10",),
                          flavor_options=FlavorOptions(haproxy_threads=4))
    text = render_haproxy(graph, graph.amphorae[0], OPTIONS)
    head = text.split("\nring ")[0]
    assert "\n    nbthread 4\n" in head


def test_without_a_flavor_haproxy_picks_its_threads(factory: GraphFactory) -> None:
    factory.listener(ListenerProtocol.TCP, 80)
    for options in (None, FlavorOptions()):
        graph = factory.graph(flavor_options=options)
        assert "nbthread" not in render_haproxy(graph, graph.amphorae[0], OPTIONS)


def test_listener_cap_is_the_default_and_the_ceiling(factory: GraphFactory) -> None:
    factory.listener(ListenerProtocol.TCP, 80)  # connection_limit -1
    factory.listener(ListenerProtocol.TCP, 81, connection_limit=100)
    factory.listener(ListenerProtocol.TCP, 82, connection_limit=5000)
    graph = factory.graph(flavor_options=FlavorOptions(max_listener_connections=1000))
    view = haproxy_view(graph, graph.amphorae[0], OPTIONS)
    by_port = {f.bind.rsplit(":", 1)[1]: f.maxconn for f in view.frontends}
    assert by_port == {"80": 1000, "81": 100, "82": 1000}
    assert view.global_.maxconn == 1000 + 100 + 1000 + OPTIONS.reserved_conns
    assert all(b.fullconn <= 1000 for b in view.backends)


def test_the_host_cap_still_bounds_a_larger_flavor_cap(factory: GraphFactory) -> None:
    factory.listener(ListenerProtocol.TCP, 80)
    graph = factory.graph(flavor_options=FlavorOptions(max_listener_connections=900_000))
    view = haproxy_view(graph, graph.amphorae[0], OPTIONS)
    assert [f.maxconn for f in view.frontends] == [OPTIONS.maxconn_cap]
    assert view.global_.maxconn == OPTIONS.maxconn_cap


def test_the_flavored_config_passes_haproxy_check(factory: GraphFactory,
                                                  amphora_paths: AmphoraPaths,
                                                  tmp_path: Path) -> None:
    pool = factory.pool()
    factory.member(pool, "198.18.0.50")
    factory.listener(ListenerProtocol.HTTP, 80, pool)
    graph = factory.graph(Topology.SINGLE, vrrp_ips=("198.18.0.10",),
                          flavor_options=FlavorOptions(haproxy_threads=2,
                                                       max_listener_connections=300))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy(graph, graph.amphorae[0], HaproxyOptions(amphora_paths)))
    assert haproxy_check(cfg, graph.amphorae[0].peer_name).returncode == 0
