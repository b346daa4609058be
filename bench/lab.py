"""The benchmarks' lab: a real ``livia serve`` with its instances, cleaned up whatever happens.

Reuses the end-to-end tests' :class:`LiviaHost` (tests/e2e/livia_host.py,
imported by path): its own ``lvt`` name prefix, state directory, ports and
lb-mgmt-net, and ``livia cleanup`` of that prefix on the way out, which
removes every namespace, bridge, veth, process and file it made. Backends
are Debian's nginx in instance namespaces; clients are instances that sleep
and run the load generators through ``nsenter``. Every address is inside
the bridges this lab's Livia made.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from livia_host import LiviaHost  # noqa: E402

LBAAS = "/v2/lbaas"
PYTHON = sys.executable

NGINX_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 10000000;
    server {{
        listen 80 backlog=4096 reuseport;
        default_type text/plain;
        location / {{ return 200 "{name}\\n"; }}
    }}
}}
"""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def livia_lab(extra_args: Sequence[str] = ()) -> Iterator[Lab]:
    """A started Livia; on exit (also on Ctrl-C or SIGTERM) everything it made is removed."""
    if not _is_root():
        raise SystemExit("the benchmarks need root (namespaces, bridges, nftables)")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    # Short and traversable: HAProxy's socket paths must stay under 97 characters
    # and its unprivileged workers must reach the PING wrapper below it.
    base = Path(tempfile.mkdtemp(prefix="lvt-b"))
    base.chmod(0o711)
    host = LiviaHost(base, extra_args=extra_args)
    try:
        host.start()
        yield Lab(host, base)
    finally:
        try:
            host.close()
        finally:
            shutil.rmtree(base, ignore_errors=True)
            signal.signal(signal.SIGTERM, previous)


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


class Lab:
    """The running Livia (``host``) and this program's scratch directory (``base``)."""

    def __init__(self, host: LiviaHost, base: Path) -> None:
        self.host = host
        self.base = base

    # -- networks and instances ----------------------------------------------------------
    def network(self, name: str, cidr: str) -> tuple[str, str]:
        """(network id, subnet id) of a new tenant network."""
        net_id, subnet_id = self.host.network(name, cidr)
        return str(net_id), str(subnet_id)

    def nginx(self, name: str, network_id: str, ip: str, cpus: str | None = None) -> None:
        """A backend instance: nginx, one worker, answering ``<name>\\n`` on port 80."""
        directory = self.base / f"nginx-{name}"
        directory.mkdir(mode=0o755)
        conf = directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=directory, name=name))
        command = ["nginx", "-p", str(directory), "-c", str(conf)]
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]
        self.host.instance(name, network_id, command, ip=ip)
        self.host.wait_tcp(name, ip, 80)

    def client(self, name: str, network_id: str, ip: str) -> None:
        """A client instance: a namespace whose process only sleeps (bounded)."""
        self.host.instance(name, network_id, ["sleep", "86400"], ip=ip)

    def netns(self, instance: str) -> str:
        return str(self.host.netns_of(instance))

    def in_ns(self, instance: str, argv: Sequence[str]) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{self.netns(instance)}", *argv]

    # -- load balancers ------------------------------------------------------------------
    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int | tuple[int, ...] = (200, 201, 202, 204)) -> dict[str, Any]:
        result: dict[str, Any] = self.host.call(method, path, body, expect)
        return result

    def lb(self, lb_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", f"{LBAAS}/loadbalancers/{lb_id}")[
            "loadbalancer"]
        return found

    def wait_active(self, lb_id: str, timeout: float = 60.0, poll: float = 0.01) -> float:
        """Seconds until the load balancer is ACTIVE, polling every ``poll`` s."""
        t0 = time.monotonic()
        status = ""
        while time.monotonic() - t0 < timeout:
            status = self.lb(lb_id)["provisioning_status"]
            if status == "ACTIVE":
                return time.monotonic() - t0
            if status == "ERROR":
                break
            time.sleep(poll)
        raise RuntimeError(f"load balancer {lb_id} is {status}\n{self.host.log_tail()}")

    def delete_lb(self, lb_id: str, timeout: float = 60.0) -> None:
        self.call("DELETE", f"{LBAAS}/loadbalancers/{lb_id}?cascade=true")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.host.http.get(f"{LBAAS}/loadbalancers/{lb_id}")
            if response.status_code == 404 or response.json()["loadbalancer"][
                    "provisioning_status"] == "DELETED":
                return
            time.sleep(0.05)
        raise RuntimeError(f"load balancer {lb_id} was not deleted in {timeout} s")

    def amphorae(self, lb_id: str) -> list[dict[str, Any]]:
        return list(self.host.amphorae(lb_id))

    def allocated(self, lb_id: str) -> list[dict[str, Any]]:
        return [a for a in self.amphorae(lb_id) if a["status"] == "ALLOCATED"]

    def amphora_dir(self, amphora_id: str) -> str:
        return str(self.host.state_dir / "amphorae" / amphora_id)

    def data_netns(self, amphora_id: str) -> str:
        return str(self.host.amphora_namespaces(amphora_id)[1])

    def vip_holder(self, lb_id: str, vip: str) -> dict[str, Any] | None:
        """The ALLOCATED amphora whose data namespace holds the VIP (the acting MASTER)."""
        for amp in self.allocated(lb_id):
            shown = subprocess.run(["ip", "-n", self.data_netns(amp["id"]), "-o", "addr",
                                    "show"], capture_output=True, text=True, check=False).stdout
            if f" {vip}/" in shown:
                return amp
        return None

    def wait_vip_holder(self, lb_id: str, vip: str, timeout: float = 15.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            holder = self.vip_holder(lb_id, vip)
            if holder is not None:
                return holder
            time.sleep(0.05)
        raise RuntimeError(f"no amphora holds the VIP {vip}")

    def security_group_of(self, lb_id: str) -> str:
        groups = self.call("GET", f"/v2.0/security-groups?name=lb-{lb_id}")["security_groups"]
        return str(groups[0]["id"])

    def open_port(self, lb_id: str, port: int) -> None:
        """Add an ingress rule for TCP ``port`` to the load balancer's security group."""
        self.call("POST", "/v2.0/security-group-rules", {"security_group_rule": {
            "security_group_id": self.security_group_of(lb_id), "direction": "ingress",
            "ethertype": "IPv4", "protocol": "tcp", "port_range_min": port,
            "port_range_max": port}})


def full_lb_body(subnet_id: str, name: str, members: Sequence[str], *,
                 vip: str | None = None, monitor: bool = True,
                 connection_limit: int | None = None) -> dict[str, Any]:
    """A single-call create: listener HTTP:80, a ROUND_ROBIN pool, members, an HTTP monitor."""
    pool: dict[str, Any] = {
        "name": f"{name}-pool", "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
        "members": [{"address": ip, "protocol_port": 80, "subnet_id": subnet_id}
                    for ip in members],
    }
    if monitor:
        pool["healthmonitor"] = {"type": "HTTP", "delay": 5, "timeout": 5, "max_retries": 3,
                                 "http_method": "GET", "url_path": "/", "expected_codes": "200"}
    listener: dict[str, Any] = {"name": f"{name}-http", "protocol": "HTTP",
                                "protocol_port": 80, "default_pool": pool}
    if connection_limit is not None:
        listener["connection_limit"] = connection_limit
    # ACTIVE_STANDBY is `livia serve`'s default topology (Octavia sets it by flavor).
    lb: dict[str, Any] = {"name": name, "vip_subnet_id": subnet_id, "listeners": [listener]}
    if vip is not None:
        lb["vip_address"] = vip
    return {"loadbalancer": lb}


def haproxy_command(socket_path: str, command: str, timeout: float = 2.0) -> str:
    """One command on an HAProxy stats socket (a path: reachable from any namespace)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        s.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def processes_in(netns: str) -> list[int]:
    done = subprocess.run(["ip", "netns", "pids", netns], capture_output=True, text=True,
                          check=False)
    return [int(p) for p in done.stdout.split()]
