"""Where the netns drivers touch the host: ``ip``, ``nft``, ``nsenter``, ``sysctl``, processes.

Commands run as asyncio subprocesses. A command that fails raises a
:class:`~livia.domain.errors.TemporaryError` when the kernel said "try again"
(busy, out of buffers, a timeout) and a :class:`~livia.domain.errors.PermanentError`
otherwise; the message always carries the command line and its stderr (for
``ip -batch`` also the line that failed).

Reading the host's state (which links and namespaces exist, which processes
live in a namespace) needs no subprocess: it comes from ``/sys/class/net``,
``/run/netns`` and ``/proc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from livia.domain.errors import DriverError, PermanentError, TemporaryError

log = logging.getLogger(__name__)

NETNS_DIR = Path("/run/netns")  # where `ip netns add` pins named namespaces
SYS_NET = Path("/sys/class/net")
PROC = Path("/proc")

_TRANSIENT = (
    "Resource temporarily unavailable",
    "Device or resource busy",
    "No buffer space available",
    "Cannot allocate memory",
    "Too many open files",
    "Interrupted system call",
)
_BATCH_LINE = re.compile(r"Command failed -:(\d+)")


def _failure(argv: Sequence[str], returncode: int, stderr: str, stdin: str | None) -> DriverError:
    message = f"`{shlex.join(argv)}` failed (exit {returncode}): {stderr or '(no stderr)'}"
    match = _BATCH_LINE.search(stderr)
    if match and stdin is not None:
        lines = stdin.splitlines()
        number = int(match.group(1))
        if 0 < number <= len(lines):
            message += f" [line {number}: {lines[number - 1]}]"
    if any(marker in stderr for marker in _TRANSIENT):
        return TemporaryError(message)
    return PermanentError(message)


async def run(argv: Sequence[str], *, stdin: str | None = None, timeout: float = 30.0) -> str:
    """Run one command to completion and return its stdout."""
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        raise PermanentError(f"cannot run `{shlex.join(argv)}`: {exc}") from exc
    data = stdin.encode() if stdin is not None else None
    try:
        out, err = await asyncio.wait_for(proc.communicate(data), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise TemporaryError(f"`{shlex.join(argv)}` did not finish in {timeout} s") from None
    finally:
        log.debug("%.1f ms: %s", (time.monotonic() - started) * 1000, shlex.join(argv))
    returncode = proc.returncode if proc.returncode is not None else -1
    if returncode != 0:
        raise _failure(argv, returncode, err.decode(errors="replace").strip(), stdin)
    return out.decode(errors="replace")


def _ip_argv(netns: str | None, *args: str) -> list[str]:
    return ["ip", *(("-n", netns) if netns else ()), *args]


async def ip(*args: str, netns: str | None = None) -> str:
    """``ip [-n netns] args…``"""
    return await run(_ip_argv(netns, *args))


async def ip_json(*args: str, netns: str | None = None) -> list[dict[str, Any]]:
    """``ip -j [-n netns] args…``, decoded (an empty answer is an empty list)."""
    out = await run(_ip_argv(netns, "-j", *args))
    decoded = json.loads(out) if out.strip() else []
    return [item for item in decoded if isinstance(item, dict)]


async def ip_batch(lines: Sequence[str], *, netns: str | None = None, force: bool = False) -> None:
    """Several ``ip`` commands in one process: ``ip [-n netns] [-force] -batch -``.

    Without ``force`` the batch stops at the first failing line; with it every
    line is tried and the error (if any) is raised at the end.
    """
    if not lines:
        return
    argv = _ip_argv(netns, *(("-force",) if force else ()), "-batch", "-")
    await run(argv, stdin="\n".join(lines) + "\n")


def netns_path(name: str) -> str:
    return str(NETNS_DIR / name)


async def nsenter(netns: str, argv: Sequence[str], *, stdin: str | None = None) -> str:
    """Run a command in a named network namespace (only the network is entered)."""
    return await run(["nsenter", f"--net={netns_path(netns)}", "--", *argv], stdin=stdin)


async def sysctl(netns: str, values: Mapping[str, str]) -> None:
    """Set sysctls inside a namespace (``/proc/sys/net`` is per namespace)."""
    await nsenter(
        netns, ["sysctl", "-q", "-w", *(f"{key}={value}" for key, value in values.items())]
    )


async def nft(netns: str, ruleset: str) -> None:
    """Load an nftables ruleset into a namespace; ``nft -f`` applies it atomically."""
    await nsenter(netns, ["nft", "-f", "-"], stdin=ruleset)


# --- what exists -------------------------------------------------------------------------


def link_names() -> list[str]:
    """Interfaces of the host's (this process's) network namespace."""
    try:
        return sorted(os.listdir(SYS_NET))
    except FileNotFoundError:
        return []


def link_exists(name: str) -> bool:
    return (SYS_NET / name).exists()


def is_bridge(name: str) -> bool:
    return (SYS_NET / name / "bridge").is_dir()


def netns_names() -> list[str]:
    try:
        return sorted(os.listdir(NETNS_DIR))
    except FileNotFoundError:
        return []


def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


async def add_namespaces(names: Iterable[str]) -> None:
    """Create the missing namespaces, each with ``lo`` up. Existing ones are left alone."""
    missing = [name for name in names if not netns_exists(name)]
    if not missing:
        return
    try:
        await ip_batch([f"netns add {name}" for name in missing])
    except DriverError:
        if not all(netns_exists(name) for name in missing):  # not just a concurrent creator
            raise
    await asyncio.gather(*(ip("link", "set", "lo", "up", netns=name) for name in missing))


# --- processes ---------------------------------------------------------------------------


def _ns_identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # gone, a zombie, or not ours to look at
        return None
    return (st.st_dev, st.st_ino)


NetnsIdentity = tuple[int, int]  # (st_dev, st_ino) of a namespace: stays valid after its name goes


def netns_identities(names: Iterable[str]) -> set[NetnsIdentity]:
    return {ident for name in names if (ident := _ns_identity(netns_path(name))) is not None}


def pids_in(identities: Collection[NetnsIdentity]) -> set[int]:
    """Live processes in any of these network namespaces (what ``ip netns pids`` lists)."""
    if not identities:
        return set()
    found: set[int] = set()
    for entry in os.listdir(PROC):
        if entry.isdigit() and _ns_identity(f"{PROC}/{entry}/ns/net") in identities:
            found.add(int(entry))
    found.discard(os.getpid())
    return found


def netns_pids(names: Iterable[str]) -> set[int]:
    return pids_in(netns_identities(names))


def pid_in_netns(pid: int, netns: str) -> bool:
    ident = _ns_identity(netns_path(netns))
    return ident is not None and _ns_identity(f"{PROC}/{pid}/ns/net") == ident


def pid_alive(pid: int) -> bool:
    """True for a running process; a zombie counts as gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def cmdline(pid: int) -> list[str]:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def read_pid(path: str | Path) -> int | None:
    try:
        text = Path(path).read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _signal(pids: Iterable[int], signum: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


async def _wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = {pid for pid in pids if pid_alive(pid)}
    while alive and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
        alive = {pid for pid in alive if pid_alive(pid)}
    return alive


async def stop_processes(pids: Collection[int], grace: float = 2.0) -> None:
    """SIGTERM, up to ``grace`` seconds to exit, then SIGKILL."""
    targets = {pid for pid in pids if pid > 1 and pid != os.getpid()}
    if not targets:
        return
    _signal(targets, signal.SIGTERM)
    left = await _wait_gone(targets, grace)
    if not left:
        return
    _signal(left, signal.SIGKILL)
    if left := await _wait_gone(left, 2.0):
        raise TemporaryError(f"processes {sorted(left)} survived SIGKILL")


async def stop_netns_processes(
    identities: Collection[NetnsIdentity], extra_pids: Iterable[int] = ()
) -> None:
    """Stop every process in the namespaces, also ones a dying parent spawns meanwhile."""
    pids = set(extra_pids)
    for _ in range(3):
        pids |= pids_in(identities)
        if not pids:
            return
        await stop_processes(pids)
        pids = set()
    if left := pids_in(identities):
        raise TemporaryError(f"processes {sorted(left)} keep appearing in their namespace")


class DetachedProcesses:
    """Starts long-lived processes that outlive the caller, and reaps those that end.

    A started process gets its own session, ``/dev/null`` as stdin and a log file
    as stdout and stderr, so nothing ties it to the caller: it keeps running when
    the controller exits. While the caller lives it is still the parent, so
    :meth:`reap` collects the ones that ended (no zombies left behind).
    """

    def __init__(self) -> None:
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    async def start(self, argv: Sequence[str], *, netns: str, log_path: Path, cwd: Path,
                    env: Mapping[str, str] | None = None) -> int:
        """Start ``argv`` in ``netns``; return once it is inside (or has already ended).

        ``env`` replaces the caller's environment (None: the process inherits it).
        """
        self.reap()
        command = ["nsenter", f"--net={netns_path(netns)}", "--", *argv]
        try:
            with open(os.devnull, "rb") as devnull, open(log_path, "ab") as out:
                child = subprocess.Popen(
                    command,
                    stdin=devnull,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=cwd,
                    env=dict(env) if env is not None else None,
                    start_new_session=True,
                    close_fds=True,
                )
        except OSError as exc:
            raise PermanentError(f"cannot start `{shlex.join(command)}`: {exc}") from exc
        self._children[child.pid] = child
        # nsenter joins the namespace just after it starts: until then a sweep of
        # the namespace's processes would miss it.
        deadline = time.monotonic() + 2.0
        while not pid_in_netns(child.pid, netns) and child.poll() is None:
            if time.monotonic() > deadline:
                raise TemporaryError(f"`{shlex.join(command)}` did not enter {netns}")
            await asyncio.sleep(0.001)
        return child.pid

    def reap(self) -> None:
        for pid, child in list(self._children.items()):
            if child.poll() is not None:
                del self._children[pid]


# --- veths and namespaces together -----------------------------------------------------------


async def veths_into(namespaces: Collection[str]) -> list[str]:
    """Host-side veths whose peers live in the named namespaces."""
    listed = await ip_json("netns", "list")
    ids = {item["id"] for item in listed if item.get("name") in namespaces and "id" in item}
    if not ids:
        return []
    veths = await ip_json("link", "show", "type", "veth")
    return [str(v["ifname"]) for v in veths if v.get("link_netnsid") in ids]


async def delete_links(names: Collection[str]) -> None:
    """Delete links (a veth takes its peer with it); ones already gone are fine."""
    present = [name for name in names if link_exists(name)]
    try:
        await ip_batch([f"link del {name}" for name in present], force=True)
    except DriverError:
        if any(link_exists(name) for name in present):
            raise


async def _wait_links_gone(names: Collection[str], timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    left = [name for name in names if link_exists(name)]
    while left and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        left = [name for name in left if link_exists(name)]
    return left


async def remove_namespaces(names: Collection[str], extra_pids: Iterable[int] = ()) -> list[str]:
    """Stop the namespaces' processes, delete them, and see the veths into them go.

    The kernel tears a namespace down asynchronously, removing all its veths in
    one batch (several times faster than deleting them one by one); this waits
    for their host ends to disappear and deletes any that linger (a namespace
    someone else still holds), so nothing is left when the call returns.
    Returns the namespaces that were removed.
    """
    present = [name for name in names if netns_exists(name)]
    identities = netns_identities(present)
    await stop_netns_processes(identities, extra_pids)
    if not present:
        return []
    veths = await veths_into(present)
    try:
        await ip_batch([f"netns del {name}" for name in present], force=True)
    except DriverError:
        if any(netns_exists(name) for name in present):
            raise
    await stop_netns_processes(identities)  # any that got in after the first sweep
    await delete_links(await _wait_links_gone(veths, timeout=1.0))
    return present
