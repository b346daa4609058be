"""Health monitors on a real load balancer: PING, TCP and HTTP (GET /api expects 200).

For each type a member is stopped (PING: its instance is deleted; TCP and HTTP: its
processes are killed, the namespace stays), and then started again with the same
address. The monitor runs every second with a one-second timeout and one check to
fall and to rise, so HAProxy takes the member out, and back in, within a few
seconds; the health manager turns that into operating statuses from heartbeats.

One tenant network (10.72.0.0/24) with two web instances and a client is made once
for the module; each test creates its own load balancer and deletes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    Lb,
    bodies,
    create_lb,
    delete_instance,
    kill_instance,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
    status_tree,
    wait_for,
)
from livia_host import LiviaHost

M1, M2, CLIENT = "10.72.0.11", "10.72.0.12", "10.72.0.50"
# delay 1 s + timeout 1 s, one failed check to fall: HAProxy needs about 2 s.
OUT_WITHIN = 6.0
# The next check after the member answers again (one to rise): about 1 s.
BACK_WITHIN = 6.0
# What HAProxy sees, plus a heartbeat (every 1 s) and the health manager's pass.
STATUS_WITHIN = 10.0

MONITORS: dict[str, dict[str, Any]] = {
    "PING": {"type": "PING"},
    "TCP": {"type": "TCP"},
    "HTTP": {"type": "HTTP", "http_method": "GET", "url_path": "/api",
             "expected_codes": "200"},
}


@dataclass(frozen=True)
class Net:
    network_id: str
    subnet_id: str


@pytest.fixture(scope="module")
def net(livia: LiviaHost) -> Net:
    network_id, subnet_id = livia.network("lvt-monitors", "10.72.0.0/24")
    livia.web("m1", network_id, M1)
    livia.web("m2", network_id, M2)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    return Net(network_id, subnet_id)


def served_only_by(livia: LiviaHost, vip: str, names: set[str], count: int = 10
                   ) -> dict[str, int] | None:
    """The bodies of ``count`` requests if they all came back 200 from ``names``."""
    seen = bodies(probe(livia, "client", vip, count=count, timeout=1.0))
    return dict(seen) if set(seen) == names else None


def statuses_are(livia: LiviaHost, lb: Lb, wanted: dict[str, str]) -> dict[str, str] | None:
    tree = status_tree(livia, lb.id)
    return tree if all(tree.get(k) == v for k, v in wanted.items()) else None


def expect_statuses(livia: LiviaHost, lb: Lb, wanted: dict[str, str], what: str) -> float:
    _, took = wait_for(f"{what}: statuses {wanted}",
                       lambda: statuses_are(livia, lb, wanted), STATUS_WITHIN, interval=0.2)
    return took


def stop_m2(livia: LiviaHost, kind: str) -> None:
    if kind == "PING":  # the host is gone: nothing answers ping any more
        delete_instance(livia, "m2")
    else:  # the server process is dead; the address still answers ping
        assert kill_instance(livia, "m2"), "m2 had no process to kill"


@pytest.mark.parametrize("kind", list(MONITORS))
def test_monitor_takes_a_stopped_member_out_and_back(livia: LiviaHost, net: Net,
                                                     lbs: list[str], kind: str) -> None:
    monitor = {**MONITORS[kind], "delay": 1, "timeout": 1, "max_retries": 1,
               "max_retries_down": 1}
    lb = create_lb(livia, net.subnet_id,
                   pool_body([member(M1), member(M2)], healthmonitor=monitor))
    lbs.append(lb.id)
    assert lb.pool_id is not None
    m1, m2 = lb.member_ids[M1], lb.member_ids[M2]
    expect_statuses(livia, lb, {m1: "ONLINE", m2: "ONLINE", lb.pool_id: "ONLINE"}, "at start")
    wait_for("both members serve", lambda: served_only_by(livia, lb.vip, {"m1", "m2"}), 10)

    stop_m2(livia, kind)
    _, out_after = wait_for(f"{kind}: only m1 serves after m2 stopped",
                            lambda: served_only_by(livia, lb.vip, {"m1"}), OUT_WITHIN)
    down = expect_statuses(livia, lb, {m2: "ERROR", m1: "ONLINE", lb.pool_id: "DEGRADED",
                                       lb.id: "DEGRADED"}, f"{kind}: m2 stopped")
    after = bodies(probe(livia, "client", lb.vip, count=30, timeout=1.0))
    assert dict(after) == {"m1": 30}, f"{kind}: m2 is down, yet 30 requests gave {after}"

    if kind != "PING":
        delete_instance(livia, "m2")
    livia.web("m2", net.network_id, M2)
    _, back_after = wait_for(f"{kind}: m2 back in rotation",
                             lambda: served_only_by(livia, lb.vip, {"m1", "m2"}), BACK_WITHIN)
    up = expect_statuses(livia, lb, {m2: "ONLINE", m1: "ONLINE", lb.pool_id: "ONLINE",
                                     lb.id: "ONLINE"}, f"{kind}: m2 started again")
    print(f"{kind}: out of rotation {out_after:.1f} s after the stop (status ERROR "
          f"{down:.1f} s later); back {back_after:.1f} s after the restart (ONLINE "
          f"{up:.1f} s later)")
