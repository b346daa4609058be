"""wrk from a client instance: one bounded run, its figures parsed."""

from __future__ import annotations

import re
import subprocess
from typing import Any

from bench.lab import Lab

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _millis(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> dict[str, Any]:
    """requests/s, p50/p90/p99 latency (ms), requests, errors."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise RuntimeError(f"wrk printed no figures:\n{output}")
    found: dict[str, Any] = {"rps": float(rps.group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        found[f"p{pct}_ms"] = _millis(match.group(1)) if match else float("nan")
    total = re.search(r"(\d+) requests in", output)
    found["requests"] = int(total.group(1)) if total else 0
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                     output)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    found["errors"] = errors
    return found


def run(lab: Lab, client: str, url: str, *, seconds: float, connections: int,
        close: bool, cpu: str | None = "1") -> dict[str, Any]:
    """One wrk run (one thread, pinned to ``cpu``) inside ``client``'s namespace."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "2s",
            "--latency"]
    if close:
        argv += ["-H", "Connection: close"]
    argv.append(url)
    if cpu is not None:
        argv = ["taskset", "-c", cpu, *argv]
    done = subprocess.run(lab.in_ns(client, argv), capture_output=True, text=True,
                          timeout=seconds + 30, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    return parse(done.stdout)
