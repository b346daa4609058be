"""A failover interrupted by a controller crash completes after the restart (issue 4).

One ACTIVE_STANDBY load balancer (ROUND_ROBIN with SOURCE_IP persistence, two
``livia httpd`` members) serves a client that sends one request every 10 ms
(at most 20000 requests and 60 s, stopped early by a stop file). The MASTER is
failed over with ``PUT /v2/octavia/amphorae/{id}/failover`` and ``livia serve``
is killed with SIGKILL at a chosen moment of the replacement:

- ``handover``: the old amphora is PENDING_DELETE and the VRRP hand-over has not
  happened: its agent is frozen (SIGSTOP) before the failover call, so the
  controller waits on ``DELETE /keepalived`` when it dies; the agent resumes once
  the new server answers (the old MASTER's keepalived and HAProxy ran throughout);
- ``teardown``: the log says the old amphora was removed (its successor is being
  planned or booted, its VRRP port waits for it);
- ``rebuild``: the API shows the successor BOOTING.

The server is started again on the same state directory. Within 30 s the load
balancer is ACTIVE with one MASTER and one BACKUP, the old amphora and its
namespaces are gone, nothing of another amphora is left (namespaces, VRRP
ports), one amphora holds the VIP, and not one request failed. Every address
is inside 10.66.0.0/24 on a bridge this module's Livia made.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from dataplane import host_leftovers, nothing_left_behind, record_prefix  # noqa: F401
from livia_host import LiviaHost
from test_failover import (
    Silenced,
    Site,
    Stream,
    allocated,
    build_lb,
    ready,
    report,
    vip_holder,
)

pytestmark = pytest.mark.e2e

CIDR, WEB1, WEB2, CLIENT = "10.66.0.0/24", "10.66.0.11", "10.66.0.12", "10.66.0.50"
SETTLE_AFTER_RESTART = 30.0  # the bound for the interrupted failover to complete
STAGE_TIMEOUT = 20.0
DOWN_FOR = 1.0  # seconds the server stays dead


@pytest.fixture(scope="module")
def site(livia: LiviaHost) -> Site:
    net, subnet = livia.network("lvt-fc", CIDR)
    livia.web("web1", net, WEB1)
    livia.web("web2", net, WEB2)
    livia.instance("client", net, ["sleep", "3600"], ip=CLIENT)
    return build_lb(livia, subnet, "failover-crash", members=(WEB1, WEB2))


# -- the moment of the crash -------------------------------------------------------------------

def _log_since(livia: LiviaHost, offset: int) -> str:
    with open(livia.log_path, "rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")


def stage_probe(livia: LiviaHost, site: Site, victim: dict[str, Any], before: set[str],
                stage: str, log_offset: int) -> Callable[[], str | None]:
    """A probe that answers what it saw once the replacement reached ``stage``."""
    def amphorae() -> list[dict[str, Any]]:
        return livia.amphorae(site.lb_id)

    def handover() -> str | None:
        mine = [a for a in amphorae() if a["id"] == victim["id"]]
        if not mine or mine[0]["status"] != "PENDING_DELETE":
            return None
        time.sleep(0.3)  # the controller is now waiting on the frozen agent
        return "victim PENDING_DELETE, its agent frozen"

    def teardown() -> str | None:
        line = f"amphora {victim['id']} ({victim['role']}) removed"
        return "victim removed (log)" if line in _log_since(livia, log_offset) else None

    def rebuild() -> str | None:
        new = [a for a in amphorae() if a["id"] not in before]
        return f"successor {new[0]['status']}" if new and new[0]["status"] == "BOOTING" \
            else None

    return {"handover": handover, "teardown": teardown, "rebuild": rebuild}[stage]


def wait_stage(probe: Callable[[], str | None], interval: float = 0.005) -> tuple[str, float]:
    t0 = time.monotonic()
    while time.monotonic() - t0 < STAGE_TIMEOUT:
        seen = probe()
        if seen:
            return seen, time.monotonic() - t0
        time.sleep(interval)
    raise AssertionError(f"the replacement never reached the stage in {STAGE_TIMEOUT} s")


# -- what must hold after the restart ----------------------------------------------------------

def amphora_namespaces(livia: LiviaHost) -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    return {line.split()[0] for line in listed
            if line.startswith(f"{livia.prefix}-amp-")}


def vrrp_ports(livia: LiviaHost) -> list[dict[str, Any]]:
    ports = livia.call("GET", "/v2.0/ports")["ports"]
    return [p for p in ports if p["name"].startswith("octavia-lb-vrrp-")]


def completed(livia: LiviaHost, site: Site, victim: str, survivor: str) -> bool:
    lb = livia.call("GET", f"/v2/lbaas/loadbalancers/{site.lb_id}")["loadbalancer"]
    amps = livia.amphorae(site.lb_id)
    ids = {a["id"] for a in amps}
    return (lb["provisioning_status"] == "ACTIVE" and len(amps) == 2
            and all(a["status"] == "ALLOCATED" for a in amps)
            and victim not in ids and survivor in ids)


def check_nothing_orphaned(livia: LiviaHost, site: Site, victim: str) -> None:
    amps = allocated(livia, site.lb_id)
    assert sorted(a["role"] for a in amps) == ["BACKUP", "MASTER"], amps
    shown = livia.http.get(f"/v2/octavia/amphorae/{victim}")
    assert shown.status_code == 404 or (
        shown.status_code == 200 and shown.json()["amphora"]["status"] == "DELETED"), shown.text
    live_ids = {a["id"] for a in amps}
    wanted = {ns for a in live_ids for ns in livia.amphora_namespaces(a)}
    present = amphora_namespaces(livia)
    assert not set(livia.amphora_namespaces(victim)) & present, present
    assert present == wanted, f"amphora namespaces {sorted(present)}, wanted {sorted(wanted)}"
    ports = vrrp_ports(livia)
    assert sorted(p["device_id"] for p in ports) == sorted(live_ids), (
        f"VRRP ports {[(p['id'], p['device_id'], p['status']) for p in ports]}")


# -- the test ----------------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["handover", "teardown", "rebuild"])
def test_amphora_failover_interrupted_by_sigkill_completes_after_restart(
        livia: LiviaHost, site: Site, stage: str) -> None:
    amps = ready(livia, site)
    before = {a["id"] for a in amps}
    victim = vip_holder(livia, site)
    survivor = next(a for a in amps if a["id"] != victim["id"])["id"]
    offset = livia.log_path.stat().st_size
    stream = Stream(livia, site.vip, f"crash-{stage}")
    frozen = Silenced(livia, [victim["id"]] if stage == "handover" else [])
    try:
        time.sleep(0.5)  # the stream is flowing before the test acts
        with frozen:
            livia.call("PUT", f"/v2/octavia/amphorae/{victim['id']}/failover", expect=202)
            seen, after = wait_stage(stage_probe(livia, site, victim, before, stage, offset))
            livia.stop(signal.SIGKILL)
            killed_at = time.monotonic()
            time.sleep(DOWN_FOR)
            livia.start()
        restarted = time.monotonic()
        deadline = restarted + SETTLE_AFTER_RESTART
        while not completed(livia, site, victim["id"], survivor):
            assert time.monotonic() < deadline, (
                f"not completed {SETTLE_AFTER_RESTART} s after the restart: "
                f"{livia.amphorae(site.lb_id)}\n{livia.log_tail()}")
            time.sleep(0.1)
        took = time.monotonic() - restarted
        ready(livia, site)  # the VIP on exactly one amphora
        time.sleep(1.0)  # the stream keeps going on the new pair for a moment
        result = stream.finish()
    finally:
        stream.abort()
    report(f"failover interrupted at {stage}", seen=seen, seen_after_s=round(after, 3),
           down_s=round(restarted - killed_at, 2), completed_after_restart_s=round(took, 2),
           failed=result["failed"], ok=result["ok"], gap_s=result["max_gap"],
           errors=result["errors"], fail_times=result["fail_times"])
    check_nothing_orphaned(livia, site, victim["id"])
    holder = vip_holder(livia, site)
    assert holder["id"] != victim["id"]
    assert result["failed"] == 0, result
    assert result["ok"] > 100, result
    assert len(result["bodies"]) == 1, f"SOURCE_IP persistence broken: {result}"
