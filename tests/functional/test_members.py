"""Members: defaults, operating status with and without a monitor, validation, batch PUT."""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault


def _tree(stack: Stack) -> tuple[dict[str, Any], dict[str, Any], str]:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"], listener_id=listener["id"])
    return lb, pool, f"{LBAAS}/pools/{pool['id']}/members"


def _members(stack: Stack, path: str) -> dict[tuple[str, int], dict[str, Any]]:
    found = expect(stack.api.get(path), 200)["members"]
    return {(m["address"], m["protocol_port"]): m for m in found}


def test_create_defaults_no_monitor(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    with stack.paused():
        member = stack.create_member(lb["id"], pool["id"], wait=False)
        shown = expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)["pool"]
        assert shown["provisioning_status"] == "PENDING_UPDATE"
    assert member["provisioning_status"] == "PENDING_CREATE"
    assert member["operating_status"] == "NO_MONITOR"
    assert member["name"] == "" and member["weight"] == 1 and member["backup"] is False
    assert member["admin_state_up"] is True
    assert member["subnet_id"] is None and member["monitor_address"] is None
    assert member["monitor_port"] is None
    assert member["project_id"] == stack.project_a
    assert member["address"] == "10.91.0.50" and member["protocol_port"] == 8080
    stack.wait_for(lb["id"])
    settled = expect(stack.api.get(f"{path}/{member['id']}"), 200)["member"]
    assert (settled["provisioning_status"], settled["operating_status"]) == (
        "ACTIVE", "NO_MONITOR")
    assert expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)["pool"]["members"] == [
        {"id": member["id"]}]


def test_member_of_monitored_pool_starts_offline(stack: Stack) -> None:
    lb, pool, _ = _tree(stack)
    stack.create_monitor(lb["id"], pool["id"])
    member = stack.create_member(lb["id"], pool["id"])
    assert member["operating_status"] == "OFFLINE"


def test_members_become_server_lines(stack: Stack) -> None:
    lb, pool, _path = _tree(stack)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.61", port=81, weight=7)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.62", port=82, backup=True)
    for amp in stack.agents.amphorae.values():
        config = amp.haproxy or ""
        assert "10.91.0.61:81" in config and "weight 7" in config
        assert "10.91.0.62:82" in config and "backup" in config


def test_duplicate_address_and_port_is_409(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.50", port=80)
    message = fault(stack.api.post(path, json={"member": {"address": "10.91.0.50",
                                                          "protocol_port": 80}}), 409)
    assert message == ("Another member on this pool is already using ip address 10.91.0.50 "
                       "on protocol_port 80")
    stack.wait_for(lb["id"])
    stack.create_member(lb["id"], pool["id"], address="10.91.0.50", port=81)


def test_validation_errors_are_400(stack: Stack) -> None:
    lb, _pool, path = _tree(stack)
    base = {"address": "10.91.0.50", "protocol_port": 80}
    for body in ({**base, "protocol_port": 0}, {**base, "protocol_port": 65536},
                 {**base, "weight": 257}, {**base, "weight": -1}, {**base, "weight": 10**30},
                 {**base, "address": "10.91.0"}, {**base, "address": "example.com"},
                 {**base, "address": "169.254.169.254"},
                 {**base, "monitor_port": 70000}, {**base, "monitor_address": "x"},
                 {**base, "subnet_id": "nope"}, {**base, "backup": "sometimes"},
                 {**base, "request_sriov": True}, {**base, "bogus": True},
                 {"address": "10.91.0.50"}, {"protocol_port": 80}):
        fault(stack.api.post(path, json={"member": body}), 400)
    missing = "00000000-0000-0000-0000-00000000abcd"
    assert fault(stack.api.post(path, json={"member": {**base, "subnet_id": missing}}),
                 400) == f"Subnet {missing} not found."
    assert expect(stack.api.get(path), 200)["members"] == []
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_update_and_reset(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    member = stack.create_member(lb["id"], pool["id"])
    out = expect(stack.api.put(f"{path}/{member['id']}", json={"member": {
        "weight": 5, "backup": True, "name": "m"}}), 200)["member"]
    assert out["provisioning_status"] == "PENDING_UPDATE"
    assert (out["weight"], out["backup"], out["name"]) == (5, True, "m")
    stack.wait_for(lb["id"])
    out = expect(stack.api.put(f"{path}/{member['id']}", json={"member": {
        "weight": None, "backup": None}}), 200)["member"]
    assert (out["weight"], out["backup"]) == (1, False)
    stack.wait_for(lb["id"])
    for body in ({"member": {}}, {}, {"member": {"address": "10.91.0.9"}},
                 {"member": {"protocol_port": 81}}, {"member": {"weight": 300}}):
        fault(stack.api.put(f"{path}/{member['id']}", json=body), 400)


def test_admin_down_member_is_offline(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    member = stack.create_member(lb["id"], pool["id"], admin_state_up=False)
    shown = expect(stack.api.get(f"{path}/{member['id']}"), 200)["member"]
    assert shown["operating_status"] == "OFFLINE"


def test_delete_member(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    member = stack.create_member(lb["id"], pool["id"], address="10.91.0.88")
    assert stack.api.delete(f"{path}/{member['id']}").status_code == 204
    stack.wait_for(lb["id"])
    fault(stack.api.get(f"{path}/{member['id']}"), 404)
    fault(stack.api.delete(f"{path}/{member['id']}"), 404)
    assert all("10.91.0.88" not in (a.haproxy or "") for a in stack.agents.amphorae.values())


def test_pool_not_active_is_409(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    with stack.paused():
        expect(stack.api.put(f"{LBAAS}/pools/{pool['id']}", json={"pool": {"name": "x"}}), 200)
        message = fault(stack.api.post(path, json={"member": {"address": "10.91.0.5",
                                                              "protocol_port": 80}}), 409)
        assert message == f"Pool {pool['id']} is immutable and cannot be updated."
    stack.wait_for(lb["id"])
    # A pool in ERROR (its last change failed) takes no members either.
    stack.agents.fail_next("permanent", method="put_haproxy", times=2)
    expect(stack.api.put(f"{LBAAS}/pools/{pool['id']}", json={"pool": {
        "lb_algorithm": "LEAST_CONNECTIONS"}}), 200)
    stack.wait_until(lambda: expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)[
        "pool"]["provisioning_status"] == "ERROR", "the pool in ERROR")
    message = fault(stack.api.post(path, json={"member": {"address": "10.91.0.5",
                                                          "protocol_port": 80}}), 409)
    assert message == f"Pool {pool['id']} is immutable and cannot be updated."


def test_member_project_id_of_another_project_is_403(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    fault(stack.api.post(path, json={"member": {"address": "10.91.0.5", "protocol_port": 80,
                                                "project_id": stack.project_b}}), 403)
    member = stack.create_member(lb["id"], pool["id"], project_id=stack.project_a)
    assert member["project_id"] == stack.project_a


# -- batch ------------------------------------------------------------------------------------

def test_batch_creates_updates_and_deletes(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    keep = stack.create_member(lb["id"], pool["id"], address="10.91.0.51", port=80)
    drop = stack.create_member(lb["id"], pool["id"], address="10.91.0.52", port=80)
    batch = {"members": [{"address": "10.91.0.51", "protocol_port": 80, "weight": 5},
                         {"address": "10.91.0.53", "protocol_port": 80, "name": "new"}]}
    with stack.paused():
        r = stack.api.put(path, json=batch)
        assert r.status_code == 202 and r.content == b""
        now = _members(stack, path)
        assert now[("10.91.0.51", 80)]["provisioning_status"] == "PENDING_UPDATE"
        assert now[("10.91.0.52", 80)]["provisioning_status"] == "PENDING_DELETE"
        assert now[("10.91.0.53", 80)]["provisioning_status"] == "PENDING_CREATE"
        fault(stack.api.put(path, json=batch), 409)
    stack.wait_for(lb["id"])
    after = _members(stack, path)
    assert set(after) == {("10.91.0.51", 80), ("10.91.0.53", 80)}
    assert after[("10.91.0.51", 80)]["id"] == keep["id"]
    assert after[("10.91.0.51", 80)]["weight"] == 5
    assert after[("10.91.0.53", 80)]["name"] == "new"
    assert all(m["provisioning_status"] == "ACTIVE" for m in after.values())
    fault(stack.api.get(f"{path}/{drop['id']}"), 404)
    for amp in stack.agents.amphorae.values():
        assert "10.91.0.53:80" in (amp.haproxy or "")
        assert "10.91.0.52:80" not in (amp.haproxy or "")


def test_batch_additive_only_keeps_the_others(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.51", port=80)
    r = stack.api.put(path, params={"additive_only": "true"}, json={"members": [
        {"address": "10.91.0.54", "protocol_port": 80}]})
    assert r.status_code == 202
    stack.wait_for(lb["id"])
    assert set(_members(stack, path)) == {("10.91.0.51", 80), ("10.91.0.54", 80)}


def test_batch_with_empty_list_empties_the_pool(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    stack.create_member(lb["id"], pool["id"], address="10.91.0.51", port=80)
    assert stack.api.put(path, json={"members": []}).status_code == 202
    stack.wait_for(lb["id"])
    assert _members(stack, path) == {}


def test_noop_batch_is_202_without_work(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    before = len(stack.agents.calls)
    with stack.paused():
        assert stack.api.put(path, json={"members": []}).status_code == 202
        lb_now = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}"), 200)
        assert lb_now["loadbalancer"]["provisioning_status"] == "ACTIVE"
        stack.create_member(lb["id"], pool["id"], wait=False)
    stack.wait_for(lb["id"])
    with stack.paused():
        r = stack.api.put(path, params={"additive_only": "true"}, json={"members": []})
        assert r.status_code == 202
        lb_now = expect(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}"), 200)
        assert lb_now["loadbalancer"]["provisioning_status"] == "ACTIVE"
    assert len(_members(stack, path)) == 1
    assert len(stack.agents.calls) > before  # only the member create was pushed


def test_batch_bad_bodies_are_400(stack: Stack) -> None:
    lb, _pool, path = _tree(stack)
    member = {"address": "10.91.0.51", "protocol_port": 80}
    for body in ({}, {"members": {}}, {"members": None}, {"members": [{}]},
                 {"members": [member, member]},
                 {"members": [{**member, "protocol_port": 0}]},
                 {"members": [{**member, "address": "169.254.169.254"}]},
                 {"members": [{**member, "weight": 10**30}]},
                 {"members": [member], "extra": 1}, []):
        fault(stack.api.put(path, json=body), 400)
    fault(stack.api.put(path, content=b""), 400)
    message = fault(stack.api.put(path, json={"members": [member, member]}), 400)
    assert "10.91.0.51" in message
    assert _members(stack, path) == {}
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"


def test_batch_for_another_project_is_403(stack: Stack) -> None:
    _lb, _pool, path = _tree(stack)
    fault(stack.api.put(path, json={"members": [{"address": "10.91.0.5", "protocol_port": 80,
                                                 "project_id": stack.project_b}]}), 403)
    fault(stack.api.put(path, json={"members": []}, token=stack.tokens.reader_a), 403)
    fault(stack.api.put(path, json={"members": []}, token=stack.tokens.member_b), 404)


def test_failed_member_change_settles_in_error(stack: Stack) -> None:
    lb, pool, path = _tree(stack)
    stack.agents.fail_next("permanent", method="put_haproxy", times=2)
    member = stack.create_member(lb["id"], pool["id"], wait=False)
    stack.wait_until(lambda: expect(stack.api.get(f"{path}/{member['id']}"), 200)["member"][
        "provisioning_status"] == "ERROR", "the member in ERROR")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    # Only the member is in ERROR: its pool and listener are back to ACTIVE (Octavia's revert).
    assert expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)["pool"][
        "provisioning_status"] == "ACTIVE"
    for listener in expect(stack.api.get(f"{LBAAS}/listeners"), 200)["listeners"]:
        assert listener["provisioning_status"] == "ACTIVE"
    # An ERROR member can be deleted.
    assert stack.api.delete(f"{path}/{member['id']}").status_code == 204
    stack.wait_for(lb["id"])
    fault(stack.api.get(f"{path}/{member['id']}"), 404)
