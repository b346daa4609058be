"""The agent's routes against fake programs, processes and sockets."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from agent_rig import AMPHORA_ID, AgentRig, build_rig

from livia.agent.config import load_boot_config
from livia.domain.amphorae import peer_name

GOOD = "global\n  stats socket x\nfrontend f\n  bind 10.0.0.10:80\n"
BETTER = GOOD + "  # second\n"


def _launched(rig: AgentRig, program: str) -> list[tuple[str, ...]]:
    return [a for a in rig.runner.launches if program in a]


def test_first_haproxy_config_starts_master_worker_in_the_data_namespace(rig: AgentRig) -> None:
    status, body = rig.put("haproxy", GOOD)
    assert (status, body) == (200, {"result": "started"})
    (launched,) = _launched(rig, "haproxy")
    p = rig.paths
    assert launched[:3] == ("nsenter", "--net=/run/netns/lvt-data", "sh")
    argv = launched[launched.index("haproxy"):]
    assert argv == ("haproxy", "-W", "-S", p.haproxy_master_socket, "-p", p.haproxy_pid,
                    "-f", p.haproxy_cfg, "-L", peer_name(AMPHORA_ID))
    assert launched[launched.index("haproxy") - 1] == p.haproxy_pid  # the shell writes it
    sysctl = next(c for c in rig.runner.calls if "sysctl" in c)
    assert sysctl[:2] == ("nsenter", "--net=/run/netns/lvt-data")
    assert "net.ipv4.ip_nonlocal_bind=1" in sysctl
    assert any(a.startswith("net.ipv4.ping_group_range=") for a in sysctl)
    assert Path(p.haproxy_cfg).read_text() == GOOD
    assert Path(p.haproxy_cfg).stat().st_mode & 0o777 == 0o600


def test_validation_uses_the_peer_name_of_the_amphora(rig: AgentRig) -> None:
    rig.put("haproxy", GOOD)
    check = next(c for c in rig.runner.calls if "-c" in c and c[0] == "haproxy")
    assert check[-2:] == ("-L", "amp" + AMPHORA_ID.replace("-", "")[:16])


def test_invalid_config_is_refused_and_the_running_one_untouched(rig: AgentRig) -> None:
    rig.put("haproxy", GOOD)
    status, body = rig.put("haproxy", GOOD + "INVALID\n")
    assert status == 400
    assert body["error"] == "invalid haproxy configuration"
    assert "unknown keyword 'INVALID'" in body["details"]
    assert Path(rig.paths.haproxy_cfg).read_text() == GOOD
    assert "INVALID" in Path(rig.paths.haproxy_cfg + ".failed").read_text()
    assert not Path(rig.paths.haproxy_cfg + ".new").exists()
    assert "master:reload" not in rig.cli.commands


def test_second_config_saves_server_state_then_reloads(rig: AgentRig) -> None:
    rig.put("haproxy", GOOD)
    status, body = rig.put("haproxy", BETTER)
    assert (status, body) == (200, {"result": "reloaded"})
    assert len(_launched(rig, "haproxy")) == 1
    assert rig.cli.commands.index("stats:show servers state") < rig.cli.commands.index(
        "master:reload")
    assert Path(rig.paths.haproxy_state).read_text().startswith("1\n")
    assert Path(rig.paths.haproxy_cfg).read_text() == BETTER
    assert Path(rig.paths.haproxy_cfg + ".lkg").read_text() == GOOD


def test_the_same_config_again_is_not_reloaded(rig: AgentRig) -> None:
    rig.put("haproxy", GOOD)
    assert rig.put("haproxy", GOOD) == (200, {"result": "unchanged"})
    assert "master:reload" not in rig.cli.commands
    del rig.processes.pids[rig.paths.haproxy_pid]  # HAProxy died: the same text starts it
    assert rig.put("haproxy", GOOD) == (200, {"result": "started"})


def test_failed_reload_restores_last_known_good_and_answers_500(rig: AgentRig) -> None:
    rig.put("haproxy", GOOD)
    status, body = rig.put("haproxy", GOOD + "# BINDFAIL\n")
    assert status == 500
    assert "last known good restored" in body["error"]
    assert "reload failures 0 -> 1" in body["details"]
    assert Path(rig.paths.haproxy_cfg).read_text() == GOOD
    assert "BINDFAIL" in Path(rig.paths.haproxy_cfg + ".failed").read_text()
    assert rig.cli.commands.count("master:reload") == 2  # the bad one, then the good one


def test_failed_first_start_leaves_no_configuration(rig: AgentRig) -> None:
    started = time.monotonic()
    status, body = rig.put("haproxy", GOOD + "# BINDFAIL\n")
    assert time.monotonic() - started < 2.0  # a dead master is not waited for
    assert status == 500
    assert "cannot bind socket" in body["details"]
    assert not Path(rig.paths.haproxy_cfg).exists()
    response = rig.agent.api.handle("GET", "/v1/haproxy", b"")
    assert response.status == 404


def test_get_haproxy_returns_the_running_text(rig: AgentRig) -> None:
    rig.put("haproxy", GOOD)
    response = rig.agent.api.handle("GET", "/v1/haproxy", b"")
    assert (response.status, response.body.decode()) == (200, GOOD)
    assert response.content_type.startswith("text/plain")


def test_keepalived_validated_in_the_data_namespace_then_started_then_hup(rig: AgentRig) -> None:
    status, _ = rig.put("keepalived", "vrrp_instance x {\n}\n")
    assert status == 200
    check = next(c for c in rig.runner.calls if "-t" in c)
    assert check[:4] == ("nsenter", "--net=/run/netns/lvt-data", "keepalived", "-t")
    (launched,) = _launched(rig, "keepalived")
    argv = launched[launched.index("keepalived"):]
    assert "-n" in argv  # in the foreground of a shell that leaves it behind
    p = rig.paths
    for flag, path in (("-p", p.keepalived_pid), ("-r", p.keepalived_vrrp_pid),
                       ("-c", p.keepalived_checker_pid), ("-f", p.keepalived_conf)):
        assert argv[argv.index(flag) + 1] == path
    status, body = rig.put("keepalived", "vrrp_instance x {\n # changed\n}\n")
    assert (status, body) == (200, {"result": "reloaded"})
    assert rig.processes.signals == [(200, signal.SIGHUP)]


def test_keepalived_stops_on_delete_and_a_second_delete_is_harmless(rig: AgentRig) -> None:
    rig.put("keepalived", "vrrp_instance x {\n}\n")
    assert rig.put("keepalived", "", method="DELETE") == (200, {"result": "stopped"})
    assert rig.processes.signals == [(200, signal.SIGTERM)]
    assert rig.put("keepalived", "", method="DELETE") == (200, {"result": "not running"})
    assert rig.put("keepalived", "vrrp_instance x {\n}\n") == (200, {"result": "started"})


def test_invalid_keepalived_is_400_with_the_validator_output(rig: AgentRig) -> None:
    status, body = rig.put("keepalived", "INVALID\n")
    assert status == 400
    assert "Unknown keyword 'INVALID'" in body["details"]
    assert not _launched(rig, "keepalived")


def test_firewall_applied_in_one_run_and_checked_only_when_refused(rig: AgentRig) -> None:
    assert rig.put("firewall", "table inet lv {}\n")[0] == 200
    nft = [c[2:] for c in rig.runner.calls if "nft" in c]
    assert nft == [("nft", "-f", rig.paths.firewall_rules + ".new")]
    assert Path(rig.paths.firewall_rules).read_text() == "table inet lv {}\n"
    status, body = rig.put("firewall", "INVALID\n")
    assert status == 400
    assert "syntax error" in body["details"]
    nft = [c[2:] for c in rig.runner.calls if "nft" in c][1:]
    assert nft == [("nft", "-f", rig.paths.firewall_rules + ".new"),
                   ("nft", "-c", "-f", rig.paths.firewall_rules + ".new")]
    assert Path(rig.paths.firewall_rules).read_text() == "table inet lv {}\n"
    assert Path(rig.paths.firewall_rules + ".failed").read_text() == "INVALID\n"


def test_unknown_route_and_malformed_documents(rig: AgentRig) -> None:
    assert rig.agent.api.handle("GET", "/v1/nothing", b"").status == 404
    assert rig.agent.api.handle("DELETE", "/v1/haproxy", b"").status == 404
    assert rig.agent.api.handle("PATCH", "/v1/keepalived", b"").status == 404
    assert rig.agent.api.handle("POST", "/v1/plug/vip", b"{not json").status == 400
    assert rig.agent.api.handle("POST", "/v1/plug/vip", b"[]").status == 400
    assert rig.agent.api.handle("POST", "/v1/plug/vip", b'{"mac_address": "x"}').status == 400


def test_info_reports_versions_processes_hashes_and_interfaces(rig: AgentRig) -> None:
    rig.runner.netns.add("tmp1", "aa:bb:cc:00:00:01")
    rig.put("haproxy", GOOD)
    response = rig.agent.api.handle("GET", "/v1/info", b"")
    info = json.loads(response.body)
    assert info["amphora_id"] == AMPHORA_ID
    assert info["api_version"] == "v1"
    assert info["haproxy_version"] == "2.6.12-fake"
    assert info["keepalived_version"] == "2.2.7"
    assert info["haproxy_running"] is True
    assert info["keepalived_running"] is False
    assert info["haproxy_config_sha256"] is not None
    assert info["keepalived_config_sha256"] is None
    assert info["interfaces"] == {"tmp1": "aa:bb:cc:00:00:01"}


def test_runtime_config_is_applied_and_persisted(rig: AgentRig) -> None:
    doc = {"heartbeat_interval": 0.25, "health_targets": ["198.18.0.1:5555"]}
    status, _ = rig.put("config", json.dumps(doc))
    assert status == 200
    assert load_boot_config(str(rig.config_path)).runtime.to_dict() == {
        "heartbeat_interval": 0.25, "health_targets": ("198.18.0.1:5555",)}
    again = build_rig(rig.config_path.parent)
    assert again.agent.api.handle("GET", "/v1/info", b"").status == 200


def test_runtime_config_refuses_bad_targets_and_intervals(rig: AgentRig) -> None:
    before = rig.config_path.read_text()
    bad_target = {"heartbeat_interval": 1, "health_targets": ["nohost"]}
    bad_interval = {"heartbeat_interval": 0, "health_targets": []}
    assert rig.put("config", json.dumps(bad_target))[0] == 400
    assert rig.put("config", json.dumps(bad_interval))[0] == 400
    assert rig.config_path.read_text() == before
