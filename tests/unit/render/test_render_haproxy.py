"""What render_haproxy puts in (and keeps out of) haproxy.cfg."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from render_checks import haproxy_check
from render_graphs import GraphFactory, amphora_of
from render_scenarios import seed, seed_pool

from livia.domain.amphorae import AmphoraPaths
from livia.domain.errors import InvalidInput
from livia.domain.healthmonitors import MonitorType
from livia.domain.l7policies import L7Action
from livia.domain.l7rules import CompareType, L7RuleType
from livia.domain.listeners import ListenerProtocol
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.pools import LbAlgorithm, PersistenceType, PoolProtocol, SessionPersistence
from livia.domain.status import AmphoraRole, AmphoraStatus, ProvisioningStatus, Topology
from livia.render.haproxy import HaproxyOptions, haproxy_view, render_haproxy

PATHS = AmphoraPaths("/var/lib/livia/amphorae/test")
OPTIONS = HaproxyOptions(PATHS)
GONE = ProvisioningStatus.PENDING_DELETE


def render(graph: LoadBalancerGraph, options: HaproxyOptions = OPTIONS) -> str:
    return render_haproxy(graph, graph.amphorae[0], options)


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_a_member_being_deleted_is_not_rendered(
    factory: GraphFactory, amphora_paths: AmphoraPaths, tmp_path: Path
) -> None:
    graph = seed(factory)
    leaving, staying = graph.members
    graph = replace(graph, members=(replace(leaving, provisioning_status=GONE), staying))

    text = render(graph)

    assert leaving.id not in text and leaving.address not in text
    assert f"server {staying.id} {staying.address}:80 weight 2" in text
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render(graph, HaproxyOptions(amphora_paths)))
    assert haproxy_check(cfg, graph.amphorae[0].peer_name).returncode == 0


def test_listeners_pools_and_policies_being_deleted_leave_the_config(
    factory: GraphFactory,
) -> None:
    default, target = factory.pool(), factory.pool()
    kept = factory.listener(ListenerProtocol.HTTP, 80, default)
    leaving = factory.listener(ListenerProtocol.HTTP, 81, default)
    policy = factory.policy(kept, L7Action.REDIRECT_TO_POOL, 1, redirect_pool_id=target.id)
    rule = factory.rule(policy, L7RuleType.PATH, CompareType.STARTS_WITH, "/img")
    graph = factory.graph()
    graph = replace(
        graph,
        listeners=(kept, replace(leaving, provisioning_status=GONE)),
        pools=(default, replace(target, provisioning_status=GONE)),
    )

    text = render(graph)

    assert f"frontend {kept.id}" in text
    assert leaving.id not in text and target.id not in text
    assert policy.id not in text and rule.id not in text


def test_global_maxconn_sums_enabled_listeners_and_is_capped(factory: GraphFactory) -> None:
    pool = factory.pool()
    factory.listener(ListenerProtocol.HTTP, 80, pool, connection_limit=100)
    factory.listener(ListenerProtocol.TCP, 81, connection_limit=200)
    factory.listener(ListenerProtocol.TCP, 82, connection_limit=5000, admin_state_up=False)
    graph = factory.graph()

    view = haproxy_view(graph, graph.amphorae[0], OPTIONS)
    assert view.global_.maxconn == 100 + 200 + OPTIONS.reserved_conns
    assert [f.maxconn for f in view.frontends] in ([100, 200], [200, 100])
    assert view.backends[0].fullconn == 100

    unlimited = replace(
        graph, listeners=tuple(replace(li, connection_limit=-1) for li in graph.listeners)
    )
    view = haproxy_view(unlimited, graph.amphorae[0], OPTIONS)
    assert view.global_.maxconn == OPTIONS.maxconn_cap
    assert all(f.maxconn == OPTIONS.maxconn_cap for f in view.frontends)


def test_policies_are_written_in_the_order_haproxy_runs_them(factory: GraphFactory) -> None:
    default, other = factory.pool(), factory.pool()
    listener = factory.listener(ListenerProtocol.HTTP, 80, default)
    rules = {}
    for position, action, extra in (
        (1, L7Action.REDIRECT_TO_POOL, {"redirect_pool_id": other.id}),
        (2, L7Action.REDIRECT_PREFIX, {"redirect_prefix": "https://b.example"}),
        (3, L7Action.REJECT, {}),
        (4, L7Action.REDIRECT_TO_URL, {"redirect_url": "https://a.example"}),
        (5, L7Action.REJECT, {}),
    ):
        policy = factory.policy(listener, action, position, **extra)
        rules[position] = factory.rule(
            policy, L7RuleType.PATH, CompareType.EQUAL_TO, f"/{position}"
        )
    text = lines(render(factory.graph()))

    actions = [line for line in text if line.startswith(("http-request deny", "redirect", "use_"))]
    assert [line.split()[-1] for line in actions] == [
        rules[3].id,
        rules[5].id,
        rules[2].id,
        rules[4].id,
        rules[1].id,
    ]


def test_peers_list_allocated_amphorae_and_always_the_one_rendered_for(
    factory: GraphFactory,
) -> None:
    seed_pool(factory, LbAlgorithm.ROUND_ROBIN)
    graph = factory.graph()
    master, backup = (amphora_of(graph, r) for r in (AmphoraRole.MASTER, AmphoraRole.BACKUP))
    booting = replace(backup, status=AmphoraStatus.BOOTING)
    graph = replace(graph, amphorae=(master, booting))

    for_master = haproxy_view(graph, master, OPTIONS).peers
    for_backup = haproxy_view(graph, booting, OPTIONS).peers

    assert for_master is not None and for_backup is not None
    assert [p.name for p in for_master.peers] == [master.peer_name]
    assert {p.name for p in for_backup.peers} == {master.peer_name, booting.peer_name}


def test_master_and_backup_get_the_same_file(factory: GraphFactory) -> None:
    graph = seed(factory)
    master, backup = (amphora_of(graph, r) for r in (AmphoraRole.MASTER, AmphoraRole.BACKUP))
    assert render_haproxy(graph, master, OPTIONS) == render_haproxy(graph, backup, OPTIONS)


def test_single_topology_has_no_peers(factory: GraphFactory) -> None:
    pool = factory.pool(persistence=PersistenceType.SOURCE_IP)
    factory.listener(ListenerProtocol.HTTP, 80, pool)
    text = render(factory.graph(topology=Topology.SINGLE, vrrp_ips=("198.18.0.10",)))
    assert "peers" not in text
    assert "stick-table type ip size 10k\n" in text


def test_expected_codes_become_status_or_a_regex(factory: GraphFactory) -> None:
    pool = factory.pool()
    factory.listener(ListenerProtocol.HTTP, 80, pool)
    factory.monitor(pool, MonitorType.HTTP, expected_codes="200-202")
    graph = factory.graph()
    assert 'http-check expect rstatus "^(200|201|202)\\$"' in render(graph)

    for codes in ("abc", "200-", "99", "600", "2000"):
        bad = replace(
            graph, healthmonitors=(replace(graph.healthmonitors[0], expected_codes=codes),)
        )
        with pytest.raises(InvalidInput):
            render(bad)


def test_options_can_drop_logging_and_privilege_drop(factory: GraphFactory) -> None:
    seed_pool(factory)
    graph = factory.graph()
    text = render(graph, HaproxyOptions(PATHS, connection_logging=False, user=None, group=None))
    assert "no log" in lines(text)
    assert "option httplog" not in text and "user " not in text and "group " not in text


def test_ping_monitors_turn_external_checks_on(factory: GraphFactory) -> None:
    graph = seed(factory)
    text = lines(render(graph))
    assert "external-check" in text and "insecure-fork-wanted" in text
    assert f"external-check command {PATHS.ping_wrapper}" in text

    without = replace(graph, healthmonitors=())
    assert "insecure-fork-wanted" not in render(without)


@pytest.mark.parametrize("bad_key", ["X Foo", "X-Foo)", "a,b", "a#b", "a'b", "", None])
def test_header_names_that_could_escape_the_fetch_are_refused(
    factory: GraphFactory, bad_key: str | None
) -> None:
    pool = factory.pool()
    listener = factory.listener(ListenerProtocol.HTTP, 80, pool)
    policy = factory.policy(listener, L7Action.REJECT, 1)
    factory.rule(policy, L7RuleType.HEADER, CompareType.EQUAL_TO, "v", key=bad_key)
    with pytest.raises(InvalidInput):
        render(factory.graph())


def test_what_haproxy_cannot_serve_is_refused(factory: GraphFactory) -> None:
    pool = factory.pool()
    factory.listener(ListenerProtocol.HTTP, 80, pool)
    graph = factory.graph()
    (listener,) = graph.listeners
    cookie = SessionPersistence(PersistenceType.HTTP_COOKIE)
    refused = [
        replace(graph, listeners=(replace(listener, protocol=ListenerProtocol.UDP),)),
        replace(graph, pools=(replace(pool, lb_algorithm=LbAlgorithm.SOURCE_IP_PORT),)),
        replace(graph, pools=(replace(pool, protocol=PoolProtocol.TCP),)),  # under an HTTP listener
        replace(
            graph,
            listeners=(replace(listener, protocol=ListenerProtocol.TCP),),
            pools=(replace(pool, protocol=PoolProtocol.TCP, session_persistence=cookie),),
        ),
        replace(graph, healthmonitors=(factory.monitor(pool, MonitorType.UDP_CONNECT),)),
    ]
    for bad in refused:
        with pytest.raises(InvalidInput):
            render(bad)


def test_l7_policies_on_a_tcp_listener_are_refused(factory: GraphFactory) -> None:
    listener = factory.listener(ListenerProtocol.TCP, 80)
    policy = factory.policy(listener, L7Action.REJECT, 1)
    factory.rule(policy, L7RuleType.PATH, CompareType.EQUAL_TO, "/")
    with pytest.raises(InvalidInput):
        render(factory.graph())


def test_the_check_fails_on_a_broken_config(
    factory: GraphFactory, amphora_paths: AmphoraPaths, tmp_path: Path
) -> None:
    """The validator the goldens rely on does reject bad files."""
    graph = seed(factory)
    text = render(graph, HaproxyOptions(amphora_paths))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text.replace("    balance source\n", "    balance sorce\n"))
    checked = haproxy_check(cfg, graph.amphorae[0].peer_name)
    assert checked.returncode != 0
    assert "balance only supports" in checked.output
