"""The health manager: heartbeats in, operating statuses and statistics out, failover on silence.

Heartbeats arrive on UDP; each is verified (HMAC), checked against the last
sequence number seen for its amphora (a replay or an old datagram is
dropped) and kept until the next flush, which applies the newest heartbeat
of every amphora in one transaction. Statuses are written only when they
change.

Every ``health_check_interval`` the manager looks for amphorae silent for
``heartbeat_timeout``: each is marked ERROR and its load balancer
PENDING_UPDATE, and the controller rebuilds it. When more than
``failover_threshold`` of all amphorae are silent at once, that is a host
problem (a wedged bridge, a paused machine), not dead amphorae: the circuit
breaker marks them FAILOVER_STOPPED and rebuilds nothing; an amphora that
speaks again is ALLOCATED again. Amphorae silenced together cross the
timeout up to one heartbeat apart, so "at once" counts those silent for
nearly the timeout too (a heartbeat, a check interval and a second short of
it), and FAILOVER_STOPPED ones still silent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime

from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.settings import Settings
from livia.domain.status import AmphoraStatus, OperatingStatus, ProvisioningStatus
from livia.health.evaluation import evaluate
from livia.protocol.heartbeat import Heartbeat, HeartbeatError, decode
from livia.store import (
    amphorae,
    listeners,
    loadbalancers,
    members,
    pools,
)
from livia.store.database import Connection, Database
from livia.store.records import utcnow

log = logging.getLogger(__name__)


@dataclass
class Counters:
    received: int = 0
    rejected: int = 0
    replayed: int = 0
    unknown: int = 0
    applied: int = 0


@dataclass
class HealthManager:
    db: Database
    settings: Settings
    key: bytes
    # Off when nothing can send heartbeats (the fake drivers): silence means nothing then.
    detect_stale: bool = True
    counters: Counters = field(default_factory=Counters)
    pending: dict[str, tuple[Heartbeat, datetime]] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    # -- receiving -------------------------------------------------------------------------
    def datagram(self, data: bytes) -> None:
        self.counters.received += 1
        try:
            beat = decode(data, self.key)
        except HeartbeatError as exc:
            self.counters.rejected += 1
            log.debug("heartbeat rejected: %s", exc)
            return
        newest = self.pending.get(beat.amphora_id)
        floor = max(self.last_seq.get(beat.amphora_id, -1),
                    newest[0].seq if newest else -1)
        if beat.seq <= floor:
            self.counters.replayed += 1
            return
        self.pending[beat.amphora_id] = (beat, utcnow())

    async def flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, {}
        await asyncio.to_thread(self._apply_batch, batch)

    def _apply_batch(self, batch: dict[str, tuple[Heartbeat, datetime]]) -> None:
        with self.db.write() as conn:
            for beat, when in batch.values():
                self._apply(conn, beat, when)

    def _apply(self, conn: Connection, beat: Heartbeat, when: datetime) -> None:
        amp = amphorae.records.get(conn, beat.amphora_id)
        if amp is None or amp.status in (AmphoraStatus.DELETED, AmphoraStatus.PENDING_DELETE):
            self.counters.unknown += 1
            return
        stored = _stored_seq(conn, amp.id)
        if stored is not None and beat.seq <= stored:
            self.counters.replayed += 1
            return
        self.last_seq[amp.id] = beat.seq
        amphorae.touch_health(conn, amp.id, beat.seq, when)
        if amp.status is AmphoraStatus.FAILOVER_STOPPED:
            amphorae.records.update(conn, amp.id, status=AmphoraStatus.ALLOCATED,
                                    failover_reason=None)
            log.info("amphora %s speaks again; back to ALLOCATED", amp.id)
            amp = replace(amp, status=AmphoraStatus.ALLOCATED)  # and its report counts
        if amp.loadbalancer_id is None or amp.status is not AmphoraStatus.ALLOCATED:
            return
        graph = loadbalancers.load_graph(conn, amp.loadbalancer_id)
        if graph.loadbalancer.provisioning_status is ProvisioningStatus.DELETED:
            return
        self._save_stats(conn, amp.id, graph, beat)
        write_statuses(conn, graph, evaluate(graph, beat))
        self.counters.applied += 1

    @staticmethod
    def _save_stats(conn: Connection, amp_id: str, graph: LoadBalancerGraph,
                    beat: Heartbeat) -> None:
        known = {li.id for li in graph.listeners}
        for listener_id, report in beat.listeners.items():
            if listener_id in known:
                amphorae.save_listener_stats(conn, amp_id, graph.loadbalancer.id, listener_id, {
                    "bytes_in": report.rx, "bytes_out": report.tx,
                    "active_connections": report.conns, "total_connections": report.totconns,
                    "request_errors": report.ereq,
                })

    # -- silence ---------------------------------------------------------------------------
    async def check_stale(self) -> None:
        if not self.detect_stale:
            return
        if time.monotonic() - self.started < self.settings.heartbeat_timeout:
            return  # give every amphora one timeout to be heard after a restart
        await asyncio.to_thread(self._check_stale)

    def _check_stale(self) -> None:
        now = utcnow()
        timeout = self.settings.heartbeat_timeout
        # Amphorae that fell silent together cross the timeout up to a heartbeat, a check
        # and a second (timestamps are stored to the second) apart: those nearly as
        # silent count with the stale ones for the breaker.
        spread = self.settings.heartbeat_interval + self.settings.health_check_interval + 1.0
        with self.db.write() as conn:
            watched = silences(conn, now)
            stale = [w for w in watched if w.allocated and w.silent >= timeout]
            if not stale:
                return
            silent = [w for w in watched if w.silent >= timeout - spread or not w.allocated]
            share = len(silent) / len(watched)
            if len(silent) >= self.settings.failover_threshold_min and (
                    share > self.settings.failover_threshold):
                self._trip(conn, [w for w in silent if w.allocated], len(silent),
                           len(watched))
                return
            for w in stale:
                self._fail(conn, w.amphora_id, w.loadbalancer_id)

    def _trip(self, conn: Connection, tripped: list[Silence], silent: int, total: int) -> None:
        reason = (f"circuit breaker: {silent} of {total} amphorae silent at once; "
                  "failover stopped")
        log.error("%s", reason)
        for w in tripped:
            amphorae.records.update(conn, w.amphora_id, status=AmphoraStatus.FAILOVER_STOPPED,
                                    failover_reason=reason)

    def _fail(self, conn: Connection, amp_id: str, lb_id: str | None) -> None:
        reason = f"no heartbeat for {self.settings.heartbeat_timeout:g} s"
        log.warning("amphora %s: %s; failing over", amp_id, reason)
        amphorae.records.update(conn, amp_id, status=AmphoraStatus.ERROR, failover_reason=reason)
        if lb_id is None:
            return
        lb = loadbalancers.records.get(conn, lb_id, for_update=True)
        if lb is not None and lb.provisioning_status in (ProvisioningStatus.ACTIVE,
                                                         ProvisioningStatus.ERROR):
            loadbalancers.records.update(conn, lb_id,
                                         provisioning_status=ProvisioningStatus.PENDING_UPDATE)

    # -- the process -----------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, bind: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=bind)
        log.info("health manager listening on %s:%d", *bind)
        try:
            tick = min(0.2, self.settings.heartbeat_interval / 2)
            last_check = 0.0
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=tick)
                await self.flush()
                if time.monotonic() - last_check >= self.settings.health_check_interval:
                    last_check = time.monotonic()
                    await self.check_stale()
        finally:
            transport.close()


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, manager: HealthManager) -> None:
        self.manager = manager

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.manager.datagram(data)


def _stored_seq(conn: Connection, amp_id: str) -> int | None:
    return amphorae.health_seq(conn, amp_id)


@dataclass(frozen=True)
class Silence:
    amphora_id: str
    loadbalancer_id: str | None
    allocated: bool  # else FAILOVER_STOPPED
    silent: float  # seconds since the last heartbeat (or since it was built)


def silences(conn: Connection, now: datetime) -> list[Silence]:
    """Every ALLOCATED or FAILOVER_STOPPED amphora that has a health row, and its silence."""
    watched = (AmphoraStatus.ALLOCATED.value, AmphoraStatus.FAILOVER_STOPPED.value)
    return [Silence(amp_id, lb_id, status == AmphoraStatus.ALLOCATED.value,
                    (now - heard).total_seconds())
            for amp_id, lb_id, status, heard in amphorae.last_heard(conn, watched)]


def write_statuses(conn: Connection, graph: LoadBalancerGraph,
                   statuses: dict[str, OperatingStatus]) -> None:
    """Write the statuses that differ from what is stored (and only those)."""
    lb = graph.loadbalancer
    for repo, items in ((listeners.records, graph.listeners), (pools.records, graph.pools),
                        (members.records, graph.members)):
        for obj in items:
            target = statuses.get(obj.id)
            if target is not None and target is not obj.operating_status:
                repo.update(conn, obj.id, operating_status=target,
                            updated_at=obj.updated_at)
    target = statuses.get(lb.id)
    if target is not None and target is not lb.operating_status:
        loadbalancers.records.update(conn, lb.id, operating_status=target,
                                     updated_at=lb.updated_at)
