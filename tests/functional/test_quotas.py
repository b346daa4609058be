"""Quotas: Octavia's API shapes, and a check no way of creating gets around, even concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault

from livia.domain.quotas import Resource

QUOTAS = f"{LBAAS}/quotas"
DEFAULTS = {r.value: -1 for r in Resource} | {"load_balancer": -1, "health_monitor": -1}


def _set(stack: Stack, project: str, **values: int) -> dict[str, Any]:
    r = stack.api.put(f"{QUOTAS}/{project}", json={"quota": values}, token=stack.tokens.admin)
    return expect(r, 202)["quota"]


def _count(stack: Stack, path: str, key: str) -> int:
    return len(expect(stack.api.get(path, token=stack.tokens.admin), 200)[key])


def test_shapes_and_deprecated_names(stack: Stack) -> None:
    a, admin = stack.project_a, stack.tokens.admin
    assert expect(stack.api.get(f"{QUOTAS}/defaults", token=admin), 200)["quota"] == DEFAULTS
    assert expect(stack.api.get(f"{QUOTAS}/{a}", token=stack.tokens.reader_a), 200)[
        "quota"] == {"project_id": a, **DEFAULTS}
    assert expect(stack.api.get(f"{QUOTAS}", token=admin), 200) == {"quotas": [],
                                                                   "quotas_links": []}
    quota = _set(stack, a, load_balancer=3, member=10, health_monitor=2)
    assert quota["loadbalancer"] == quota["load_balancer"] == 3
    assert quota["healthmonitor"] == quota["health_monitor"] == 2
    assert quota["member"] == 10 and quota["listener"] == -1
    quota = _set(stack, a, listener=4)  # others stay
    assert (quota["loadbalancer"], quota["listener"]) == (3, 4)
    [listed] = expect(stack.api.get(QUOTAS, token=admin), 200)["quotas"]
    assert listed["project_id"] == a and listed["listener"] == 4
    assert expect(stack.api.get(QUOTAS, token=stack.tokens.member_b), 200)["quotas"] == []
    assert expect(stack.api.get(f"{QUOTAS}/{a}/default", token=admin), 200)["quota"][
        "listener"] == -1
    fault(stack.api.put(f"{QUOTAS}/{a}", json={"quota": {"member": -2}}, token=admin), 400)
    fault(stack.api.put(f"{QUOTAS}/{a}", json={"quota": {"pools": 1}}, token=admin), 400)
    fault(stack.api.put(f"{QUOTAS}/{a}", json={"quota": {
        "loadbalancer": 1, "load_balancer": 2}}, token=admin), 400)
    fault(stack.api.put(f"{QUOTAS}/{a}", json={"quota": {}}, token=admin), 400)
    # who may: a project's member reads its own, not another's, and changes nothing
    fault(stack.api.get(f"{QUOTAS}/{a}", token=stack.tokens.member_b), 403)
    fault(stack.api.put(f"{QUOTAS}/{a}", json={"quota": {"member": 1}},
                        token=stack.tokens.member_a), 403)
    fault(stack.api.delete(f"{QUOTAS}/{a}", token=stack.tokens.member_a), 403)
    assert stack.api.delete(f"{QUOTAS}/{a}", token=admin).status_code == 202
    assert expect(stack.api.get(f"{QUOTAS}/{a}", token=admin), 200)["quota"] == {
        "project_id": a, **DEFAULTS}


def test_concurrent_creates_never_pass_the_quota(stack: Stack) -> None:
    b = stack.project_b
    _set(stack, b, loadbalancer=5)
    subnet = stack.vip_subnet(stack.tokens.member_b)

    def create(n: int) -> int:
        r = stack.api.post(f"{LBAAS}/loadbalancers", token=stack.tokens.member_b,
                           json={"loadbalancer": {"name": f"q{n}", "vip_subnet_id": subnet}})
        return r.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(create, range(20)))
    assert sorted(statuses) == [201] * 5 + [403] * 15, statuses
    lbs = expect(stack.api.get(f"{LBAAS}/loadbalancers", token=stack.tokens.member_b),
                 200)["loadbalancers"]
    assert len(lbs) == 5
    r = stack.api.post(f"{LBAAS}/loadbalancers", token=stack.tokens.member_b,
                       json={"loadbalancer": {"vip_subnet_id": subnet}})
    assert fault(r, 403) == "Quota has been met for resources: Load Balancer"
    # a deleted load balancer frees its place once it is gone
    stack.wait_for(lbs[0]["id"])
    expect(stack.api.delete(f"{LBAAS}/loadbalancers/{lbs[0]['id']}",
                            token=stack.tokens.member_b), 204)
    stack.wait_for(lbs[0]["id"], "DELETED")
    expect(r := stack.api.post(f"{LBAAS}/loadbalancers", token=stack.tokens.member_b,
                               json={"loadbalancer": {"vip_subnet_id": subnet}}), 201)
    assert r.status_code == 201


def test_a_fully_populated_create_over_a_quota_creates_nothing(stack: Stack) -> None:
    a = stack.project_a
    _set(stack, a, member=2)
    body = {"loadbalancer": {"vip_subnet_id": stack.vip_subnet(), "listeners": [{
        "protocol": "HTTP", "protocol_port": 80, "default_pool": {
            "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "members": [
                {"address": f"10.91.0.{n}", "protocol_port": 80} for n in range(10, 13)]}}]}}
    before = _count(stack, "/v2/ports", "ports")
    assert fault(stack.api.post(f"{LBAAS}/loadbalancers", json=body), 403) == (
        "Quota has been met for resources: Member")
    for path, key in ((f"{LBAAS}/loadbalancers", "loadbalancers"),
                      (f"{LBAAS}/listeners", "listeners"), (f"{LBAAS}/pools", "pools")):
        assert _count(stack, path, key) == 0
    assert _count(stack, "/v2/ports", "ports") == before
    body["loadbalancer"]["listeners"][0]["default_pool"]["members"].pop()
    expect(stack.api.post(f"{LBAAS}/loadbalancers", json=body), 201)


def test_single_and_batch_member_creates(stack: Stack) -> None:
    lb = stack.create_lb()
    pool = stack.create_pool(lb["id"])
    _set(stack, stack.project_a, member=2, pool=1)
    fault(stack.api.post(f"{LBAAS}/pools", json={"pool": {
        "loadbalancer_id": lb["id"], "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}}), 403)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.20")
    members = f"{LBAAS}/pools/{pool['id']}/members"
    batch = {"members": [{"address": f"10.91.0.{n}", "protocol_port": 80}
                         for n in (20, 21, 22)]}
    batch["members"][0]["protocol_port"] = 8080  # the one that exists (default port)
    assert fault(stack.api.put(members, json=batch), 403) == (
        "Quota has been met for resources: Member")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"  # nothing was taken
    assert [m["address"] for m in expect(stack.api.get(members), 200)["members"]] == [
        "10.91.0.20"]
    batch["members"].pop()
    assert stack.api.put(members, json=batch).status_code == 202
    stack.wait_for(lb["id"])
    fault(stack.api.post(members, json={"member": {"address": "10.91.0.30",
                                                   "protocol_port": 80}}), 403)
    # unlimited again
    _set(stack, stack.project_a, member=-1)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.30")


def test_concurrent_creates_on_different_load_balancers(stack: Stack) -> None:
    """Each create locks only its own load balancer: the quota row is what serialises them."""
    lbs = [stack.create_lb(wait=False) for _ in range(10)]
    for lb in lbs:
        stack.wait_for(lb["id"])
    _set(stack, stack.project_a, listener=4)

    def create(lb: dict[str, Any]) -> int:
        return stack.api.post(f"{LBAAS}/listeners", json={"listener": {
            "loadbalancer_id": lb["id"], "protocol": "TCP", "protocol_port": 80}}).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(create, lbs))
    assert sorted(statuses) == [201] * 4 + [403] * 6, statuses
    assert _count(stack, f"{LBAAS}/listeners", "listeners") == 4
