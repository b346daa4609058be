"""Putting the agent together and running it until SIGTERM.

``assemble`` wires the parts with the runner and process table it is given
(fakes in tests); ``run`` is the real thing ``python -m livia.agent`` does.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import threading
from dataclasses import dataclass
from types import FrameType

from livia.agent import scripts
from livia.agent.api import AgentApi
from livia.agent.config import ConfigStore
from livia.agent.configfile import write_atomic
from livia.agent.firewall import Firewall
from livia.agent.haproxy import Haproxy
from livia.agent.haproxy_cli import HaproxyCli, UnixCli
from livia.agent.heartbeat import HeartbeatSender, Runtime, load_state
from livia.agent.interfaces import Interfaces
from livia.agent.keepalived import Keepalived
from livia.agent.server import AgentServer, server_context
from livia.agent.stats import CounterBook
from livia.agent.system import ProcessTable, ProcTable, Runner, SubprocessRunner
from livia.domain.amphorae import AmphoraPaths, peer_name
from livia.protocol.agent import AgentBootConfig

log = logging.getLogger("livia.agent")


@dataclass(frozen=True, slots=True)
class AssembledAgent:
    api: AgentApi
    heartbeat: HeartbeatSender
    haproxy: Haproxy
    keepalived: Keepalived
    counters: CounterBook


def assemble(boot: AgentBootConfig, config_path: str, runner: Runner,
             processes: ProcessTable, cli: HaproxyCli | None = None) -> AssembledAgent:
    paths = AmphoraPaths(boot.base_dir)
    last_seq, counters = load_state(paths.agent_state)
    cli = cli or UnixCli(paths.haproxy_master_socket, paths.haproxy_stats_socket)
    haproxy = Haproxy(paths, peer_name(boot.amphora_id), boot.data_netns, runner, processes,
                      cli, counters)
    keepalived = Keepalived(paths, boot.data_netns, runner, processes)
    runtime = Runtime(boot.runtime)
    with open(boot.heartbeat_key_file, "rb") as f:
        key = f.read()
    heartbeat = HeartbeatSender(boot.amphora_id, key, runtime, haproxy.stats_csv,
                                keepalived.vrrp_state, counters, paths.agent_state, last_seq)
    api = AgentApi(boot.amphora_id, haproxy, keepalived, Firewall(paths, boot.data_netns, runner),
                   Interfaces(boot.data_netns, runner), runtime, ConfigStore(config_path))
    return AssembledAgent(api, heartbeat, haproxy, keepalived, counters)


def raise_nofile_limit() -> None:
    """HAProxy sizes maxconn from its fd limit; it inherits ours."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(boot: AgentBootConfig, config_path: str) -> None:
    paths = AmphoraPaths(boot.base_dir)
    raise_nofile_limit()
    scripts.install(paths)
    agent = assemble(boot, config_path, SubprocessRunner(), ProcTable())
    context = server_context(boot.server_cert, boot.server_key, boot.client_ca)
    server = AgentServer((boot.listen_address, boot.listen_port), agent.api, context)
    write_atomic(paths.agent_pid, f"{os.getpid()}\n".encode(), 0o644)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: stopping (HAProxy and keepalived keep running)", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    agent.heartbeat.start()
    log.info("agent %s listening on %s:%d (data namespace %s)", boot.amphora_id,
             boot.listen_address, boot.listen_port, boot.data_netns)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        agent.heartbeat.stop()
        server.server_close()
        _remove_pid_file(paths.agent_pid)
        log.info("agent %s stopped", boot.amphora_id)


def _remove_pid_file(path: str) -> None:
    try:
        with open(path) as f:
            ours = f.read().strip() == str(os.getpid())
        if ours:
            os.remove(path)
    except OSError as exc:
        log.warning("pid file %s: %s", path, exc)
