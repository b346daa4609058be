"""Fixtures of the functional suite: the real API and controller over fake drivers.

Every test that takes ``stack`` runs twice, once on SQLite and once on a real
PostgreSQL 15 server started once for the session (a throwaway cluster in a
temporary directory, listening on a unix socket there and on 127.0.0.1 only;
each test gets its own database, a copy of a migrated template). The
controller's reconciler runs on its own event loop in a background thread, as
``livia serve`` wires it, and the API is driven through FastAPI's TestClient.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import shutil
import string
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lbaas_stack import (
    PG_BIN,
    Api,
    PostgresServer,
    ReconcilerThread,
    Stack,
    Tokens,
    as_postgres,
    free_port,
    postgres_database,
    start_postgres,
)

from livia.api.app import create_app
from livia.api.context import ApiServices
from livia.controller.bootstrap import prepare
from livia.controller.context import Controller
from livia.domain.settings import Settings
from livia.domain.tokens import Role, Token
from livia.drivers.agent_client_fake import FakeAgentClient
from livia.drivers.certificates import LocalCA
from livia.drivers.compute_fake import FakeComputeDriver
from livia.drivers.network_fake import FakeNetworkDriver
from livia.store import tokens
from livia.store.database import Database
from livia.store.records import utcnow


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL 15 for the whole session; its data dir goes at the end."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL binaries are missing in {PG_BIN}: run `make setup`.")
    root = Path(tempfile.mkdtemp(prefix="lvt-pg-"))
    shutil.chown(root, "postgres", "postgres")
    server = PostgresServer(port=free_port(), root=root)
    try:
        start_postgres(root, server.port)
        server.admin("CREATE DATABASE livia_test")
        template = Database(server.url("livia_test"))
        template.migrate()
        template.dispose()
        yield server
    finally:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            as_postgres(str(PG_BIN / "pg_ctl"), "stop", "-D", str(root / "data"), "-m",
                         "immediate", "-w", cwd=root)
        shutil.rmtree(root, ignore_errors=True)


def _insert_tokens(db: Database, project_a: str, project_b: str) -> tuple[str, str, str]:
    made = []
    with db.write() as conn:
        for project, role in ((project_a, Role.MEMBER), (project_a, Role.READER),
                              (project_b, Role.MEMBER)):
            secret = "lvt-" + secrets.token_urlsafe(16)
            tokens.records.insert(conn, Token(
                id=str(uuid.uuid4()), project_id=project, role=role,
                token_hash=tokens.hash_token(secret), description="functional test",
                created_at=utcnow()))
            made.append(secret)
    return made[0], made[1], made[2]


def _settings(tmp_path: Path, url: str) -> Settings:
    suffix = "".join(secrets.choice(string.ascii_lowercase) for _ in range(2))
    return Settings(state_dir=tmp_path, database_url=url, driver="fake",
                    name_prefix="lvt" + suffix, reconcile_poll_interval=0.05,
                    amphora_boot_timeout=2.0, lease_seconds=10.0, heartbeat_interval=1.0)


def _controller(settings: Settings, db: Database) -> Controller:
    network = FakeNetworkDriver(settings)
    compute = FakeComputeDriver(settings, network)
    return Controller(db=db, settings=settings, compute=compute, network=network,
                      agents=FakeAgentClient(), ca=LocalCA.load_or_create(settings.pki_dir),
                      heartbeat_key=secrets.token_bytes(32),
                      owner=f"lvt-test-{uuid.uuid4().hex[:8]}")


@contextlib.contextmanager
def _database_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'livia.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    with postgres_database(server) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    with _database_url(request.param, tmp_path, request) as url:
        settings = _settings(tmp_path, url)
        marker = request.node.get_closest_marker("settings")
        if marker is not None:  # @pytest.mark.settings(project_instances=True)
            settings = dataclasses.replace(settings, **marker.kwargs)
        for sub in (settings.amphorae_dir, settings.instances_dir, settings.pki_dir):
            sub.mkdir(parents=True, exist_ok=True)
        db = Database(url)
        try:
            db.migrate()
            yield from _running_stack(request.param, settings, db)
        finally:
            db.dispose()


@pytest.fixture
def sqlite_stack(tmp_path: Path) -> Iterator[Stack]:
    """The stack on SQLite only: for tests whose subject is the API, not the database."""
    url = f"sqlite:///{tmp_path / 'livia.db'}"
    settings = _settings(tmp_path, url)
    for sub in (settings.amphorae_dir, settings.instances_dir, settings.pki_dir):
        sub.mkdir(parents=True, exist_ok=True)
    db = Database(url)
    try:
        db.migrate()
        yield from _running_stack("sqlite", settings, db)
    finally:
        db.dispose()


def _running_stack(kind: str, settings: Settings, db: Database) -> Iterator[Stack]:
    ctl = _controller(settings, db)
    asyncio.run(prepare(ctl))
    project_a, project_b = "lvt-a-" + uuid.uuid4().hex[:8], "lvt-b-" + uuid.uuid4().hex[:8]
    member_a, reader_a, member_b = _insert_tokens(db, project_a, project_b)
    admin = "lvt-admin-" + secrets.token_urlsafe(16)
    runner = ReconcilerThread(ctl)
    app = create_app(ApiServices(db=db, settings=settings,
                                 admin_token_hash=tokens.hash_token(admin), wake=runner.wake))
    runner.start()
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert isinstance(ctl.compute, FakeComputeDriver)
            assert isinstance(ctl.network, FakeNetworkDriver)
            assert isinstance(ctl.agents, FakeAgentClient)
            yield Stack(
                api=Api(client, member_a), db=db, settings=settings, ctl=ctl,
                compute=ctl.compute, network=ctl.network, agents=ctl.agents, runner=runner,
                tokens=Tokens(admin=admin, member_a=member_a, reader_a=reader_a,
                              member_b=member_b),
                project_a=project_a, project_b=project_b, kind=kind)
    finally:
        runner.stop()
