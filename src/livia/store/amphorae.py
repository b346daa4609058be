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
