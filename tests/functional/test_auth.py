"""Who may do what: 401 without a token, readers read, other projects see nothing, admins all."""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault, paths_of

MISSING = "00000000-0000-0000-0000-000000000000"


def _tree(stack: Stack) -> dict[str, str]:
    """One of each object in project A; their paths by kind."""
    return paths_of(stack.one_of_each())


def _collection(path: str) -> str:
    return path.rsplit("/", 1)[0]


def test_tokens_roles_and_projects(stack: Stack) -> None:
    paths = _tree(stack)
    lb_path = paths["loadbalancer"]
    t = stack.tokens
    # No token, an unknown token: 401 with Keystone's hint, on reads and writes alike.
    for token in (None, "lvt-wrong-token", ""):
        for method, path in (("GET", lb_path), ("GET", f"{LBAAS}/loadbalancers"),
                             ("DELETE", lb_path), ("GET", "/v2/octavia/amphorae")):
            r = stack.api.request(method, path, token=token)
            fault(r, 401)
            assert r.headers["WWW-Authenticate"].startswith("Keystone")
    # The root (version discovery) needs no token.
    expect(stack.api.get("/", token=None), 200)
    for kind, path in paths.items():
        shown = expect(stack.api.get(path, token=t.reader_a), 200)[kind]
        assert shown["project_id"] == stack.project_a
        listed = expect(stack.api.get(_collection(path), token=t.reader_a), 200)
        assert [x["id"] for x in next(v for k, v in listed.items()
                                      if not k.endswith("_links"))] == [shown["id"]]
        # The reader may not write.
        fault(stack.api.put(path, json={kind: {"tags": ["x"]}}, token=t.reader_a), 403)
        fault(stack.api.delete(path, token=t.reader_a), 403)
        # Another project's member sees nothing: 404, never 403 (ids do not leak).
        message = fault(stack.api.get(path, token=t.member_b), 404)
        assert message.endswith(" not found.")  # the object, or for a child its parent
        fault(stack.api.put(path, json={kind: {"tags": ["x"]}}, token=t.member_b), 404)
        fault(stack.api.delete(path, token=t.member_b), 404)
        # The admin sees and lists everything.
        expect(stack.api.get(path, token=t.admin), 200)
    # Ids are UUIDs: anything else names nothing (404, never 400 or 500).
    for path in paths.values():
        bogus = f"{_collection(path)}/not-a-uuid"
        fault(stack.api.get(bogus), 404)
        fault(stack.api.delete(bogus), 404)
    fault(stack.api.get(f"{LBAAS}/pools/not-a-uuid/members"), 404)
    fault(stack.api.get(f"{LBAAS}/l7policies/42/rules"), 404)
    fault(stack.api.post(f"{LBAAS}/loadbalancers", token=t.reader_a, json={"loadbalancer": {
        "vip_subnet_id": stack.vip_subnet()}}), 403)
    for token in (t.reader_a, t.member_b):  # failover is an admin action (Octavia's policy)
        fault(stack.api.put(f"{lb_path}/failover", token=token), 403)
    fault(stack.api.get(f"{lb_path}/status", token=t.member_b), 404)
    fault(stack.api.get(f"{lb_path}/stats", token=t.member_b), 404)
    expect(stack.api.get(f"{lb_path}/status", token=t.reader_a), 200)
    assert expect(stack.api.get(f"{LBAAS}/loadbalancers", token=t.member_b), 200)[
        "loadbalancers"] == []
    assert stack.wait_for(lb_path.rsplit("/", 1)[1])["provisioning_status"] == "ACTIVE"


def test_children_of_another_projects_parents_are_404(stack: Stack) -> None:
    paths = _tree(stack)
    lb_id = paths["loadbalancer"].rsplit("/", 1)[1]
    pool_id = paths["pool"].rsplit("/", 1)[1]
    listener_id = paths["listener"].rsplit("/", 1)[1]
    policy_id = paths["l7policy"].rsplit("/", 1)[1]
    b = stack.tokens.member_b
    for path, key, body in (
            (f"{LBAAS}/listeners", "listener", {"loadbalancer_id": lb_id, "protocol": "TCP",
                                                "protocol_port": 22}),
            (f"{LBAAS}/pools", "pool", {"loadbalancer_id": lb_id, "protocol": "HTTP",
                                        "lb_algorithm": "ROUND_ROBIN"}),
            (f"{LBAAS}/pools/{pool_id}/members", "member", {"address": "10.91.0.9",
                                                           "protocol_port": 80}),
            (f"{LBAAS}/healthmonitors", "healthmonitor", {"pool_id": pool_id, "type": "TCP",
                                                          "delay": 1, "timeout": 1,
                                                          "max_retries": 1}),
            (f"{LBAAS}/l7policies", "l7policy", {"listener_id": listener_id,
                                                 "action": "REJECT"}),
            (f"{LBAAS}/l7policies/{policy_id}/rules", "rule", {
                "type": "PATH", "compare_type": "EQUAL_TO", "value": "/"})):
        fault(stack.api.post(path, json={key: body}, token=b), 404)
    fault(stack.api.put(f"{LBAAS}/pools/{pool_id}/members", json={"members": []}, token=b), 404)
    # Project B cannot use project A's subnet for its VIP either.
    fault(stack.api.post(f"{LBAAS}/loadbalancers", token=b, json={"loadbalancer": {
        "vip_subnet_id": stack.vip_subnet()}}), 400)
    assert stack.wait_for(lb_id)["provisioning_status"] == "ACTIVE"


def test_project_id_in_the_body(stack: Stack) -> None:
    t = stack.tokens
    subnet = stack.vip_subnet()
    message = fault(stack.api.post(f"{LBAAS}/loadbalancers", json={"loadbalancer": {
        "vip_subnet_id": subnet, "project_id": stack.project_b}}), 403)
    assert "another project" in message
    fault(stack.api.post(f"{LBAAS}/loadbalancers", json={"loadbalancer": {
        "vip_subnet_id": subnet, "tenant_id": stack.project_b}}), 403)
    own = stack.create_lb(project_id=stack.project_a, wait=False)
    assert own["project_id"] == stack.project_a
    # An admin may create in any project; the project's members then see it.
    theirs: dict[str, Any] = expect(stack.api.post(
        f"{LBAAS}/loadbalancers", token=t.admin, json={"loadbalancer": {
            "vip_subnet_id": stack.vip_subnet(t.member_b), "project_id": stack.project_b}}),
        201)["loadbalancer"]
    assert theirs["project_id"] == stack.project_b
    listed = expect(stack.api.get(f"{LBAAS}/loadbalancers", token=t.member_b), 200)
    assert [x["id"] for x in listed["loadbalancers"]] == [theirs["id"]]
    # A filter cannot widen a member's scope.
    assert expect(stack.api.get(f"{LBAAS}/loadbalancers", token=t.member_b, params={
        "project_id": stack.project_a}), 200)["loadbalancers"] == []
    everything = expect(stack.api.get(f"{LBAAS}/loadbalancers", token=t.admin), 200)
    assert {x["id"] for x in everything["loadbalancers"]} == {own["id"], theirs["id"]}
    by_project = expect(stack.api.get(f"{LBAAS}/loadbalancers", token=t.admin,
                                      params={"project_id": stack.project_b}), 200)
    assert [x["id"] for x in by_project["loadbalancers"]] == [theirs["id"]]
    stack.wait_for(own["id"])
    stack.wait_for(theirs["id"])
    # A child of A's load balancer created by A's member with B's project id: 403.
    fault(stack.api.post(f"{LBAAS}/listeners", json={"listener": {
        "loadbalancer_id": own["id"], "protocol": "HTTP", "protocol_port": 80,
        "project_id": stack.project_b}}), 403)
    assert stack.wait_for(own["id"])["listeners"] == []
