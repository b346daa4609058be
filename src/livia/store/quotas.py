"""Quota rows, the per-project lock and the counts the quota check compares."""

from __future__ import annotations

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from livia.domain.quotas import Quota, Resource
from livia.domain.status import ProvisioningStatus
from livia.store import tables
from livia.store.records import Records

records = Records(tables.quotas, Quota, tagged=False)

COUNTED: dict[Resource, Table] = {
    Resource.LOADBALANCER: tables.loadbalancers, Resource.LISTENER: tables.listeners,
    Resource.POOL: tables.pools, Resource.MEMBER: tables.members,
    Resource.HEALTHMONITOR: tables.healthmonitors, Resource.L7POLICY: tables.l7policies,
    Resource.L7RULE: tables.l7rules,
}


def of(conn: Connection, project_id: str) -> Quota:
    t = tables.quotas
    found = records.where(conn, t.c.project_id == project_id)
    return found[0] if found else Quota(project_id=project_id)


def overridden(conn: Connection, project_id: str | None) -> list[Quota]:
    """The rows with at least one override (of one project, or of every project)."""
    t = tables.quotas
    conditions = [] if project_id is None else [t.c.project_id == project_id]
    return [q for q in records.where(conn, *conditions) if q.overridden]


def lock(conn: Connection, project_id: str) -> Quota:
    """Hold the project's quota row until the transaction ends (made if missing).

    On PostgreSQL ``SELECT … FOR UPDATE`` serialises the project's creates;
    SQLite's write transactions (``BEGIN IMMEDIATE``) are serialised already.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(tables.quotas).values(project_id=project_id)
                 .on_conflict_do_nothing(index_elements=["project_id"]))
    t = tables.quotas
    row = conn.execute(select(t).where(t.c.project_id == project_id).with_for_update()).one()
    return Quota(**dict(row._mapping))


def save(conn: Connection, quota: Quota) -> None:
    lock(conn, quota.project_id)
    values = {r.value: getattr(quota, r.value) for r in Resource}
    conn.execute(tables.quotas.update().where(tables.quotas.c.project_id == quota.project_id)
                 .values(**values))


def reset(conn: Connection, project_id: str) -> None:
    conn.execute(delete(tables.quotas).where(tables.quotas.c.project_id == project_id))


def in_use(conn: Connection, project_id: str, resource: Resource) -> int:
    """The project's objects of a kind that are not deleted yet."""
    t = COUNTED[resource]
    query = select(func.count()).select_from(t).where(
        t.c.project_id == project_id,
        t.c.provisioning_status != ProvisioningStatus.DELETED.value)
    return int(conn.execute(query).scalar_one())
