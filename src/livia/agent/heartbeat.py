"""The heartbeat sender: one signed UDP datagram per interval to each health target.

It runs in a thread of the agent, so it is sent from the management
namespace. The sequence number and the carried-over counters are written to
``AmphoraPaths.agent_state`` before each beat leaves, so a restarted agent
neither goes back in ``seq`` (and is taken for a replay) nor in counters.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
from collections.abc import Callable

from livia.agent.configfile import read_bytes, write_atomic
from livia.agent.stats import CounterBook, parse_stats
from livia.protocol.agent import AgentRuntimeConfig
from livia.protocol.heartbeat import (
    Heartbeat,
    HeartbeatError,
    ListenerReport,
    PoolReport,
    encode,
)

log = logging.getLogger("livia.agent.heartbeat")


def parse_target(target: str) -> tuple[str, int]:
    """ "198.18.0.1:5555" or "[fd00::1]:5555" → (host, port)."""
    host, sep, port = target.rpartition(":")
    if not sep or not host:
        raise ValueError(f"health target {target!r} is not ip:port")
    port_number = int(port)
    if not 0 < port_number < 65536:
        raise ValueError(f"health target {target!r} has no valid port")
    address = ipaddress.ip_address(host.strip("[]"))
    return str(address), port_number


class Runtime:
    """The runtime settings, changed by PUT /v1/config while the sender runs."""

    def __init__(self, config: AgentRuntimeConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self.changed = threading.Event()

    def get(self) -> AgentRuntimeConfig:
        with self._lock:
            return self._config

    def set(self, config: AgentRuntimeConfig) -> None:
        with self._lock:
            self._config = config
        self.changed.set()


def load_state(path: str) -> tuple[int, CounterBook]:
    """The last seq sent and the counters, as a previous run of the agent left them."""
    raw = read_bytes(path)
    try:
        data = json.loads(raw) if raw else {}
        return int(data.get("seq", 0)), CounterBook.from_dict(data.get("counters", {}))
    except (ValueError, TypeError, AttributeError) as exc:
        log.warning("heartbeat: state %s unreadable (%s); starting afresh", path, exc)
        return 0, CounterBook()


class HeartbeatSender:
    def __init__(self, amphora_id: str, key: bytes, runtime: Runtime,
                 stats_source: Callable[[], str | None], vrrp_source: Callable[[], str | None],
                 counters: CounterBook, state_path: str, last_seq: int) -> None:
        self._amphora_id = amphora_id
        self._key = key
        self._runtime = runtime
        self._stats_source = stats_source
        self._vrrp_source = vrrp_source
        self._counters = counters
        self._state_path = state_path
        self._seq = last_seq
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sockets: dict[int, socket.socket] = {}
        self._last: tuple[dict[str, ListenerReport], dict[str, PoolReport]] = ({}, {})

    def build(self) -> Heartbeat:
        """The next heartbeat; its seq is used up (and persisted) from now on."""
        listeners, pools = self._report()
        self._seq += 1
        state = {"seq": self._seq, "counters": self._counters.to_dict()}
        try:
            write_atomic(self._state_path, json.dumps(state).encode(), 0o600)
        except OSError as exc:  # a full disk must not silence the amphora
            log.error("heartbeat: could not persist seq and counters: %s", exc)
        return Heartbeat(amphora_id=self._amphora_id, seq=self._seq, listeners=listeners,
                         pools=pools, vrrp=self._vrrp_source())

    def _report(self) -> tuple[dict[str, ListenerReport], dict[str, PoolReport]]:
        """What HAProxy says now; its previous answer while it cannot say (a reload)."""
        try:
            csv = self._stats_source()
        except OSError as exc:
            log.info("heartbeat: HAProxy's stats socket: %s; repeating the last report", exc)
            return self._last
        if not csv:
            self._last = ({}, {})
            return self._last
        sample = parse_stats(csv)
        listeners = self._counters.observe(sample)
        self._last = (self._last[0] if listeners is None else listeners, sample.pools)
        return self._last

    def beat(self) -> Heartbeat:
        heartbeat = self.build()
        try:
            datagram = encode(heartbeat, self._key)
        except HeartbeatError as exc:
            log.error("heartbeat %d not sent: %s", heartbeat.seq, exc)
            return heartbeat
        for target in self._runtime.get().health_targets:
            self._send(datagram, target)
        return heartbeat

    def _send(self, datagram: bytes, target: str) -> None:
        try:
            host, port = parse_target(target)
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = self._sockets.get(family)
            if sock is None:
                sock = self._sockets[family] = socket.socket(family, socket.SOCK_DGRAM)
            sock.sendto(datagram, (host, port))
        except (OSError, ValueError) as exc:
            log.warning("heartbeat to %s: %s", target, exc)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._runtime.changed.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for sock in self._sockets.values():
            sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat()
            except Exception:  # a bug in one beat must not silence the amphora for good
                log.exception("heartbeat: this beat failed; the next one comes on time")
            self._runtime.changed.wait(self._runtime.get().heartbeat_interval)
            self._runtime.changed.clear()
