"""Rendered configurations run for real: HAProxy, two members and the firewall in namespaces.

An "amphora" namespace holds the VIP, the VRRP address and two tiny HTTP
members on its eth1; a "client" namespace on the other end of the veth sends
the requests, so they cross the nftables ruleset. Every address is in
198.18.0.0/24 inside these two namespaces; every request loop is bounded; the
processes and namespaces are removed in a finally, even when a test fails.

The graphs come from the renderer's unit-test builders (tests/unit/render).
"""

from __future__ import annotations

import csv
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.healthmonitors import MonitorType
from livia.domain.listeners import ListenerProtocol
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.pools import LbAlgorithm
from livia.render.firewall import FirewallOptions, render_firewall
from livia.render.haproxy import HaproxyOptions, maxconn_for_fd_limit, render_haproxy

sys.path.insert(0, str(Path(__file__).parents[1] / "unit" / "render"))
from render_checks import prepare_amphora_dir
from render_graphs import GraphFactory
from render_scenarios import HEADER_KEY, NASTY, injection_graph

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces"),
]

VIP, VRRP_IP, CLIENT = "198.18.0.3", "198.18.0.10", "198.18.0.50"
MEMBERS = {"m1": "198.18.0.8", "m2": "198.18.0.9"}

# Runs in the client namespace: N plain GETs (one connection each), bounded by timeouts.
CLIENT_SCRIPT = """
import json, socket, sys
host, port, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
headers = json.loads(sys.argv[5])
out = []
for _ in range(count):
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.settimeout(2)
            extra = "".join(f"{k}: {v}\\r\\n" for k, v in headers.items())
            request = f"GET {path} HTTP/1.1\\r\\nHost: vip\\r\\n{extra}"
            s.sendall((request + "Connection: close\\r\\n\\r\\n").encode("latin-1"))
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\\r\\n\\r\\n")
        lines = head.decode("latin-1").split("\\r\\n")
        fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        out.append({"status": int(lines[0].split()[1]), "location": fields.get("location"),
                    "body": body.decode("latin-1").strip()})
    except OSError as exc:
        out.append({"error": type(exc).__name__})
print(json.dumps(out))
"""


@dataclass
class Lab:
    amphora_ns: str
    client_ns: str
    base: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def sh(self, *args: str, netns: str | None = None) -> str:
        prefix = ["ip", "netns", "exec", netns] if netns else []
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=30, check=True
        )
        return done.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.base / f"{name}.log").open("wb")
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.amphora_ns, *args], stdout=log, stderr=log
        )
        self.processes.append(process)
        return process

    def logged(self, name: str, text: str) -> bool:
        return text in (self.base / f"{name}.log").read_text(errors="replace")

    def get(
        self,
        port: int,
        count: int = 1,
        path: str = "/",
        headers: dict[str, str] | None = None,
        netns: str | None = None,
    ) -> list[dict[str, Any]]:
        out = self.sh(
            sys.executable,
            "-c",
            CLIENT_SCRIPT,
            VIP,
            str(port),
            str(count),
            path,
            json.dumps(headers or {}),
            netns=netns or self.client_ns,
        )
        result: list[dict[str, Any]] = json.loads(out)
        return result


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    tag = secrets.token_hex(3)
    lab = Lab(f"lvt-render-{tag}", f"lvt-rcli-{tag}", tmp_path)
    try:
        for ns in (lab.amphora_ns, lab.client_ns):
            lab.sh("ip", "netns", "add", ns)
            lab.sh("ip", "-n", ns, "link", "set", "lo", "up")
        lab.sh("ip", "link", "add", f"lvtra{tag}", "type", "veth", "peer", "name", f"lvtrc{tag}")
        lab.sh("ip", "link", "set", f"lvtra{tag}", "netns", lab.amphora_ns, "name", "eth1")
        lab.sh("ip", "link", "set", f"lvtrc{tag}", "netns", lab.client_ns, "name", "eth0")
        for address in (VIP, VRRP_IP, *MEMBERS.values()):
            lab.sh("ip", "-n", lab.amphora_ns, "addr", "add", f"{address}/24", "dev", "eth1")
        lab.sh("ip", "-n", lab.client_ns, "addr", "add", f"{CLIENT}/24", "dev", "eth0")
        for ns, dev in ((lab.amphora_ns, "eth1"), (lab.client_ns, "eth0")):
            lab.sh("ip", "-n", ns, "link", "set", dev, "up")
        for name, address in MEMBERS.items():
            root = tmp_path / name
            root.mkdir()
            (root / "index.html").write_text(name)
            (root / "api").write_text("ok")
            lab.start(
                name,
                sys.executable,
                "-u",
                "-m",
                "http.server",
                "--bind",
                address,
                "--directory",
                str(root),
                "80",
            )
        for name in MEMBERS:  # HAProxy marks a member DOWN on its first failed check
            wait_for(f"{name} listening", partial(lab.logged, name, "Serving HTTP"))
        yield lab
    finally:
        for process in lab.processes:
            process.terminate()
        for process in lab.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        for ns in (lab.amphora_ns, lab.client_ns):
            subprocess.run(["ip", "netns", "del", ns], check=False, timeout=10)


def start_haproxy(lab: Lab, graph: LoadBalancerGraph, amphora: Amphora) -> AmphoraPaths:
    paths = prepare_amphora_dir(lab.base / "amp")
    os.chmod(lab.base, 0o755)  # HAProxy's workers run as nobody
    cfg = Path(paths.haproxy_cfg)
    # The cap the controller computes: the most this host's hard fd limit can back.
    cap = maxconn_for_fd_limit(resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    cfg.write_text(render_haproxy(graph, amphora, HaproxyOptions(paths, maxconn_cap=cap)))
    firewall = lab.base / "firewall.nft"
    firewall.write_text(render_firewall(graph, amphora, FirewallOptions()))
    lab.sh("nft", "-f", str(firewall), netns=lab.amphora_ns)
    lab.start(
        "haproxy",
        "haproxy",
        "-W",
        "-db",
        "-S",
        paths.haproxy_master_socket,
        "-f",
        str(cfg),
        "-L",
        amphora.peer_name,
    )
    return paths


def ask(socket_path: str, command: str) -> str:
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(socket_path)
        s.sendall(command.encode() + b"\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode()


def wait_for(condition: str, probe: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {condition}")


def server_rows(paths: AmphoraPaths) -> list[dict[str, Any]]:
    text = ask(paths.haproxy_stats_socket, "show stat").lstrip("# ")
    rows = csv.DictReader(text.splitlines())
    return [r for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")]


def seed_round_robin() -> tuple[LoadBalancerGraph, str, str]:
    """The seed's load balancer (weights 1 and 2, HTTP GET /api), balanced ROUND_ROBIN."""
    f = GraphFactory()
    pool = f.pool(algorithm=LbAlgorithm.ROUND_ROBIN)
    web = f.listener(ListenerProtocol.HTTP, 80, pool)
    f.listener(ListenerProtocol.HTTP, 82, pool)  # no security group rule: dropped
    parked = f.pool(admin_state_up=False)
    f.listener(ListenerProtocol.HTTP, 81, parked)
    m1 = f.member(pool, MEMBERS["m1"], 80, weight=1)
    f.member(pool, MEMBERS["m2"], 80, weight=2)
    f.member(parked, MEMBERS["m1"], 80)
    f.monitor(pool, MonitorType.HTTP, url_path="/api", expected_codes="200", delay=1)
    f.sg_rule("tcp", 80, 81, "198.18.0.0/24")
    graph = f.graph(vrrp_ips=(VRRP_IP, "198.18.0.11"))
    return graph, f"{pool.id}:{web.id}", m1.id


def test_seed_config_balances_by_weight_behind_the_firewall(lab: Lab) -> None:
    graph, backend, m1_id = seed_round_robin()
    master = graph.amphorae[0]
    paths = start_haproxy(lab, graph, master)

    def members_checked() -> bool:
        rows = [r for r in server_rows(paths) if r["pxname"] == backend]
        return len(rows) == 2 and all(
            r["status"] == "UP" and r["check_status"] == "L7OK" for r in rows
        )

    wait_for("both members UP with L7OK (GET /api answered 200)", members_checked)

    replies = lab.get(80, count=30)
    bodies = [r.get("body") for r in replies]
    assert bodies.count("m1") in (9, 10, 11) and bodies.count("m2") in (19, 20, 21), bodies
    assert bodies.count("m1") + bodies.count("m2") == 30

    assert lab.get(81)[0].get("status") == 503  # its pool is admin down
    assert lab.get(82)[0].get("error") in ("TimeoutError", "timeout")  # no rule: dropped
    assert lab.get(82, netns=lab.amphora_ns)[0].get("status") == 200  # HAProxy does serve it
    assert m1_id in {r["svname"] for r in server_rows(paths)}


def test_injected_strings_read_back_exactly_from_a_running_haproxy(lab: Lab) -> None:
    f = GraphFactory()
    f.sg_rule("tcp", 80, 80)
    graph = injection_graph(NASTY, member=MEMBERS["m1"])
    graph = replace(graph, security_group_rules=tuple(f.sg_rules))
    master = graph.amphorae[0]
    paths = start_haproxy(lab, graph, master)
    wait_for("the stats socket", lambda: "pxname" in ask(paths.haproxy_stats_socket, "show stat"))

    listing = ask(paths.haproxy_stats_socket, "show acl")
    ids = [line.split()[0] for line in listing.splitlines() if "haproxy.cfg" in line]
    patterns = set()
    for acl_id in ids:
        for line in ask(paths.haproxy_stats_socket, f"show acl #{acl_id}").splitlines():
            if line.strip():
                patterns.add(line.split(" ", 1)[1])
    assert patterns == {NASTY[k] for k in ("host", "path", "header", "cookie", "regex")}

    redirected = lab.get(80, headers={HEADER_KEY: "x" + NASTY["header"] + "y"})[0]
    assert (redirected.get("status"), redirected.get("location")) == (302, NASTY["url"])
    # The health check's url_path reached the member verbatim (and failed it: it has a space).
    request_line = f"GET {NASTY['url_path']} HTTP/1.1"
    wait_for("the health check request", partial(lab.logged, "m1", request_line))
