"""The admin amphora API: list/show/filter, failover, config, stats and delete rules."""

from __future__ import annotations

from typing import Any

from lbaas_stack import Stack, expect, fault

from livia.domain.status import AmphoraStatus
from livia.store import amphorae

AMPHORAE = "/v2/octavia/amphorae"


def _amps(stack: Stack, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = expect(stack.api.get(AMPHORAE, token=stack.tokens.admin,
                                                       params=params), 200)["amphorae"]
    return found


def test_list_show_filter_admin_only(stack: Stack) -> None:
    lb = stack.create_lb()
    other = stack.create_lb()
    mine = _amps(stack, loadbalancer_id=lb["id"])
    assert len(mine) == 2 and len(_amps(stack)) == 4
    assert {a["loadbalancer_id"] for a in mine} == {lb["id"]}
    for amp in mine:
        assert amp["status"] == "ALLOCATED"
        assert amp["role"] in ("MASTER", "BACKUP")
        assert amp["compute_id"] and amp["lb_network_ip"] and amp["vrrp_ip"]
        assert amp["ha_ip"] == lb["vip_address"]
        assert isinstance(amp["vrrp_priority"], int)
        assert "mgmt_port_id" not in amp
    [master] = _amps(stack, loadbalancer_id=lb["id"], role="MASTER")
    shown = expect(stack.api.get(f"{AMPHORAE}/{master['id']}", token=stack.tokens.admin),
                   200)["amphora"]
    assert shown == master
    slim = _amps(stack, loadbalancer_id=other["id"], fields="id,role")
    assert all(set(a) == {"id", "role"} for a in slim) and len(slim) == 2
    for token in (stack.tokens.member_a, stack.tokens.reader_a, stack.tokens.member_b):
        fault(stack.api.get(AMPHORAE, token=token), 403)
        fault(stack.api.get(f"{AMPHORAE}/{master['id']}", token=token), 403)
        fault(stack.api.put(f"{AMPHORAE}/{master['id']}/failover", token=token), 403)
        fault(stack.api.put(f"{AMPHORAE}/{master['id']}/config", token=token), 403)
        fault(stack.api.delete(f"{AMPHORAE}/{master['id']}", token=token), 403)
    fault(stack.api.get(AMPHORAE, token=None), 401)
    for bad in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        fault(stack.api.get(f"{AMPHORAE}/{bad}", token=stack.tokens.admin), 404)
        fault(stack.api.put(f"{AMPHORAE}/{bad}/failover", token=stack.tokens.admin), 404)
    fault(stack.api.get(f"{AMPHORAE}/{master['id']}/bogus", token=stack.tokens.admin), 404)


def test_failover_replaces_one_amphora(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"], port=8080)
    before = {a["role"]: a for a in _amps(stack, loadbalancer_id=lb["id"])}
    old = before["MASTER"]
    with stack.paused():
        r = stack.api.put(f"{AMPHORAE}/{old['id']}/failover", token=stack.tokens.admin)
        assert r.status_code == 202 and r.content == b""
        assert stack.wait_for(lb["id"], "PENDING_UPDATE")
        fault(stack.api.put(f"{AMPHORAE}/{old['id']}/failover", token=stack.tokens.admin), 409)
        fault(stack.api.put(f"{AMPHORAE}/{old['id']}/config", token=stack.tokens.admin), 409)
    stack.wait_until(lambda: old["id"] not in stack.compute.amphorae
                     and len(stack.compute.amphorae) == 2, "the amphora replaced")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    after = {a["role"]: a for a in _amps(stack, loadbalancer_id=lb["id"])}
    assert after["MASTER"]["id"] != old["id"]
    assert after["BACKUP"]["id"] == before["BACKUP"]["id"]
    assert after["MASTER"]["vrrp_port_id"] == old["vrrp_port_id"]
    fault(stack.api.get(f"{AMPHORAE}/{old['id']}", token=stack.tokens.admin), 404)
    new = stack.agents.amphora(after["MASTER"]["id"])
    assert ":8080" in (new.haproxy or "") and new.keepalived is not None
    assert listener["id"] in (new.haproxy or "")


def _sent_to(stack: Stack, amphora_id: str) -> list[str]:
    return [method for method, amp in stack.agents.calls if amp == amphora_id]


def test_config_and_stats(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    [amp, _] = _amps(stack, loadbalancer_id=lb["id"])
    sent_before = _sent_to(stack, amp["id"])
    with stack.paused():
        r = stack.api.put(f"{AMPHORAE}/{amp['id']}/config", token=stack.tokens.admin)
        assert r.status_code == 202 and r.content == b""
        assert stack.wait_for(lb["id"], "PENDING_UPDATE")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    # Everything is sent to that amphora again, although nothing changed.
    again = _sent_to(stack, amp["id"])[len(sent_before):]
    assert {"put_runtime_config", "put_haproxy", "put_keepalived", "put_firewall"} <= set(
        again), again
    assert {a["id"] for a in _amps(stack, loadbalancer_id=lb["id"])} == set(
        stack.compute.amphorae)
    stats = expect(stack.api.get(f"{AMPHORAE}/{amp['id']}/stats", token=stack.tokens.admin),
                   200)
    assert stats == {"amphora_stats": []} or all(
        s["listener_id"] == listener["id"] for s in stats["amphora_stats"])
    with stack.db.write() as conn:
        amphorae.save_listener_stats(conn, amp["id"], lb["id"], listener["id"], {
            "bytes_in": 1, "bytes_out": 2, "active_connections": 3, "total_connections": 4,
            "request_errors": 5})
    stats = expect(stack.api.get(f"{AMPHORAE}/{amp['id']}/stats", token=stack.tokens.admin),
                   200)
    assert stats == {"amphora_stats": [{
        "id": amp["id"], "listener_id": listener["id"], "loadbalancer_id": lb["id"],
        "bytes_in": 1, "bytes_out": 2, "active_connections": 3, "total_connections": 4,
        "request_errors": 5}]}


def test_delete_only_in_error(stack: Stack) -> None:
    lb = stack.create_lb()
    [amp, _] = _amps(stack, loadbalancer_id=lb["id"])
    message = fault(stack.api.delete(f"{AMPHORAE}/{amp['id']}", token=stack.tokens.admin), 409)
    assert amp["id"] in message
    assert amp["id"] in stack.compute.amphorae
    with stack.paused():
        with stack.db.write() as conn:
            amphorae.records.update(conn, amp["id"], status=AmphoraStatus.ERROR)
        r = stack.api.delete(f"{AMPHORAE}/{amp['id']}", token=stack.tokens.admin)
        assert r.status_code == 204
        shown = expect(stack.api.get(f"{AMPHORAE}/{amp['id']}", token=stack.tokens.admin), 200)
        assert shown["amphora"]["status"] == "PENDING_DELETE"
    # The controller tears it down and, the load balancer still needing two, builds another.
    stack.wait_until(lambda: amp["id"] not in stack.compute.amphorae
                     and len(stack.compute.amphorae) == 2, "the amphora replaced")
    assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
    fault(stack.api.get(f"{AMPHORAE}/{amp['id']}", token=stack.tokens.admin), 404)
