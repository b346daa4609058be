"""``<state_dir>/serve.pid``: which ``livia serve`` runs on a state directory, and ``livia stop``.

``livia serve`` writes its pid there once it has claimed the state directory
and removes the file when it stops; a second ``livia serve`` on the same
directory refuses to start while the first one runs. A pid counts only while
that process is alive and its command line is a ``livia serve`` one, so a
stale file (a crash, a reboot) never points ``livia stop`` at another process.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from livia.domain.errors import LiviaError
from livia.domain.settings import Settings
from livia.drivers import host

PID_FILE = "serve.pid"


def path_of(settings: Settings) -> Path:
    return settings.state_dir / PID_FILE


def _is_serve(pid: int) -> bool:
    args = host.cmdline(pid)
    return host.pid_alive(pid) and "serve" in args and any("livia" in a for a in args)


def running(settings: Settings) -> int | None:
    """The pid of the ``livia serve`` of this state directory, if one runs."""
    pid = host.read_pid(path_of(settings))
    return pid if pid is not None and pid != os.getpid() and _is_serve(pid) else None


def claim(settings: Settings) -> None:
    """Record this process as the state directory's ``livia serve`` (refused if one runs)."""
    other = running(settings)
    if other is not None:
        raise LiviaError(f"livia serve already runs on {settings.state_dir} (pid {other}); "
                         "stop it with `livia stop`")
    target = path_of(settings)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(f"{os.getpid()}\n")
    os.replace(temporary, target)


def release(settings: Settings) -> None:
    if host.read_pid(path_of(settings)) == os.getpid():
        path_of(settings).unlink(missing_ok=True)


def stop(settings: Settings, timeout: float = 40.0) -> bool:
    """SIGTERM the state directory's ``livia serve`` and wait until it has exited.

    False if none runs. The amphorae and instances keep running: only the control
    plane stops (``livia cleanup`` removes the rest).
    """
    pid = running(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while host.pid_alive(pid):
        if time.monotonic() > deadline:
            raise LiviaError(f"livia serve (pid {pid}) did not stop within {timeout:.0f} s")
        time.sleep(0.05)
    path_of(settings).unlink(missing_ok=True)
    return True
