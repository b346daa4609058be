"""``kill -9`` of ``livia serve`` while work is pending; the restarted server finishes it.

Ten fully populated load balancers are created concurrently, members are
added to those that are ACTIVE already, and the server is killed right after
a read of the lists shows objects in PENDING_*. Started again on the same
state directory and database, it must bring every object to ACTIVE, with no
object left PENDING_* and exactly one MASTER and one BACKUP amphora per load
balancer (no duplicates from the interrupted builds).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from livia_server import LiviaServer

N_LBS = 10
# Settings.lease_seconds is 30: a restarted controller must not wait for the leases its dead
# predecessor held (bootstrap.release_dead_leases frees them), so the bound is shorter.
SETTLE_BOUND = 20.0
KILL_BOUND = 30.0
LB_PATH = "/v2/lbaas/loadbalancers"


def _full_lb(i: int, subnet_id: str) -> dict[str, Any]:
    pool = {"name": f"crash-{i}-p", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
            "members": [{"address": f"10.70.{i}.10", "protocol_port": 80}]}
    return {"loadbalancer": {"name": f"crash-{i}", "vip_subnet_id": subnet_id, "listeners": [
        {"name": f"crash-{i}-l", "protocol": "HTTP", "protocol_port": 80,
         "default_pool": pool}]}}


def _post(server: LiviaServer, path: str, body: dict[str, Any]) -> httpx.Response:
    """One request on a client of its own, so that threads share nothing."""
    with httpx.Client(base_url=server.url, headers={"X-Auth-Token": server.token},
                      timeout=30.0) as client:
        return client.post(path, json=body)


def _rows(server: LiviaServer, kind: str) -> list[dict[str, Any]]:
    return list(server.api("GET", f"/v2/lbaas/{kind}")[kind])


def _statuses(server: LiviaServer) -> dict[str, str]:
    """``kind:id`` -> provisioning_status for every LB, listener, pool and member."""
    out = {}
    for kind in ("loadbalancers", "listeners", "pools"):
        for row in _rows(server, kind):
            out[f"{kind}:{row['id']}"] = row["provisioning_status"]
            if kind == "pools":
                for m in server.api("GET", f"/v2/lbaas/pools/{row['id']}/members")["members"]:
                    out[f"members:{m['id']}"] = m["provisioning_status"]
    return out


def _pending(statuses: dict[str, str]) -> list[str]:
    return sorted(k for k, v in statuses.items() if v.startswith("PENDING_"))


@dataclass
class Load:
    """What the server accepted before it was killed."""

    lbs: dict[str, str] = field(default_factory=dict)  # lb id -> its pool id
    members: set[str] = field(default_factory=set)
    pending_at_kill: list[str] = field(default_factory=list)
    rounds: int = 0


def _add_members(server: LiviaServer, pool: ThreadPoolExecutor, load: Load) -> int:
    """A member on every load balancer that is ACTIVE now; how many creates were accepted."""
    active = [lb["id"] for lb in _rows(server, "loadbalancers")
              if lb["provisioning_status"] == "ACTIVE" and lb["id"] in load.lbs]
    load.rounds += 1
    futures: list[Future[httpx.Response]] = []
    for n, lb_id in enumerate(active):
        body = {"member": {"address": f"10.71.{load.rounds}.{n + 10}", "protocol_port": 80}}
        futures.append(pool.submit(_post, server, f"/v2/lbaas/pools/{load.lbs[lb_id]}/members",
                                   body))
    accepted = 0
    for f in futures:
        answer = f.result()
        # 409: the load balancer went PENDING_UPDATE since the list; that is fine
        assert answer.status_code in (201, 409), answer.text
        if answer.status_code == 201:
            load.members.add(answer.json()["member"]["id"])
            accepted += 1
    return accepted


def _load_and_kill(server: LiviaServer, subnet_id: str) -> Load:
    load = Load()
    with ThreadPoolExecutor(max_workers=N_LBS) as pool:
        creates = [pool.submit(_post, server, LB_PATH, _full_lb(i, subnet_id))
                   for i in range(N_LBS)]
        for f in creates:
            answer = f.result()
            assert answer.status_code == 201, answer.text
            lb = answer.json()["loadbalancer"]
            (pool_ref,) = lb["pools"]
            load.lbs[lb["id"]] = pool_ref["id"]
        deadline = time.monotonic() + KILL_BOUND
        while time.monotonic() < deadline:
            if _add_members(server, pool, load):
                # one quick read, then the kill: a pending child keeps its LB PENDING_UPDATE
                load.pending_at_kill = [lb["id"] for lb in _rows(server, "loadbalancers")
                                        if lb["provisioning_status"].startswith("PENDING_")]
                if load.pending_at_kill:
                    server.kill9()
                    return load
            time.sleep(0.02)
    raise AssertionError(f"never saw pending work after a member create in {KILL_BOUND} s")


def _wait_settled(server: LiviaServer, bound: float) -> dict[str, str]:
    deadline = time.monotonic() + bound
    statuses = _statuses(server)
    while _pending(statuses) and time.monotonic() < deadline:
        time.sleep(0.2)
        statuses = _statuses(server)
    return statuses


def _check_amphorae(server: LiviaServer, lb_ids: list[str]) -> None:
    amphorae = server.api("GET", "/v2/octavia/amphorae")["amphorae"]
    by_lb: dict[str, list[dict[str, Any]]] = {}
    for amp in amphorae:
        if amp["status"] != "DELETED":
            by_lb.setdefault(amp["loadbalancer_id"], []).append(amp)
    for lb_id in lb_ids:
        live = by_lb.pop(lb_id, [])
        states = sorted((a["role"], a["status"]) for a in live)
        assert states == [("BACKUP", "ALLOCATED"), ("MASTER", "ALLOCATED")], (lb_id, live)
    assert by_lb == {}, f"amphorae of no load balancer: {by_lb}"


def _database_at_kill(server: LiviaServer) -> dict[str, int]:
    """What the dead server left in its SQLite database: pending rows, held leases."""
    db = sqlite3.connect(server.state_dir / "livia.db")
    try:
        out = {}
        for table in ("loadbalancers", "listeners", "pools", "members"):
            out[table] = db.execute(f"SELECT count(*) FROM {table} WHERE "
                                    "provisioning_status LIKE 'PENDING_%'").fetchone()[0]
        out["leases"] = db.execute("SELECT count(*) FROM loadbalancers WHERE "
                                   "lease_owner IS NOT NULL").fetchone()[0]
        out["amphorae_booting"] = db.execute("SELECT count(*) FROM amphorae WHERE "
                                             "status = 'BOOTING'").fetchone()[0]
        return out
    finally:
        db.close()


def _timed(what: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    return what(), time.monotonic() - start


def test_kill_9_while_pending_then_restart_finishes_the_work(
        fresh_server: LiviaServer) -> None:
    server = fresh_server
    server.start()
    _, subnet_id = server.network("crash-net", "10.70.0.0/16")
    load = _load_and_kill(server, subnet_id)
    assert load.pending_at_kill, "the kill must land while work is pending"
    at_kill = _database_at_kill(server)
    assert at_kill["loadbalancers"] >= 1, at_kill

    server.start()
    statuses, took = _timed(lambda: _wait_settled(server, SETTLE_BOUND))
    assert _pending(statuses) == [], (
        f"still pending {took:.1f} s after the restart: {_pending(statuses)}\n"
        f"left at the kill: {at_kill}\n"
        f"{server.log_tail()}")
    not_active = {k: v for k, v in statuses.items() if v != "ACTIVE"}
    assert not_active == {}, f"{not_active}\n{server.log_tail()}"
    lb_ids = sorted(k.split(":", 1)[1] for k in statuses if k.startswith("loadbalancers:"))
    assert lb_ids == sorted(load.lbs), "every accepted load balancer, and only those"
    members = {k.split(":", 1)[1] for k in statuses if k.startswith("members:")}
    assert load.members <= members, "every accepted member create survived the crash"
    assert len(members) == N_LBS + len(load.members)
    assert sum(1 for k in statuses if k.startswith("listeners:")) == N_LBS
    assert sum(1 for k in statuses if k.startswith("pools:")) == N_LBS
    _check_amphorae(server, lb_ids)
