"""Amphora rows, their health rows and listener statistics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from livia.domain.amphorae import Amphora, AmphoraHealth
from livia.store import tables
from livia.store.records import Records, utcnow
from livia.store.tables import amphorae as table

records = Records(table, Amphora, tagged=False)
health = Records(tables.amphora_health, AmphoraHealth, tagged=False)


def touch_health(conn: Connection, amphora_id: str, seq: int, when: datetime) -> None:
    h = tables.amphora_health
    updated = conn.execute(
        update(h).where(h.c.amphora_id == amphora_id).values(last_update=when, seq=seq)
    ).rowcount
    if not updated:
        conn.execute(insert(h).values(amphora_id=amphora_id, last_update=when, seq=seq,
                                      busy=False))


def forget_health(conn: Connection, amphora_id: str) -> None:
    conn.execute(delete(tables.amphora_health).where(
        tables.amphora_health.c.amphora_id == amphora_id))


def save_listener_stats(
    conn: Connection, amphora_id: str, loadbalancer_id: str, listener_id: str,
    values: dict[str, int],
) -> None:
    s = tables.listener_stats
    row = {**values, "updated_at": utcnow()}
    updated = conn.execute(
        update(s).where(s.c.listener_id == listener_id, s.c.amphora_id == amphora_id)
        .values(**row)
    ).rowcount
    if not updated:
        conn.execute(insert(s).values(listener_id=listener_id, amphora_id=amphora_id,
                                      loadbalancer_id=loadbalancer_id, **row))


STAT_FIELDS = ("bytes_in", "bytes_out", "active_connections", "total_connections",
               "request_errors")


def stats_sum(conn: Connection, *, listener_id: str | None = None,
              loadbalancer_id: str | None = None, amphora_id: str | None = None
              ) -> dict[str, int]:
    s = tables.listener_stats
    stmt = select(*(func.coalesce(func.sum(s.c[f]), 0) for f in STAT_FIELDS))
    if listener_id:
        stmt = stmt.where(s.c.listener_id == listener_id)
    if loadbalancer_id:
        stmt = stmt.where(s.c.loadbalancer_id == loadbalancer_id)
    if amphora_id:
        stmt = stmt.where(s.c.amphora_id == amphora_id)
    row = conn.execute(stmt).one()
    return {f: int(v) for f, v in zip(STAT_FIELDS, row, strict=True)}


def stats_rows(conn: Connection, amphora_id: str) -> list[dict[str, object]]:
    s = tables.listener_stats
    rows = conn.execute(select(s).where(s.c.amphora_id == amphora_id).order_by(s.c.listener_id))
    return [dict(r._mapping) for r in rows]


def forget_listener_stats(conn: Connection, listener_id: str) -> None:
    conn.execute(delete(tables.listener_stats).where(
        tables.listener_stats.c.listener_id == listener_id))


def zero_active_connections(conn: Connection, amphora_id: str) -> None:
    """A removed amphora holds no connections; its counters stay in the totals."""
    s = tables.listener_stats
    conn.execute(update(s).where(s.c.amphora_id == amphora_id).values(active_connections=0))


def health_seq(conn: Connection, amphora_id: str) -> int | None:
    """The sequence number of the last heartbeat stored for an amphora."""
    h = tables.amphora_health
    row = conn.execute(select(h.c.seq).where(h.c.amphora_id == amphora_id)).first()
    return int(row[0]) if row else None


def last_heard(conn: Connection, statuses: tuple[str, ...]
               ) -> list[tuple[str, str | None, str, datetime]]:
    """(id, load balancer id, status, last heartbeat) of the amphorae in ``statuses`` that
    have a health row."""
    a, h = table, tables.amphora_health
    rows = conn.execute(
        select(a.c.id, a.c.loadbalancer_id, a.c.status, h.c.last_update)
        .select_from(a.join(h, h.c.amphora_id == a.c.id))
        .where(a.c.status.in_(statuses))
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]
