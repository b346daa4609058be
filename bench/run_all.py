"""Run every benchmark, one process each, and print their tables together (``make bench``).

Before each program it waits (bounded by ``--quiet-wait`` seconds, 20 by default,
or ``LIVIA_BENCH_QUIET_WAIT``) for the 1-minute load average to drop below
``--max-load`` (0.5) — only while even an idle machine's decaying average could
still get there in the time left — and records the load it started with: on a shared machine
the figures are only as good as that number. A program that fails is reported and
the others still run; the exit status is 1 if any failed.

    python -m bench.run_all [--only provisioning,changes] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.report import RESULTS, loadavg, machine, wait_quiet

ROOT = Path(__file__).resolve().parents[1]

# program -> (full arguments, --quick arguments)
PROGRAMS: dict[str, tuple[list[str], list[str]]] = {
    "provisioning": (["--count", "10"], ["--count", "3"]),
    "changes": (["--cycles", "50"], ["--cycles", "5"]),
    "dataplane": (["--seconds", "5", "--rounds", "4"], ["--seconds", "3"]),
    "hitless": (["--changes", "100"], ["--changes", "10"]),
    "failover": (["--rounds", "3"], ["--rounds", "1"]),
    "density": (["--count", "50"], ["--count", "5"]),
    "api": (["--count", "1000"], ["--count", "100"]),
}


def run_one(name: str, args: Sequence[str], max_load: float, quiet_wait: float,
            limit: float) -> dict[str, object]:
    print(f"\n=== bench.{name} {' '.join(args)}", flush=True)
    load = wait_quiet(max_load, quiet_wait)
    print(f"    load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    t0 = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT,
                              env=env, timeout=limit, check=False)
        status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
    except subprocess.TimeoutExpired:
        status = f"killed after {limit:.0f} s"
    return {"program": name, "args": list(args), "status": status,
            "seconds": round(time.monotonic() - t0, 1), "loadavg_start": load,
            "loadavg_end": loadavg()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated program names")
    parser.add_argument("--quick", action="store_true", help="small counts (a smoke run)")
    parser.add_argument("--max-load", type=float, default=0.5)
    parser.add_argument("--quiet-wait", type=float,
                        default=float(os.environ.get("LIVIA_BENCH_QUIET_WAIT", "20")))
    parser.add_argument("--limit", type=float, default=420.0,
                        help="seconds after which one program is stopped")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(PROGRAMS)
    unknown = set(names) - set(PROGRAMS)
    if unknown:
        parser.error(f"unknown programs: {', '.join(sorted(unknown))}")
    started = time.monotonic()
    runs = [run_one(name, PROGRAMS[name][1 if args.quick else 0], args.max_load,
                    args.quiet_wait, args.limit) for name in names]
    print("\n=== summary", flush=True)
    for run in runs:
        print(f"  {run['program']:<13} {run['status']:<22} {run['seconds']:>7} s   "
              f"load at start {run['loadavg_start']}", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "run_all.json").write_text(json.dumps(
        {"machine": machine(), "runs": runs,
         "seconds": round(time.monotonic() - started, 1)}, indent=2) + "\n")
    print(f"  total {time.monotonic() - started:.0f} s; results in {RESULTS}", flush=True)
    return 0 if all(r["status"] == "ok" for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
