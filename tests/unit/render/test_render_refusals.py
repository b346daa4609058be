"""An object that fails its checks is left out of the configuration, with what hangs on it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from render_checks import haproxy_check
from render_graphs import GraphFactory

from livia.domain import renderable
from livia.domain.amphorae import AmphoraPaths
from livia.domain.healthmonitors import MonitorType
from livia.domain.l7policies import L7Action
from livia.domain.l7rules import CompareType, L7RuleType
from livia.domain.status import ProvisioningStatus
from livia.render.haproxy import HaproxyOptions, render_haproxy


def _site(factory: GraphFactory) -> dict[str, str]:
    pool = factory.pool()
    other = factory.pool()
    listener = factory.listener(pool=pool)
    good = factory.member(pool, "198.18.0.20")
    bad = factory.member(pool, "198.18.0.21")
    factory.member(other, "198.18.0.22")
    monitor = factory.monitor(pool, MonitorType.HTTP)
    policy = factory.policy(listener, L7Action.REDIRECT_TO_POOL, 1, redirect_pool_id=other.id)
    rule = factory.rule(policy, L7RuleType.PATH, CompareType.STARTS_WITH, "/api")
    sibling = factory.rule(policy, L7RuleType.HOST_NAME, CompareType.EQUAL_TO, "example.com")
    return {"pool": pool.id, "other": other.id, "listener": listener.id, "good": good.id,
            "bad": bad.id, "monitor": monitor.id, "policy": policy.id, "rule": rule.id,
            "sibling": sibling.id}


def test_a_clean_graph_has_no_refusals(factory: GraphFactory) -> None:
    _site(factory)
    graph = factory.graph()
    assert renderable.refusals(graph) == {}
    assert renderable.without(graph, {}) == graph.live()


def test_refused_objects_and_what_hangs_on_them(factory: GraphFactory, tmp_path: Path,
                                                amphora_paths: AmphoraPaths) -> None:
    ids = _site(factory)
    factory.members[1] = replace(factory.members[1], address="169.254.169.254")
    factory.rules[0] = replace(factory.rules[0], compare_type=CompareType.REGEX, value="(?a)x")
    factory.monitors[0] = replace(factory.monitors[0], url_path="/health\n")
    graph = factory.graph()
    refused = renderable.refusals(graph)
    assert set(refused) == {ids["bad"], ids["rule"], ids["monitor"]}
    assert "PCRE2" in refused[ids["rule"]] and "url_path" in refused[ids["monitor"]]
    pruned = renderable.without(graph, refused)
    assert {m.id for m in pruned.members} == {ids["good"], factory.members[2].id}
    assert pruned.healthmonitors == () and pruned.l7policies == () and pruned.l7rules == ()
    assert [p.id for p in pruned.pools] == [ids["pool"], ids["other"]]
    text = render_haproxy(pruned, graph.amphorae[0], HaproxyOptions(paths=amphora_paths))
    assert ids["good"] in text and ids["bad"] not in text and ids["rule"] not in text
    assert "http-check" not in text
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    checked = haproxy_check(path, graph.amphorae[0].peer_name)
    assert checked.returncode == 0, checked.output


def test_a_refused_pool_takes_its_members_and_the_default_backend(factory: GraphFactory) -> None:
    ids = _site(factory)
    factory.pools[0] = replace(factory.pools[0], tls_versions=("TLSv9",))
    graph = factory.graph()
    refused = renderable.refusals(graph)
    assert set(refused) == {ids["pool"]}
    pruned = renderable.without(graph, refused)
    assert [li.default_pool_id for li in pruned.listeners] == [None]
    assert all(m.pool_id == ids["other"] for m in pruned.members)
    assert pruned.healthmonitors == ()
    assert [p.id for p in pruned.l7policies] == [ids["policy"]]  # it routes to the other pool


def test_a_refused_listener_takes_its_policies(factory: GraphFactory) -> None:
    ids = _site(factory)
    factory.listeners[0] = replace(factory.listeners[0], insert_headers={"X-Bogus": "true"})
    graph = factory.graph()
    refused = renderable.refusals(graph)
    assert set(refused) == {ids["listener"]}
    pruned = renderable.without(graph, refused)
    assert pruned.listeners == () and pruned.l7policies == () and pruned.l7rules == ()


def test_objects_being_deleted_are_not_judged(factory: GraphFactory) -> None:
    ids = _site(factory)
    factory.members[1] = replace(factory.members[1], address="169.254.169.254",
                                 provisioning_status=ProvisioningStatus.PENDING_DELETE)
    graph = factory.graph()
    assert renderable.refusals(graph) == {}
    assert ids["bad"] not in {m.id for m in renderable.without(graph, {}).members}
