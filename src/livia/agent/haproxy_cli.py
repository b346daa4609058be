"""HAProxy's two command sockets: the master CLI and a worker's stats socket.

Both are Unix sockets in the amphora's base directory (a file path does not
depend on the network namespace, so the agent reaches them from the
management side). A command is one line; the answer ends when HAProxy
closes the connection.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Protocol

CLI_TIMEOUT = 5.0
MAX_ANSWER = 64 * 1024 * 1024


class HaproxyCli(Protocol):
    def master(self, command: str) -> str:
        """Send one command to the master CLI. OSError if it does not answer."""
        ...

    def stats(self, command: str) -> str:
        """Send one command to the current worker's stats socket. OSError if none."""
        ...


def ask_unix(path: str, command: str, timeout: float = CLI_TIMEOUT) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(command.encode() + b"\n")
        sock.shutdown(socket.SHUT_WR)
        chunks: list[bytes] = []
        size = 0
        while size < MAX_ANSWER:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks).decode(errors="replace")


@dataclass(frozen=True, slots=True)
class UnixCli:
    master_socket: str
    stats_socket: str

    def master(self, command: str) -> str:
        return ask_unix(self.master_socket, command)

    def stats(self, command: str) -> str:
        return ask_unix(self.stats_socket, command)


@dataclass(frozen=True, slots=True)
class MasterState:
    """The master's line of ``show proc``, and how many workers it has."""

    pid: int
    reloads: int
    failed: int
    workers: int


_MASTER_LINE = re.compile(r"^(\d+)\s+master\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?")


def parse_show_proc(text: str) -> MasterState | None:
    master: MasterState | None = None
    workers = 0
    section = "master"
    for line in text.splitlines():
        if line.startswith("#"):
            section = line.lstrip("# ").split(" ")[0] if not line.startswith("#<") else "master"
            continue
        if match := _MASTER_LINE.match(line):
            pid, reloads, failed = match.groups()
            master = MasterState(int(pid), int(reloads), int(failed or 0), 0)
        elif section == "workers" and line.split()[1:2] == ["worker"]:
            workers += 1
    if master is None:
        return None
    return MasterState(master.pid, master.reloads, master.failed, workers)


_TABLE_LINE = re.compile(r"^# table: (\S+), type: \S+, size:\d+, used:(\d+)", re.M)


def parse_show_table(text: str) -> dict[str, int]:
    """Table name -> entries in use, from ``show table`` without arguments."""
    return {name: int(used) for name, used in _TABLE_LINE.findall(text)}
