"""A configuration file applied like a transaction.

``<path>.new`` is written and validated; a rejected one is kept as
``<path>.failed``; the running one is copied to ``<path>.lkg`` (last known
good) before the new one is renamed over it, and ``restore`` brings the
last known good back when applying the new one failed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass


def write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    """Replace ``path`` whole: a reader sees the old content or the new, never half."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


@dataclass(frozen=True, slots=True)
class ConfigFile:
    path: str

    @property
    def new(self) -> str:
        return f"{self.path}.new"

    @property
    def lkg(self) -> str:
        return f"{self.path}.lkg"

    @property
    def failed(self) -> str:
        return f"{self.path}.failed"

    def exists(self) -> bool:
        return os.path.exists(self.path)

    def read(self) -> str | None:
        data = read_bytes(self.path)
        return None if data is None else data.decode()

    def sha256(self) -> str | None:
        data = read_bytes(self.path)
        return None if data is None else hashlib.sha256(data).hexdigest()

    def stage(self, text: str) -> str:
        """Write the candidate (0600) and return its path, for the validator."""
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        write_atomic(self.new, text.encode(), 0o600)
        return self.new

    def reject(self) -> None:
        """The candidate did not validate: keep it aside for a human to read."""
        os.replace(self.new, self.failed)

    def promote(self) -> None:
        """Keep the running file as last known good, then swap the candidate in."""
        current = read_bytes(self.path)
        if current is not None:
            write_atomic(self.lkg, current, 0o600)
        os.replace(self.new, self.path)

    def restore(self) -> bool:
        """Put the last known good back (the failed one becomes ``.failed``).

        Returns False when there was no last known good: the file is then gone.
        """
        if os.path.exists(self.path):
            os.replace(self.path, self.failed)
        good = read_bytes(self.lkg)
        if good is None:
            return False
        write_atomic(self.path, good, 0o600)
        return True
