"""Pools: defaults, attaching to listeners, session persistence rules, updates and deletes."""

from __future__ import annotations

from lbaas_stack import LBAAS, Stack, expect, fault

POOLS = f"{LBAAS}/pools"


def test_create_defaults_then_active_online(stack: Stack) -> None:
    lb = stack.create_lb()
    with stack.paused():
        pool = stack.create_pool(lb["id"], wait=False)
        assert (pool["provisioning_status"], pool["operating_status"]) == (
            "PENDING_CREATE", "OFFLINE")
    assert pool["name"] == "" and pool["description"] == ""
    assert pool["session_persistence"] is None
    assert pool["listeners"] == [] and pool["members"] == []
    assert pool["loadbalancers"] == [{"id": lb["id"]}]
    assert pool["healthmonitor_id"] is None
    assert pool["tls_enabled"] is False
    assert pool["protocol"] == "HTTP" and pool["lb_algorithm"] == "ROUND_ROBIN"
    assert pool["project_id"] == stack.project_a
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(f"{POOLS}/{pool['id']}"), 200)["pool"]
    assert (settled["provisioning_status"], settled["operating_status"]) == ("ACTIVE", "ONLINE")
    assert expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}"), 200)["loadbalancer"][
        "pools"] == [{"id": pool["id"]}]


def test_create_on_listener_sets_default_pool(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    with stack.paused():
        pool = stack.create_pool(lb["id"], listener_id=listener["id"], wait=False)
        shown = expect(stack.api.get(f"{LBAAS}/listeners/{listener['id']}"), 200)["listener"]
        assert shown["provisioning_status"] == "PENDING_UPDATE"
        assert shown["default_pool_id"] == pool["id"]
        lb_now = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}"), 200)
        assert lb_now["loadbalancer"]["provisioning_status"] == "PENDING_UPDATE"
    stack.wait_for(lb["id"])
    pool = expect(stack.api.get(f"{POOLS}/{pool['id']}"), 200)["pool"]
    assert pool["listeners"] == [{"id": listener["id"]}]
    assert pool["loadbalancers"] == [{"id": lb["id"]}]
    second = {"listener_id": listener["id"], "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}
    fault(stack.api.post(POOLS, json={"pool": second}), 409)


def test_needs_a_load_balancer_or_listener(stack: Stack) -> None:
    message = fault(stack.api.post(POOLS, json={"pool": {
        "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}}), 400)
    assert "loadbalancer_id" in message and "listener_id" in message


def test_validation_errors_are_400(stack: Stack) -> None:
    lb = stack.create_lb()
    base = {"loadbalancer_id": lb["id"], "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}
    for body in (
        {**base, "protocol": "FTP"},
        {**base, "lb_algorithm": "RANDOM"},
        {**base, "lb_algorithm": "SOURCE_IP_PORT"},
        {**base, "protocol": "UDP"},
        {**base, "session_persistence": {"type": "APP_COOKIE"}},
        {**base, "session_persistence": {"type": "HTTP_COOKIE", "cookie_name": "c"}},
        {**base, "session_persistence": {"type": "SOURCE_IP", "cookie_name": "c"}},
        {**base, "session_persistence": {"type": "APP_COOKIE", "cookie_name": "a b"}},
        {**base, "session_persistence": {"type": "APP_COOKIE", "cookie_name": "a;b"}},
        {**base, "session_persistence": {"type": "APP_COOKIE", "cookie_name": "x" * 256}},
        {**base, "session_persistence": {"type": "SOURCE_IP", "persistence_timeout": 10}},
        {**base, "session_persistence": {"type": "SOURCE_IP",
                                         "persistence_timeout": 10**30}},
        {**base, "session_persistence": {"type": "STICKY"}},
        {**base, "session_persistence": {"cookie_name": "c"}},
        {**base, "loadbalancer_id": "xyz"},
        {**base, "bogus": 1},
        {k: v for k, v in base.items() if k != "lb_algorithm"},
    ):
        fault(stack.api.post(POOLS, json={"pool": body}), 400)
    message = fault(stack.api.post(POOLS, json={"pool": {
        **base, "session_persistence": {"type": "APP_COOKIE"}}}), 400)
    assert "cookie_name" in message
    assert stack.wait_for(lb["id"])["pools"] == []


def test_session_persistence_kinds(stack: Stack) -> None:
    lb = stack.create_lb()
    app = stack.create_pool(lb["id"], session_persistence={"type": "APP_COOKIE",
                                                           "cookie_name": "JSESSIONID"})
    assert app["session_persistence"]["type"] == "APP_COOKIE"
    assert app["session_persistence"]["cookie_name"] == "JSESSIONID"
    source = stack.create_pool(lb["id"], algorithm="SOURCE_IP",
                               session_persistence={"type": "SOURCE_IP"})
    assert source["session_persistence"]["type"] == "SOURCE_IP"
    assert source["lb_algorithm"] == "SOURCE_IP"


def test_pool_protocol_must_fit_the_listener(stack: Stack) -> None:
    lb = stack.create_lb()
    http = stack.create_listener(lb["id"], protocol="HTTP", port=80)
    tcp = stack.create_listener(lb["id"], protocol="TCP", port=81)
    message = fault(stack.api.post(POOLS, json={"pool": {
        "listener_id": http["id"], "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}}), 400)
    assert message == ("The pool protocol 'TCP' is invalid while the listener protocol is "
                       "'HTTP'.")
    # A TCP listener may forward to an HTTP pool (Octavia's protocol map).
    stack.create_pool(lb["id"], listener_id=tcp["id"], protocol="HTTP")
    stack.create_pool(lb["id"], listener_id=http["id"], protocol="PROXY")


def test_update_keeps_persistence_type(stack: Stack) -> None:
    lb = stack.create_lb()
    pool = stack.create_pool(lb["id"], session_persistence={"type": "APP_COOKIE",
                                                            "cookie_name": "a"})
    path = f"{POOLS}/{pool['id']}"
    out = expect(stack.api.put(path, json={"pool": {
        "session_persistence": {"cookie_name": "b"}, "lb_algorithm": "LEAST_CONNECTIONS",
        "name": "renamed"}}), 200)["pool"]
    assert out["provisioning_status"] == "PENDING_UPDATE"
    assert out["session_persistence"]["type"] == "APP_COOKIE"
    assert out["session_persistence"]["cookie_name"] == "b"
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(path), 200)["pool"]
    assert settled["lb_algorithm"] == "LEAST_CONNECTIONS" and settled["name"] == "renamed"
    assert settled["provisioning_status"] == "ACTIVE"
    out = expect(stack.api.put(path, json={"pool": {"session_persistence": None}}), 200)
    assert out["pool"]["session_persistence"] is None
    stack.wait_for(lb["id"])


def test_bad_updates_are_400(stack: Stack) -> None:
    lb = stack.create_lb()
    pool = stack.create_pool(lb["id"])
    path = f"{POOLS}/{pool['id']}"
    for body in ({"pool": {}}, {}, {"pool": {"protocol": "TCP"}},
                 {"pool": {"lb_algorithm": "NOPE"}},
                 {"pool": {"session_persistence": {"type": "APP_COOKIE"}}},
                 {"pool": {"loadbalancer_id": lb["id"]}}):
        fault(stack.api.put(path, json=body), 400)
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_delete_pool_in_use_by_l7_policy_is_409(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"])
    policy = stack.create_policy(lb["id"], listener["id"], action="REDIRECT_TO_POOL",
                                 redirect_pool_id=pool["id"])
    message = fault(stack.api.delete(f"{POOLS}/{pool['id']}"), 409)
    assert pool["id"] in message
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    assert stack.api.delete(f"{LBAAS}/l7policies/{policy['id']}").status_code == 204
    stack.wait_for(lb["id"])
    assert stack.api.delete(f"{POOLS}/{pool['id']}").status_code == 204
    stack.wait_for(lb["id"])
    fault(stack.api.get(f"{POOLS}/{pool['id']}"), 404)


def test_delete_default_pool_takes_members_along(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"], listener_id=listener["id"])
    member = stack.create_member(lb["id"], pool["id"], address="10.91.0.77")
    stack.create_monitor(lb["id"], pool["id"])
    assert all("10.91.0.77" in (a.haproxy or "") for a in stack.agents.amphorae.values())
    with stack.paused():
        assert stack.api.delete(f"{POOLS}/{pool['id']}").status_code == 204
        shown = expect(stack.api.get(f"{POOLS}/{pool['id']}"), 200)["pool"]
        assert shown["provisioning_status"] == "PENDING_DELETE"
        fault(stack.api.delete(f"{POOLS}/{pool['id']}"), 409)
    stack.wait_for(lb["id"])
    fault(stack.api.get(f"{POOLS}/{pool['id']}"), 404)
    fault(stack.api.get(f"{POOLS}/{pool['id']}/members/{member['id']}"), 404)
    assert expect(stack.api.get(f"{LBAAS}/healthmonitors"), 200)["healthmonitors"] == []
    shown = expect(stack.api.get(f"{LBAAS}/listeners/{listener['id']}"), 200)["listener"]
    assert shown["default_pool_id"] is None
    assert all("10.91.0.77" not in (a.haproxy or "") for a in stack.agents.amphorae.values())


def test_changes_while_load_balancer_pending_are_409(stack: Stack) -> None:
    lb = stack.create_lb()
    pool = stack.create_pool(lb["id"])
    with stack.paused():
        expect(stack.api.put(f"{LBAAS}/loadbalancers/{lb['id']}", json={"loadbalancer": {
            "name": "busy"}}), 200)
        body = {"loadbalancer_id": lb["id"], "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}
        expected = f"Invalid state PENDING_UPDATE of loadbalancer resource {lb['id']}"
        assert fault(stack.api.post(POOLS, json={"pool": body}), 409) == expected
        assert fault(stack.api.put(f"{POOLS}/{pool['id']}", json={"pool": {
            "name": "x"}}), 409) == expected
        assert fault(stack.api.delete(f"{POOLS}/{pool['id']}"), 409) == expected
    stack.wait_for(lb["id"])
