"""Heartbeats leave the agent signed, numbered, and with carried-over counters."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from agent_rig import AMPHORA_ID, HEARTBEAT_KEY, build_rig
from test_agent_stats import L1, STATS

from livia.agent.heartbeat import parse_target
from livia.protocol.agent import AgentRuntimeConfig
from livia.protocol.heartbeat import HeartbeatError, decode


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    try:
        yield sock
    finally:
        sock.close()


def _target(sock: socket.socket) -> str:
    return f"127.0.0.1:{sock.getsockname()[1]}"


def test_a_beat_decodes_with_the_key_and_not_with_another(
        tmp_path: Path, receiver: socket.socket) -> None:
    rig = build_rig(tmp_path, AgentRuntimeConfig(1.0, (_target(receiver),)))
    sent = rig.agent.heartbeat.beat()
    datagram = receiver.recv(65535)
    beat = decode(datagram, HEARTBEAT_KEY)
    assert beat == sent
    assert beat.amphora_id == AMPHORA_ID
    with pytest.raises(HeartbeatError):
        decode(datagram, b"another key")


def test_without_haproxy_the_beat_has_no_listeners(tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    beat = rig.agent.heartbeat.build()
    assert (beat.listeners, beat.pools, beat.vrrp) == ({}, {}, None)


def test_with_haproxy_the_beat_lists_listeners_and_pools(tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    rig.put("haproxy", "frontend f\n")
    rig.cli.stat_csv = STATS
    beat = rig.agent.heartbeat.build()
    assert beat.listeners[L1].rx == 1000 and beat.listeners[L1].conns == 3
    assert len(beat.pools) == 2


def test_seq_grows_by_one_and_a_restarted_agent_continues_above(tmp_path: Path) -> None:
    first = build_rig(tmp_path)
    seqs = [first.agent.heartbeat.build().seq for _ in range(3)]
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]
    restarted = build_rig(tmp_path)
    assert restarted.agent.heartbeat.build().seq == seqs[-1] + 1


def test_counters_do_not_go_back_across_a_reload_and_an_agent_restart(tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    rig.put("haproxy", "frontend f\n")
    rig.cli.stat_csv = STATS  # rx 1000
    assert rig.agent.heartbeat.build().listeners[L1].rx == 1000
    rig.put("haproxy", "frontend f\n# v2\n")  # a reload: the old worker's 1000 are folded
    rig.cli.stat_csv = STATS.replace(",1000,5000,", ",7,9,")
    assert rig.agent.heartbeat.build().listeners[L1].rx == 1007
    restarted = build_rig(tmp_path)
    restarted.processes.pids[restarted.paths.haproxy_pid] = 100
    restarted.cli.stat_csv = rig.cli.stat_csv
    assert restarted.agent.heartbeat.build().listeners[L1].rx == 1007


def test_vrrp_state_comes_from_the_notify_file_once_keepalived_is_configured(
        tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    assert rig.put("keepalived", "vrrp_instance x {\n}\n")[0] == 200
    Path(rig.paths.vrrp_state_file).write_text("MASTER\n")
    assert rig.agent.heartbeat.build().vrrp == "MASTER"
    del rig.processes.pids[rig.paths.keepalived_pid]
    assert rig.agent.heartbeat.build().vrrp == "FAULT"


def test_runtime_config_reaches_the_running_sender(
        tmp_path: Path, receiver: socket.socket) -> None:
    rig = build_rig(tmp_path, AgentRuntimeConfig(30.0, ()))
    rig.agent.heartbeat.start()
    try:
        doc = {"heartbeat_interval": 0.05, "health_targets": [_target(receiver)]}
        assert rig.put("config", json.dumps(doc))[0] == 200
        seqs = [decode(receiver.recv(65535), HEARTBEAT_KEY).seq for _ in range(3)]
    finally:
        rig.agent.heartbeat.stop()
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


def test_targets_parse_ipv4_and_ipv6() -> None:
    assert parse_target("198.18.0.1:5555") == ("198.18.0.1", 5555)
    assert parse_target("[fd00::1]:5555") == ("fd00::1", 5555)
    for bad in ("198.18.0.1", "host:5555", "198.18.0.1:0", ":5555"):
        with pytest.raises(ValueError):
            parse_target(bad)


def test_a_beat_during_a_reload_repeats_the_last_listeners_without_waiting(
        tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    rig.put("haproxy", "frontend f\n")
    rig.cli.stat_csv = STATS
    before = rig.agent.heartbeat.build().listeners
    held, release = threading.Event(), threading.Event()

    def reload_in_progress() -> None:
        with rig.agent.counters.hold():
            held.set()
            release.wait(5)

    holder = threading.Thread(target=reload_in_progress)
    holder.start()
    try:
        assert held.wait(5)
        rig.cli.stat_csv = STATS.replace(",1000,5000,", ",7,9,")  # the new worker
        started = time.monotonic()
        during = rig.agent.heartbeat.build()
        assert time.monotonic() - started < 1.0
        assert during.listeners == before
    finally:
        release.set()
        holder.join(5)


def test_a_stats_socket_that_does_not_answer_repeats_the_last_report(tmp_path: Path) -> None:
    rig = build_rig(tmp_path)
    rig.put("haproxy", "frontend f\n")
    rig.cli.stat_csv = STATS
    before = rig.agent.heartbeat.build()
    rig.cli.stats = _refuse  # type: ignore[method-assign]
    after = rig.agent.heartbeat.build()
    assert (after.listeners, after.pools) == (before.listeners, before.pools)


def _refuse(command: str) -> str:
    raise ConnectionRefusedError("stats socket not bound yet")


def test_a_state_file_that_cannot_be_written_does_not_stop_the_beat(
        tmp_path: Path, receiver: socket.socket) -> None:
    rig = build_rig(tmp_path, AgentRuntimeConfig(1.0, (_target(receiver),)))
    Path(rig.paths.agent_state).mkdir()  # a directory where the file should be
    sent = rig.agent.heartbeat.beat()
    assert decode(receiver.recv(65535), HEARTBEAT_KEY).seq == sent.seq
