"""The controller behind the API: single-call creates, failures (permanent and temporary) and
what reaches the amphorae; and the API's own description, ``/openapi.json``."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from fastapi.routing import APIRoute, iter_route_contexts
from lbaas_stack import LBAAS, Stack, expect

from livia.domain.errors import PermanentError, TemporaryError

LBS = f"{LBAAS}/loadbalancers"
COLLECTIONS = ("listeners", "pools", "healthmonitors", "l7policies")


def _graph(stack: Stack) -> dict[str, Any]:
    member = {"address": "10.91.0.21", "protocol_port": 8080}
    return {"vip_subnet_id": stack.vip_subnet(), "name": "graph", "listeners": [{
        "protocol": "HTTP", "protocol_port": 80, "name": "web",
        "default_pool": {"protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "name": "main",
                         "members": [member, {**member, "address": "10.91.0.22"}],
                         "healthmonitor": {"type": "HTTP", "delay": 5, "timeout": 3,
                                           "max_retries": 2}},
        "l7policies": [
            {"action": "REDIRECT_TO_POOL", "name": "api",
             "redirect_pool": {"protocol": "HTTP", "lb_algorithm": "LEAST_CONNECTIONS",
                               "name": "api-pool", "members": [{**member,
                                                                "address": "10.91.0.31"}]},
             "rules": [{"type": "PATH", "compare_type": "STARTS_WITH", "value": "/api"}]},
            {"action": "REJECT", "name": "deny",
             "rules": [{"type": "HEADER", "key": "X-Block", "compare_type": "EQUAL_TO",
                        "value": "1"}]}]}]}


def _everything(stack: Stack) -> list[dict[str, Any]]:
    """Every object of project A below load balancers, members and rules included."""
    found: list[dict[str, Any]] = []
    for collection in COLLECTIONS:
        found += expect(stack.api.get(f"{LBAAS}/{collection}"), 200)[collection]
    for pool in expect(stack.api.get(f"{LBAAS}/pools"), 200)["pools"]:
        found += expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}/members"), 200)["members"]
    for policy in expect(stack.api.get(f"{LBAAS}/l7policies"), 200)["l7policies"]:
        found += expect(stack.api.get(f"{LBAAS}/l7policies/{policy['id']}/rules"), 200)["rules"]
    return found


def test_single_call_create_reaches_active_together(stack: Stack) -> None:
    lb = expect(stack.api.post(LBS, json={"loadbalancer": _graph(stack)}), 201)["loadbalancer"]
    assert lb["provisioning_status"] == "PENDING_CREATE"
    [listener] = lb["listeners"]
    assert listener["name"] == "web" and listener["provisioning_status"] == "PENDING_CREATE"
    assert {p["name"] for p in lb["pools"]} == {"main", "api-pool"}
    assert len(listener["l7policies"]) == 2
    stack.wait_for(lb["id"])
    objects = _everything(stack)
    # 1 listener, 2 pools, 1 monitor, 2 policies, 3 members, 2 rules.
    assert len(objects) == 11
    assert {o["provisioning_status"] for o in objects} == {"ACTIVE"}
    tree = expect(stack.api.get(f"{LBS}/{lb['id']}/status"), 200)["statuses"]["loadbalancer"]
    pools = {p["name"]: p for p in tree["listeners"][0]["pools"]}
    assert set(pools) == {"main", "api-pool"}
    assert {m["operating_status"] for m in pools["main"]["members"]} == {"OFFLINE"}
    assert [m["operating_status"] for m in pools["api-pool"]["members"]] == ["NO_MONITOR"]
    assert pools["main"]["health_monitor"]["provisioning_status"] == "ACTIVE"
    configs = [a.haproxy or "" for a in stack.agents.amphorae.values()]
    assert len(configs) == 2
    for config in configs:
        for address in ("10.91.0.21:8080", "10.91.0.22:8080", "10.91.0.31:8080"):
            assert address in config, config
        assert "httpchk" in config and "http-request deny" in config


def test_permanent_failure_on_create_leaves_nothing_pending(stack: Stack) -> None:
    stack.compute.fail_next("create_amphora", PermanentError("injected: no capacity"))
    lb = expect(stack.api.post(LBS, json={"loadbalancer": _graph(stack)}), 201)["loadbalancer"]
    stack.wait_until(lambda: expect(stack.api.get(f"{LBS}/{lb['id']}"), 200)["loadbalancer"][
        "provisioning_status"] == "ERROR", "the load balancer in ERROR")
    assert "no capacity" in (stack.last_error(lb["id"]) or "")
    objects = _everything(stack)
    assert len(objects) == 11
    assert not [o for o in objects if o["provisioning_status"].startswith("PENDING_")], objects
    # Cascade delete cleans up a broken tree.
    assert stack.api.delete(f"{LBS}/{lb['id']}", params={"cascade": "true"}).status_code == 204
    stack.wait_for(lb["id"], "DELETED")
    assert _everything(stack) == [] and not stack.compute.amphorae


def test_permanent_failure_of_a_child_change(stack: Stack) -> None:
    lb = stack.create_lb()
    keep = stack.create_listener(lb["id"], port=80)
    stack.agents.fail_next("permanent", method="put_haproxy", times=2,
                           message="injected: config rejected")
    broken = stack.create_listener(lb["id"], port=81, wait=False)
    path = f"{LBAAS}/listeners/{broken['id']}"
    stack.wait_until(lambda: expect(stack.api.get(path), 200)["listener"][
        "provisioning_status"] == "ERROR", "the listener in ERROR")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    kept = expect(stack.api.get(f"{LBAAS}/listeners/{keep['id']}"), 200)["listener"]
    assert kept["provisioning_status"] == "ACTIVE"
    # The next change goes through again.
    stack.create_listener(lb["id"], port=82)
    assert expect(stack.api.get(path), 200)["listener"]["provisioning_status"] == "ERROR"


def test_temporary_failures_are_retried(stack: Stack) -> None:
    stack.compute.fail_next("create_amphora", TemporaryError("injected: try later", delay=0.1))
    lb = stack.create_lb()
    assert sum(1 for m, _ in stack.compute.calls if m == "create_amphora") >= 3
    stack.agents.fail_next("temporary", method="put_haproxy", times=2)
    before = sum(1 for m, _ in stack.agents.calls if m == "put_haproxy")
    listener = stack.create_listener(lb["id"], port=8443, protocol="TCP")
    after = sum(1 for m, _ in stack.agents.calls if m == "put_haproxy")
    assert after - before >= 4  # two failures, then one push per amphora
    shown = expect(stack.api.get(f"{LBAAS}/listeners/{listener['id']}"), 200)["listener"]
    assert shown["provisioning_status"] == "ACTIVE"
    assert all(":8443" in (a.haproxy or "") for a in stack.agents.amphorae.values())


# -- /openapi.json -----------------------------------------------------------------------------

def _schema_of(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"][status]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return {**schema, "components": spec["components"]}


def test_openapi_lists_every_route_and_matches_responses(stack: Stack) -> None:
    r = stack.api.get("/openapi.json", token=None)
    assert r.status_code == 200
    spec = json.loads(r.text)
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "Livia"
    app = stack.api.client.app
    # app.routes nests the included routers; iter_route_contexts flattens them.
    routes = {(ctx.path, method.lower())
              for ctx in iter_route_contexts(app.routes)  # type: ignore[attr-defined]
              if isinstance(ctx.original_route, APIRoute) and ctx.original_route.include_in_schema
              for method in ctx.methods or ()}
    assert len(routes) > 150
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert documented == routes
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"
    assert ("/v2.0/lbaas/loadbalancers/{lb_id}/status", "get") in documented
    assert ("/v2/octavia/amphorae/{amphora_id}/failover", "put") in documented
    lb = stack.create_lb(name="schema")
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"], listener_id=listener["id"])
    stack.create_member(lb["id"], pool["id"])
    checks = [
        ("/v2/lbaas/loadbalancers/{lb_id}", "get", f"{LBS}/{lb['id']}", None),
        ("/v2/lbaas/loadbalancers", "get", LBS, None),
        ("/v2/lbaas/loadbalancers/{lb_id}/status", "get", f"{LBS}/{lb['id']}/status", None),
        ("/v2/lbaas/loadbalancers/{lb_id}/stats", "get", f"{LBS}/{lb['id']}/stats", None),
        ("/v2/lbaas/listeners", "get", f"{LBAAS}/listeners", None),
        ("/v2/lbaas/pools/{pool_id}", "get", f"{LBAAS}/pools/{pool['id']}", None),
        ("/v2/lbaas/pools/{pool_id}/members", "get", f"{LBAAS}/pools/{pool['id']}/members",
         None),
        ("/v2/octavia/amphorae", "get", "/v2/octavia/amphorae", stack.tokens.admin),
    ]
    for path, method, url, token in checks:
        body = expect(stack.api.request(method.upper(), url, **(
            {"token": token} if token else {})), 200)
        jsonschema.validate(body, _schema_of(spec, path, method, "200"))
    created = expect(stack.api.post(f"{LBAAS}/pools", json={"pool": {
        "loadbalancer_id": lb["id"], "protocol": "TCP", "lb_algorithm": "SOURCE_IP"}}), 201)
    jsonschema.validate(created, _schema_of(spec, "/v2/lbaas/pools", "post", "201"))
    # The schema is strict enough to notice a wrong shape.
    wrong = {"loadbalancer": {"id": 5}}
    try:
        jsonschema.validate(wrong, _schema_of(spec, "/v2/lbaas/loadbalancers/{lb_id}", "get",
                                              "200"))
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("a numeric id passed the load balancer schema")
    stack.wait_for(lb["id"])
