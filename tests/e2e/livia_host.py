"""A real Livia on this host for end-to-end tests: ``livia serve --driver netns`` as a process.

Each instance gets its own state directory, name prefix (``lvt`` + two
letters), API and health ports and lb-mgmt-net CIDR, so tests never touch
what a demo or another run created. The CIDR (a 198.19.x.0/24) is one no
interface of the host has and no other LiviaHost holds: two Livias on one
/24 share the host's route to it, so one's controller talks to the other's
agents (a certificate refused, heartbeats lost). ``close()`` stops the
server and runs ``livia cleanup`` for the prefix, which removes every
namespace, bridge, veth, process and file the run made, even after a failed
test.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
LIVIA = str(Path(sys.executable).with_name("livia"))
TOKEN = "e2e-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _claim(path: Path) -> IO[bytes] | None:
    """An exclusive flock on ``path`` (released when the process ends), or None if taken."""
    lock = open(path, "ab")  # noqa: SIM115 (held until release_mgmt_cidr)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(lock.fileno()).st_ino == os.stat(path).st_ino:
            return lock
    except (BlockingIOError, FileNotFoundError):
        pass
    lock.close()
    return None


def claim_mgmt_cidr() -> tuple[str, IO[bytes]]:
    """A 198.19.x.0/24 on no interface of this host, locked against concurrent runs."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True,
                           check=True).stdout
    for third in random.sample(range(256), 256):
        if f" 198.19.{third}." in shown:
            continue
        lock = _claim(Path(tempfile.gettempdir()) / f"lvt-mgmt-198.19.{third}.lock")
        if lock is not None:
            return f"198.19.{third}.0/24", lock
    raise RuntimeError("every 198.19.x.0/24 is in use on this host")


def release_mgmt_cidr(lock: IO[bytes]) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(lock.name)
    lock.close()


class LiviaHost:
    def __init__(self, base: Path, *, extra_args: Sequence[str] = ()) -> None:
        suffix = "".join(random.choices(string.ascii_lowercase, k=2))
        self.prefix = f"lvt{suffix}"
        self.state_dir = base / f"livia-{suffix}"
        self.port = free_port()
        self.health_port = free_udp_port()
        self.mgmt_cidr, self._mgmt_lock = claim_mgmt_cidr()
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = base / f"livia-{suffix}.log"
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}",
                                 headers={"X-Auth-Token": TOKEN}, timeout=30.0)

    # -- the server process -------------------------------------------------------------
    @property
    def common_args(self) -> list[str]:
        return ["--state-dir", str(self.state_dir), "--name-prefix", self.prefix]

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "LIVIA_ADMIN_TOKEN": TOKEN, "LIVIA_LOG_LEVEL": "INFO"}

    def start(self, timeout: float = 30.0) -> None:
        args = [LIVIA, "serve", "--driver", "netns", *self.common_args,
                "--port", str(self.port), "--health-port", str(self.health_port),
                "--mgmt-cidr", self.mgmt_cidr, *self.extra_args]
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it)
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"livia serve exited: {self.log_tail()}")
            try:
                if self.http.get("/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"livia serve did not answer in {timeout} s: {self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.http.close()
            subprocess.run([LIVIA, "cleanup", *self.common_args], env=self.env,
                           capture_output=True, timeout=120, check=False)
            release_mgmt_cidr(self._mgmt_lock)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- the API --------------------------------------------------------------------------
    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             expect: int | tuple[int, ...] = (200, 201, 202, 204)) -> dict[str, Any]:
        response = self.http.request(method, path, json=body)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, (
            f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else {}

    def wait_lb(self, lb_id: str, status: str = "ACTIVE", timeout: float = 30.0
                ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        lb: dict[str, Any] = {}
        while time.monotonic() < deadline:
            lb = self.call("GET", f"/v2/lbaas/loadbalancers/{lb_id}")["loadbalancer"]
            if lb["provisioning_status"] == status:
                return lb
            if lb["provisioning_status"] == "ERROR" and status != "ERROR":
                break
            time.sleep(0.05)
        raise AssertionError(f"load balancer {lb_id} is {lb.get('provisioning_status')}, "
                             f"not {status}\n{self.log_tail()}")

    def network(self, name: str, cidr: str, **extra: Any) -> tuple[str, str]:
        """(network id, subnet id)"""
        net = self.call("POST", "/v2.0/networks", {"network": {"name": name, **extra}})
        net_id = net["network"]["id"]
        sub = self.call("POST", "/v2.0/subnets", {"subnet": {
            "network_id": net_id, "cidr": cidr, "ip_version": 4, "name": f"{name}-subnet"}})
        return net_id, sub["subnet"]["id"]

    def instance(self, name: str, network_id: str, command: Sequence[str],
                 ip: str | None = None, timeout: float = 20.0) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "network_id": network_id,
                                "command": list(command)}
        if ip:
            body["ip_address"] = ip
        self.call("POST", "/v2.0/livia/instances", {"instance": body})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            inst = self.call("GET", f"/v2.0/livia/instances/{name}")["instance"]
            if inst["status"] == "ACTIVE":
                return dict(inst)
            assert inst["status"] != "ERROR", self.log_tail()
            time.sleep(0.05)
        raise AssertionError(f"instance {name} not ACTIVE\n{self.log_tail()}")

    def web(self, name: str, network_id: str, ip: str) -> dict[str, Any]:
        """An instance answering HTTP on port 80 with its name (``livia httpd``)."""
        inst = self.instance(name, network_id, [LIVIA, "httpd", "--name", name], ip=ip)
        self.wait_tcp(name, ip, 80)
        return inst

    def netns_of(self, instance_name: str) -> str:
        inst = self.call("GET", f"/v2.0/livia/instances/{instance_name}")["instance"]
        return f"{self.prefix}-inst-{inst['id']}"

    def run_in(self, instance_name: str, command: Sequence[str], timeout: float = 60.0,
               check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run a command inside an instance's network namespace."""
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.netns_of(instance_name)}",
                               *command], capture_output=True, text=True, timeout=timeout,
                              check=check)

    def python_in(self, instance_name: str, code: str, timeout: float = 60.0) -> Any:
        """Run Python code in an instance's namespace; it must print one JSON document."""
        done = self.run_in(instance_name, [sys.executable, "-c", code], timeout=timeout)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def wait_tcp(self, instance_name: str, ip: str, port: int, timeout: float = 10.0) -> None:
        code = (
            "import socket,time,sys\n"
            f"end=time.time()+{timeout}\n"
            "while time.time()<end:\n"
            "    try:\n"
            f"        socket.create_connection(('{ip}',{port}),timeout=0.5).close(); sys.exit(0)\n"
            "    except OSError: time.sleep(0.05)\n"
            "sys.exit(1)\n"
        )
        done = self.run_in(instance_name, [sys.executable, "-c", code], timeout=timeout + 5)
        assert done.returncode == 0, f"{ip}:{port} not reachable from {instance_name}"

    def amphorae(self, lb_id: str) -> list[dict[str, Any]]:
        found = self.call("GET", f"/v2/octavia/amphorae?loadbalancer_id={lb_id}")["amphorae"]
        return [a for a in found if a["status"] != "DELETED"]

    def amphora_namespaces(self, amphora_id: str) -> tuple[str, str]:
        base = f"{self.prefix}-amp-{amphora_id}"
        return f"{base}-mgmt", f"{base}-data"

    def kill_amphora(self, amphora_id: str) -> None:
        """Kill every process of an amphora, as a host crash would (namespaces stay)."""
        for ns in self.amphora_namespaces(amphora_id):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True,
                                  check=False).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)


# A small load generator run inside a client namespace: bounded in count and time.
CLIENT_LOOP = r"""
import json, sys, time, urllib.request, http.client
url, count, interval, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ok, failed, bodies, fail_times = 0, 0, {}, []
t0 = time.monotonic()
for i in range(count):
    if time.monotonic() - t0 > limit:
        break
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            body = r.read().decode().strip()
        bodies[body] = bodies.get(body, 0) + 1
        ok += 1
    except Exception as exc:
        failed += 1
        fail_times.append(round(time.monotonic() - t0, 3))
    if interval:
        time.sleep(interval)
print(json.dumps({"ok": ok, "failed": failed, "bodies": bodies, "fail_times": fail_times,
                  "seconds": round(time.monotonic() - t0, 3)}))
"""


def client_loop(host: LiviaHost, instance_name: str, url: str, count: int,
                interval: float = 0.0, limit: float = 60.0) -> dict[str, Any]:
    done = host.run_in(instance_name, [sys.executable, "-c", CLIENT_LOOP, url, str(count),
                                       str(interval), str(limit)], timeout=limit + 30)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def start_client_loop(host: LiviaHost, instance_name: str, url: str, count: int,
                      interval: float = 0.0, limit: float = 60.0) -> subprocess.Popen[str]:
    """The same loop in the background; read its JSON with ``finish_client_loop``."""
    return subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{host.netns_of(instance_name)}", sys.executable, "-c",
         CLIENT_LOOP, url, str(count), str(interval), str(limit)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_client_loop(proc: subprocess.Popen[str], timeout: float = 120.0) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err
    result: dict[str, Any] = json.loads(out)
    return result
