"""Text the API accepts can be stored, listed and rendered; a broken object errors alone.

Lone UTF-16 surrogates and NUL are refused in every string of a request (they
broke lists, and PostgreSQL refuses NUL where SQLite stores it); every value the
renderer or HAProxy would refuse is a 400 at the API; and an object stored
before a check existed goes to ERROR alone while the rest of its load
balancer keeps converging.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from lbaas_stack import LBAAS, Stack, expect, fault

from livia.store import l7rules, members

LONE = "\\ud800"  # as JSON text: one escape, a lone high surrogate
NUL = "\\u0000"


def _raw(stack: Stack, method: str, path: str, body: str, token: str | None = None) -> Any:
    """Send a JSON text as is (httpx cannot encode a lone surrogate itself)."""
    return stack.api.request(method, path, content=body.encode("ascii"),
                             token=token or stack.tokens.member_a)


def _tree(stack: Stack) -> dict[str, Any]:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"], listener_id=listener["id"])
    return {"lb": lb, "listener": listener, "pool": pool}


MARK = "\ue000"  # stands for the bad escape until the body is JSON text


def _bodies(t: dict[str, Any], bad: str) -> list[tuple[str, str, str]]:
    """(method, path, JSON text) with ``bad`` (a JSON escape) in one string each."""
    lb_id, listener_id, pool_id = t["lb"]["id"], t["listener"]["id"], t["pool"]["id"]
    pool = {"loadbalancer_id": lb_id, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}
    listener = {"loadbalancer_id": lb_id, "protocol": "HTTP"}
    monitor = {"pool_id": pool_id, "type": "HTTP", "delay": 5, "timeout": 3, "max_retries": 3}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{LBAAS}/listeners", {"listener": {
            **listener, "protocol_port": 81, "insert_headers": {"X-Forwarded-For": MARK}}}),
        ("POST", f"{LBAAS}/listeners", {"listener": {
            **listener, "protocol_port": 82, "insert_headers": {f"X-Forwarded-{MARK}": "true"}}}),
        ("POST", f"{LBAAS}/pools", {"pool": {**pool, "tls_versions": [f"TLSv1.2{MARK}"]}}),
        ("POST", f"{LBAAS}/pools", {"pool": {**pool, "alpn_protocols": [f"h2{MARK}"]}}),
        ("POST", f"{LBAAS}/pools", {"pool": {**pool, "tls_ciphers": f"ECDHE{MARK}"}}),
        ("PUT", f"{LBAAS}/listeners/{listener_id}", {"listener": {"name": f"a{MARK}"}}),
        ("PUT", f"{LBAAS}/pools/{pool_id}", {"pool": {"description": MARK}}),
        ("PUT", f"{LBAAS}/loadbalancers/{lb_id}", {"loadbalancer": {"tags": [f"t{MARK}"]}}),
        ("POST", f"{LBAAS}/healthmonitors", {"healthmonitor": {**monitor,
                                                               "url_path": f"/{MARK}"}}),
        ("POST", f"{LBAAS}/pools/{pool_id}/members", {"member": {
            "address": "10.91.0.9", "protocol_port": 80, "name": MARK}}),
        ("POST", "/v2.0/networks", {"network": {"name": f"n{MARK}"}}),
    ]
    return [(method, path, json.dumps(body).replace("\\ue000", bad))
            for method, path, body in cases]


@pytest.mark.parametrize("bad", [LONE, NUL, "\\udfff", "x\\ud83dy"])
def test_unstorable_strings_are_400_and_lists_keep_working(stack: Stack, bad: str) -> None:
    t = _tree(stack)
    for method, path, body in _bodies(t, bad):
        r = _raw(stack, method, path, body)
        message = fault(r, 400)
        assert "surrogate" in message or "NUL" in message, (path, message)
        r.content.decode("utf-8")  # the answer itself is valid UTF-8
    for token in (stack.tokens.member_a, stack.tokens.admin):
        for path in ("listeners", "pools", "loadbalancers", "healthmonitors"):
            expect(stack.api.get(f"{LBAAS}/{path}", token=token), 200)
        expect(stack.api.get(f"{LBAAS}/pools/{t['pool']['id']}/members", token=token), 200)
        expect(stack.api.get("/v2.0/networks", token=token), 200)
    assert expect(stack.api.get(f"{LBAAS}/listeners"), 200)["listeners"] == [
        expect(stack.api.get(f"{LBAAS}/listeners/{t['listener']['id']}"), 200)["listener"]]


def test_unstorable_query_and_path_values_are_400(stack: Stack) -> None:
    for path in (f"{LBAAS}/loadbalancers?name=%00", f"{LBAAS}/listeners?tags=a%00b",
                 "/v2.0/networks?name=x%00", "/v2/livia/instances/a%00b"):
        message = fault(stack.api.get(path, token=stack.tokens.admin), 400)
        assert "NUL" in message


def test_surrogate_pairs_are_text(stack: Stack) -> None:
    """A valid pair (an emoji, sent escaped) is ordinary text: stored and shown back."""
    lb = stack.create_lb()
    r = _raw(stack, "PUT", f"{LBAAS}/loadbalancers/{lb['id']}",
             '{"loadbalancer": {"name": "web \\ud83d\\ude00", "tags": ["\\ud83d\\ude00"]}}')
    shown = expect(r, 200)["loadbalancer"]
    assert shown["name"] == "web \U0001f600" and shown["tags"] == ["\U0001f600"]
    stack.wait_for(lb["id"])
    listed = expect(stack.api.get(f"{LBAAS}/loadbalancers?name=web \U0001f600"), 200)
    assert [x["id"] for x in listed["loadbalancers"]] == [lb["id"]]


# What the API used to accept and the renderer (or HAProxy's PCRE2) refused, which left
# the object, and every later change of its load balancer, in ERROR.
RULES = [
    {"value": "/a\u2028b"}, {"value": "/a\u2029b"}, {"value": "/a\u0085b"},
    {"value": "/a\ufffeb"}, {"value": "/a\x1bb"},
    {"compare_type": "REGEX", "value": "(?a)x"}, {"compare_type": "REGEX", "value": "(?u)x"},
    {"compare_type": "REGEX", "value": "x\\N{DIGIT ONE}"},
    {"type": "HEADER", "key": "X-Env\n", "compare_type": "EQUAL_TO", "value": "a"},
    {"type": "SSL_VERIFY_RESULT", "compare_type": "EQUAL_TO", "value": "\u0663"},
    {"type": "SSL_DN_FIELD", "key": "CN\n", "compare_type": "EQUAL_TO", "value": "a"},
]
MONITORS = [
    {"url_path": "/health\n"}, {"url_path": "/a\x1bb"}, {"url_path": "/a\x7fb"},
    {"url_path": "/caf\u00e9"}, {"url_path": "/a\u2028"},
    {"http_version": 1.1, "domain_name": "example.com\n"},
    {"expected_codes": "200\n"}, {"expected_codes": "300-200"},
    {"expected_codes": "200,\t202"}, {"expected_codes": "\u0662\u0660\u0660"},
]
POLICIES = [
    {"action": "REDIRECT_TO_URL", "redirect_url": "http://example.com/\n"},
    {"action": "REDIRECT_PREFIX", "redirect_prefix": "https://example.com\n"},
    {"action": "REDIRECT_TO_URL", "redirect_url": "http://example.com/\u2028"},
    {"action": "REDIRECT_TO_URL", "redirect_url": "http://example.com/\x85"},
]
POOLS = [
    {"session_persistence": {"type": "APP_COOKIE", "cookie_name": "sid\n"}},
    {"tls_versions": ["TLSv9"]}, {"alpn_protocols": ["h3"]}, {"tls_ciphers": "A\nB"},
]


def test_values_the_renderer_refuses_are_400(stack: Stack) -> None:
    t = _tree(stack)
    lb_id, listener_id, pool_id = t["lb"]["id"], t["listener"]["id"], t["pool"]["id"]
    policy = stack.create_policy(lb_id, listener_id)
    for fields in RULES:
        body = {"type": "PATH", "compare_type": "STARTS_WITH", **fields}
        fault(stack.api.post(f"{LBAAS}/l7policies/{policy['id']}/rules",
                             json={"rule": body}), 400)
    for fields in MONITORS:
        body = {"pool_id": pool_id, "type": "HTTP", "delay": 5, "timeout": 3,
                "max_retries": 3, **fields}
        fault(stack.api.post(f"{LBAAS}/healthmonitors", json={"healthmonitor": body}), 400)
    for fields in POLICIES:
        fault(stack.api.post(f"{LBAAS}/l7policies", json={"l7policy": {
            "listener_id": listener_id, **fields}}), 400)
    for fields in POOLS:
        fault(stack.api.post(f"{LBAAS}/pools", json={"pool": {
            "loadbalancer_id": lb_id, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
            **fields}}), 400)
        fault(stack.api.put(f"{LBAAS}/pools/{pool_id}", json={"pool": fields}), 400)
    # Nothing was half-made: the load balancer is ACTIVE with nothing in ERROR.
    status = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb_id}/status"), 200)
    assert "ERROR" not in json.dumps(status)
    assert stack.wait_for(lb_id)["provisioning_status"] == "ACTIVE"


def test_regexes_are_checked_as_pcre2(stack: Stack) -> None:
    """PCRE2 syntax that Python's re does not know is a regex HAProxy runs."""
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    policy = stack.create_policy(lb["id"], listener["id"])
    rule = stack.create_rule(lb["id"], policy["id"], compare_type="REGEX", value=r"^/\p{L}+$")
    assert expect(stack.api.get(f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}"),
                  200)["rule"]["provisioning_status"] == "ACTIVE"
    for amp in stack.agents.amphorae.values():
        assert '-m reg -- "^/\\\\p{L}+\\$"' in (amp.haproxy or "")


def test_an_object_the_renderer_refuses_errors_alone(stack: Stack) -> None:
    """A rule and a member stored before the checks: the next change leaves them out,
    puts them (only them) in ERROR, and the rest converges; fixing the rule brings it
    back."""
    t = _tree(stack)
    lb_id, listener_id, pool_id = t["lb"]["id"], t["listener"]["id"], t["pool"]["id"]
    policy = stack.create_policy(lb_id, listener_id)
    rule = stack.create_rule(lb_id, policy["id"])
    kept = stack.create_member(lb_id, pool_id, address="10.91.0.51")
    broken = stack.create_member(lb_id, pool_id, address="10.91.0.52")
    with stack.paused(), stack.db.write() as conn:  # as if stored by an older Livia
        l7rules.records.update(conn, rule["id"], compare_type="REGEX", value="(?a)x")
        members.records.update(conn, broken["id"], address="169.254.169.254")
    added = stack.create_member(lb_id, pool_id, address="10.91.0.53")
    assert stack.wait_for(lb_id)["provisioning_status"] == "ACTIVE"

    def status_of(path: str, key: str) -> str:
        return str(expect(stack.api.get(path), 200)[key]["provisioning_status"])

    members_path = f"{LBAAS}/pools/{pool_id}/members"
    assert status_of(f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}", "rule") == "ERROR"
    assert status_of(f"{members_path}/{broken['id']}", "member") == "ERROR"
    for m in (kept, added):
        assert status_of(f"{members_path}/{m['id']}", "member") == "ACTIVE"
    assert status_of(f"{LBAAS}/l7policies/{policy['id']}", "l7policy") == "ACTIVE"
    assert status_of(f"{LBAAS}/listeners/{listener_id}", "listener") == "ACTIVE"
    last_error = stack.last_error(lb_id) or ""
    assert rule["id"] in last_error and broken["id"] in last_error
    for amp in stack.agents.amphorae.values():
        config = amp.haproxy or ""
        assert added["id"] in config and kept["id"] in config
        assert broken["id"] not in config and rule["id"] not in config
        assert "http-request deny" not in config  # the policy went with its rule
    # Fixing the rule is a normal update: it comes back, and so does its policy.
    expect(stack.api.put(f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}",
                         json={"rule": {"compare_type": "STARTS_WITH", "value": "/api"}}), 200)
    stack.wait_for(lb_id)
    assert status_of(f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}", "rule") == "ACTIVE"
    for amp in stack.agents.amphorae.values():
        assert f"acl {rule['id']}" in (amp.haproxy or "")
    assert stack.last_error(lb_id) is not None and rule["id"] not in (stack.last_error(lb_id)
                                                                       or "")
