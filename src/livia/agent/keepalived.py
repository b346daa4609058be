"""keepalived (VRRP) in the data namespace: validate, swap, start or reload.

``keepalived -t`` checks a configuration, but only against the interfaces
of the namespace it runs in, and it answers 0 for a file that does not
exist; both are taken care of here. keepalived started as a daemon closes
its output and logs to syslog only, which an amphora does not have, so it
runs in the foreground (``-n -l``) of a shell that leaves it behind
(``in_background``): detached from the agent, it writes its log to
``AmphoraPaths.keepalived_log``. Its three processes each get their own pid
file, since several amphorae share the host. A reload is SIGHUP.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from livia.agent import failures
from livia.agent.configfile import ConfigFile
from livia.agent.system import ProcessTable, Runner, in_background, in_netns, log_since, log_size
from livia.domain.amphorae import AmphoraPaths

log = logging.getLogger("livia.agent.keepalived")
POLL = 0.02
VRRP_STATES = ("MASTER", "BACKUP", "FAULT")


class Keepalived:
    def __init__(self, paths: AmphoraPaths, netns: str, runner: Runner,
                 processes: ProcessTable, ready_timeout: float = 5.0) -> None:
        self._paths = paths
        self._netns = netns
        self._runner = runner
        self._processes = processes
        self._ready_timeout = ready_timeout
        self._config = ConfigFile(paths.keepalived_conf)
        self._lock = threading.Lock()
        self._version: str | None = None

    @property
    def config(self) -> ConfigFile:
        return self._config

    def running_pid(self) -> int | None:
        return self._processes.alive(self._paths.keepalived_pid, "keepalived")

    def version(self) -> str:
        if self._version is None:
            done = self._runner.run(["keepalived", "-v"], timeout=5.0)
            words = done.output.split()
            self._version = words[1].lstrip("v") if done.ok and len(words) > 1 else ""
        return self._version

    def vrrp_state(self) -> str | None:
        """MASTER, BACKUP or FAULT; None when this amphora does not do VRRP (SINGLE)."""
        if not self._config.exists():
            return None
        if self.running_pid() is None:
            return "FAULT"
        try:
            with open(self._paths.vrrp_state_file) as f:
                state = f.read().strip()
        except OSError:
            return None
        if state == "STOP":
            return "FAULT"
        return state if state in VRRP_STATES else None

    def apply(self, text: str) -> str:
        with self._lock:
            if self._config.read() == text and self.running_pid() is not None:
                log.info("keepalived: configuration unchanged, no reload")
                return "unchanged"
            self._validate(text)
            self._config.promote()
            pid = self.running_pid()
            if pid is not None:
                self._processes.signal(pid, signal.SIGHUP)
                log.info("keepalived: reloaded (SIGHUP to %d)", pid)
                return "reloaded"
            problem = self._start()
            if problem is None:
                log.info("keepalived: started")
                return "started"
            if self._config.restore():
                self._start()
            log.error("keepalived: start failed: %s", problem)
            raise failures.failed("keepalived did not start", problem)

    def stop(self) -> str:
        """SIGTERM: keepalived sends priority 0 so the peer takes the VIP, then exits."""
        with self._lock:
            pid = self.running_pid()
            if pid is None:
                return "not running"
            self._processes.signal(pid, signal.SIGTERM)
            deadline = time.monotonic() + self._ready_timeout
            while time.monotonic() < deadline:
                if self._processes.gone(self._paths.keepalived_pid):
                    log.info("keepalived: stopped (was %d)", pid)
                    return "stopped"
                time.sleep(POLL)
            raise failures.failed("keepalived did not stop", f"pid {pid} still alive")

    def _validate(self, text: str) -> None:
        candidate = self._config.stage(text)
        if not text.strip():
            self._config.reject()
            raise failures.rejected("invalid keepalived configuration", "empty configuration")
        done = self._runner.run(in_netns(self._netns, ["keepalived", "-t", "-f", candidate]))
        if not done.ok:
            self._config.reject()
            log.warning("keepalived: configuration rejected: %s", done.output)
            raise failures.rejected("invalid keepalived configuration",
                                    done.output or f"keepalived -t exit status {done.returncode}")

    def _start(self) -> str | None:
        paths = self._paths
        # --vrrp: only the VRRP child; no health checker (no virtual_server here) nor BFD.
        argv = ["keepalived", "--vrrp", "-n", "-l", "-D", "-f", paths.keepalived_conf,
                "-p", paths.keepalived_pid, "-r", paths.keepalived_vrrp_pid,
                "-c", paths.keepalived_checker_pid]
        offset = log_size(paths.keepalived_log)
        # No pid file from the shell: keepalived refuses to start over a live one.
        done = self._runner.launch(in_netns(self._netns, in_background(argv)),
                                   log_path=paths.keepalived_log)
        if not done.ok:
            return f"exit status {done.returncode}; {log_since(paths.keepalived_log, offset)}"
        deadline = time.monotonic() + self._ready_timeout
        while time.monotonic() < deadline:
            if self.running_pid() is not None and self._processes.alive(
                    paths.keepalived_vrrp_pid, "keepalived") is not None:
                return None
            time.sleep(POLL)
        return f"keepalived is not running; {log_since(paths.keepalived_log, offset)}"
