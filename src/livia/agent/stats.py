"""HAProxy's ``show stat`` CSV → what a heartbeat reports.

FRONTEND rows are listeners (the renderer names frontends after listener
ids), BACKEND rows are pools (named ``<pool id>`` or ``<pool id>:<listener
id>``; reported by pool id), server rows are members (named after member
ids). Byte and connection counters restart with every HAProxy worker, so a
``CounterBook`` carries them over: what it reports only ever grows.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from typing import Any

from livia.protocol.heartbeat import ListenerReport, PoolReport

CARRIED = ("rx", "tx", "totconns", "ereq")
_CSV_FIELDS = {"rx": "bin", "tx": "bout", "totconns": "stot", "ereq": "ereq"}
# When one pool backs several listeners, its worst member state wins.
_SEVERITY = {"DOWN": 4, "MAINT": 3, "DRAIN": 2, "no check": 1, "UP": 0}


@dataclass(frozen=True, slots=True)
class ListenerSample:
    status: str
    conns: int
    counters: dict[str, int]


@dataclass(frozen=True, slots=True)
class StatsSample:
    listeners: dict[str, ListenerSample] = field(default_factory=dict)
    pools: dict[str, PoolReport] = field(default_factory=dict)


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def listener_status(haproxy_status: str) -> str:
    """OPEN and FULL as HAProxy says them; a stopped frontend is DOWN."""
    return haproxy_status if haproxy_status in ("OPEN", "FULL") else "DOWN"


def member_status(haproxy_status: str, weight: int) -> str:
    """HAProxy's server status ("UP 1/3", "MAINT (via x)", "NOLB"…) → the wire values."""
    word = haproxy_status.strip()
    if word == "no check":
        return "no check"
    if word.startswith("UP"):
        return "DRAIN" if weight == 0 else "UP"
    if word.startswith(("DRAIN", "NOLB")):
        return "DRAIN"
    if word.startswith("MAINT"):
        return "MAINT"
    return "DOWN"


def _rows(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        return []
    lines[0] = lines[0][2:]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def _merge_pool(pools: dict[str, PoolReport], pool_id: str, report: PoolReport) -> None:
    old = pools.get(pool_id)
    if old is None:
        pools[pool_id] = report
        return
    members = dict(old.members)
    for member, status in report.members.items():
        current = members.get(member)
        if current is None or _SEVERITY.get(status, 4) > _SEVERITY.get(current, 4):
            members[member] = status
    status = "UP" if old.status == "UP" and report.status == "UP" else "DOWN"
    pools[pool_id] = PoolReport(status=status, members=members)


def parse_stats(text: str) -> StatsSample:
    listeners: dict[str, ListenerSample] = {}
    backends: dict[str, str] = {}
    members: dict[str, dict[str, str]] = {}
    for row in _rows(text):
        proxy, name = row.get("pxname", ""), row.get("svname", "")
        if name == "FRONTEND":
            listeners[proxy] = ListenerSample(
                status=listener_status(row.get("status", "")), conns=_int(row.get("scur")),
                counters={k: _int(row.get(col)) for k, col in _CSV_FIELDS.items()})
        elif name == "BACKEND":
            backends[proxy] = "UP" if row.get("status", "").startswith("UP") else "DOWN"
        elif row.get("type") == "2":
            members.setdefault(proxy, {})[name] = member_status(
                row.get("status", ""), _int(row.get("weight")))
    pools: dict[str, PoolReport] = {}
    for proxy, status in backends.items():
        _merge_pool(pools, proxy.split(":", 1)[0],
                    PoolReport(status=status, members=members.get(proxy, {})))
    return StatsSample(listeners=listeners, pools=pools)


class CounterBook:
    """Cumulative listener counters across HAProxy worker restarts.

    ``base`` holds what earlier workers counted; ``last`` the latest raw
    values of the current worker. A raw value below ``last`` means a new
    worker started unseen (a crash, a reload by someone else): its
    predecessor's last value joins the base. Reloads the agent makes itself
    are folded in exactly with ``fold`` while ``hold`` keeps samples out (a
    heartbeat meanwhile repeats its previous listener reports rather than wait).
    """

    def __init__(self, base: dict[str, dict[str, int]] | None = None,
                 last: dict[str, dict[str, int]] | None = None) -> None:
        self._base = {k: dict(v) for k, v in (base or {}).items()}
        self._last = {k: dict(v) for k, v in (last or {}).items()}
        self._lock = threading.RLock()
        self._saved: dict[str, Any] = {"base": base or {}, "last": last or {}}

    def hold(self) -> threading.RLock:
        return self._lock

    def observe(self, sample: StatsSample) -> dict[str, ListenerReport] | None:
        """Totals for this sample; None while a reload holds the book (do not wait)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._observe(sample)
        finally:
            self._lock.release()

    def _observe(self, sample: StatsSample) -> dict[str, ListenerReport]:
        reports = {}
        for lid, listener in sample.listeners.items():
            base = self._base.setdefault(lid, dict.fromkeys(CARRIED, 0))
            last = self._last.setdefault(lid, dict.fromkeys(CARRIED, 0))
            for key in CARRIED:
                raw = listener.counters.get(key, 0)
                if raw < last.get(key, 0):
                    base[key] = base.get(key, 0) + last[key]
                last[key] = raw
            reports[lid] = ListenerReport(
                status=listener.status, conns=listener.conns,
                **{k: base.get(k, 0) + last[k] for k in CARRIED})
        return reports

    def fold(self, before_reload: StatsSample) -> None:
        """A reload happened: what the old worker counted moves into the base."""
        with self._lock:
            for lid, listener in before_reload.listeners.items():
                base = self._base.setdefault(lid, dict.fromkeys(CARRIED, 0))
                for key in CARRIED:
                    base[key] = base.get(key, 0) + listener.counters.get(key, 0)
                self._last[lid] = dict.fromkeys(CARRIED, 0)

    def to_dict(self) -> dict[str, Any]:
        """What to persist; while a reload holds the book, what was persisted before."""
        if not self._lock.acquire(blocking=False):
            return self._saved
        try:
            self._saved = {"base": {k: dict(v) for k, v in self._base.items()},
                           "last": {k: dict(v) for k, v in self._last.items()}}
            return self._saved
        finally:
            self._lock.release()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CounterBook:
        def table(raw: Any) -> dict[str, dict[str, int]]:
            if not isinstance(raw, dict):
                return {}
            return {str(k): {c: int(v.get(c, 0)) for c in CARRIED}
                    for k, v in raw.items() if isinstance(v, dict)}
        return cls(table(data.get("base")), table(data.get("last")))
