"""L7 rules: defaults, HAProxy ACLs, key/value/regex rules, 50 per policy, ERROR policy."""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault


def _policy(stack: Stack, **fields: Any) -> tuple[dict[str, Any], dict[str, Any], str]:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    policy = stack.create_policy(lb["id"], listener["id"], **fields)
    return lb, policy, f"{LBAAS}/l7policies/{policy['id']}/rules"


def _rule(**fields: Any) -> dict[str, Any]:
    return {"rule": {"type": "PATH", "compare_type": "STARTS_WITH", "value": "/api", **fields}}


def test_create_defaults_then_active_and_acl_in_haproxy(stack: Stack) -> None:
    lb, policy, path = _policy(stack)
    with stack.paused():
        rule = stack.create_rule(lb["id"], policy["id"], wait=False)
        shown = expect(stack.api.get(f"{LBAAS}/l7policies/{policy['id']}"), 200)["l7policy"]
        assert shown["provisioning_status"] == "PENDING_UPDATE"
        assert shown["rules"] == [{"id": rule["id"]}]
    assert (rule["provisioning_status"], rule["operating_status"]) == (
        "PENDING_CREATE", "OFFLINE")
    assert (rule["type"], rule["compare_type"], rule["value"]) == ("PATH", "STARTS_WITH", "/api")
    assert rule["key"] is None and rule["invert"] is False and rule["admin_state_up"] is True
    assert rule["project_id"] == stack.project_a and rule["tags"] == []
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(f"{path}/{rule['id']}"), 200)["rule"]
    assert (settled["provisioning_status"], settled["operating_status"]) == ("ACTIVE", "ONLINE")
    header = stack.create_rule(lb["id"], policy["id"], type="HEADER", key="X-Env",
                               compare_type="EQUAL_TO", value="test", invert=True)
    assert header["key"] == "X-Env" and header["invert"] is True
    listed = expect(stack.api.get(path), 200)
    assert {r["id"] for r in listed["rules"]} == {rule["id"], header["id"]}
    assert listed["rules_links"] == []
    for amp in stack.agents.amphorae.values():
        config = amp.haproxy or ""
        assert f"acl {rule['id']}" in config and f"acl {header['id']}" in config, config
        assert "http-request deny deny_status 403 if" in config
        assert f"!{header['id']}" in config


def test_validation_errors_are_400(stack: Stack) -> None:
    lb, _policy_obj, path = _policy(stack)
    for fields in ({"type": "HEADER"}, {"type": "HEADER", "key": "bad key"},
                   {"type": "HEADER", "key": "X:y"}, {"type": "COOKIE"},
                   {"type": "COOKIE", "key": "a;b"}, {"key": "X-Not-For-Path"},
                   {"type": "FILE_TYPE", "compare_type": "STARTS_WITH", "value": "jpg"},
                   {"type": "SSL_CONN_HAS_CERT", "compare_type": "EQUAL_TO", "value": "false"},
                   {"type": "SSL_CONN_HAS_CERT", "compare_type": "REGEX", "value": "true"},
                   {"type": "SSL_VERIFY_RESULT", "compare_type": "EQUAL_TO", "value": "x"},
                   {"type": "SSL_DN_FIELD", "compare_type": "EQUAL_TO", "key": "1CN"},
                   {"compare_type": "REGEX", "value": "a(b"},
                   {"compare_type": "REGEX", "value": "[z-a]"},
                   {"value": "/a\nb"}, {"value": "/a\rb"}, {"value": "x" * 256},
                   {"type": "QUERY"}, {"compare_type": "LIKE"}, {"value": None},
                   {"invert": "perhaps"}, {"bogus": 1}, {"project_id": stack.project_b}):
        status = 403 if "project_id" in fields else 400
        fault(stack.api.post(path, json=_rule(**fields)), status)
    message = fault(stack.api.post(path, json=_rule(type="HEADER")), 400)
    assert "key" in message
    for body in ({"rule": {"type": "PATH", "compare_type": "EQUAL_TO"}}, {"rule": {}}, {}):
        fault(stack.api.post(path, json=body), 400)
    fault(stack.api.post(path, content=b""), 400)
    assert expect(stack.api.get(path), 200)["rules"] == []
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    # Each kind that Octavia accepts is accepted.
    ok = [_rule(type="HOST_NAME", compare_type="ENDS_WITH", value=".example.com"),
          _rule(type="FILE_TYPE", compare_type="EQUAL_TO", value="jpg"),
          _rule(type="COOKIE", key="session", compare_type="CONTAINS", value="beta"),
          _rule(type="SSL_DN_FIELD", key="CN", compare_type="EQUAL_TO", value="client"),
          _rule(compare_type="REGEX", value="^/v[0-9]+/")]
    for body in ok:
        expect(stack.api.post(path, json=body), 201)
        stack.wait_for(lb["id"])


def test_fifty_rules_per_policy_then_409(stack: Stack) -> None:
    fifty = [_rule(value=f"/p{n}")["rule"] for n in range(50)]
    lb, policy, path = _policy(stack, rules=fifty)
    assert len(policy["rules"]) == 50
    message = fault(stack.api.post(path, json=_rule(value="/one-more")), 409)
    assert policy["id"] in message
    assert len(expect(stack.api.get(path), 200)["rules"]) == 50
    listener_id = policy["listener_id"]
    fault(stack.api.post(f"{LBAAS}/l7policies", json={"l7policy": {
        "listener_id": listener_id, "action": "REJECT",
        "rules": [*fifty, _rule(value="/x")["rule"]]}}), 409)
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    policies = expect(stack.api.get(f"{LBAAS}/l7policies"), 200)["l7policies"]
    assert [p["id"] for p in policies] == [policy["id"]]


def test_update_and_delete(stack: Stack) -> None:
    lb, policy, path = _policy(stack)
    rule = stack.create_rule(lb["id"], policy["id"])
    rule_path = f"{path}/{rule['id']}"
    out = expect(stack.api.put(rule_path, json={"rule": {
        "value": "/v2", "invert": True, "tags": ["x"]}}), 200)["rule"]
    assert (out["value"], out["invert"], out["tags"]) == ("/v2", True, ["x"])
    assert out["provisioning_status"] == "PENDING_UPDATE"
    stack.wait_for(lb["id"])
    out = expect(stack.api.put(rule_path, json={"rule": {"invert": None}}), 200)["rule"]
    assert out["invert"] is False
    stack.wait_for(lb["id"])
    for body in ({"rule": {}}, {}, {"rule": {"type": None}}, {"rule": {"value": None}},
                 {"rule": {"type": "HEADER"}}, {"rule": {"compare_type": "REGEX",
                                                         "value": "("}},
                 {"rule": {"l7policy_id": policy["id"]}}):
        fault(stack.api.put(rule_path, json=body), 400)
    settled = expect(stack.api.get(rule_path), 200)["rule"]
    assert (settled["value"], settled["provisioning_status"]) == ("/v2", "ACTIVE")
    # A rule is only found under its own policy.
    other = stack.create_policy(lb["id"], policy["listener_id"])
    fault(stack.api.get(f"{LBAAS}/l7policies/{other['id']}/rules/{rule['id']}"), 404)
    fault(stack.api.get(f"{path}/not-a-uuid"), 404)
    assert stack.api.delete(rule_path).status_code == 204
    stack.wait_for(lb["id"])
    fault(stack.api.get(rule_path), 404)
    fault(stack.api.delete(rule_path), 404)
    assert all(rule["id"] not in (a.haproxy or "") for a in stack.agents.amphorae.values())


def test_policy_not_active_is_409(stack: Stack) -> None:
    lb, policy, path = _policy(stack)
    rule = stack.create_rule(lb["id"], policy["id"])
    policy_path = f"{LBAAS}/l7policies/{policy['id']}"
    stack.agents.fail_next("permanent", method="put_haproxy", times=2)
    # A change HAProxy must see (a rename alone would not reach the amphorae).
    expect(stack.api.put(policy_path, json={"l7policy": {
        "action": "REDIRECT_TO_URL", "redirect_url": "https://example.com"}}), 200)
    stack.wait_until(lambda: expect(stack.api.get(policy_path), 200)["l7policy"][
        "provisioning_status"] == "ERROR", "the policy in ERROR")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    expected = f"L7 Policy {policy['id']} is immutable and cannot be updated."
    assert fault(stack.api.post(path, json=_rule(value="/new")), 409) == expected
    assert fault(stack.api.put(f"{path}/{rule['id']}", json={"rule": {
        "value": "/b"}}), 409) == expected
    assert fault(stack.api.delete(f"{path}/{rule['id']}"), 409) == expected
    # Fixing the policy itself is allowed and brings it back.
    expect(stack.api.put(policy_path, json={"l7policy": {"name": "fixed"}}), 200)
    stack.wait_for(lb["id"])
    stack.create_rule(lb["id"], policy["id"], value="/new")
