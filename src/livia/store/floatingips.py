"""Floating IP rows."""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from livia.domain.networks import FloatingIp
from livia.store import tables
from livia.store.records import Records

records = Records(tables.floatingips, FloatingIp)


def work_ids(conn: Connection) -> list[str]:
    """Floating IPs whose NAT on the host does not match the row yet."""
    f = tables.floatingips
    stmt = select(f.c.id).where(or_(f.c.applied.is_(False), f.c.pending_delete.is_(True)))
    return [r[0] for r in conn.execute(stmt)]


def plumbing_ports(conn: Connection, fip_id: str) -> tuple[str | None, str | None, bool]:
    f = tables.floatingips
    row = conn.execute(
        select(f.c.floating_port_id, f.c.nat_port_id, f.c.pending_delete).where(f.c.id == fip_id)
    ).one()
    return row[0], row[1], bool(row[2])
