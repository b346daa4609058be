"""The health manager on a real SQLite database, fed crafted heartbeats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from health_rows import Site, amphora, site
from sqlalchemy import event

from livia.domain.settings import Settings
from livia.domain.status import AmphoraStatus, OperatingStatus, ProvisioningStatus
from livia.health.manager import HealthManager
from livia.protocol.heartbeat import Heartbeat, ListenerReport, PoolReport, encode
from livia.store import amphorae, loadbalancers
from livia.store.database import Database
from livia.store.records import utcnow

KEY = b"k" * 32
Op = OperatingStatus


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'livia.db'}")
    database.migrate()
    yield database
    database.engine.dispose()


def manager(db: Database, **settings: Any) -> HealthManager:
    m = HealthManager(db=db, settings=Settings(**settings), key=KEY)
    m.started -= 3600  # past the grace period after a start
    return m


def stored(db: Database, s: Site) -> Site:
    with db.read() as conn:
        graph = loadbalancers.load_graph(conn, s.lb.id)
    return Site(graph.loadbalancer, list(graph.listeners), list(graph.pools),
                list(graph.members), list(graph.amphorae))


def add(db: Database, s: Site, silent: float | None = 0.0) -> Site:
    """Insert the site; each amphora last heard ``silent`` seconds ago (None: never)."""
    with db.write() as conn:
        s.insert(conn)
        for a in s.amphorae:
            if silent is not None:
                amphorae.touch_health(conn, a.id, 0, utcnow() - timedelta(seconds=silent))
    return s


def beat(s: Site, seq: int, member_states: tuple[str, ...] = ("UP", "UP"),
         amp: int = 0, tx: int = 0) -> Heartbeat:
    return Heartbeat(
        amphora_id=s.amphorae[amp].id, seq=seq,
        listeners={s.listeners[0].id: ListenerReport("OPEN", tx=tx, totconns=seq)},
        pools={s.pools[0].id: PoolReport(
            "UP", {m.id: st for m, st in zip(s.members, member_states, strict=True)})})


def feed(m: HealthManager, *datagrams: bytes) -> None:
    for d in datagrams:
        m.datagram(d)
    asyncio.run(m.flush())


def member_statuses(db: Database, s: Site) -> list[Op]:
    """The stored statuses of ``s.members``, in that order."""
    found = {m.id: m.operating_status for m in stored(db, s).members}
    return [found[m.id] for m in s.members]


# -- receiving ---------------------------------------------------------------------------------

def test_a_signed_heartbeat_sets_statuses_and_statistics(db: Database) -> None:
    s = add(db, site())
    m = manager(db)
    feed(m, encode(beat(s, 5, ("UP", "DOWN"), tx=1234), KEY))
    after = stored(db, s)
    assert member_statuses(db, s) == [Op.ONLINE, Op.ERROR]
    assert after.pools[0].operating_status is Op.DEGRADED
    assert after.lb.operating_status is Op.DEGRADED
    with db.read() as conn:
        assert amphorae.stats_sum(conn, listener_id=s.listeners[0].id)["bytes_out"] == 1234
    assert m.counters.applied == 1


def test_a_forged_signature_is_rejected(db: Database) -> None:
    s = add(db, site())
    m = manager(db)
    feed(m, encode(beat(s, 5, ("DOWN", "DOWN")), b"x" * 32))
    genuine = encode(beat(s, 6, ("DOWN", "DOWN")), KEY)
    feed(m, genuine[:-1] + (b"1" if genuine.endswith(b"0") else b"0"))  # one digit changed
    assert member_statuses(db, s) == [Op.ONLINE, Op.ONLINE]
    assert m.counters.rejected == 2 and m.counters.applied == 0


def test_a_replayed_or_older_heartbeat_is_dropped(db: Database) -> None:
    s = add(db, site())
    m = manager(db)
    feed(m, encode(beat(s, 10), KEY))
    replay = encode(beat(s, 10, ("DOWN", "DOWN")), KEY)
    older = encode(beat(s, 9, ("DOWN", "DOWN")), KEY)
    feed(m, replay, older)
    assert member_statuses(db, s) == [Op.ONLINE, Op.ONLINE]
    assert m.counters.replayed == 2


def test_a_replay_is_dropped_by_a_manager_that_did_not_see_the_original(db: Database) -> None:
    s = add(db, site())
    feed(manager(db), encode(beat(s, 10), KEY))
    fresh = manager(db)  # another health process, or this one restarted
    feed(fresh, encode(beat(s, 3, ("DOWN", "DOWN")), KEY))
    assert member_statuses(db, s) == [Op.ONLINE, Op.ONLINE]
    assert fresh.counters.replayed == 1


def test_only_the_newest_of_a_batch_is_applied(db: Database) -> None:
    s = add(db, site())
    m = manager(db)
    feed(m, encode(beat(s, 7, ("DOWN", "UP")), KEY), encode(beat(s, 8, ("UP", "DOWN")), KEY))
    assert member_statuses(db, s) == [Op.ONLINE, Op.ERROR]
    assert m.counters.applied == 1


def test_an_unknown_amphora_is_ignored(db: Database) -> None:
    s = add(db, site())
    m = manager(db)
    stranger = replace(beat(s, 5, ("DOWN", "DOWN")), amphora_id="not-an-amphora")
    feed(m, encode(stranger, KEY))
    assert member_statuses(db, s) == [Op.ONLINE, Op.ONLINE]
    assert m.counters.unknown == 1 and m.counters.applied == 0


class UpdateCounter:
    """Counts UPDATE statements on the tables that hold operating statuses."""

    TABLES = ("loadbalancers", "listeners", "pools", "members")

    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        if words[:1] == ["UPDATE"] and words[1].strip('"') in self.TABLES:
            self.count += 1


def test_statuses_are_written_only_when_they_change(db: Database) -> None:
    s = add(db, site())
    m = manager(db)
    updates = UpdateCounter(db)
    feed(m, encode(beat(s, 1), KEY))
    assert updates.count == 0  # everything was ONLINE already
    feed(m, encode(beat(s, 2, ("UP", "DOWN")), KEY))
    assert updates.count == 3  # the member, the pool, the load balancer
    feed(m, encode(beat(s, 3, ("UP", "DOWN")), KEY))
    assert updates.count == 3
    assert stored(db, s).members[1].updated_at == s.members[1].updated_at


def test_a_pending_load_balancer_is_evaluated_without_touching_objects_being_created(
        db: Database) -> None:
    s = site(provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    s.members[0] = replace(s.members[0], provisioning_status=ProvisioningStatus.PENDING_CREATE,
                           operating_status=Op.OFFLINE)
    add(db, s)
    feed(manager(db), encode(beat(s, 1, ("UP", "UP")), KEY))
    assert member_statuses(db, s) == [Op.OFFLINE, Op.ONLINE]


# -- silence -----------------------------------------------------------------------------------

def check_stale(m: HealthManager) -> None:
    asyncio.run(m.check_stale())


def amp_status(db: Database, amp_id: str) -> AmphoraStatus:
    with db.read() as conn:
        found = amphorae.records.get(conn, amp_id)
    assert found is not None
    return found.status


def test_a_silent_amphora_is_marked_error_and_its_load_balancer_pending_update(
        db: Database) -> None:
    quiet = add(db, site(), silent=30)
    talking = [add(db, site(), silent=0) for _ in range(3)]
    check_stale(manager(db))
    assert amp_status(db, quiet.amphorae[0].id) is AmphoraStatus.ERROR
    assert stored(db, quiet).lb.provisioning_status is ProvisioningStatus.PENDING_UPDATE
    for s in talking:
        assert amp_status(db, s.amphorae[0].id) is AmphoraStatus.ALLOCATED
        assert stored(db, s).lb.provisioning_status is ProvisioningStatus.ACTIVE


def test_nothing_is_stale_during_the_grace_period_after_a_start(db: Database) -> None:
    quiet = add(db, site(), silent=30)
    m = manager(db)
    m.started = time.monotonic()
    check_stale(m)
    assert amp_status(db, quiet.amphorae[0].id) is AmphoraStatus.ALLOCATED


def test_a_load_balancer_being_changed_is_left_to_the_controller(db: Database) -> None:
    quiet = add(db, site(provisioning_status=ProvisioningStatus.PENDING_DELETE), silent=30)
    add(db, site())
    check_stale(manager(db))
    assert amp_status(db, quiet.amphorae[0].id) is AmphoraStatus.ERROR
    assert stored(db, quiet).lb.provisioning_status is ProvisioningStatus.PENDING_DELETE


def test_the_circuit_breaker_trips_above_the_threshold(db: Database) -> None:
    quiet = [add(db, site(), silent=30) for _ in range(3)]
    talking = add(db, site(), silent=0)
    check_stale(manager(db, failover_threshold=0.5))
    for s in quiet:
        a = stored(db, s).amphorae[0]
        assert a.status is AmphoraStatus.FAILOVER_STOPPED
        assert a.failover_reason and "circuit breaker" in a.failover_reason
        assert stored(db, s).lb.provisioning_status is ProvisioningStatus.ACTIVE
    assert amp_status(db, talking.amphorae[0].id) is AmphoraStatus.ALLOCATED


def test_the_circuit_breaker_does_not_trip_at_or_below_the_threshold(db: Database) -> None:
    quiet = [add(db, site(), silent=30) for _ in range(3)]
    for _ in range(3):
        add(db, site(), silent=0)
    check_stale(manager(db, failover_threshold=0.5))  # 3 of 6 is not more than half
    for s in quiet:
        assert amp_status(db, s.amphorae[0].id) is AmphoraStatus.ERROR


def test_the_circuit_breaker_needs_a_minimum_count(db: Database) -> None:
    quiet = [add(db, site(), silent=30) for _ in range(2)]
    add(db, site(), silent=0)
    check_stale(manager(db, failover_threshold=0.5))  # 2 of 3, but fewer than 3
    for s in quiet:
        assert amp_status(db, s.amphorae[0].id) is AmphoraStatus.ERROR


def test_amphorae_silenced_together_trip_it_although_they_cross_the_timeout_apart(
        db: Database) -> None:
    # Heartbeats are a second apart: when the first crosses the 5 s timeout, the
    # others of the same outage have been silent for only 4 s.
    first = add(db, site(), silent=5)
    others = [add(db, site(), silent=4) for _ in range(2)]
    talking = add(db, site(), silent=0)
    check_stale(manager(db, failover_threshold=0.5))
    for s in [first, *others]:
        assert amp_status(db, s.amphorae[0].id) is AmphoraStatus.FAILOVER_STOPPED
    assert amp_status(db, talking.amphorae[0].id) is AmphoraStatus.ALLOCATED


def test_stopped_amphorae_still_silent_keep_the_breaker_tripped(db: Database) -> None:
    stopped = [add(db, site(), silent=30) for _ in range(2)]
    with db.write() as conn:
        for s in stopped:
            amphorae.records.update(conn, s.amphorae[0].id,
                                    status=AmphoraStatus.FAILOVER_STOPPED)
    late = add(db, site(), silent=30)
    add(db, site(), silent=0)
    check_stale(manager(db, failover_threshold=0.5))
    assert amp_status(db, late.amphorae[0].id) is AmphoraStatus.FAILOVER_STOPPED


def test_a_stopped_amphora_that_speaks_again_is_allocated(db: Database) -> None:
    quiet = [add(db, site(), silent=30) for _ in range(3)]
    add(db, site(), silent=0)
    m = manager(db, failover_threshold=0.5)
    check_stale(m)
    s = quiet[0]
    feed(m, encode(beat(s, 1, ("UP", "DOWN")), KEY))
    a = stored(db, s).amphorae[0]
    assert a.status is AmphoraStatus.ALLOCATED and a.failover_reason is None
    assert member_statuses(db, s) == [Op.ONLINE, Op.ERROR]
    check_stale(m)  # heard just now: not stale any more
    assert amp_status(db, s.amphorae[0].id) is AmphoraStatus.ALLOCATED


def test_an_amphora_never_heard_of_is_not_stale(db: Database) -> None:
    never = add(db, site(), silent=None)
    add(db, site(), silent=0)
    check_stale(manager(db))
    assert amp_status(db, never.amphorae[0].id) is AmphoraStatus.ALLOCATED


def test_a_free_amphora_is_failed_over_without_a_load_balancer(db: Database) -> None:
    s = add(db, site(), silent=0)
    spare = amphora(None)
    with db.write() as conn:
        amphorae.records.insert(conn, spare)
        amphorae.touch_health(conn, spare.id, 0, utcnow() - timedelta(seconds=30))
    check_stale(manager(db))
    assert amp_status(db, spare.id) is AmphoraStatus.ERROR
    assert stored(db, s).lb.provisioning_status is ProvisioningStatus.ACTIVE

