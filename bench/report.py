"""What every benchmark prints and keeps: statistics, a table, the machine, a JSON file.

Figures are measured in the run that prints them; nothing here holds a result.
"""

from __future__ import annotations

import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile with linear interpolation (``nan`` for no values)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, min and max of a sample."""
    return {"count": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "min": min(values, default=math.nan), "max": max(values, default=math.nan)}


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 1)


def loadavg() -> tuple[float, float, float]:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def wait_quiet(max_load: float, timeout: float) -> tuple[float, float, float]:
    """Wait (bounded by ``timeout`` s) until the 1-minute load average is below ``max_load``.

    The 1-minute average decays by e^(-t/60) at best (an idle machine), so when
    even that cannot bring it below ``max_load`` within the time left, waiting
    only adds to the run: go ahead at once (the load is recorded either way).
    """
    deadline = time.monotonic() + timeout
    load = loadavg()
    while load[0] >= max_load:
        left = deadline - time.monotonic()
        if left <= 0 or load[0] * math.exp(-left / 60.0) >= max_load:
            break
        print(f"  waiting for a quiet machine: load {load[0]:.2f} >= {max_load}", flush=True)
        time.sleep(min(5.0, left))
        load = loadavg()
    return load


def _first_line(argv: Sequence[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "missing"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _cpu_model() -> str:
    match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    return match.group(1).strip() if match else platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare figures: CPU, kernel, versions, load."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "haproxy": _first_line(["haproxy", "-v"]),
        "keepalived": _first_line(["keepalived", "--version"]),
        "wrk": _first_line(["wrk", "-v"]),
        "nginx": _first_line(["nginx", "-v"]),
        "nofile_hard": _first_line(["sh", "-c", "ulimit -Hn"]),
        "loadavg": loadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table (also valid Markdown)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |"
            for r in cells]
    return "\n".join([f"\n{title}\n", line, rule, *body])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


@dataclass
class Results:
    """One program's results: tables as printed, figures as JSON."""

    name: str
    started: float = field(default_factory=time.time)
    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    machine_before: dict[str, Any] = field(default_factory=machine)

    def add_table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]
                  ) -> None:
        text = table(title, headers, rows)
        self.tables.append(text)
        print(text, flush=True)

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        document = {
            "name": self.name, "argv": sys.argv, "machine": self.machine_before,
            "loadavg_after": loadavg(), "seconds": round(time.time() - self.started, 1),
            "figures": self.figures, "tables": self.tables,
        }
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(f"\nwrote {path}", flush=True)
        return path
