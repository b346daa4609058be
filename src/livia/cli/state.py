"""The host's state directory and the secrets in it, created on first start."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from livia.domain.settings import Settings

ADMIN_TOKEN_FILE = "admin-token"
ADMIN_PASSWORD_FILE = "admin-password"
HEARTBEAT_KEY_FILE = "heartbeat.key"


# HAProxy workers run as an unprivileged user and execute the PING monitor's
# wrapper under amphorae/<id>/haproxy/: the directories on that path may be
# traversed (not listed) by anyone. Every file in them is 0600 unless public.
_TRAVERSABLE = 0o711
_SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def prepare(settings: Settings) -> None:
    settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(settings.state_dir, _TRAVERSABLE)
    settings.amphorae_dir.mkdir(exist_ok=True, mode=0o700)
    os.chmod(settings.amphorae_dir, _TRAVERSABLE)
    for sub in (settings.instances_dir, settings.pki_dir):
        sub.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private_sqlite(settings.database)


def _private_sqlite(url: str) -> None:
    """The SQLite database (and its journals, which inherit its mode) readable by root only."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return
    path = url.removeprefix("sqlite:///")
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for suffix in _SQLITE_FILES:
        if os.path.exists(path + suffix):
            os.chmod(path + suffix, 0o600)


def _secret_file(path: Path, make: int) -> tuple[str, bool]:
    """The secret in ``path``, creating it (mode 0600) if missing; (secret, created)."""
    if path.exists():
        return path.read_text().strip(), False
    value = secrets.token_urlsafe(make)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value, True


def admin_token(settings: Settings) -> tuple[str, bool]:
    """LIVIA_ADMIN_TOKEN if set, else the stored one (generated on first start)."""
    from_env = os.environ.get("LIVIA_ADMIN_TOKEN")
    if from_env:
        return from_env, False
    return _secret_file(settings.state_dir / ADMIN_TOKEN_FILE, 32)


def heartbeat_key(settings: Settings) -> bytes:
    return _secret_file(settings.state_dir / HEARTBEAT_KEY_FILE, 32)[0].encode()


def read_admin_token(settings: Settings) -> str | None:
    from_env = os.environ.get("LIVIA_ADMIN_TOKEN")
    if from_env:
        return from_env
    path = settings.state_dir / ADMIN_TOKEN_FILE
    return path.read_text().strip() if path.exists() else None


def admin_password(settings: Settings) -> tuple[str, bool]:
    """The identity admin's password: LIVIA_ADMIN_PASSWORD, else the stored one (generated)."""
    from_env = os.environ.get("LIVIA_ADMIN_PASSWORD")
    if from_env:
        return from_env, False
    return _secret_file(settings.state_dir / ADMIN_PASSWORD_FILE, 18)
