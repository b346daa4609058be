"""The state directory: traversable on the PING wrapper's path, private elsewhere."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

from livia.cli import state
from livia.domain.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_ping_wrapper_path_is_traversable_and_the_rest_private(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    state.prepare(settings)
    assert mode(settings.state_dir) == 0o711
    assert mode(settings.amphorae_dir) == 0o711
    assert mode(settings.instances_dir) == 0o700
    assert mode(settings.pki_dir) == 0o700
    state.heartbeat_key(settings)
    assert mode(settings.state_dir / state.HEARTBEAT_KEY_FILE) == 0o600


def test_sqlite_database_and_its_journals_are_0600(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state")
    state.prepare(settings)
    db = Path(settings.database.removeprefix("sqlite:///"))
    assert mode(db) == 0o600
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x)")
        assert mode(Path(f"{db}-wal")) == 0o600
    db.chmod(0o644)  # an older installation: tightened on the next start
    state.prepare(settings)
    assert mode(db) == 0o600


def test_non_sqlite_databases_are_left_alone(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", database_url="postgresql://x/y")
    state.prepare(settings)
    assert not (settings.state_dir / "livia.db").exists()
