"""openstacksdk against ``livia serve --driver fake``: the load-balancer proxy as users drive it.

No Keystone: ``auth_type="admin_token"`` sends the token to one endpoint for
every service (networks and load balancers), and ``load_balancer_endpoint_override``
makes keystoneauth discover the version on ``/v2.0`` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import openstack
import pytest
from livia_server import LiviaServer, make_server
from openstack.connection import Connection

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning",
                                        "ignore::DeprecationWarning")

WAIT = 30  # seconds for any load balancer to settle; the fake drivers take well under one
# The SDK annotates ``interval`` as int but sleeps any number; a tenth keeps the test fast.
POLL: Any = 0.1
T = TypeVar("T")


def found(value: T | None) -> T:
    """A find_* answer that must be there."""
    assert value is not None
    return value


@pytest.fixture(scope="module")
def conn(livia: LiviaServer) -> Iterator[Connection]:
    connection = openstack.connect(auth_type="admin_token",
                                   auth={"endpoint": livia.url, "token": livia.token})
    try:
        yield connection
    finally:
        connection.close()


def _subnet(conn: Connection, name: str, cidr: str) -> Any:
    net = conn.network.create_network(name=name)
    assert net.name == name and net.status == "ACTIVE"
    sub = conn.network.create_subnet(network_id=net.id, cidr=cidr, ip_version=4,
                                     name=f"{name}-subnet")
    assert sub.cidr == cidr and sub.network_id == net.id
    assert found(conn.network.find_subnet(f"{name}-subnet")).id == sub.id
    return sub


def _active(conn: Connection, lb_id: str) -> Any:
    lb = found(conn.load_balancer.wait_for_load_balancer(lb_id, interval=POLL, wait=WAIT))
    assert lb.provisioning_status == "ACTIVE"
    return lb


@dataclass
class Tree:
    lb: Any
    listener: Any
    pool: Any
    members: list[Any]
    monitor: Any
    policy: Any
    rule: Any


def _build(conn: Connection, subnet_id: str) -> Tree:
    lbs = conn.load_balancer
    lb = lbs.create_load_balancer(name="sdk-lb", vip_subnet_id=subnet_id)
    assert lb.provisioning_status == "PENDING_CREATE"
    lb = _active(conn, lb.id)
    assert lb.vip_address.startswith("10.60.0.")
    assert found(lbs.find_load_balancer("sdk-lb")).id == lb.id
    listener = lbs.create_listener(name="sdk-l1", protocol="HTTP", protocol_port=80,
                                   load_balancer_id=lb.id)
    _active(conn, lb.id)
    pool = lbs.create_pool(name="sdk-p1", protocol="HTTP", lb_algorithm="ROUND_ROBIN",
                           listener_id=listener.id)
    _active(conn, lb.id)
    members = []
    for name, address, weight in (("sdk-m1", "10.60.0.10", 1), ("sdk-m2", "10.60.0.11", 2)):
        members.append(lbs.create_member(pool, name=name, address=address, protocol_port=80,
                                         weight=weight, subnet_id=subnet_id))
        _active(conn, lb.id)
    monitor = lbs.create_health_monitor(name="sdk-hm", pool_id=pool.id, type="HTTP", delay=5,
                                        timeout=3, max_retries=3, url_path="/health")
    _active(conn, lb.id)
    policy = lbs.create_l7_policy(name="sdk-pol", listener_id=listener.id,
                                  action="REDIRECT_TO_URL", redirect_url="http://example.com/")
    _active(conn, lb.id)
    rule = lbs.create_l7_rule(policy, type="PATH", compare_type="STARTS_WITH",
                              rule_value="/old")
    _active(conn, lb.id)
    return Tree(lb, listener, pool, members, monitor, policy, rule)


def _check_found(conn: Connection, t: Tree) -> None:
    lbs = conn.load_balancer
    assert found(lbs.find_listener("sdk-l1")).id == t.listener.id
    assert found(lbs.find_pool("sdk-p1")).id == t.pool.id
    assert found(lbs.find_member("sdk-m2", t.pool)).id == t.members[1].id
    assert found(lbs.find_health_monitor("sdk-hm")).id == t.monitor.id
    assert found(lbs.find_l7_policy("sdk-pol")).id == t.policy.id
    assert found(lbs.find_l7_rule(t.rule.id, t.policy)).rule_value == "/old"
    assert lbs.find_listener("no-such-listener") is None
    pool = lbs.get_pool(t.pool)
    assert pool.listeners == [{"id": t.listener.id}]
    assert pool.health_monitor_id == t.monitor.id
    assert sorted(m["id"] for m in pool.members) == sorted(m.id for m in t.members)


def _ids(items: Any) -> list[str]:
    return [x.id for x in items]


def _check_filters(conn: Connection, t: Tree) -> None:
    lbs = conn.load_balancer
    assert _ids(lbs.load_balancers(name="sdk-lb")) == [t.lb.id]
    assert _ids(lbs.load_balancers(name="other")) == []
    assert _ids(lbs.listeners(protocol_port=80, load_balancer_id=t.lb.id)) == [t.listener.id]
    assert _ids(lbs.listeners(protocol_port=81)) == []
    assert _ids(lbs.pools(lb_algorithm="ROUND_ROBIN", name="sdk-p1")) == [t.pool.id]
    assert _ids(lbs.pools(lb_algorithm="LEAST_CONNECTIONS")) == []
    assert _ids(lbs.members(t.pool, weight=2)) == [t.members[1].id]
    assert _ids(lbs.members(t.pool, address="10.60.0.10")) == [t.members[0].id]
    assert _ids(lbs.health_monitors(type="HTTP", pool_id=t.pool.id)) == [t.monitor.id]
    assert _ids(lbs.health_monitors(type="PING")) == []
    assert _ids(lbs.l7_policies(action="REDIRECT_TO_URL", listener_id=t.listener.id)) == [
        t.policy.id]
    assert _ids(lbs.l7_rules(t.policy, type="PATH")) == [t.rule.id]
    assert _ids(lbs.l7_rules(t.policy, type="HEADER")) == []
    amphorae = [a for a in lbs.amphorae(loadbalancer_id=t.lb.id) if a.status == "ALLOCATED"]
    assert sorted(a.role for a in amphorae) == ["BACKUP", "MASTER"]


def _check_updates(conn: Connection, t: Tree) -> None:
    lbs = conn.load_balancer
    lid = t.lb.id
    lbs.update_load_balancer(t.lb, description="via the SDK")
    assert _active(conn, lid).description == "via the SDK"
    lbs.update_listener(t.listener, connection_limit=500)
    _active(conn, lid)
    assert lbs.get_listener(t.listener).connection_limit == 500
    lbs.update_pool(t.pool, lb_algorithm="LEAST_CONNECTIONS")
    _active(conn, lid)
    assert lbs.get_pool(t.pool).lb_algorithm == "LEAST_CONNECTIONS"
    lbs.update_member(t.members[0], t.pool, weight=7)
    _active(conn, lid)
    assert lbs.get_member(t.members[0], t.pool).weight == 7
    lbs.update_health_monitor(t.monitor, delay=9)
    _active(conn, lid)
    assert lbs.get_health_monitor(t.monitor).delay == 9
    lbs.update_l7_policy(t.policy, redirect_url="http://example.org/")
    _active(conn, lid)
    assert lbs.get_l7_policy(t.policy).redirect_url == "http://example.org/"
    lbs.update_l7_rule(t.rule, t.policy, rule_value="/older")
    _active(conn, lid)
    rule = lbs.get_l7_rule(t.rule, t.policy)
    assert rule.rule_value == "/older" and rule.provisioning_status == "ACTIVE"


def _check_deletes(conn: Connection, t: Tree) -> None:
    lbs = conn.load_balancer
    lid = t.lb.id
    lbs.delete_l7_rule(t.rule, t.policy)
    _active(conn, lid)
    assert _ids(lbs.l7_rules(t.policy)) == []
    lbs.delete_health_monitor(t.monitor)
    _active(conn, lid)
    assert lbs.get_pool(t.pool).health_monitor_id is None
    lbs.delete_member(t.members[1], t.pool)
    _active(conn, lid)
    assert _ids(lbs.members(t.pool)) == [t.members[0].id]
    lbs.delete_l7_policy(t.policy)
    _active(conn, lid)
    assert lbs.find_l7_policy("sdk-pol") is None
    lbs.delete_load_balancer(t.lb, cascade=True)
    lbs.wait_for_delete(t.lb, interval=POLL, wait=WAIT)
    assert lbs.find_load_balancer("sdk-lb") is None
    assert _ids(lbs.listeners(load_balancer_id=lid)) == []
    assert lbs.find_pool("sdk-p1") is None


def test_load_balancer_lifecycle(conn: Connection) -> None:
    subnet = _subnet(conn, "sdk-net", "10.60.0.0/24")
    tree = _build(conn, subnet.id)
    _check_found(conn, tree)
    _check_filters(conn, tree)
    _check_updates(conn, tree)
    _check_deletes(conn, tree)


def _list_requests(records: list[logging.LogRecord], path: str) -> int:
    return sum(1 for r in records if "GET" in r.getMessage() and path in r.getMessage()
               and "REQ:" in r.getMessage())


def test_pagination_follows_the_links(conn: Connection, livia: LiviaServer,
                                      caplog: pytest.LogCaptureFixture) -> None:
    """Seven members in one batch call; the SDK reads them three at a time, following
    ``members_links``; and four load balancers two at a time."""
    subnet = _subnet(conn, "sdk-pages", "10.61.0.0/24")
    lbs = conn.load_balancer
    lb = lbs.create_load_balancer(name="sdk-pages-lb", vip_subnet_id=subnet.id, listeners=[{
        "name": "pages-l", "protocol": "HTTP", "protocol_port": 80,
        "default_pool": {"name": "pages-p", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"},
    }])
    extra = [lbs.create_load_balancer(name=f"sdk-pages-{i}", vip_subnet_id=subnet.id)
             for i in range(3)]
    for one in (lb, *extra):
        _active(conn, one.id)
    pool = found(lbs.find_pool("pages-p"))
    wanted = {f"10.61.0.{10 + i}" for i in range(7)}
    livia.api("PUT", f"/v2/lbaas/pools/{pool.id}/members", {"members": [
        {"address": a, "protocol_port": 80} for a in sorted(wanted)]}, expect=(202,))
    _active(conn, lb.id)
    first_page = livia.api("GET", f"/v2/lbaas/pools/{pool.id}/members?limit=3")
    assert len(first_page["members"]) == 3
    assert [link["rel"] for link in first_page["members_links"]] == ["next"]

    with caplog.at_level(logging.DEBUG, logger="keystoneauth.session"):
        caplog.clear()
        members = list(lbs.members(pool, limit=3, paginated=True))
        member_pages = _list_requests(caplog.records, f"/pools/{pool.id}/members")
        caplog.clear()
        listed_lbs = list(lbs.load_balancers(limit=2, paginated=True))
        lb_pages = _list_requests(caplog.records, "/lbaas/loadbalancers")
    assert sorted(m.address for m in members) == sorted(wanted)
    assert len({m.id for m in members}) == 7
    assert member_pages >= 3, caplog.text
    every_lb = livia.api("GET", "/v2/lbaas/loadbalancers")["loadbalancers"]
    assert sorted(_ids(listed_lbs)) == sorted(x["id"] for x in every_lb)
    assert len(every_lb) >= 4 and lb_pages >= 2, caplog.text
    for one in (lb, *extra):
        lbs.delete_load_balancer(one, cascade=True)
    for one in (lb, *extra):
        lbs.wait_for_delete(one, interval=POLL, wait=WAIT)


def _override_round_trip(server: LiviaServer, c: Connection) -> None:
    _, subnet = server.network("override-net", "10.62.0.0/24")
    try:
        lb = c.load_balancer.create_load_balancer(name="override-lb", vip_subnet_id=subnet)
        lb = found(c.load_balancer.wait_for_load_balancer(lb.id, interval=POLL, wait=WAIT))
        assert lb.provisioning_status == "ACTIVE" and lb.vip_subnet_id == subnet
        assert found(c.load_balancer.find_load_balancer("override-lb")).id == lb.id
        c.load_balancer.delete_load_balancer(lb, cascade=True)
        c.load_balancer.wait_for_delete(lb, interval=POLL, wait=WAIT)
        assert c.load_balancer.find_load_balancer("override-lb") is None
    finally:
        c.close()


def test_endpoint_override_with_admin_token(livia: LiviaServer) -> None:
    """``load_balancer_endpoint_override=<url>/v2.0``: keystoneauth reads Livia's version
    document there, then sends the token to the load-balancer API."""
    _override_round_trip(livia, openstack.connect(
        auth_type="admin_token", auth={"endpoint": livia.url, "token": livia.token},
        load_balancer_endpoint_override=livia.url + "/v2.0"))


@pytest.fixture
def no_auth_server(tmp_path: Path) -> Iterator[LiviaServer]:
    yield from make_server(tmp_path, extra_args=["--no-auth"])


def test_endpoint_override_without_auth(no_auth_server: LiviaServer) -> None:
    """``auth_type="none"`` sends no token at all: a ``--no-auth`` server takes it as admin."""
    _override_round_trip(no_auth_server, openstack.connect(
        auth_type="none", load_balancer_endpoint_override=no_auth_server.url + "/v2.0"))
