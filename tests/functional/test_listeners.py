"""Listeners: defaults, port clashes, timeouts, headers, updates and the immutability rule."""

from __future__ import annotations

from lbaas_stack import LBAAS, Stack, expect, fault

LISTENERS = f"{LBAAS}/listeners"
DAY_MS = 24 * 60 * 60 * 1000


def test_create_defaults_then_active_online(stack: Stack) -> None:
    lb = stack.create_lb()
    with stack.paused():
        listener = stack.create_listener(lb["id"], wait=False)
        assert listener["provisioning_status"] == "PENDING_CREATE"
        assert listener["operating_status"] == "OFFLINE"
        shown = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}"), 200)
        assert shown["loadbalancer"]["provisioning_status"] == "PENDING_UPDATE"
    assert listener["name"] == "" and listener["description"] == ""
    assert listener["connection_limit"] == -1
    assert (listener["timeout_client_data"], listener["timeout_member_connect"],
            listener["timeout_member_data"], listener["timeout_tcp_inspect"]) == (
        50000, 5000, 50000, 0)
    assert listener["insert_headers"] == {}
    assert listener["allowed_cidrs"] is None
    assert listener["default_pool_id"] is None
    assert listener["l7policies"] == []
    assert listener["loadbalancers"] == [{"id": lb["id"]}]
    assert listener["project_id"] == stack.project_a
    assert listener["protocol"] == "HTTP" and listener["protocol_port"] == 80
    assert listener["updated_at"] is None
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(f"{LISTENERS}/{listener['id']}"), 200)["listener"]
    assert (settled["provisioning_status"], settled["operating_status"]) == ("ACTIVE", "ONLINE")
    lb_view = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}"), 200)["loadbalancer"]
    assert lb_view["listeners"] == [{"id": listener["id"]}]


def test_listener_reaches_the_amphorae(stack: Stack) -> None:
    lb = stack.create_lb()
    stack.create_listener(lb["id"], port=8123, protocol="TCP")
    configs = [a.haproxy or "" for a in stack.agents.amphorae.values()]
    assert len(configs) == 2
    assert all(":8123" in c for c in configs), configs[0]


def test_same_l4_port_twice_is_409(stack: Stack) -> None:
    lb = stack.create_lb()
    stack.create_listener(lb["id"], protocol="HTTP", port=80)
    for protocol in ("HTTP", "TCP", "HTTPS"):
        message = fault(stack.api.post(LISTENERS, json={"listener": {
            "loadbalancer_id": lb["id"], "protocol": protocol, "protocol_port": 80}}), 409)
        assert message == ("Another Listener on this Load Balancer is already using "
                           "protocol_port 80")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    # Another load balancer may use the same port.
    other = stack.create_lb()
    stack.create_listener(other["id"], protocol="HTTP", port=80)


def test_timeouts_bounded_by_24_days(stack: Stack) -> None:
    lb = stack.create_lb()
    base = {"loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}
    for name in ("timeout_client_data", "timeout_member_connect", "timeout_member_data",
                 "timeout_tcp_inspect"):
        for bad in (DAY_MS + 1, -1, 2**31, 10**30):
            message = fault(stack.api.post(LISTENERS, json={"listener": {**base,
                                                                         name: bad}}), 400)
            assert message.startswith(f"Invalid input for field/attribute {name}."), message
    ok = stack.create_listener(lb["id"], timeout_client_data=DAY_MS, timeout_member_connect=0)
    assert ok["timeout_client_data"] == DAY_MS and ok["timeout_member_connect"] == 0


def test_validation_errors_are_400(stack: Stack) -> None:
    lb = stack.create_lb()
    base = {"loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}
    bad_bodies = [
        {**base, "protocol": "GOPHER"},
        {**base, "protocol_port": 0},
        {**base, "protocol_port": 65536},
        {**base, "protocol_port": "eighty"},
        {**base, "connection_limit": -2},
        {**base, "connection_limit": 10**30},
        {**base, "loadbalancer_id": "not-a-uuid"},
        {**base, "unknown_field": True},
        {**base, "allowed_cidrs": ["10.0.0.0/33"]},
        {**base, "tls_versions": ["TLSv9"]},
        {**base, "default_tls_container_ref": "https://barbican/secret"},
        {**base, "hsts_max_age": 10**30},
        {**base, "name": "x" * 256},
        {k: v for k, v in base.items() if k != "protocol_port"},
        {k: v for k, v in base.items() if k != "protocol"},
    ]
    for body in bad_bodies:
        fault(stack.api.post(LISTENERS, json={"listener": body}), 400)
    message = fault(stack.api.post(LISTENERS, json={"listener": {
        k: v for k, v in base.items() if k != "protocol_port"}}), 400)
    assert "protocol_port" in message
    # Protocols this provider cannot serve are refused, not accepted and broken.
    for protocol in ("UDP", "SCTP", "TERMINATED_HTTPS"):
        fault(stack.api.post(LISTENERS, json={"listener": {**base, "protocol": protocol}}), 400)
    assert stack.wait_for(lb["id"])["listeners"] == []


def test_insert_headers_only_on_http(stack: Stack) -> None:
    lb = stack.create_lb()
    tcp = {"loadbalancer_id": lb["id"], "protocol": "TCP", "protocol_port": 81,
           "insert_headers": {"X-Forwarded-For": "true"}}
    message = fault(stack.api.post(LISTENERS, json={"listener": tcp}), 400)
    assert message == "['X-Forwarded-For'] is not a valid option for TCP protocol listener."
    ssl_header = {"loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80,
                  "insert_headers": {"X-SSL-Client-DN": "true"}}
    message = fault(stack.api.post(LISTENERS, json={"listener": ssl_header}), 400)
    assert message == "['X-SSL-Client-DN'] is not a valid option for HTTP protocol listener."
    fault(stack.api.post(LISTENERS, json={"listener": {**ssl_header, "insert_headers": {
        "X-Forwarded-For": ["true"]}}}), 400)
    pool = stack.create_pool(lb["id"])
    listener = stack.create_listener(lb["id"], default_pool_id=pool["id"], insert_headers={
        "X-Forwarded-For": "true", "X-Forwarded-Port": "true"})
    assert listener["insert_headers"] == {"X-Forwarded-For": "true", "X-Forwarded-Port": "true"}
    for amp in stack.agents.amphorae.values():
        assert "option forwardfor" in (amp.haproxy or "")
        assert "X-Forwarded-Port" in (amp.haproxy or "")


def test_allowed_cidrs_are_normalized(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"], allowed_cidrs=["10.5.0.7/16", "192.0.2.0/24"])
    assert listener["allowed_cidrs"] == ["10.5.0.0/16", "192.0.2.0/24"]


def test_update_and_reset_to_defaults(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    path = f"{LISTENERS}/{listener['id']}"
    out = expect(stack.api.put(path, json={"listener": {
        "name": "front", "connection_limit": 100, "timeout_client_data": 1000}}), 200)
    assert out["listener"]["provisioning_status"] == "PENDING_UPDATE"
    assert out["listener"]["name"] == "front" and out["listener"]["connection_limit"] == 100
    stack.wait_for(lb["id"])
    out = expect(stack.api.put(path, json={"listener": {
        "connection_limit": None, "timeout_client_data": None}}), 200)["listener"]
    assert out["connection_limit"] == -1 and out["timeout_client_data"] == 50000
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(path), 200)["listener"]
    assert settled["name"] == "front" and settled["provisioning_status"] == "ACTIVE"


def test_bad_updates_are_400(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    path = f"{LISTENERS}/{listener['id']}"
    for body in ({"listener": {}}, {}, {"listener": {"protocol": "TCP"}},
                 {"listener": {"protocol_port": 81}},
                 {"listener": {"timeout_member_data": DAY_MS + 1}},
                 {"listener": {"connection_limit": 2**31}},
                 {"listener": {"insert_headers": {"X-Bogus": "true"}}}):
        fault(stack.api.put(path, json=body), 400)
    fault(stack.api.put(path, content=b""), 400)
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_changes_while_load_balancer_pending_are_409(stack: Stack) -> None:
    with stack.paused():
        lb = stack.create_lb(wait=False)
        message = fault(stack.api.post(LISTENERS, json={"listener": {
            "loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}}), 409)
        assert message == f"Invalid state PENDING_CREATE of loadbalancer resource {lb['id']}"
    stack.wait_for(lb["id"])
    listener = stack.create_listener(lb["id"])
    with stack.paused():
        expect(stack.api.put(f"{LISTENERS}/{listener['id']}", json={"listener": {
            "name": "a"}}), 200)
        # The listener itself is now PENDING_UPDATE, and so is its load balancer.
        fault(stack.api.put(f"{LISTENERS}/{listener['id']}", json={"listener": {
            "name": "b"}}), 409)
        fault(stack.api.delete(f"{LISTENERS}/{listener['id']}"), 409)
        fault(stack.api.post(LISTENERS, json={"listener": {
            "loadbalancer_id": lb["id"], "protocol": "TCP", "protocol_port": 22}}), 409)
    stack.wait_for(lb["id"])
    assert expect(stack.api.get(f"{LISTENERS}/{listener['id']}"), 200)["listener"][
        "name"] == "a"


def test_delete_listener(stack: Stack) -> None:
    lb = stack.create_lb()
    keep = stack.create_listener(lb["id"], port=80)
    gone = stack.create_listener(lb["id"], port=8080)
    assert stack.api.delete(f"{LISTENERS}/{gone['id']}").status_code == 204
    stack.wait_for(lb["id"])
    fault(stack.api.get(f"{LISTENERS}/{gone['id']}"), 404)
    listed = expect(stack.api.get(LISTENERS), 200)["listeners"]
    assert [x["id"] for x in listed] == [keep["id"]]
    assert all(":8080" not in (a.haproxy or "") for a in stack.agents.amphorae.values())
    # Its port is free again.
    stack.create_listener(lb["id"], port=8080)


def test_default_pool_must_fit(stack: Stack) -> None:
    lb = stack.create_lb()
    tcp_pool = stack.create_pool(lb["id"], protocol="TCP")
    message = fault(stack.api.post(LISTENERS, json={"listener": {
        "loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80,
        "default_pool_id": tcp_pool["id"]}}), 400)
    assert message == ("The pool protocol 'TCP' is invalid while the listener protocol is "
                       "'HTTP'.")
    other_lb = stack.create_lb()
    foreign = stack.create_pool(other_lb["id"])
    fault(stack.api.post(LISTENERS, json={"listener": {
        "loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80,
        "default_pool_id": foreign["id"]}}), 404)
    listener = stack.create_listener(lb["id"], protocol="TCP", port=80,
                                     default_pool_id=tcp_pool["id"])
    assert listener["default_pool_id"] == tcp_pool["id"]
    pool = expect(stack.api.get(f"{LBAAS}/pools/{tcp_pool['id']}"), 200)["pool"]
    assert pool["listeners"] == [{"id": listener["id"]}]


def test_listener_stats_for_unknown_listener_is_404(stack: Stack) -> None:
    fault(stack.api.get(f"{LISTENERS}/00000000-0000-0000-0000-000000000000/stats"), 404)
    fault(stack.api.get(f"{LISTENERS}/nope/stats"), 404)
