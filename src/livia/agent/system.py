"""What the agent asks of its host: run programs and look at processes.

Both are small interfaces so that route handling can be tested with fakes;
``SubprocessRunner`` and ``ProcTable`` are the real ones.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

NETNS_DIR = "/run/netns"


@dataclass(frozen=True, slots=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return "\n".join(part.strip() for part in (self.stdout, self.stderr) if part.strip())


class Runner(Protocol):
    def run(self, argv: Sequence[str], *, input_text: str | None = None,
            timeout: float = 30.0) -> Completed:
        """Run a program to completion and capture what it printed."""
        ...

    def launch(self, argv: Sequence[str], *, log_path: str, timeout: float = 30.0) -> Completed:
        """Run a program that daemonises itself and wait for its launcher to exit.

        stdin is /dev/null and stdout/stderr are appended to ``log_path``: the
        daemon inherits them, so no pipe of ours may be among them.
        """
        ...


class ProcessTable(Protocol):
    def alive(self, pid_file: str, name: str) -> int | None:
        """The pid in ``pid_file`` if that process is alive and called ``name``."""
        ...

    def gone(self, pid_file: str) -> bool:
        """True when ``pid_file`` names no living process (missing, dead or a zombie)."""
        ...

    def signal(self, pid: int, signum: int) -> None: ...


def in_background(argv: Sequence[str], pid_file: str | None = None) -> list[str]:
    """A shell that starts ``argv`` in the background and exits at once.

    The program keeps the shell's stdout/stderr (the log file) and is left
    behind, detached from the agent. With ``pid_file`` the shell writes the
    program's pid there before it exits, so that an early death is seen.
    """
    if pid_file is None:
        return ["sh", "-c", '"$@" &', "sh", *argv]
    return ["sh", "-c", 'p="$1"; shift; "$@" & echo $! > "$p"', "sh", pid_file, *argv]


def in_netns(netns: str, argv: Sequence[str]) -> list[str]:
    """The command line that runs ``argv`` in the named network namespace."""
    return ["nsenter", f"--net={NETNS_DIR}/{netns}", *argv]


class SubprocessRunner:
    def run(self, argv: Sequence[str], *, input_text: str | None = None,
            timeout: float = 30.0) -> Completed:
        args = tuple(argv)
        try:
            proc = subprocess.run(args, input=input_text, capture_output=True, text=True,
                                  timeout=timeout, check=False,
                                  stdin=None if input_text is not None else subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Completed(args, 124, "", f"{args[0]}: timed out after {timeout}s")
        except OSError as exc:
            return Completed(args, 127, "", f"{args[0]}: {exc}")
        return Completed(args, proc.returncode, proc.stdout, proc.stderr)

    def launch(self, argv: Sequence[str], *, log_path: str, timeout: float = 30.0) -> Completed:
        args = tuple(argv)
        try:
            with open(log_path, "ab", buffering=0) as log:
                proc = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                      timeout=timeout, check=False, start_new_session=True)
        except subprocess.TimeoutExpired:
            return Completed(args, 124, "", f"{args[0]}: launcher timed out after {timeout}s")
        except OSError as exc:
            return Completed(args, 127, "", f"{args[0]}: {exc}")
        return Completed(args, proc.returncode)


def _proc_stat(pid_file: str) -> tuple[int, str, str] | None:
    """(pid, comm, state) of the process a pid file names; None if there is none."""
    try:
        with open(pid_file) as f:
            pid = int(f.readline().strip())
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (OSError, ValueError):
        return None
    # "<pid> (<comm>) <state> ..."; comm may hold spaces and parentheses.
    end = stat.rfind(")")
    return pid, stat[stat.find("(") + 1 : end], stat[end + 2 : end + 3]


class ProcTable:
    """Processes as /proc shows them (the agent shares the host's pid namespace)."""

    def alive(self, pid_file: str, name: str) -> int | None:
        found = _proc_stat(pid_file)
        if found is None or found[1] != name or found[2] in ("Z", "X"):
            return None
        return found[0]

    def gone(self, pid_file: str) -> bool:
        found = _proc_stat(pid_file)
        return found is None or found[2] in ("Z", "X")

    def signal(self, pid: int, signum: int) -> None:
        os.kill(pid, signum)


def log_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_since(path: str, offset: int, lines: int = 20, window: int = 16384) -> str:
    """The last lines a process logged after ``offset``, for the details of a failure."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(offset, f.tell() - window))
            text = f.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
