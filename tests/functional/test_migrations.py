"""The Alembic migrations on SQLite and PostgreSQL: they build what ``tables.py`` says, and
0002 (instance names per project, confined instances) keeps the rows it finds."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from lbaas_stack import PostgresServer
from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from livia.store import tables
from livia.store.database import Database, alembic_config


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database without any table."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'empty.db'}")
        yield db
        db.dispose()
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = "lvt_m_" + secrets.token_hex(6)
    server.admin(f"CREATE DATABASE {name}")
    db = Database(server.url(name))
    try:
        yield db
    finally:
        db.dispose()
        server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _alembic(db: Database, action: str, revision: str) -> None:
    with db.engine.connect() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)
        conn.commit()


def test_the_migrations_build_the_tables(empty: Database) -> None:
    empty.migrate()
    with empty.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []


def _instance(conn: Connection, project: str, name: str, network_id: str, **extra: Any) -> str:
    instance_id = secrets.token_hex(8)
    conn.execute(insert(tables.instances).values(
        id=instance_id, project_id=project, name=name, network_id=network_id, port_id=None,
        command=["sleep", "infinity"], status="ACTIVE", created_at=datetime(2026, 1, 1),
        **extra))
    return instance_id


def test_0002_keeps_instances_and_makes_names_unique_per_project(empty: Database) -> None:
    _alembic(empty, "upgrade", "0001")
    with empty.engine.begin() as conn:
        conn.execute(insert(tables.networks).values(
            id="net-1", project_id="p1", name="n", description=None, admin_state_up=True,
            status="ACTIVE", shared=False, router_external=False, mtu=1500,
            revision_number=1, created_at=datetime(2026, 1, 1)))
        old = _instance(conn, "p1", "web", "net-1")
    _alembic(empty, "upgrade", "head")
    i = tables.instances
    with empty.engine.begin() as conn:
        row = conn.execute(select(i.c.name, i.c.confined, i.c.uid).where(i.c.id == old)).one()
        assert tuple(row) == ("web", False, None)  # started unconfined, and stays so
        _instance(conn, "p2", "web", "net-1", confined=True, uid=2_000_000_000)
    with pytest.raises(IntegrityError), empty.engine.begin() as conn:
        _instance(conn, "p1", "web", "net-1")
    with pytest.raises(IntegrityError), empty.engine.begin() as conn:
        _instance(conn, "p1", "other", "net-1", confined=True, uid=2_000_000_000)
    with empty.engine.begin() as conn:
        conn.execute(i.delete().where(i.c.project_id == "p2"))
    _alembic(empty, "downgrade", "0001")
    with empty.engine.begin() as conn:
        names = conn.execute(select(i.c.name).select_from(i)).scalars().all()
    assert names == ["web"]
