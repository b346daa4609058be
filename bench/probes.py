"""Small HTTP clients the benchmarks run inside a client instance's namespace.

Each is a Python program given as ``python -c``; each is bounded in requests and
in time, prints one JSON document, and talks only to the address it is given
(a VIP or a backend inside the lab's own bridges). Times are ``time.monotonic()``,
which every process on the host shares, so the caller can compare them with its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from bench.lab import Lab

# The time of the first successful request to a URL, polling every ``interval`` s.
FIRST_OK = r"""
import json, socket, sys, time
host, port, interval, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
print("ready", flush=True)
t0 = time.monotonic()
tries = 0
while time.monotonic() - t0 < limit:
    tries += 1
    try:
        with socket.create_connection((host, port), timeout=0.2) as s:
            s.settimeout(0.5)
            s.sendall(request)
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                print(json.dumps({"first_ok": time.monotonic(), "tries": tries}))
                sys.exit(0)
    except OSError:
        pass
    time.sleep(interval)
print(json.dumps({"first_ok": None, "tries": tries}))
"""

# One request every ``interval`` s (new connection each), until ``limit`` s or a stop file.
TICKS = r"""
import json, os, socket, sys, time
host, port, interval, limit, stop = (sys.argv[1], int(sys.argv[2]), float(sys.argv[3]),
                                     float(sys.argv[4]), sys.argv[5])
request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
ok, failed = [], []
print("ready", flush=True)
t0 = time.monotonic()
while time.monotonic() - t0 < limit and not os.path.exists(stop):
    sent = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=0.25) as s:
            s.settimeout(0.25)
            s.sendall(request)
            good = s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        good = False
    (ok if good else failed).append(round(sent, 4))
    time.sleep(max(0.0, interval - (time.monotonic() - sent)))
print(json.dumps({"ok": ok, "failed": failed}))
"""

# Load for the hitless benchmark: keep-alive threads and new-connection threads.
LOAD = r"""
import http.client, json, os, sys, threading, time
host, port, keepalive, fresh, limit, stop = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                                             int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
counts = {"keepalive_ok": 0, "keepalive_failed": 0, "new_ok": 0, "new_failed": 0}
errors = {}
lock = threading.Lock()
t0 = time.monotonic()

def running():
    return time.monotonic() - t0 < limit and not os.path.exists(stop)

def record(kind, good, error=None):
    with lock:
        counts[kind + ("_ok" if good else "_failed")] += 1
        if error:
            errors[error] = errors.get(error, 0) + 1

def once(conn, kind):
    try:
        conn.request("GET", "/", headers={} if kind == "keepalive" else {"Connection": "close"})
        response = conn.getresponse()
        response.read()
        good = response.status == 200
        record(kind, good, None if good else str(response.status))
        return good and kind == "keepalive"
    except (OSError, http.client.HTTPException) as exc:
        record(kind, False, type(exc).__name__)
        return False

def worker(kind):
    conn = None
    while running():
        if conn is None:
            conn = http.client.HTTPConnection(host, port, timeout=2)
        if not once(conn, kind):
            conn.close()
            conn = None
    if conn is not None:
        conn.close()

threads = [threading.Thread(target=worker, args=("keepalive",)) for _ in range(keepalive)]
threads += [threading.Thread(target=worker, args=("new",)) for _ in range(fresh)]
print("ready", flush=True)
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"counts": counts, "errors": errors, "seconds": round(time.monotonic() - t0, 2)}))
"""


def start(lab: Lab, client: str, script: str, args: Sequence[str]) -> subprocess.Popen[str]:
    """Start ``script`` in ``client``'s namespace; returns once it printed ``ready``."""
    proc = subprocess.Popen(lab.in_ns(client, [sys.executable, "-c", script, *args]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        proc.kill()
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"probe did not start: {line!r} {err}")
    return proc


def finish(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    """The probe's JSON document (it is killed if it runs past ``timeout``)."""
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed: {err}")
    result: dict[str, Any] = json.loads(out)
    return result
