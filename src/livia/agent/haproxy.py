"""HAProxy in the data namespace: validate, swap, start or reload, roll back.

HAProxy runs in master-worker mode. Its master stays in the foreground of a
shell that leaves it behind (``in_background``): detached from the agent, so
it outlives it, and still writing to ``haproxy.log``, so that the reason a
reload failed is there to report (``-D`` would close its output). A reload
is a command on the master CLI; the master re-executes itself with
the new configuration, and ``show proc`` tells whether that worked (its
reload counter grows, its failure counter must not). Before a reload the
servers' health state is saved to the state file the configuration loads,
and the listener counters of the outgoing worker are folded into the
heartbeat's running totals. A change of server weights or admin states only
is applied through the worker's stats socket instead (``haproxy_runtime``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from livia.agent import failures
from livia.agent.configfile import ConfigFile, write_atomic
from livia.agent.haproxy_cli import HaproxyCli, MasterState, parse_show_proc, parse_show_table
from livia.agent.haproxy_runtime import (
    ServerChange,
    apply_at_runtime,
    normalized_server_state,
    runtime_changes,
)
from livia.agent.stats import CounterBook, StatsSample, parse_stats
from livia.agent.system import (
    ProcessTable,
    Runner,
    in_background,
    in_netns,
    log_since,
    log_size,
)
from livia.domain.amphorae import AmphoraPaths

log = logging.getLogger("livia.agent.haproxy")

SYSCTLS = (
    "net.ipv4.ip_nonlocal_bind=1",  # the BACKUP binds the VIP it does not hold
    "net.ipv6.ip_nonlocal_bind=1",
    "net.ipv4.ping_group_range=0 2147483647",  # PING checks without raw sockets
)
# The master CLI is polled while a reload runs (~40-80 ms): a short step, as every
# change waits for it; an attempt while the master re-executes is a refused connect.
POLL = 0.005


class Haproxy:
    def __init__(self, paths: AmphoraPaths, peer: str, netns: str, runner: Runner,
                 processes: ProcessTable, cli: HaproxyCli, counters: CounterBook,
                 ready_timeout: float = 10.0) -> None:
        self._paths = paths
        self._peer = peer
        self._netns = netns
        self._runner = runner
        self._processes = processes
        self._cli = cli
        self._counters = counters
        self._ready_timeout = ready_timeout
        self._config = ConfigFile(paths.haproxy_cfg)
        self._lock = threading.Lock()
        self._version: str | None = None

    @property
    def config(self) -> ConfigFile:
        return self._config

    def running_pid(self) -> int | None:
        return self._processes.alive(self._paths.haproxy_pid, "haproxy")

    def version(self) -> str:
        if self._version is None:
            done = self._runner.run(["haproxy", "-v"], timeout=5.0)
            words = done.stdout.split()
            self._version = words[2] if done.ok and len(words) > 2 else ""
        return self._version

    def stats_csv(self) -> str | None:
        """``show stat`` of the current worker; None when HAProxy is not running.

        OSError when it runs but its stats socket does not answer (yet).
        """
        if self.running_pid() is None:
            return None
        return self._cli.stats("show stat")

    def apply(self, text: str) -> str:
        """Validate, swap and (re)load. Returns what was done; AgentFailure otherwise.

        The same text again, while HAProxy runs, changes nothing (the
        controller re-sends configurations freely).
        """
        with self._lock:
            current = self._config.read()
            running = self.running_pid() is not None
            if current == text and running:
                log.info("haproxy: configuration unchanged, no reload")
                return "unchanged"
            self._validate(text)
            changes = runtime_changes(current, text) if running and current else None
            if changes and self._updated_at_runtime(changes):
                return "updated at runtime"
            self._config.promote()
            if self.running_pid() is None:
                return self._start_or_roll_back()
            return self._reload_or_roll_back()

    def _validate(self, text: str) -> None:
        candidate = self._config.stage(text)
        done = self._runner.run(["haproxy", "-c", "-f", candidate, "-L", self._peer])
        if not done.ok:
            self._config.reject()
            log.warning("haproxy: configuration rejected: %s", done.output)
            raise failures.rejected("invalid haproxy configuration", done.output)

    def _updated_at_runtime(self, changes: tuple[ServerChange, ...]) -> bool:
        """Weights and admin states through the stats socket; False: reload instead.

        Only once the worker reports every change does the validated file become
        the current one (and the running one the last known good).
        """
        problem = apply_at_runtime(self._cli, changes)
        if problem is not None:
            log.warning("haproxy: runtime update failed, reloading instead: %s", problem)
            return False
        self._config.promote()
        log.info("haproxy: %d server(s) updated at runtime, no reload", len(changes))
        return True

    def _start_or_roll_back(self) -> str:
        problem = self._start()
        if problem is None:
            log.info("haproxy: started")
            return "started"
        restored = self._config.restore()
        if restored and self._start() is None:
            log.error("haproxy: start failed, last known good restarted: %s", problem)
        else:
            log.error("haproxy: start failed: %s", problem)
        raise failures.failed("haproxy did not start", problem)

    def _reload_or_roll_back(self) -> str:
        with self._counters.hold():
            before = self._sample()
            self._save_server_state()
            problem = self._reload()
            if problem is None:
                self._counters.fold(before)
                log.info("haproxy: reloaded")
                return "reloaded"
            log.error("haproxy: reload failed: %s", problem)
            if self._config.restore() and self._reload() is None:
                self._counters.fold(before)
                log.info("haproxy: last known good reloaded")
        raise failures.failed("haproxy reload failed; last known good restored", problem)

    def _sample(self) -> StatsSample:
        try:
            csv = self.stats_csv()
        except OSError as exc:
            log.warning("haproxy: no stats before the reload (%s); counters may lag", exc)
            return StatsSample()
        return parse_stats(csv) if csv else StatsSample()

    def stick_entries(self) -> dict[str, int]:
        """Entries per stick table of the running worker; empty when none answers."""
        if self.running_pid() is None:
            return {}
        try:
            return parse_show_table(self._cli.stats("show table"))
        except OSError:
            return {}

    def _prepare_namespace(self) -> None:
        done = self._runner.run(in_netns(self._netns, ["sysctl", "-q", "-e", "-w", *SYSCTLS]))
        if not done.ok:
            log.warning("haproxy: sysctls in %s: %s", self._netns, done.output)

    def _start(self) -> str | None:
        """Start the master; None when it runs with a worker, else what went wrong."""
        self._prepare_namespace()
        paths = self._paths
        offset = log_size(paths.haproxy_log)
        argv = ["haproxy", "-W", "-S", paths.haproxy_master_socket, "-p", paths.haproxy_pid,
                "-f", paths.haproxy_cfg, "-L", self._peer]
        done = self._runner.launch(in_netns(self._netns, in_background(argv, paths.haproxy_pid)),
                                   log_path=paths.haproxy_log)
        if not done.ok:
            return f"exit status {done.returncode}; {log_since(paths.haproxy_log, offset)}"
        state = self._wait_master(lambda s: s.workers > 0,
                                  lambda: self._processes.gone(paths.haproxy_pid))
        if state is None:
            return f"HAProxy did not come up; {log_since(paths.haproxy_log, offset)}"
        return None

    def _reload(self) -> str | None:
        before = self._master_state()
        if before is None:
            return "the master CLI does not answer"
        offset = log_size(self._paths.haproxy_log)
        try:
            self._cli.master("reload")
        except OSError as exc:
            return f"reload command: {exc}"
        after = self._wait_master(lambda s: s.reloads > before.reloads, lambda: False)
        if after is None:
            return "the master did not report the reload"
        if after.failed > before.failed:
            return (f"the new configuration did not load (master reload failures "
                    f"{before.failed} -> {after.failed}); "
                    f"{log_since(self._paths.haproxy_log, offset)}")
        return None

    def _master_state(self) -> MasterState | None:
        try:
            return parse_show_proc(self._cli.master("show proc"))
        except OSError:
            return None  # also while the master re-executes itself

    def _wait_master(self, condition: Callable[[MasterState], bool],
                     dead: Callable[[], bool]) -> MasterState | None:
        """Poll ``show proc`` until ``condition``; None on timeout or once ``dead``."""
        deadline = time.monotonic() + self._ready_timeout
        while True:
            state = self._master_state()
            if state is not None and condition(state):
                return state
            if time.monotonic() >= deadline or dead():
                return None
            time.sleep(POLL)

    def _save_server_state(self) -> None:
        try:
            state = self._cli.stats("show servers state")
        except OSError as exc:
            log.warning("haproxy: could not save server state: %s", exc)
            return
        # Runtime updates leave the worker unlike the file it was started from;
        # saved as is, HAProxy would keep their weights and states over the new file.
        write_atomic(self._paths.haproxy_state, normalized_server_state(state).encode(), 0o600)

