"""L7 policies: defaults, 1-based positions and renumbering, redirect rules, validation."""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault

POLICIES = f"{LBAAS}/l7policies"


def _listener(stack: Stack, protocol: str = "HTTP", port: int = 80
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    lb = stack.create_lb()
    return lb, stack.create_listener(lb["id"], protocol=protocol, port=port)


def _positions(stack: Stack, listener_id: str) -> dict[str, int]:
    found = expect(stack.api.get(POLICIES, params={"listener_id": listener_id}), 200)
    return {p["name"]: p["position"] for p in found["l7policies"]}


def test_create_defaults_then_active_online(stack: Stack) -> None:
    lb, listener = _listener(stack)
    with stack.paused():
        policy = stack.create_policy(lb["id"], listener["id"], wait=False)
        shown = expect(stack.api.get(f"{LBAAS}/listeners/{listener['id']}"), 200)["listener"]
        assert shown["provisioning_status"] == "PENDING_UPDATE"
        assert shown["l7policies"] == [{"id": policy["id"]}]
    assert (policy["provisioning_status"], policy["operating_status"]) == (
        "PENDING_CREATE", "OFFLINE")
    assert policy["name"] == "" and policy["description"] == ""
    assert policy["position"] == 1
    assert policy["action"] == "REJECT" and policy["rules"] == []
    assert policy["redirect_pool_id"] is None and policy["redirect_url"] is None
    assert policy["redirect_prefix"] is None and policy["redirect_http_code"] is None
    assert policy["listener_id"] == listener["id"]
    assert policy["project_id"] == stack.project_a
    assert policy["admin_state_up"] is True and policy["tags"] == []
    assert policy["updated_at"] is None
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(f"{POLICIES}/{policy['id']}"), 200)["l7policy"]
    assert (settled["provisioning_status"], settled["operating_status"]) == ("ACTIVE", "ONLINE")


def test_redirects_default_to_302_and_reach_haproxy(stack: Stack) -> None:
    lb, listener = _listener(stack)
    url = stack.create_policy(lb["id"], listener["id"], action="REDIRECT_TO_URL",
                              redirect_url="https://example.com/moved", name="url",
                              rules=[{"type": "PATH", "compare_type": "STARTS_WITH",
                                      "value": "/old"}])
    assert url["redirect_http_code"] == 302 and len(url["rules"]) == 1
    prefix = stack.create_policy(lb["id"], listener["id"], action="REDIRECT_PREFIX",
                                 redirect_prefix="https://example.org",
                                 redirect_http_code=308, name="prefix",
                                 rules=[{"type": "HOST_NAME", "compare_type": "EQUAL_TO",
                                         "value": "old.example.org"}])
    assert prefix["redirect_http_code"] == 308 and prefix["position"] == 2
    # Fields that do not belong to the action are cleared (Octavia's sanitize step).
    reject = stack.create_policy(lb["id"], listener["id"], action="REJECT",
                                 redirect_url="https://ignored.example", redirect_http_code=301,
                                 name="reject")
    assert reject["redirect_url"] is None and reject["redirect_http_code"] is None
    for amp in stack.agents.amphorae.values():
        config = amp.haproxy or ""
        assert 'redirect location "https://example.com/moved" code 302' in config, config
        assert 'redirect prefix "https://example.org" code 308' in config


def test_positions_are_one_based_and_renumbered(stack: Stack) -> None:
    lb, listener = _listener(stack)
    for name in ("a", "b", "c"):
        stack.create_policy(lb["id"], listener["id"], name=name)
    assert _positions(stack, listener["id"]) == {"a": 1, "b": 2, "c": 3}
    first = stack.create_policy(lb["id"], listener["id"], name="first", position=1)
    assert first["position"] == 1
    assert _positions(stack, listener["id"]) == {"first": 1, "a": 2, "b": 3, "c": 4}
    far = stack.create_policy(lb["id"], listener["id"], name="far", position=1000)
    assert far["position"] == 5
    out = expect(stack.api.put(f"{POLICIES}/{far['id']}", json={"l7policy": {
        "position": 2}}), 200)["l7policy"]
    assert out["position"] == 2
    stack.wait_for(lb["id"])
    assert _positions(stack, listener["id"]) == {"first": 1, "far": 2, "a": 3, "b": 4, "c": 5}
    assert stack.api.delete(f"{POLICIES}/{first['id']}").status_code == 204
    stack.wait_for(lb["id"])
    assert _positions(stack, listener["id"]) == {"far": 1, "a": 2, "b": 3, "c": 4}
    fault(stack.api.get(f"{POLICIES}/{first['id']}"), 404)


def test_validation_errors_are_400(stack: Stack) -> None:
    lb, listener = _listener(stack)
    tcp_pool = stack.create_pool(lb["id"], protocol="TCP")
    base = {"listener_id": listener["id"], "action": "REJECT"}
    url = {"listener_id": listener["id"], "action": "REDIRECT_TO_URL",
           "redirect_url": "https://example.com"}
    for body in ({**base, "action": "DROP"}, {"listener_id": listener["id"]},
                 {**base, "listener_id": "nope"}, {**base, "bogus": 1},
                 {**base, "position": 0}, {**base, "position": 2**31},
                 {**base, "position": 10**30}, {**base, "name": "x" * 256},
                 {**base, "action": "REDIRECT_TO_POOL"},
                 {**base, "action": "REDIRECT_TO_POOL", "redirect_pool_id": "nope"},
                 {**base, "action": "REDIRECT_TO_POOL", "redirect_pool_id": tcp_pool["id"]},
                 {**base, "action": "REDIRECT_TO_URL"},
                 {**base, "action": "REDIRECT_PREFIX"},
                 {**url, "redirect_url": "ftp://example.com"},
                 {**url, "redirect_url": "https://exa mple.com"},
                 {**url, "redirect_url": "https://example.com/\r\nX: y"},
                 {**url, "redirect_url": "/relative"},
                 {**url, "redirect_http_code": 304}, {**url, "redirect_http_code": 200},
                 {**url, "redirect_http_code": 10**30}, {**base, "redirect_http_code": 999},
                 {**base, "redirect_url": "not a url"},
                 {**base, "rules": [{"type": "PATH"}]}):
        fault(stack.api.post(POLICIES, json={"l7policy": body}), 400)
    message = fault(stack.api.post(POLICIES, json={"l7policy": {
        **url, "redirect_http_code": 304}}), 400)
    assert "redirect_http_code" in message
    fault(stack.api.post(POLICIES, json={}), 400)
    fault(stack.api.post(POLICIES, content=b""), 400)
    fault(stack.api.post(POLICIES, json={"l7policy": {
        **base, "listener_id": "00000000-0000-0000-0000-000000000000"}}), 404)
    assert expect(stack.api.get(POLICIES), 200)["l7policies"] == []
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_only_http_listeners_and_pools_of_the_same_lb(stack: Stack) -> None:
    lb, tcp = _listener(stack, protocol="TCP", port=22)
    message = fault(stack.api.post(POLICIES, json={"l7policy": {
        "listener_id": tcp["id"], "action": "REJECT"}}), 400)
    assert tcp["id"] in message
    http = stack.create_listener(lb["id"], port=80)
    other = stack.create_lb()
    foreign = stack.create_pool(other["id"])
    fault(stack.api.post(POLICIES, json={"l7policy": {
        "listener_id": http["id"], "action": "REDIRECT_TO_POOL",
        "redirect_pool_id": foreign["id"]}}), 404)
    pool = stack.create_pool(lb["id"])
    policy = stack.create_policy(lb["id"], http["id"], action="REDIRECT_TO_POOL",
                                 redirect_pool_id=pool["id"])
    assert policy["redirect_pool_id"] == pool["id"] and policy["redirect_http_code"] is None


def test_update_changes_action_and_clears_fields(stack: Stack) -> None:
    lb, listener = _listener(stack)
    pool = stack.create_pool(lb["id"])
    policy = stack.create_policy(lb["id"], listener["id"], action="REDIRECT_TO_URL",
                                 redirect_url="https://example.com")
    path = f"{POLICIES}/{policy['id']}"
    # Giving a pool id alone turns the policy into REDIRECT_TO_POOL (Octavia infers it).
    out = expect(stack.api.put(path, json={"l7policy": {"redirect_pool_id": pool["id"]}}),
                 200)["l7policy"]
    assert out["provisioning_status"] == "PENDING_UPDATE"
    assert out["action"] == "REDIRECT_TO_POOL" and out["redirect_pool_id"] == pool["id"]
    assert out["redirect_url"] is None and out["redirect_http_code"] is None
    stack.wait_for(lb["id"])
    for body in ({"l7policy": {}}, {}, {"l7policy": {"listener_id": listener["id"]}},
                 {"l7policy": {"action": "REDIRECT_TO_URL"}},
                 {"l7policy": {"redirect_http_code": 999}}, {"l7policy": {"position": 0}}):
        fault(stack.api.put(path, json=body), 400)
    fault(stack.api.put(path, content=b""), 400)
    out = expect(stack.api.put(path, json={"l7policy": {"action": "REJECT", "name": "r"}}),
                 200)["l7policy"]
    assert (out["action"], out["redirect_pool_id"], out["name"]) == ("REJECT", None, "r")
    settled = stack.wait_for(lb["id"])
    assert settled["provisioning_status"] == "ACTIVE"
    # The pool is no longer in use: it can be deleted now.
    assert stack.api.delete(f"{LBAAS}/pools/{pool['id']}").status_code == 204
    stack.wait_for(lb["id"])


def test_changes_while_pending_are_409(stack: Stack) -> None:
    lb, listener = _listener(stack)
    policy = stack.create_policy(lb["id"], listener["id"])
    path = f"{POLICIES}/{policy['id']}"
    with stack.paused():
        expect(stack.api.put(path, json={"l7policy": {"name": "busy"}}), 200)
        expected = f"Invalid state PENDING_UPDATE of loadbalancer resource {lb['id']}"
        assert fault(stack.api.post(POLICIES, json={"l7policy": {
            "listener_id": listener["id"], "action": "REJECT"}}), 409) == expected
        fault(stack.api.put(path, json={"l7policy": {"name": "again"}}), 409)
        fault(stack.api.delete(path), 409)
        fault(stack.api.post(f"{path}/rules", json={"rule": {
            "type": "PATH", "compare_type": "STARTS_WITH", "value": "/x"}}), 409)
    stack.wait_for(lb["id"])
    assert expect(stack.api.get(path), 200)["l7policy"]["name"] == "busy"


def test_deleting_a_policy_deletes_its_rules(stack: Stack) -> None:
    """Its rules go with it (a foreign key failed before: the policy stayed, in ERROR, and
    the next change of the load balancer put it back into haproxy.cfg)."""
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    policy = expect(stack.api.post(POLICIES, json={"l7policy": {
        "listener_id": listener["id"], "action": "REJECT", "rules": [
            {"type": "HEADER", "compare_type": "EQUAL_TO", "key": "X-Allowed", "value": "yes",
             "invert": True}, {"type": "PATH", "compare_type": "STARTS_WITH", "value": "/"}]}}),
                    201)["l7policy"]
    stack.wait_for(lb["id"])
    assert stack.api.delete(f"{POLICIES}/{policy['id']}").status_code == 204
    stack.wait_for(lb["id"])
    assert stack.last_error(lb["id"]) is None
    fault(stack.api.get(f"{POLICIES}/{policy['id']}"), 404)
    fault(stack.api.get(f"{POLICIES}/{policy['id']}/rules"), 404)
    stack.create_listener(lb["id"], port=81)  # a later change does not bring it back
    for amp in stack.agents.amphorae.values():
        assert "http-request deny" not in (amp.haproxy or ""), amp.haproxy
