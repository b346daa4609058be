"""``LiviaServer``: a ``livia serve --driver fake`` process for the real clients' tests.

Each server gets its own state directory, random admin token, name prefix
(``lvt`` + two letters), free API and health ports and an lb-mgmt-net CIDR
in 198.19.0.0/16. The fake drivers create nothing on the host; the server
process and its state directory are removed at teardown, whatever happened.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
LIVIA = str(BIN / "livia")
OPENSTACK = str(BIN / "openstack")
CLI_TIMEOUT = 120.0


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_env() -> dict[str, str]:
    """The environment without OS_* variables, so a developer's cloud settings stay out."""
    return {k: v for k, v in os.environ.items() if not k.startswith("OS_")}


class LiviaServer:
    """One ``livia serve --driver fake`` process; ``start`` again reuses its state and ports."""

    def __init__(self, base: Path, *, extra_args: Sequence[str] = ()) -> None:
        suffix = "".join(random.choices(string.ascii_lowercase, k=2))
        self.prefix = f"lvt{suffix}"
        self.dir = base / f"{self.prefix}-{secrets.token_hex(3)}"
        self.state_dir = self.dir / "state"
        self.log_path = self.dir / "serve.log"
        self.port = free_tcp_port()
        self.health_port = free_udp_port()
        self.mgmt_cidr = f"198.19.{random.randint(0, 255)}.0/24"
        self.token = secrets.token_urlsafe(24)
        self.password = secrets.token_urlsafe(12)  # the identity's admin user
        self.clouds_file = self.dir / "clouds.yaml"
        self.extra_args = list(extra_args)
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, headers={"X-Auth-Token": self.token},
                                 timeout=30.0)

    # -- the process ----------------------------------------------------------------------
    def args(self) -> list[str]:
        return [LIVIA, "serve", "--driver", "fake", "--state-dir", str(self.state_dir),
                "--port", str(self.port), "--health-port", str(self.health_port),
                "--name-prefix", self.prefix, "--mgmt-cidr", self.mgmt_cidr,
                *self.extra_args]

    def start(self, timeout: float = 30.0) -> None:
        assert self.proc is None, "already running"
        self.dir.mkdir(parents=True, exist_ok=True)
        env = {**client_env(), "LIVIA_ADMIN_TOKEN": self.token,
               "LIVIA_ADMIN_PASSWORD": self.password, "LIVIA_LOG_LEVEL": "INFO"}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.args(), stdout=log, stderr=subprocess.STDOUT,
                                         env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError(f"livia serve exited:\n{self.log_tail()}")
            try:
                if self.http.get("/").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"livia serve did not answer in {timeout} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop within 20 s."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def kill9(self) -> None:
        """A crash: SIGKILL, nothing gets to clean up."""
        proc, self.proc = self.proc, None
        assert proc is not None and proc.poll() is None, "the server is not running"
        proc.kill()
        proc.wait(timeout=10)

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self.http.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # -- the openstack CLI --------------------------------------------------------------------
    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [OPENSTACK, "--os-auth-type", "admin_token", "--os-token", self.token,
                   "--os-endpoint", self.url, *args]
        return subprocess.run(command, capture_output=True, text=True, env=client_env(),
                              timeout=CLI_TIMEOUT, check=False)

    def cli_ok(self, *args: str) -> str:
        done = self.cli(*args)
        assert done.returncode == 0, (
            f"openstack {' '.join(args)} exited {done.returncode}\nstdout: {done.stdout}\n"
            f"stderr: {done.stderr}\nserver log:\n{self.log_tail()}")
        return done.stdout

    def cli_json(self, *args: str) -> Any:
        """Run a command with ``-f json``; it must exit 0. Returns the parsed output."""
        return json.loads(self.cli_ok(*args, "-f", "json"))

    # -- the openstack CLI with a clouds.yaml (Keystone auth, endpoints from the catalog) -----
    def add_cloud(self, name: str, auth_type: str, auth: dict[str, str]) -> None:
        """Add a cloud to this server's clouds.yaml (JSON is YAML)."""
        clouds = json.loads(self.clouds_file.read_text()) if self.clouds_file.exists() else {
            "clouds": {}}
        clouds["clouds"][name] = {"auth_type": auth_type, "region_name": "RegionOne",
                                  "auth": {"auth_url": f"{self.url}/identity", **auth}}
        self.clouds_file.write_text(json.dumps(clouds))

    def password_auth(self, user: str, password: str, project: str) -> dict[str, str]:
        return {"username": user, "password": password, "project_name": project,
                "user_domain_name": "Default", "project_domain_name": "Default"}

    def cloud_cli(self, cloud: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**client_env(), "OS_CLIENT_CONFIG_FILE": str(self.clouds_file)}
        return subprocess.run([OPENSTACK, "--os-cloud", cloud, *args], capture_output=True,
                              text=True, env=env, timeout=CLI_TIMEOUT, check=False)

    def cloud_ok(self, cloud: str, *args: str) -> str:
        done = self.cloud_cli(cloud, *args)
        assert done.returncode == 0, (
            f"openstack --os-cloud {cloud} {' '.join(args)} exited {done.returncode}\n"
            f"stdout: {done.stdout}\nstderr: {done.stderr}\nserver log:\n{self.log_tail()}")
        return done.stdout

    def cloud_json(self, cloud: str, *args: str) -> Any:
        return json.loads(self.cloud_ok(cloud, *args, "-f", "json"))

    # -- the API, directly ----------------------------------------------------------------
    def api(self, method: str, path: str, body: dict[str, Any] | None = None,
            expect: tuple[int, ...] = (200, 201, 202, 204)) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code in expect, (
            f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else {}

    def wait_active(self, lb_id: str, bound: float = 30.0) -> None:
        """Poll the load balancer every 50 ms until it is ACTIVE again (at most ``bound`` s)."""
        deadline = time.monotonic() + bound
        status = ""
        while time.monotonic() < deadline:
            lb = self.api("GET", f"/v2/lbaas/loadbalancers/{lb_id}")["loadbalancer"]
            status = lb["provisioning_status"]
            if status == "ACTIVE":
                return
            time.sleep(0.05)
        raise AssertionError(f"load balancer {lb_id} still {status} after {bound} s")

    def network(self, name: str, cidr: str) -> tuple[str, str]:
        """Create a network and its subnet; (network id, subnet id)."""
        net = self.api("POST", "/v2.0/networks", {"network": {"name": name}})["network"]
        sub = self.api("POST", "/v2.0/subnets", {"subnet": {
            "network_id": net["id"], "cidr": cidr, "ip_version": 4,
            "name": f"{name}-subnet"}})["subnet"]
        return str(net["id"]), str(sub["id"])


def make_server(base: Path, extra_args: Sequence[str] = ()) -> Iterator[LiviaServer]:
    server = LiviaServer(base, extra_args=extra_args)
    try:
        server.start()
        yield server
    finally:
        server.close()
