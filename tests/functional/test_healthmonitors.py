"""Health monitors: HTTP defaults, member status, limits (2^31, 24 days), patterns, one per pool."""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault

MONITORS = f"{LBAAS}/healthmonitors"


def _pool(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    return lb, stack.create_pool(lb["id"], listener_id=listener["id"])


def _body(pool_id: str, **fields: Any) -> dict[str, Any]:
    return {"healthmonitor": {"pool_id": pool_id, "type": "HTTP", "delay": 5, "timeout": 3,
                              "max_retries": 3, **fields}}


def test_http_defaults_then_active_online(stack: Stack) -> None:
    lb, pool = _pool(stack)
    with stack.paused():
        monitor = stack.create_monitor(lb["id"], pool["id"], wait=False)
        shown = expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)["pool"]
        assert shown["provisioning_status"] == "PENDING_UPDATE"
        assert shown["healthmonitor_id"] == monitor["id"]
    assert (monitor["provisioning_status"], monitor["operating_status"]) == (
        "PENDING_CREATE", "OFFLINE")
    assert (monitor["http_method"], monitor["url_path"], monitor["expected_codes"]) == (
        "GET", "/", "200")
    assert monitor["max_retries_down"] == 3
    assert monitor["name"] == ""
    assert monitor["pools"] == [{"id": pool["id"]}]
    assert monitor["project_id"] == stack.project_a
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(f"{MONITORS}/{monitor['id']}"), 200)["healthmonitor"]
    assert (settled["provisioning_status"], settled["operating_status"]) == ("ACTIVE", "ONLINE")
    for amp in stack.agents.amphorae.values():
        assert "httpchk" in (amp.haproxy or "")


def test_non_http_types_have_no_http_fields(stack: Stack) -> None:
    lb, pool = _pool(stack)
    for field, value in (("http_method", "GET"), ("url_path", "/"), ("expected_codes", "200")):
        message = fault(stack.api.post(MONITORS, json=_body(pool["id"], type="TCP",
                                                            **{field: value})), 400)
        assert field in message
    monitor = stack.create_monitor(lb["id"], pool["id"], type="TCP")
    assert (monitor["http_method"], monitor["url_path"], monitor["expected_codes"]) == (
        None, None, None)


def test_ping_monitor_is_allowed(stack: Stack) -> None:
    lb, pool = _pool(stack)
    assert stack.create_monitor(lb["id"], pool["id"], type="PING")["type"] == "PING"


def test_members_follow_the_monitor(stack: Stack) -> None:
    lb, pool = _pool(stack)
    member = stack.create_member(lb["id"], pool["id"])
    path = f"{LBAAS}/pools/{pool['id']}/members/{member['id']}"
    assert expect(stack.api.get(path), 200)["member"]["operating_status"] == "NO_MONITOR"
    monitor = stack.create_monitor(lb["id"], pool["id"])
    assert expect(stack.api.get(path), 200)["member"]["operating_status"] == "OFFLINE"
    assert stack.api.delete(f"{MONITORS}/{monitor['id']}").status_code == 204
    stack.wait_for(lb["id"])
    assert expect(stack.api.get(path), 200)["member"]["operating_status"] == "NO_MONITOR"
    assert expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)["pool"][
        "healthmonitor_id"] is None
    fault(stack.api.get(f"{MONITORS}/{monitor['id']}"), 404)


def test_second_monitor_on_a_pool_is_409(stack: Stack) -> None:
    lb, pool = _pool(stack)
    stack.create_monitor(lb["id"], pool["id"])
    fault(stack.api.post(MONITORS, json=_body(pool["id"], type="TCP")), 409)
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_missing_fields_are_400(stack: Stack) -> None:
    _, pool = _pool(stack)
    full = _body(pool["id"])["healthmonitor"]
    for field in ("pool_id", "type", "delay", "timeout", "max_retries"):
        body = {k: v for k, v in full.items() if k != field}
        assert field in fault(stack.api.post(MONITORS, json={"healthmonitor": body}), 400)


def test_numbers_out_of_range_are_400(stack: Stack) -> None:
    lb, pool = _pool(stack)
    for field, bad in (("delay", 2**31), ("timeout", 2**31), ("delay", 10**40),
                       ("timeout", -1), ("delay", -1), ("max_retries", 0), ("max_retries", 11),
                       ("max_retries_down", 0), ("max_retries_down", 11), ("delay", 1.5),
                       ("delay", "soon")):
        message = fault(stack.api.post(MONITORS, json=_body(pool["id"], **{field: bad})), 400)
        assert field in message
    ok = stack.create_monitor(lb["id"], pool["id"], delay=2**31 - 1, timeout=2**31 - 1)
    assert ok["delay"] == 2**31 - 1
    path = f"{MONITORS}/{ok['id']}"
    for body in ({"delay": 2**31}, {"timeout": 2**40}, {"max_retries": 99}):
        fault(stack.api.put(path, json={"healthmonitor": body}), 400)


def test_expected_codes_patterns(stack: Stack) -> None:
    lb, pool = _pool(stack)
    for bad in ("2000", "abc", "200-", "200,", "20", "200-204-206", "200;201"):
        message = fault(stack.api.post(MONITORS, json=_body(pool["id"],
                                                            expected_codes=bad)), 400)
        assert "expected_codes" in message
    monitor = stack.create_monitor(lb["id"], pool["id"], expected_codes="200-204")
    path = f"{MONITORS}/{monitor['id']}"
    for good in ("200,202", "200, 301", "418"):
        out = expect(stack.api.put(path, json={"healthmonitor": {"expected_codes": good}}), 200)
        assert out["healthmonitor"]["expected_codes"] == good
        stack.wait_for(lb["id"])


def test_url_path_rules(stack: Stack) -> None:
    lb, pool = _pool(stack)
    for bad in ("health", "http://example.com/health", "/a b", "/x\ny", ""):
        fault(stack.api.post(MONITORS, json=_body(pool["id"], url_path=bad)), 400)
    monitor = stack.create_monitor(lb["id"], pool["id"], url_path="/api/health?full=1",
                                   http_method="HEAD")
    assert monitor["url_path"] == "/api/health?full=1" and monitor["http_method"] == "HEAD"
    fault(stack.api.post(MONITORS, json=_body(pool["id"], http_method="FETCH")), 400)


def test_domain_name_needs_http_1_1(stack: Stack) -> None:
    lb, pool = _pool(stack)
    message = fault(stack.api.post(MONITORS, json=_body(pool["id"],
                                                        domain_name="app.example.com")), 400)
    assert "http_version" in message
    fault(stack.api.post(MONITORS, json=_body(pool["id"], domain_name="app.example.com",
                                              http_version=1.0)), 400)
    fault(stack.api.post(MONITORS, json=_body(pool["id"], domain_name="bad host!",
                                              http_version=1.1)), 400)
    fault(stack.api.post(MONITORS, json=_body(pool["id"], http_version=2.0)), 400)
    monitor = stack.create_monitor(lb["id"], pool["id"], domain_name="app.example.com",
                                   http_version=1.1)
    assert monitor["domain_name"] == "app.example.com" and monitor["http_version"] == 1.1


def test_other_validation_errors(stack: Stack) -> None:
    _, pool = _pool(stack)
    for body in (_body(pool["id"], type="SMOKE"), _body(pool["id"], type="UDP-CONNECT"),
                 _body("not-a-uuid"), _body(pool["id"], bogus=1),
                 _body(pool["id"], name="x" * 256)):
        fault(stack.api.post(MONITORS, json=body), 400)
    fault(stack.api.post(MONITORS, json=_body("00000000-0000-0000-0000-000000000001")), 404)


def test_update_and_reset_defaults(stack: Stack) -> None:
    lb, pool = _pool(stack)
    monitor = stack.create_monitor(lb["id"], pool["id"], http_method="POST", url_path="/x")
    path = f"{MONITORS}/{monitor['id']}"
    out = expect(stack.api.put(path, json={"healthmonitor": {
        "delay": 10, "name": "hm", "http_method": None, "url_path": None}}), 200)["healthmonitor"]
    assert out["provisioning_status"] == "PENDING_UPDATE"
    assert (out["delay"], out["name"], out["http_method"], out["url_path"]) == (
        10, "hm", "GET", "/")
    stack.wait_for(lb["id"])
    for body in ({"healthmonitor": {}}, {}, {"healthmonitor": {"type": "TCP"}},
                 {"healthmonitor": {"pool_id": pool["id"]}}):
        fault(stack.api.put(path, json=body), 400)
    assert expect(stack.api.get(path), 200)["healthmonitor"]["provisioning_status"] == "ACTIVE"


def test_pool_in_error_is_immutable(stack: Stack) -> None:
    lb, pool = _pool(stack)
    stack.agents.fail_next("permanent", method="put_haproxy", times=2)
    expect(stack.api.put(f"{LBAAS}/pools/{pool['id']}", json={"pool": {
        "lb_algorithm": "SOURCE_IP"}}), 200)
    stack.wait_until(lambda: expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)[
        "pool"]["provisioning_status"] == "ERROR", "the pool in ERROR")
    message = fault(stack.api.post(MONITORS, json=_body(pool["id"])), 409)
    assert message == f"Pool {pool['id']} is immutable and cannot be updated."
    # Fixing the pool itself is allowed, and brings it back.
    expect(stack.api.put(f"{LBAAS}/pools/{pool['id']}", json={"pool": {
        "lb_algorithm": "ROUND_ROBIN"}}), 200)
    stack.wait_for(lb["id"])
    stack.create_monitor(lb["id"], pool["id"])
