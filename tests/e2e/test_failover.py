"""Failover for real: killed amphorae, the failover API, and the circuit breaker.

One ACTIVE_STANDBY load balancer (ROUND_ROBIN with SOURCE_IP persistence,
two ``livia httpd`` members) serves a client that sends one request every
10 ms while amphorae are killed or replaced. The stream is bounded in count
and time and stops early when the test drops a stop file. Every address is
inside 10.62.0.0/24 on a bridge this module's Livia made; the circuit breaker
runs its own Livia (SINGLE topology, 10.63.0.0/24).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dataplane import host_leftovers, nothing_left_behind, record_prefix  # noqa: F401
from livia_host import LiviaHost

pytestmark = pytest.mark.e2e

CIDR, WEB1, WEB2, CLIENT = "10.62.0.0/24", "10.62.0.11", "10.62.0.12", "10.62.0.50"
LBAAS = "/v2/lbaas"

# Runs in the client's namespace: one request per ``interval`` until the stop file
# appears, ``count`` requests were sent or ``limit`` seconds passed.
STREAM = r"""
import json, os, sys, time, urllib.request
url, count, interval, limit, stop = (sys.argv[1], int(sys.argv[2]), float(sys.argv[3]),
                                     float(sys.argv[4]), sys.argv[5])
ok, failed, bodies, errors, fail_times = 0, 0, {}, {}, []
t0 = time.monotonic()
last_ok, max_gap, gap_at = None, 0.0, None
for i in range(count):
    now = time.monotonic()
    if now - t0 > limit or os.path.exists(stop):
        break
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            body = r.read().decode().strip()
        done = time.monotonic()
        if last_ok is not None and done - last_ok > max_gap:
            max_gap, gap_at = done - last_ok, round(last_ok - t0, 3)
        last_ok = done
        bodies[body] = bodies.get(body, 0) + 1
        ok += 1
    except Exception as exc:
        failed += 1
        errors[repr(exc)[:80]] = errors.get(repr(exc)[:80], 0) + 1
        fail_times.append(round(time.time(), 3))
    time.sleep(interval)
print(json.dumps({"ok": ok, "failed": failed, "bodies": bodies, "errors": errors,
                  "fail_times": fail_times[:50], "max_gap": round(max_gap, 3),
                  "gap_at": gap_at, "seconds": round(time.monotonic() - t0, 3)}))
"""


@dataclass(frozen=True)
class Site:
    lb_id: str
    vip: str
    listener_id: str
    pool_id: str


class Stream:
    """A bounded background request stream from the client instance to the VIP."""

    def __init__(self, livia: LiviaHost, vip: str, tag: str, limit: float = 60.0) -> None:
        self.stop_file = livia.state_dir / f"stop-{tag}"
        self.stop_file.unlink(missing_ok=True)
        netns = livia.netns_of("client")
        self.proc = subprocess.Popen(
            ["nsenter", f"--net=/run/netns/{netns}", sys.executable, "-c", STREAM,
             f"http://{vip}/", "20000", "0.01", str(limit), str(self.stop_file)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.limit = limit

    def finish(self) -> dict[str, Any]:
        self.stop_file.touch()
        out, err = self.proc.communicate(timeout=self.limit + 30)
        assert self.proc.returncode == 0, err
        result: dict[str, Any] = json.loads(out)
        return result

    def abort(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=10)


@pytest.fixture
def stream(livia: LiviaHost, site: Site) -> Iterator[Callable[[str], Stream]]:
    started: list[Stream] = []

    def start(tag: str) -> Stream:
        s = Stream(livia, site.vip, tag)
        started.append(s)
        time.sleep(0.5)  # the stream is flowing before the test acts
        return s

    try:
        yield start
    finally:
        for s in started:
            s.abort()


def report(what: str, **figures: Any) -> None:
    """Figures worth reporting: printed (pytest -s), appended to $LVT_REPORT if set."""
    line = f"{what}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
    print(line)
    if os.environ.get("LVT_REPORT"):
        with open(os.environ["LVT_REPORT"], "a") as f:
            f.write(line + "\n")


# -- the load balancer -----------------------------------------------------------------------

def build_lb(livia: LiviaHost, subnet: str, name: str, *, members: tuple[str, ...] = (),
             persistence: bool = True) -> Site:
    lb = livia.call("POST", f"{LBAAS}/loadbalancers", {"loadbalancer": {
        "vip_subnet_id": subnet, "name": name}})["loadbalancer"]
    livia.wait_lb(lb["id"], timeout=60)
    listener = livia.call("POST", f"{LBAAS}/listeners", {"listener": {
        "loadbalancer_id": lb["id"], "protocol": "HTTP", "protocol_port": 80}})["listener"]
    livia.wait_lb(lb["id"])
    body: dict[str, Any] = {"listener_id": listener["id"], "protocol": "HTTP",
                            "lb_algorithm": "ROUND_ROBIN"}
    if persistence:
        body["session_persistence"] = {"type": "SOURCE_IP"}
    pool = livia.call("POST", f"{LBAAS}/pools", {"pool": body})["pool"]
    livia.wait_lb(lb["id"])
    for address in members:
        livia.call("POST", f"{LBAAS}/pools/{pool['id']}/members", {"member": {
            "address": address, "protocol_port": 80, "subnet_id": subnet}})
        livia.wait_lb(lb["id"])
    return Site(lb["id"], lb["vip_address"], listener["id"], pool["id"])


@pytest.fixture(scope="module")
def site(livia: LiviaHost) -> Site:
    net, subnet = livia.network("lvt-fo", CIDR)
    livia.web("web1", net, WEB1)
    livia.web("web2", net, WEB2)
    livia.instance("client", net, ["sleep", "3600"], ip=CLIENT)
    return build_lb(livia, subnet, "failover", members=(WEB1, WEB2))


def allocated(livia: LiviaHost, lb_id: str) -> list[dict[str, Any]]:
    return [a for a in livia.amphorae(lb_id) if a["status"] == "ALLOCATED"]


def wait_until(what: str, probe: Callable[[], bool], timeout: float, poll: float = 0.1
               ) -> float:
    """Seconds it took ``probe`` to hold; fails after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if probe():
            return time.monotonic() - t0
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def settled_pair(livia: LiviaHost, lb_id: str) -> Callable[[], bool]:
    """ACTIVE with exactly two ALLOCATED amphorae (and nothing else left over)."""
    def probe() -> bool:
        lb = livia.call("GET", f"{LBAAS}/loadbalancers/{lb_id}")["loadbalancer"]
        amps = livia.amphorae(lb_id)
        return (lb["provisioning_status"] == "ACTIVE" and len(amps) == 2
                and all(a["status"] == "ALLOCATED" for a in amps))
    return probe


def vip_holder(livia: LiviaHost, site: Site) -> dict[str, Any]:
    """The amphora whose data namespace holds the VIP (the acting MASTER)."""
    holders = []
    for amp in allocated(livia, site.lb_id):
        _, data = livia.amphora_namespaces(amp["id"])
        shown = subprocess.run(["ip", "-n", data, "-o", "addr", "show"], capture_output=True,
                               text=True, check=False).stdout
        if f" {site.vip}/" in shown:
            holders.append(amp)
    assert len(holders) == 1, f"{len(holders)} amphorae hold the VIP"
    return holders[0]


def ready(livia: LiviaHost, site: Site) -> list[dict[str, Any]]:
    """The pair is settled and one amphora holds the VIP; returns the amphorae."""
    wait_until("an ACTIVE pair", settled_pair(livia, site.lb_id), 30)
    wait_until("the VIP on one amphora", lambda: _holds_once(livia, site), 10)
    return allocated(livia, site.lb_id)


def _holds_once(livia: LiviaHost, site: Site) -> bool:
    try:
        vip_holder(livia, site)
    except AssertionError:
        return False
    return True


# -- killed amphorae ---------------------------------------------------------------------------

def delete_namespaces(livia: LiviaHost, amphora_id: str) -> None:
    livia.kill_amphora(amphora_id)
    for ns in livia.amphora_namespaces(amphora_id):
        subprocess.run(["ip", "netns", "del", ns], check=False, timeout=30)


@pytest.mark.parametrize("how", ["processes", "namespaces"])
def test_killed_master_fails_over_to_backup_and_is_replaced(
        livia: LiviaHost, site: Site, stream: Callable[[str], Stream], how: str) -> None:
    before = {a["id"] for a in ready(livia, site)}
    master = vip_holder(livia, site)
    s = stream(f"kill-{how}")
    killed_at = time.monotonic()
    if how == "processes":
        livia.kill_amphora(master["id"])
    else:
        delete_namespaces(livia, master["id"])

    def replaced() -> bool:
        amps = allocated(livia, site.lb_id)
        return master["id"] not in {a["id"] for a in amps} and settled_pair(
            livia, site.lb_id)()

    wait_until("a replacement amphora and an ACTIVE load balancer", replaced, 30)
    rebuilt = time.monotonic() - killed_at
    time.sleep(1.0)  # the stream keeps going on the new pair for a moment
    result = s.finish()
    after = {a["id"] for a in allocated(livia, site.lb_id)}
    report(f"kill MASTER ({how})", role=master["role"], gap_s=result["max_gap"],
           failed=result["failed"], ok=result["ok"], rebuilt_s=round(rebuilt, 2),
           bodies=result["bodies"], errors=result["errors"])
    assert len(after - before) == 1 and master["id"] not in after
    assert rebuilt <= 15.0, f"rebuilt after {rebuilt:.1f} s"
    assert result["ok"] > 100, result
    assert result["max_gap"] <= 5.0, result
    assert len(result["bodies"]) == 1, f"SOURCE_IP persistence broken: {result}"
    assert vip_holder(livia, site)["id"] != master["id"]


# -- the failover API --------------------------------------------------------------------------

def test_lb_failover_replaces_both_amphorae_without_a_failed_request(
        livia: LiviaHost, site: Site, stream: Callable[[str], Stream]) -> None:
    before = {a["id"] for a in ready(livia, site)}
    s = stream("lb-failover")
    t0 = time.monotonic()
    livia.call("PUT", f"{LBAAS}/loadbalancers/{site.lb_id}/failover", expect=202)

    def all_new() -> bool:
        ids = {a["id"] for a in allocated(livia, site.lb_id)}
        return not ids & before and settled_pair(livia, site.lb_id)()

    wait_until("two new amphorae and an ACTIVE load balancer", all_new, 60)
    took = time.monotonic() - t0
    time.sleep(1.0)
    result = s.finish()
    report("LB failover", seconds=round(took, 2), failed=result["failed"], ok=result["ok"],
           gap_s=result["max_gap"], errors=result["errors"], bodies=result["bodies"],
           fail_times=result["fail_times"])
    assert result["failed"] == 0, result
    assert result["ok"] > 100, result
    assert len(result["bodies"]) == 1, f"SOURCE_IP persistence broken: {result}"
    lb = livia.call("GET", f"{LBAAS}/loadbalancers/{site.lb_id}")["loadbalancer"]
    assert lb["provisioning_status"] == "ACTIVE"


def test_amphora_failover_replaces_one_without_a_failed_request(
        livia: LiviaHost, site: Site, stream: Callable[[str], Stream]) -> None:
    amps = ready(livia, site)
    victim = vip_holder(livia, site)
    other = next(a for a in amps if a["id"] != victim["id"])
    s = stream("amp-failover")
    t0 = time.monotonic()
    livia.call("PUT", f"/v2/octavia/amphorae/{victim['id']}/failover", expect=202)

    def replaced() -> bool:
        ids = {a["id"] for a in allocated(livia, site.lb_id)}
        return victim["id"] not in ids and other["id"] in ids and settled_pair(
            livia, site.lb_id)()

    wait_until("the amphora replaced and an ACTIVE load balancer", replaced, 30)
    took = time.monotonic() - t0
    time.sleep(1.0)
    result = s.finish()
    report("amphora failover", role=victim["role"], seconds=round(took, 2),
           failed=result["failed"], ok=result["ok"], gap_s=result["max_gap"],
           errors=result["errors"])
    assert result["failed"] == 0, result
    assert result["ok"] > 100, result
    assert len(result["bodies"]) == 1, result
    shown = livia.call("GET", f"/v2/octavia/amphorae/{other['id']}")["amphora"]
    assert shown["status"] == "ALLOCATED"


# -- the circuit breaker -----------------------------------------------------------------------

BREAKER_CIDR = "10.63.0.0/24"
BREAKER_LBS = 4


@pytest.fixture(scope="module")
def breaker() -> Iterator[tuple[LiviaHost, list[str]]]:
    """A second Livia: SINGLE topology, the default 5 s heartbeat timeout, a 0.5 threshold, four
    load balancers (so four amphorae, one each)."""
    base = Path(tempfile.mkdtemp(prefix="lvt-e2e-"))
    base.chmod(0o711)
    host = LiviaHost(base, extra_args=["--topology", "SINGLE", "--failover-threshold", "0.5"])
    try:
        host.start()
        _, subnet = host.network("lvt-cb", BREAKER_CIDR)
        lbs = [host.call("POST", f"{LBAAS}/loadbalancers", {"loadbalancer": {
            "vip_subnet_id": subnet, "name": f"cb{i}"}})["loadbalancer"]["id"]
            for i in range(BREAKER_LBS)]
        for lb_id in lbs:
            host.wait_lb(lb_id, timeout=60)
        yield host, lbs
    finally:
        try:
            host.close()
        finally:
            if os.environ.get("LVT_KEEP_LOG"):
                shutil.copy(host.log_path, os.environ["LVT_KEEP_LOG"] + ".breaker")
            shutil.rmtree(base, ignore_errors=True)
        assert not host_leftovers(host.prefix), host_leftovers(host.prefix)


def only_amphora(host: LiviaHost, lb_id: str) -> dict[str, Any]:
    amps = host.amphorae(lb_id)
    assert len(amps) == 1, amps
    return amps[0]


def agent_pids(host: LiviaHost, amphora_id: str) -> list[int]:
    mgmt, _ = host.amphora_namespaces(amphora_id)
    out = subprocess.run(["ip", "netns", "pids", mgmt], capture_output=True, text=True,
                         check=True).stdout
    pids = [int(p) for p in out.split()]
    assert pids, f"no agent in {mgmt}"
    return pids


class Silenced:
    """SIGSTOP the agents of some amphorae (heartbeats stop, nothing is deleted);
    ``resume`` (or leaving the block) sends SIGCONT."""

    def __init__(self, host: LiviaHost, amphora_ids: list[str]) -> None:
        self.pids = [pid for a in amphora_ids for pid in agent_pids(host, a)]

    def __enter__(self) -> Silenced:
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        return self

    def resume(self) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def __exit__(self, *exc: object) -> None:
        self.resume()


def statuses(host: LiviaHost, lbs: list[str]) -> dict[str, str]:
    return {a["id"]: a["status"] for lb in lbs for a in host.amphorae(lb)}


def test_circuit_breaker_stops_failover_when_most_amphorae_go_silent(
        breaker: tuple[LiviaHost, list[str]]) -> None:
    host, lbs = breaker
    before = {lb: only_amphora(host, lb)["id"] for lb in lbs}
    quiet = [before[lb] for lb in lbs[:3]]  # 3 of 4 silent: 0.75 > 0.5
    with Silenced(host, quiet) as silenced:
        took = wait_until("FAILOVER_STOPPED", lambda: all(
            statuses(host, lbs).get(a) == "FAILOVER_STOPPED" for a in quiet), 15)
        time.sleep(2.0)  # long enough for a rebuild to have started, were one coming
        now = statuses(host, lbs)
        assert set(now) == set(before.values()), f"amphorae were rebuilt: {now}"
        assert now[before[lbs[3]]] == "ALLOCATED"
        for lb in lbs:
            shown = host.call("GET", f"{LBAAS}/loadbalancers/{lb}")["loadbalancer"]
            assert shown["provisioning_status"] == "ACTIVE", shown
        assert "circuit breaker: 3 of 4 amphorae silent at once" in host.log_path.read_text()
        silenced.resume()
        back = wait_until("ALLOCATED again", lambda: all(
            v == "ALLOCATED" for v in statuses(host, lbs).values()), 10)
    report("circuit breaker", tripped_after_s=round(took, 2), back_after_s=round(back, 2))
    assert set(statuses(host, lbs)) == set(before.values())


def test_one_silent_amphora_of_many_is_failed_over(
        breaker: tuple[LiviaHost, list[str]]) -> None:
    host, lbs = breaker
    victim_lb = lbs[0]
    victim = only_amphora(host, victim_lb)["id"]
    others = {only_amphora(host, lb)["id"] for lb in lbs[1:]}
    with Silenced(host, [victim]):
        t0 = time.monotonic()

        def replaced() -> bool:
            amps = host.amphorae(victim_lb)
            lb = host.call("GET", f"{LBAAS}/loadbalancers/{victim_lb}")["loadbalancer"]
            return (lb["provisioning_status"] == "ACTIVE" and len(amps) == 1
                    and amps[0]["id"] != victim and amps[0]["status"] == "ALLOCATED")

        wait_until("the silent amphora replaced", replaced, 20)
    report("one silent amphora", replaced_after_s=round(time.monotonic() - t0, 2))
    assert {only_amphora(host, lb)["id"] for lb in lbs[1:]} == others
    assert all(v == "ALLOCATED" for v in statuses(host, lbs).values())
