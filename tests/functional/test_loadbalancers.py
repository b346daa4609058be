"""Load balancers: defaults, VIP selection, update, delete (cascade, ERROR), sub-resources."""

from __future__ import annotations

import ipaddress
import re

from lbaas_stack import LBAAS, Stack, expect, fault

from livia.domain.errors import PermanentError
from livia.store import amphorae

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
LBS = f"{LBAAS}/loadbalancers"


def test_create_returns_pending_object_with_octavia_defaults(stack: Stack) -> None:
    subnet_id = stack.vip_subnet()
    body = expect(stack.api.post(LBS, json={"loadbalancer": {"vip_subnet_id": subnet_id}}),
                  201)
    lb = body["loadbalancer"]
    assert lb["provisioning_status"] == "PENDING_CREATE"
    assert lb["operating_status"] == "OFFLINE"
    assert lb["name"] == "" and lb["description"] == ""
    assert lb["admin_state_up"] is True
    assert lb["project_id"] == stack.project_a
    assert lb["listeners"] == [] and lb["pools"] == []
    assert lb["provider"] == "amphora"
    assert lb["tags"] == []
    assert lb["flavor_id"] is None
    assert lb["updated_at"] is None
    assert TIMESTAMP.match(lb["created_at"]), lb["created_at"]
    assert lb["vip_subnet_id"] == subnet_id
    assert ipaddress.ip_address(lb["vip_address"]) in ipaddress.ip_network("10.91.0.0/24")
    assert lb["vip_port_id"]


def test_controller_makes_it_active_and_online(stack: Stack) -> None:
    lb = stack.create_lb(name="web", description="the shop", tags=["blue", "prod"])
    assert lb["provisioning_status"] == "ACTIVE"
    assert lb["operating_status"] == "ONLINE"
    assert lb["name"] == "web" and lb["description"] == "the shop"
    assert lb["tags"] == ["blue", "prod"]
    assert TIMESTAMP.match(lb["updated_at"]), lb["updated_at"]
    # ACTIVE_STANDBY: a MASTER and a BACKUP amphora, each with its configuration.
    amps = expect(stack.api.get("/v2/octavia/amphorae", token=stack.tokens.admin,
                                params={"loadbalancer_id": lb["id"]}), 200)["amphorae"]
    assert sorted(a["role"] for a in amps) == ["BACKUP", "MASTER"]
    for amp in amps:
        assert stack.agents.amphora(amp["id"]).keepalived is not None
        assert stack.agents.amphora(amp["id"]).haproxy is not None


def test_v2_and_v2_0_are_aliases(stack: Stack) -> None:
    lb = stack.create_lb()
    a = expect(stack.api.get(f"/v2/lbaas/loadbalancers/{lb['id']}"), 200)
    b = expect(stack.api.get(f"/v2.0/lbaas/loadbalancers/{lb['id']}"), 200)
    assert a == b


def test_missing_vip_is_400_with_octavias_faultstring(stack: Stack) -> None:
    message = fault(stack.api.post(LBS, json={"loadbalancer": {"name": "x"}}), 400)
    assert message == ("Validation failure: VIP must contain one of: vip_port_id, "
                       "vip_network_id, vip_subnet_id.")


def test_bad_inputs_are_400_never_500(stack: Stack) -> None:
    subnet = stack.vip_subnet()
    message = fault(stack.api.post(LBS, json={"loadbalancer": {"vip_subnet_id": ""}}), 400)
    assert message == ("Invalid input for field/attribute vip_subnet_id. Value: ''. "
                       "Value should be UUID format")
    message = fault(stack.api.post(LBS, json={"loadbalancer": {
        "vip_subnet_id": subnet, "bogus": 1}}), 400)
    assert "bogus" in message
    for bad in ({"vip_subnet_id": subnet, "admin_state_up": "maybe"},
                {"vip_subnet_id": subnet, "name": "x" * 256},
                {"vip_subnet_id": subnet, "vip_address": "10.91.0.300"},
                {"vip_subnet_id": subnet, "vip_address": "10.92.0.10"},
                {"vip_subnet_id": subnet, "tags": "notalist"},
                {"vip_subnet_id": subnet, "provider": "nope"},
                {"vip_subnet_id": "00000000-0000-0000-0000-000000000000"},
                {"vip_subnet_id": subnet, "vip_qos_policy_id": 10**30}):
        fault(stack.api.post(LBS, json={"loadbalancer": bad}), 400)
    fault(stack.api.post(LBS, json={}), 400)
    fault(stack.api.post(LBS, json=[]), 400)
    fault(stack.api.post(LBS, content=b"{not json"), 400)
    fault(stack.api.post(LBS, content=b""), 400)


def test_vip_network_picks_its_subnet_and_vip_address_is_kept(stack: Stack) -> None:
    subnet = expect(stack.api.get(f"/v2.0/subnets/{stack.vip_subnet()}"), 200)["subnet"]
    lb = stack.create_lb(wait=False, vip_subnet_id=None, vip_network_id=subnet["network_id"])
    assert lb["vip_subnet_id"] == subnet["id"]
    assert lb["vip_network_id"] == subnet["network_id"]
    fixed = stack.create_lb(wait=False, vip_address="10.91.0.200")
    assert fixed["vip_address"] == "10.91.0.200"
    stack.wait_for(lb["id"])
    stack.wait_for(fixed["id"])


def test_update_changes_fields_and_returns_200(stack: Stack) -> None:
    lb = stack.create_lb()
    r = stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
        "name": "renamed", "description": "d", "tags": ["t1"]}})
    out = expect(r, 200)["loadbalancer"]
    assert out["name"] == "renamed" and out["tags"] == ["t1"]
    assert out["provisioning_status"] == "PENDING_UPDATE"
    settled = stack.wait_for(lb["id"])
    assert settled["name"] == "renamed" and settled["description"] == "d"
    off = expect(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
        "admin_state_up": False}}), 200)["loadbalancer"]
    assert off["admin_state_up"] is False
    assert stack.wait_for(lb["id"])["operating_status"] == "OFFLINE"


def test_empty_or_readonly_update_is_400(stack: Stack) -> None:
    lb = stack.create_lb()
    fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {}}), 400)
    fault(stack.api.put(f"{LBS}/{lb['id']}", json={}), 400)
    fault(stack.api.put(f"{LBS}/{lb['id']}", content=b""), 400)
    fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
        "vip_address": "10.91.0.9"}}), 400)
    fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
        "provisioning_status": "ACTIVE"}}), 400)
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_pending_load_balancer_is_immutable(stack: Stack) -> None:
    with stack.paused():
        lb = stack.create_lb(wait=False)
        expected = f"Invalid state PENDING_CREATE of loadbalancer resource {lb['id']}"
        assert fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
            "name": "x"}}), 409) == expected
        assert fault(stack.api.delete(f"{LBS}/{lb['id']}"), 409) == expected
        fault(stack.api.put(f"{LBS}/{lb['id']}/failover", token=stack.tokens.admin), 409)
    stack.wait_for(lb["id"])
    with stack.paused():
        expect(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {"name": "y"}}), 200)
        message = fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
            "name": "z"}}), 409)
        assert message == f"Invalid state PENDING_UPDATE of loadbalancer resource {lb['id']}"
    assert stack.wait_for(lb["id"])["name"] == "y"


def test_delete_goes_through_pending_delete_to_404(stack: Stack) -> None:
    lb = stack.create_lb()
    amp_ids = set(stack.compute.amphorae)
    assert len(amp_ids) == 2
    with stack.paused():
        assert stack.api.delete(f"{LBS}/{lb['id']}").status_code == 204
        shown = expect(stack.api.get(f"{LBS}/{lb['id']}"), 200)["loadbalancer"]
        assert shown["provisioning_status"] == "PENDING_DELETE"
    stack.wait_for(lb["id"], "DELETED")
    gone = f"Load Balancer {lb['id']} not found."
    assert fault(stack.api.get(f"{LBS}/{lb['id']}"), 404) == gone
    assert fault(stack.api.delete(f"{LBS}/{lb['id']}"), 404) == gone
    assert fault(stack.api.put(f"{LBS}/{lb['id']}", json={"loadbalancer": {
        "name": "x"}}), 404) == gone
    assert lb["id"] not in [x["id"] for x in expect(stack.api.get(LBS), 200)["loadbalancers"]]
    assert not stack.compute.amphorae, "the amphorae were torn down"


def test_delete_with_children_needs_cascade(stack: Stack) -> None:
    lb = stack.create_lb()
    stack.create_pool(lb["id"])
    message = fault(stack.api.delete(f"{LBS}/{lb['id']}"), 400)
    assert message == f"Cannot delete Load Balancer {lb['id']} - it has children"
    other = stack.create_lb()
    stack.create_listener(other["id"])
    fault(stack.api.delete(f"{LBS}/{other['id']}"), 400)
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_cascade_delete_removes_the_whole_tree(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"], listener_id=listener["id"])
    member = stack.create_member(lb["id"], pool["id"])
    monitor = stack.create_monitor(lb["id"], pool["id"])
    other_pool = stack.create_pool(lb["id"])
    policy = stack.create_policy(lb["id"], listener["id"], action="REDIRECT_TO_POOL",
                                 redirect_pool_id=other_pool["id"])
    rule = stack.create_rule(lb["id"], policy["id"])
    assert stack.api.delete(f"{LBS}/{lb['id']}", params={"cascade": "true"}).status_code == 204
    stack.wait_for(lb["id"], "DELETED")
    for path in (f"{LBAAS}/listeners/{listener['id']}", f"{LBAAS}/pools/{pool['id']}",
                 f"{LBAAS}/pools/{other_pool['id']}",
                 f"{LBAAS}/pools/{pool['id']}/members/{member['id']}",
                 f"{LBAAS}/healthmonitors/{monitor['id']}", f"{LBAAS}/l7policies/{policy['id']}",
                 f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}"):
        fault(stack.api.get(path), 404)
    for collection in ("listeners", "pools", "healthmonitors", "l7policies"):
        assert expect(stack.api.get(f"{LBAAS}/{collection}"), 200)[collection] == []
    assert not stack.compute.amphorae
    # The VIP subnet's addresses are free again: a new load balancer can take the same VIP.
    again = stack.create_lb(vip_address=lb["vip_address"])
    assert again["vip_address"] == lb["vip_address"]


def test_delete_in_error_is_allowed(stack: Stack) -> None:
    stack.compute.fail_next("create_amphora", PermanentError("injected: no capacity"))
    lb = stack.create_lb(wait=False)
    stack.wait_until(lambda: expect(stack.api.get(f"{LBS}/{lb['id']}"), 200)[
        "loadbalancer"]["provisioning_status"] == "ERROR", "the load balancer in ERROR")
    assert stack.api.delete(f"{LBS}/{lb['id']}").status_code == 204
    stack.wait_for(lb["id"], "DELETED")
    assert not stack.compute.amphorae


def test_status_tree_shape(stack: Stack) -> None:
    lb = stack.create_lb(name="tree")
    listener = stack.create_listener(lb["id"], name="front")
    pool = stack.create_pool(lb["id"], listener_id=listener["id"], name="back")
    member = stack.create_member(lb["id"], pool["id"], name="m1")
    monitor = stack.create_monitor(lb["id"], pool["id"], name="hm")
    redirect = stack.create_pool(lb["id"], name="redirect")
    policy = stack.create_policy(lb["id"], listener["id"], action="REDIRECT_TO_POOL",
                                 redirect_pool_id=redirect["id"])
    unused = stack.create_pool(lb["id"], name="unused")
    tree = expect(stack.api.get(f"{LBS}/{lb['id']}/status"), 200)
    assert tree == expect(stack.api.get(f"{LBS}/{lb['id']}/statuses"), 200)
    root = tree["statuses"]["loadbalancer"]
    assert {k: root[k] for k in ("id", "name", "provisioning_status", "operating_status")} == {
        "id": lb["id"], "name": "tree", "provisioning_status": "ACTIVE",
        "operating_status": "ONLINE"}
    [li] = root["listeners"]
    assert (li["id"], li["name"], li["provisioning_status"], li["operating_status"]) == (
        listener["id"], "front", "ACTIVE", "ONLINE")
    # A redirect pool counts only once its policy has a rule.
    assert [p["id"] for p in li["pools"]] == [pool["id"]]
    [p] = li["pools"]
    assert p["health_monitor"] == {"id": monitor["id"], "name": "hm", "type": "HTTP",
                                   "provisioning_status": "ACTIVE",
                                   "operating_status": "ONLINE"}
    assert p["members"] == [{"id": member["id"], "name": "m1", "operating_status": "OFFLINE",
                             "provisioning_status": "ACTIVE", "address": "10.91.0.50",
                             "protocol_port": 8080}]
    stack.create_rule(lb["id"], policy["id"])
    tree = expect(stack.api.get(f"{LBS}/{lb['id']}/status"), 200)
    pools = tree["statuses"]["loadbalancer"]["listeners"][0]["pools"]
    assert [x["id"] for x in pools] == [pool["id"], redirect["id"]]
    assert "health_monitor" not in pools[1] and pools[1]["members"] == []
    assert unused["id"] not in str(tree)


def test_stats_shape_and_sums(stack: Stack) -> None:
    lb = stack.create_lb()
    first = stack.create_listener(lb["id"], port=80)
    second = stack.create_listener(lb["id"], port=81)
    zero = {"bytes_in": 0, "bytes_out": 0, "active_connections": 0, "total_connections": 0,
            "request_errors": 0}
    assert expect(stack.api.get(f"{LBS}/{lb['id']}/stats"), 200) == {"stats": zero}
    assert expect(stack.api.get(f"{LBAAS}/listeners/{first['id']}/stats"), 200) == {
        "stats": zero}
    amp_ids = sorted(stack.compute.amphorae)
    with stack.db.write() as conn:
        for amp_id in amp_ids:
            for listener, n in ((first, 1), (second, 10)):
                amphorae.save_listener_stats(conn, amp_id, lb["id"], listener["id"], {
                    "bytes_in": 100 * n, "bytes_out": 200 * n, "active_connections": n,
                    "total_connections": 5 * n, "request_errors": n})
    assert expect(stack.api.get(f"{LBAAS}/listeners/{first['id']}/stats"), 200)["stats"] == {
        "bytes_in": 200, "bytes_out": 400, "active_connections": 2, "total_connections": 10,
        "request_errors": 2}
    assert expect(stack.api.get(f"{LBS}/{lb['id']}/stats"), 200)["stats"] == {
        "bytes_in": 2200, "bytes_out": 4400, "active_connections": 22,
        "total_connections": 110, "request_errors": 22}


def test_failover_replaces_both_amphorae(stack: Stack) -> None:
    lb = stack.create_lb()
    before = set(stack.compute.amphorae)
    fault(stack.api.put(f"{LBS}/{lb['id']}/failover"), 403)
    r = stack.api.put(f"{LBS}/{lb['id']}/failover", token=stack.tokens.admin)
    assert r.status_code == 202 and r.content == b""
    stack.wait_until(lambda: not (set(stack.compute.amphorae) & before)
                     and len(stack.compute.amphorae) == 2, "both amphorae replaced")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    amps = expect(stack.api.get("/v2/octavia/amphorae", token=stack.tokens.admin,
                                params={"loadbalancer_id": lb["id"]}), 200)["amphorae"]
    assert {a["id"] for a in amps} == set(stack.compute.amphorae)
    assert sorted(a["role"] for a in amps) == ["BACKUP", "MASTER"]


def test_error_load_balancer_can_be_failed_over(stack: Stack) -> None:
    stack.compute.fail_next("create_amphora", PermanentError("injected"))
    lb = stack.create_lb(wait=False)
    stack.wait_until(lambda: expect(stack.api.get(f"{LBS}/{lb['id']}"), 200)[
        "loadbalancer"]["provisioning_status"] == "ERROR", "the load balancer in ERROR")
    assert stack.api.put(f"{LBS}/{lb['id']}/failover",
                         token=stack.tokens.admin).status_code == 202
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
