"""The health manager for real: statistics, signed heartbeats, members going down and up.

One ACTIVE_STANDBY load balancer with an HTTP listener, a pool of two ``livia
httpd`` members and an HTTP health monitor (delay 1, timeout 1, one retry
either way). Traffic comes from a client instance; everything lives in
10.64.0.0/24 on a bridge this module's Livia made. Forged and replayed
heartbeats are sent from the host to the health manager's own address on
lb-mgmt-net (also this Livia's).
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    create_lb,
    kill_instance,
    nothing_left_behind,
    record_prefix,
    status_tree,
    wait_for,
)
from livia_host import LIVIA, LiviaHost

from livia.domain.amphorae import AmphoraPaths
from livia.protocol.heartbeat import Heartbeat, ListenerReport, PoolReport, encode

pytestmark = pytest.mark.e2e

CIDR, WEB1, WEB2, CLIENT = "10.64.0.0/24", "10.64.0.11", "10.64.0.12", "10.64.0.50"
LBAAS = "/v2/lbaas"
MONITOR_DELAY = 1.0


@dataclass(frozen=True)
class Site:
    lb_id: str
    vip: str
    listener_id: str
    pool_id: str
    members: dict[str, str]  # instance name -> member id


def report(what: str, **figures: Any) -> None:
    """Figures worth reporting: printed (pytest -s), appended to $LVT_REPORT if set."""
    line = f"{what}: " + ", ".join(f"{k}={v}" for k, v in figures.items())
    print(line)
    if os.environ.get("LVT_REPORT"):
        with open(os.environ["LVT_REPORT"], "a") as f:
            f.write(line + "\n")


@pytest.fixture(scope="module")
def site(livia: LiviaHost) -> Site:
    net, subnet = livia.network("lvt-hm", CIDR)
    livia.web("web1", net, WEB1)
    livia.web("web2", net, WEB2)
    livia.instance("client", net, ["sleep", "3600"], ip=CLIENT)
    pool = {"protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN", "members": [
        {"address": a, "protocol_port": 80, "subnet_id": subnet} for a in (WEB1, WEB2)],
        "healthmonitor": {"type": "HTTP", "delay": int(MONITOR_DELAY), "timeout": 1,
                          "max_retries": 1, "max_retries_down": 1, "url_path": "/api",
                          "expected_codes": "200"}}
    lb = create_lb(livia, subnet, pool, name="health")
    assert lb.listener_id and lb.pool_id
    site = Site(lb.id, lb.vip, lb.listener_id, lb.pool_id,
                {"web1": lb.member_ids[WEB1], "web2": lb.member_ids[WEB2]})
    wait_for("every member ONLINE", lambda: all_online(livia, site), 20)
    return site


def all_online(livia: LiviaHost, site: Site) -> bool:
    tree = status_tree(livia, site.lb_id)
    ids = [site.lb_id, site.listener_id, site.pool_id, *site.members.values()]
    return all(tree.get(i) == "ONLINE" for i in ids)


@pytest.fixture
def healthy(livia: LiviaHost, site: Site) -> Iterator[Site]:
    """The site with every object ONLINE; backends a test stopped are started again."""
    wait_for("every member ONLINE", lambda: all_online(livia, site), 20)
    try:
        yield site
    finally:
        for name, address in (("web1", WEB1), ("web2", WEB2)):
            if not serving(livia, name):
                restart_web(livia, name, address)


# -- statistics --------------------------------------------------------------------------------

# Runs in the client's namespace: ``count`` HTTP/1.0 requests on new connections, bounded
# in time; prints the bytes sent and received in total and per request. HAProxy counts
# bytes in and out without the ": " and CRLFs of the header block, so the path (echoed in
# the /api answer) is long enough that headers weigh ~2 % of what the client counts.
STATS_PATH = "/api/" + "s" * 1000
RAW_REQUESTS = r"""
import json, socket, sys, time
host, count, limit, PATH = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
request = f"GET {PATH} HTTP/1.0\r\nHost: lvt\r\n\r\n".encode()
sent, received, sizes, failed = 0, 0, set(), 0
t0 = time.monotonic()
for _ in range(count):
    if time.monotonic() - t0 > limit:
        break
    try:
        with socket.create_connection((host, 80), timeout=2) as s:
            s.sendall(request)
            got = b""
            while chunk := s.recv(65536):
                got += chunk
        sent += len(request)
        received += len(got)
        sizes.add(len(got))
    except OSError:
        failed += 1
print(json.dumps({"sent": sent, "received": received, "sizes": sorted(sizes),
                  "failed": failed}))
"""


def stats(livia: LiviaHost, path: str) -> dict[str, int]:
    found: dict[str, int] = livia.call("GET", path)["stats"]
    return found


def test_statistics_grow_by_the_traffic_sent(livia: LiviaHost, healthy: Site) -> None:
    site, n = healthy, 200
    lb_path = f"{LBAAS}/loadbalancers/{site.lb_id}/stats"
    li_path = f"{LBAAS}/listeners/{site.listener_id}/stats"
    time.sleep(2.0)  # the counters of earlier traffic have arrived
    lb0, li0 = stats(livia, lb_path), stats(livia, li_path)
    ran = livia.run_in("client", [sys.executable, "-c", RAW_REQUESTS, site.vip, str(n), "30",
                                   STATS_PATH])
    assert ran.returncode == 0, ran.stderr
    done = json.loads(ran.stdout)
    assert done["failed"] == 0, done
    size = done["received"] / n

    def grown() -> dict[str, int] | None:
        now = stats(livia, lb_path)
        return now if now["total_connections"] - lb0["total_connections"] >= n - 2 else None

    _, took = wait_for("the load balancer's statistics to grow", grown, 10)
    time.sleep(2.0)  # two more heartbeat intervals: nothing else arrives
    lb1, li1 = stats(livia, lb_path), stats(livia, li_path)
    report("statistics", requests=n, response_bytes=done["sizes"], arrived_after_s=round(
        took, 2), lb_delta={k: lb1[k] - lb0[k] for k in lb1 if k != "active_connections"})
    for before, after in ((lb0, lb1), (li0, li1)):
        assert abs(after["total_connections"] - before["total_connections"] - n) <= 2
        out = after["bytes_out"] - before["bytes_out"]
        assert abs(out - done["received"]) <= 0.1 * done["received"], (out, size)
        inb = after["bytes_in"] - before["bytes_in"]
        assert abs(inb - done["sent"]) <= 0.1 * done["sent"], inb
        assert after["request_errors"] == before["request_errors"]
    listed = set()
    for amp in livia.amphorae(site.lb_id):
        rows = livia.call("GET", f"/v2/octavia/amphorae/{amp['id']}/stats")["amphora_stats"]
        listed |= {r["listener_id"] for r in rows}
    assert site.listener_id in listed


# -- forged and replayed heartbeats -----------------------------------------------------------

def health_address(livia: LiviaHost) -> tuple[str, int]:
    net = ipaddress.IPv4Network(livia.mgmt_cidr)
    return str(next(net.hosts())), livia.health_port


def member_down_beat(site: Site, amphora_id: str, seq: int) -> Heartbeat:
    """What an amphora would say if web1 had failed its checks."""
    return Heartbeat(
        amphora_id=amphora_id, seq=seq,
        listeners={site.listener_id: ListenerReport("OPEN")},
        pools={site.pool_id: PoolReport("UP", {site.members["web1"]: "DOWN",
                                               site.members["web2"]: "UP"})},
        vrrp="MASTER")


def agent_seq(livia: LiviaHost, amphora_id: str) -> int:
    paths = AmphoraPaths(str(livia.state_dir / "amphorae" / amphora_id))
    with open(paths.agent_state) as f:
        return int(json.load(f)["seq"])


def send_for(livia: LiviaHost, datagrams: Callable[[], list[bytes]], seconds: float,
             watch: Callable[[], None]) -> int:
    """Send the datagrams every 0.1 s for ``seconds`` (bounded), calling ``watch`` between."""
    sent, end = 0, time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while time.monotonic() < end:
            for d in datagrams():
                s.sendto(d, health_address(livia))
                sent += 1
            watch()
            time.sleep(0.1)
    return sent


def web1_status(livia: LiviaHost, site: Site) -> str:
    return status_tree(livia, site.lb_id)[site.members["web1"]]


def test_forged_and_replayed_heartbeats_change_nothing(livia: LiviaHost, healthy: Site
                                                       ) -> None:
    site = healthy
    amps = [a["id"] for a in livia.amphorae(site.lb_id)]
    key = (livia.state_dir / "heartbeat.key").read_text().strip().encode()  # as serve reads it
    seen: list[str] = []

    def watch() -> None:
        seen.append(web1_status(livia, site))

    forged = [encode(member_down_beat(site, a, 10**9), b"not the key") for a in amps]
    replayed = [encode(member_down_beat(site, a, 1), key) for a in amps]
    sent = send_for(livia, lambda: forged + replayed, 3.0, watch)
    assert set(seen) == {"ONLINE"}, seen
    time.sleep(0.5)
    assert all_online(livia, site)

    # The control: the same message, correctly signed with a fresh seq, is believed
    # (until the agents' own beats overtake its seq), so the checks above could fail.
    fresh = [encode(member_down_beat(site, a, agent_seq(livia, a) + 3), key) for a in amps]
    _, believed = wait_for("a fresh signed heartbeat believed",
                           lambda: send_for(livia, lambda: fresh, 0.1, lambda: None)
                           and web1_status(livia, site) == "ERROR", 3)
    wait_for("web1 ONLINE again from the agents' own heartbeats",
             lambda: web1_status(livia, site) == "ONLINE", 10)
    report("forged/replayed heartbeats", sent=sent, polls=len(seen),
           fresh_believed_after_s=round(believed, 2))


# -- members down and up -----------------------------------------------------------------------

def serving(livia: LiviaHost, name: str) -> bool:
    done = subprocess.run(["ip", "netns", "pids", livia.netns_of(name)], capture_output=True,
                          text=True, check=False)
    return bool(done.stdout.split())


def restart_web(livia: LiviaHost, name: str, address: str) -> None:
    """``livia httpd`` again in the instance's namespace (same port, same MAC), detached;
    the instance's deletion at cleanup kills it with the namespace's other processes."""
    subprocess.Popen(["nsenter", f"--net=/run/netns/{livia.netns_of(name)}", LIVIA, "httpd",
                      "--name", name], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)
    livia.wait_tcp(name, address, 80)


def tree_shows(livia: LiviaHost, site: Site, wanted: dict[str, str]) -> Callable[[], bool]:
    def probe() -> bool:
        tree = status_tree(livia, site.lb_id)
        return all(tree.get(k) == v for k, v in wanted.items())
    return probe


def test_a_stopped_member_is_error_and_its_pool_degraded_then_online_again(
        livia: LiviaHost, healthy: Site) -> None:
    site = healthy
    web1 = site.members["web1"]
    t0 = time.monotonic()
    assert kill_instance(livia, "web1")
    _, down = wait_for("web1 ERROR, pool and load balancer DEGRADED", tree_shows(livia, site, {
        web1: "ERROR", site.members["web2"]: "ONLINE", site.pool_id: "DEGRADED",
        site.lb_id: "DEGRADED", site.listener_id: "ONLINE"}), 15, interval=0.05)
    down = time.monotonic() - t0
    restart_web(livia, "web1", WEB1)
    t1 = time.monotonic()
    wait_for("everything ONLINE again", lambda: all_online(livia, site), 15, interval=0.05)
    up = time.monotonic() - t1
    report("member down/up", monitor_delay_s=MONITOR_DELAY, error_after_s=round(down, 2),
           online_after_s=round(up, 2))
    assert down <= 3 * MONITOR_DELAY + 2.0, f"DEGRADED after {down:.1f} s"
    assert up <= 3 * MONITOR_DELAY + 2.0, f"ONLINE again after {up:.1f} s"


def test_all_members_down_is_pool_error(livia: LiviaHost, healthy: Site) -> None:
    site = healthy
    t0 = time.monotonic()
    for name in site.members:
        assert kill_instance(livia, name)
    wanted = {m: "ERROR" for m in site.members.values()}
    wait_for("every member ERROR and the pool ERROR", tree_shows(
        livia, site, {**wanted, site.pool_id: "ERROR"}), 15, interval=0.05)
    took = time.monotonic() - t0
    lb_status = status_tree(livia, site.lb_id)[site.lb_id]
    for name, address in (("web1", WEB1), ("web2", WEB2)):
        restart_web(livia, name, address)
    wait_for("everything ONLINE again", lambda: all_online(livia, site), 15)
    report("all members down", pool_error_after_s=round(took, 2), lb=lb_status)
    assert took <= 3 * MONITOR_DELAY + 2.0
    assert lb_status in ("ERROR", "DEGRADED")

