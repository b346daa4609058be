"""The data plane does not depend on the control plane: stopping ``livia serve`` (SIGTERM
or SIGKILL) drops no request, and a restarted server adopts the running amphorae.

One tenant network (10.76.0.0/24) with three web instances and a client; one
ACTIVE_STANDBY load balancer with two members for the module. Request streams are
bounded (a request every 10 ms, at most 2000 requests and 20 s).
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    Lb,
    Timed,
    background,
    bodies,
    change,
    create_lb,
    delete_lb,
    finish_timed_loop,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
    start_timed_loop,
    wait_for,
)
from livia_host import LiviaHost

W1, W2, W3, CLIENT = "10.76.0.11", "10.76.0.12", "10.76.0.13", "10.76.0.50"
DOWN_FOR = 3.0  # seconds the server stays stopped under traffic
# After a restart, the amphorae must stay adopted for longer than the heartbeat
# timeout (5 s): a server that took the silence while it was down for death
# would start failing them over by then.
WATCH_AFTER_START = 6.5


@pytest.fixture(scope="module")
def lb(livia: LiviaHost) -> Iterator[Lb]:
    network_id, subnet_id = livia.network("lvt-restart", "10.76.0.0/24")
    livia.web("w1", network_id, W1)
    livia.web("w2", network_id, W2)
    livia.web("w3", network_id, W3)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    made = create_lb(livia, subnet_id, pool_body([member(W1), member(W2)]))
    try:
        yield made
    finally:
        if livia.proc is None:
            livia.start()
        delete_lb(livia, made.id)


def amphora_state(livia: LiviaHost, lb_id: str) -> tuple[str, list[tuple[str, str, str]]]:
    """(the LB's provisioning status, sorted (id, role, status) of its amphorae)"""
    status = livia.call("GET", f"/v2/lbaas/loadbalancers/{lb_id}")["loadbalancer"][
        "provisioning_status"]
    amps = sorted((a["id"], a["role"], a["status"]) for a in livia.amphorae(lb_id))
    return status, amps


def _failures(rows: list[Timed], since: float) -> list[tuple[float, str | None]]:
    return [(round(r.start - since, 3), r.body) for r in rows if not r.ok]


def _restart_and_watch(livia: LiviaHost, lb: Lb, before: tuple[str, list[tuple[str, str, str]]]
                       ) -> float:
    """Start the server again; the same amphorae stay ALLOCATED and the LB ACTIVE."""
    started = time.monotonic()
    livia.start()
    up = time.monotonic() - started
    while time.monotonic() - started < WATCH_AFTER_START:
        now = amphora_state(livia, lb.id)
        assert now == before, f"{time.monotonic() - started:.1f} s after the restart: " \
                              f"{now}, before the stop: {before}\n{livia.log_tail()}"
        time.sleep(0.25)
    return up


def test_sigterm_drops_nothing_and_restart_adopts(livia: LiviaHost, lb: Lb) -> None:
    before = amphora_state(livia, lb.id)
    assert before[0] == "ACTIVE" and [a[2] for a in before[1]] == ["ALLOCATED"] * 2, before
    loop = start_timed_loop(livia, "client", lb.vip, 2000, 0.01, 20.0)
    with background(loop):
        time.sleep(1.0)
        t0 = time.monotonic()
        livia.stop(signal.SIGTERM)
        stopped_in = time.monotonic() - t0
        time.sleep(DOWN_FOR)
        up = _restart_and_watch(livia, lb, before)
        rows = finish_timed_loop(loop, timeout=60)
    failed = _failures(rows, t0)
    print(f"SIGTERM: stopped in {stopped_in:.2f} s, up again in {up:.2f} s; "
          f"{len(rows)} requests, {len(failed)} failed; {dict(bodies_of(rows))}")
    assert not failed, f"{len(failed)} of {len(rows)} failed (s from the stop, body): {failed}"
    assert rows[-1].start > t0 + stopped_in + DOWN_FOR, "the stream ended before the restart"


def bodies_of(rows: list[Timed]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[str(r.body)] = out.get(str(r.body), 0) + 1
    return out


def test_a_change_after_the_restart_applies(livia: LiviaHost, lb: Lb) -> None:
    change(livia, lb.id, "POST", f"/v2/lbaas/pools/{lb.pool_id}/members",
           {"member": member(W3)})

    def with_w3() -> Counter[str] | None:
        seen = bodies(probe(livia, "client", lb.vip, count=12))
        return seen if seen.get("w3") else None

    seen, took = wait_for("the new member serving", with_w3, 10.0)
    print(f"member w3 added after the restart serves within {took:.2f} s: {dict(seen)}")
    assert set(seen) == {"w1", "w2", "w3"}, f"after adding w3: {seen}"


def test_sigkill_drops_nothing_and_restart_adopts(livia: LiviaHost, lb: Lb) -> None:
    before = amphora_state(livia, lb.id)
    loop = start_timed_loop(livia, "client", lb.vip, 2000, 0.01, 8.0)
    with background(loop):
        time.sleep(1.0)
        t0 = time.monotonic()
        livia.stop(signal.SIGKILL)
        rows = finish_timed_loop(loop, timeout=60)
    failed = _failures(rows, t0)
    print(f"SIGKILL: {len(rows)} requests, {len(failed)} failed; {bodies_of(rows)}")
    assert not failed, f"{len(failed)} of {len(rows)} failed (s from the kill, body): {failed}"
    assert rows[-1].start > t0 + DOWN_FOR, "the stream ended too early"
    _restart_and_watch(livia, lb, before)
    change(livia, lb.id, "PUT", f"/v2/lbaas/pools/{lb.pool_id}/members/{lb.member_ids[W1]}",
           {"member": {"admin_state_up": False}})
    seen = bodies(probe(livia, "client", lb.vip, count=12))
    assert set(seen) == {"w2", "w3"}, f"w1 disabled after the SIGKILL restart: {seen}"
