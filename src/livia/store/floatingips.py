"""Floating IP rows."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, insert, or_, select

from livia.domain.networks import FloatingIp
from livia.store import tables
from livia.store.records import Records, to_json

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


def add(conn: Connection, fip: FloatingIp, *, floating_port_id: str,
        nat_port_id: str | None) -> None:
    """Insert a floating IP the controller has yet to plumb (``applied`` False)."""
    f = tables.floatingips
    row = {k: v for k, v in to_json(fip).items() if k in f.c}
    conn.execute(insert(f).values(**row, floating_port_id=floating_port_id,
                                  nat_port_id=nat_port_id, applied=False,
                                  pending_delete=False))
    records.set_tags(conn, fip.id, fip.tags)


def live() -> ColumnElement[bool]:
    """Floating IPs not on their way out (a deleted one is gone for the API at once)."""
    return tables.floatingips.c.pending_delete.is_(False)


def of_port(conn: Connection, port_id: str) -> list[FloatingIp]:
    return records.where(conn, tables.floatingips.c.port_id == port_id, live())
