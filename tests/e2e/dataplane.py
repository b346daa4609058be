"""Helpers for the data-plane end-to-end tests: load balancers through the API, HTTP probes
from client instances, the status tree, and the check that a module leaves nothing behind.

Every request loop here is bounded in count and time and runs inside an instance's
namespace, against addresses Livia created in the test.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from livia_host import LiviaHost

T = TypeVar("T")


# -- leftovers -----------------------------------------------------------------------------

def host_leftovers(prefix: str) -> list[str]:
    """Namespaces and links on this host whose name starts with ``prefix``."""
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                           check=True).stdout.split("\n")
    links = subprocess.run(["ip", "-br", "link"], capture_output=True, text=True,
                           check=True).stdout.split("\n")
    found = [line.split()[0] for line in netns if line.startswith(prefix)]
    found += [line.split()[0] for line in links if line.startswith(prefix)]
    return found


@pytest.fixture(scope="module", autouse=True)
def nothing_left_behind() -> Iterator[list[str]]:
    """Set up before ``livia``, so that this runs after its close() and cleanup."""
    prefixes: list[str] = []
    yield prefixes
    for prefix in prefixes:
        left = host_leftovers(prefix)
        assert not left, f"left on the host after close(): {left}"


@pytest.fixture(autouse=True)
def record_prefix(livia: LiviaHost, nothing_left_behind: list[str]) -> None:
    if livia.prefix not in nothing_left_behind:
        nothing_left_behind.append(livia.prefix)


# -- waiting -------------------------------------------------------------------------------

def wait_for(what: str, probe: Callable[[], T | None], timeout: float,
             interval: float = 0.1) -> tuple[T, float]:
    """(the first truthy value of ``probe``, seconds it took); fails after ``timeout``."""
    start = time.monotonic()
    last: T | None = None
    while time.monotonic() - start < timeout:
        last = probe()
        if last:
            return last, time.monotonic() - start
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout} s (last: {last!r})")


# -- load balancers ------------------------------------------------------------------------

def member(address: str, weight: int = 1, port: int = 80, **extra: Any) -> dict[str, Any]:
    return {"address": address, "protocol_port": port, "weight": weight, **extra}


def pool_body(members: Sequence[dict[str, Any]], algorithm: str = "ROUND_ROBIN",
              **extra: Any) -> dict[str, Any]:
    return {"protocol": "HTTP", "lb_algorithm": algorithm, "members": list(members), **extra}


@dataclass(frozen=True)
class Lb:
    id: str
    vip: str
    listener_id: str | None
    pool_id: str | None
    member_ids: dict[str, str]  # address -> member id


def create_lb(livia: LiviaHost, subnet_id: str, pool: dict[str, Any] | None,
              name: str = "lvt-lb", port: int = 80, timeout: float = 60.0,
              **listener_extra: Any) -> Lb:
    """A load balancer with one HTTP listener and (optionally) its default pool, ACTIVE."""
    listener: dict[str, Any] = {"protocol": "HTTP", "protocol_port": port, **listener_extra}
    if pool is not None:
        listener["default_pool"] = pool
    created = livia.call("POST", "/v2/lbaas/loadbalancers", {"loadbalancer": {
        "name": name, "vip_subnet_id": subnet_id, "listeners": [listener]}})["loadbalancer"]
    lb = livia.wait_lb(created["id"], timeout=timeout)
    listener_id = created["listeners"][0]["id"]
    pool_id = livia.call("GET", f"/v2/lbaas/listeners/{listener_id}")["listener"][
        "default_pool_id"]
    members: dict[str, str] = {}
    if pool_id:
        found = livia.call("GET", f"/v2/lbaas/pools/{pool_id}/members")["members"]
        members = {m["address"]: m["id"] for m in found}
    return Lb(lb["id"], lb["vip_address"], listener_id, pool_id, members)


def delete_lb(livia: LiviaHost, lb_id: str, timeout: float = 30.0) -> None:
    livia.call("DELETE", f"/v2/lbaas/loadbalancers/{lb_id}?cascade=true")

    def gone() -> bool:
        response = livia.http.get(f"/v2/lbaas/loadbalancers/{lb_id}")
        return response.status_code == 404 or (
            response.json()["loadbalancer"]["provisioning_status"] == "DELETED")

    wait_for(f"load balancer {lb_id} deleted", gone, timeout)


def change(livia: LiviaHost, lb_id: str, method: str, path: str,
           body: dict[str, Any] | None = None, timeout: float = 30.0) -> dict[str, Any]:
    """One API change, then wait until the load balancer is ACTIVE again."""
    out = livia.call(method, path, body)
    livia.wait_lb(lb_id, timeout=timeout)
    return out


def status_tree(livia: LiviaHost, lb_id: str) -> dict[str, str]:
    """object id -> operating_status, from GET .../status."""
    tree = livia.call("GET", f"/v2/lbaas/loadbalancers/{lb_id}/status")["statuses"]
    out: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "id" in node and "operating_status" in node:
                out[node["id"]] = node["operating_status"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return out


def haproxy_cfg(livia: LiviaHost, amphora_id: str) -> str:
    return (Path(livia.state_dir) / "amphorae" / amphora_id / "haproxy" / "haproxy.cfg"
            ).read_text()


# -- instances -----------------------------------------------------------------------------

def kill_instance(livia: LiviaHost, name: str) -> list[int]:
    """SIGKILL every process in an instance's namespace (the namespace and its port stay).

    By namespace, not by command line: a ``pkill -f`` would also hit look-alike
    processes of other runs on this shared host.
    """
    pids = subprocess.run(["ip", "netns", "pids", livia.netns_of(name)], capture_output=True,
                          text=True, check=True).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    return [int(pid) for pid in pids]


def delete_instance(livia: LiviaHost, name: str, timeout: float = 20.0) -> None:
    """Delete an instance and wait until it is gone (its address can then be reused)."""
    livia.call("DELETE", f"/v2.0/livia/instances/{name}")
    wait_for(f"instance {name} deleted",
             lambda: livia.http.get(f"/v2.0/livia/instances/{name}").status_code == 404,
             timeout)


# -- traffic -------------------------------------------------------------------------------

# Runs in a client namespace: ``count`` requests with http.client (no redirects followed),
# a new connection each unless keep-alive is asked for, optionally sending back the cookies
# the responses set. Bounded by ``limit`` seconds and a per-request timeout.
PROBE = r"""
import http.client, json, sys, time
spec = json.loads(sys.argv[1])
jar, out, conn = {}, [], None
deadline = time.monotonic() + spec["limit"]
for _ in range(spec["count"]):
    if time.monotonic() > deadline:
        break
    headers = dict(spec["headers"])
    if jar:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    try:
        if conn is None:
            conn = http.client.HTTPConnection(spec["host"], spec["port"], timeout=spec["timeout"])
        conn.request("GET", spec["path"], headers=headers)
        r = conn.getresponse()
        body = r.read().decode(errors="replace").strip()
        cookies = r.headers.get_all("Set-Cookie") or []
        if spec["cookies"]:
            for c in cookies:
                name, _, rest = c.partition("=")
                jar[name.strip()] = rest.split(";")[0].strip()
        out.append({"status": r.status, "body": body, "location": r.getheader("Location"),
                    "served_by": r.getheader("X-Served-By"), "set_cookie": cookies})
        if not spec["keepalive"] or r.will_close:
            conn.close()
            conn = None
    except (OSError, http.client.HTTPException) as exc:
        out.append({"error": repr(exc)})
        if conn is not None:
            conn.close()
        conn = None
print(json.dumps(out))
"""


def probe(livia: LiviaHost, client: str, host: str, path: str = "/", count: int = 1,
          headers: dict[str, str] | None = None, cookies: bool = False,
          keepalive: bool = False, port: int = 80, limit: float = 30.0,
          timeout: float = 2.0) -> list[dict[str, Any]]:
    spec = {"host": host, "port": port, "path": path, "count": count,
            "headers": headers or {}, "cookies": cookies, "keepalive": keepalive,
            "limit": limit, "timeout": timeout}
    done = livia.run_in(client, [sys.executable, "-c", PROBE, json.dumps(spec)],
                        timeout=limit + timeout + 30)
    assert done.returncode == 0, done.stderr
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def get(livia: LiviaHost, client: str, host: str, path: str = "/",
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One request; fails on a transport error."""
    [answer] = probe(livia, client, host, path, headers=headers)
    assert "error" not in answer, f"GET http://{host}{path}: {answer['error']}"
    return answer


def bodies(answers: Sequence[dict[str, Any]]) -> Counter[str]:
    """How many answers each body had ('<error>' for transport errors, 'HTTP n' if not 200)."""
    out: Counter[str] = Counter()
    for a in answers:
        if "error" in a:
            out["<error>"] += 1
        elif a["status"] != 200:
            out[f"HTTP {a['status']}"] += 1
        else:
            out[a["body"]] += 1
    return out


# Runs in a client namespace: requests every ``interval`` until ``count`` or ``limit`` s,
# each with its CLOCK_MONOTONIC start and end (the same clock as the host's
# time.monotonic()), so failures can be placed against events the test caused.
TIMED_LOOP = r"""
import http.client, json, sys, time
host, count, interval, limit, keepalive = (sys.argv[1], int(sys.argv[2]), float(sys.argv[3]),
                                           float(sys.argv[4]), sys.argv[5] == "1")
out, conn = [], None
t0 = time.monotonic()
for _ in range(count):
    start = time.monotonic()
    if start - t0 > limit:
        break
    try:
        if conn is None:
            conn = http.client.HTTPConnection(host, 80, timeout=1)
        conn.request("GET", "/")
        r = conn.getresponse()
        body = r.read().decode(errors="replace").strip()
        out.append([start, time.monotonic(), body if r.status == 200 else f"HTTP {r.status}"])
        if not keepalive or r.will_close:
            conn.close()
            conn = None
    except (OSError, http.client.HTTPException) as exc:
        out.append([start, time.monotonic(), None])
        if conn is not None:
            conn.close()
        conn = None
    time.sleep(interval)
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Timed:
    start: float
    end: float
    body: str | None  # None: transport error

    @property
    def ok(self) -> bool:
        return self.body is not None and not self.body.startswith("HTTP ")


def start_timed_loop(livia: LiviaHost, client: str, host: str, count: int, interval: float,
                     limit: float, keepalive: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{livia.netns_of(client)}", sys.executable, "-c",
         TIMED_LOOP, host, str(count), str(interval), str(limit), "1" if keepalive else "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_timed_loop(proc: subprocess.Popen[str], timeout: float = 120.0) -> list[Timed]:
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    return [Timed(*row) for row in json.loads(out)]


@contextmanager
def background(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """A background loop that is killed if the test leaves before it ended."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- backends other than `livia httpd` -----------------------------------------------------

# An HTTP server answering "<name>\n" after ``delay`` seconds; with a cookie name, it sets
# that cookie (``<name>-<n>``) on every response to a request that did not send it.
APP_SERVER = r"""
import itertools, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
name, delay, cookie = sys.argv[1], float(sys.argv[2]), sys.argv[3]
counter = itertools.count(1)
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(delay)
        body = f"{name}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        if cookie and f"{cookie}=" not in (self.headers.get("Cookie") or ""):
            self.send_header("Set-Cookie", f"{cookie}={name}-{next(counter)}; Path=/")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = ThreadingHTTPServer(("0.0.0.0", 80), Handler)
server.daemon_threads = True
server.serve_forever()
"""


def app_server(livia: LiviaHost, name: str, network_id: str, ip: str, delay: float = 0.0,
               cookie: str = "") -> None:
    livia.instance(name, network_id, [sys.executable, "-c", APP_SERVER, name, str(delay),
                                      cookie], ip=ip)
    livia.wait_tcp(name, ip, 80)
