"""Server weight / admin-state changes without a reload: diff, state file, agent route."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_fakes import STATE_HEADER
from agent_rig import AgentRig

from livia.agent.haproxy_runtime import (
    ServerChange,
    normalized_server_state,
    parse_server_line,
    runtime_changes,
)

SRV_A = "    server aaa 10.0.0.11:80 weight 1 check inter 5s fall 3 rise 2"
SRV_B = "    server bbb 10.0.0.12:80 weight 1 check inter 5s fall 3 rise 2"


def config(a: str = SRV_A, b: str = SRV_B, extra: str = "") -> str:
    return ("global\n    stats socket x\n\nfrontend f\n    bind 10.0.0.10:80\n"
            f"    default_backend pool\n\nbackend pool\n    balance roundrobin\n{a}\n{b}\n"
            f"{extra}")


# --- the diff ---------------------------------------------------------------

def test_a_weight_change_is_a_runtime_change() -> None:
    new = config(a=SRV_A.replace("weight 1", "weight 7"))
    assert runtime_changes(config(), new) == (ServerChange("pool", "aaa", 7, None),)


def test_disabling_and_enabling_are_runtime_changes() -> None:
    disabled = config(b=SRV_B + " disabled")
    assert runtime_changes(config(), disabled) == (ServerChange("pool", "bbb", None, True),)
    assert runtime_changes(disabled, config()) == (ServerChange("pool", "bbb", None, False),)


def test_weight_and_state_of_two_servers_at_once() -> None:
    new = config(a=SRV_A.replace("weight 1", "weight 0") + " disabled",
                 b=SRV_B.replace("weight 1", "weight 256"))
    assert runtime_changes(config(), new) == (ServerChange("pool", "aaa", 0, True),
                                              ServerChange("pool", "bbb", 256, None))


def test_identical_texts_have_no_changes() -> None:
    assert runtime_changes(config(), config()) == ()


@pytest.mark.parametrize("new", [
    config(a=SRV_A.replace("10.0.0.11:80", "10.0.0.11:81")),  # address
    config(a=SRV_A.replace("fall 3", "fall 4")),  # health check
    config(a=SRV_A.replace("aaa", "ccc")),  # another server
    config(a=SRV_A + " backup"),  # a flag other than disabled
    config(extra="    server ccc 10.0.0.13:80 weight 1\n"),  # a member added
    config().replace("roundrobin", "leastconn"),  # a backend line
    config().replace("bind 10.0.0.10:80", "bind 10.0.0.10:81"),  # a frontend line
    config().replace("backend pool", "backend other"),  # the backend's name
])
def test_any_other_difference_needs_a_reload(new: str) -> None:
    assert runtime_changes(config(), new) is None


def test_a_server_line_outside_a_backend_is_not_a_runtime_change() -> None:
    old = "global\n    server aaa 10.0.0.11:80 weight 1\n"
    assert runtime_changes(old, old.replace("weight 1", "weight 2")) is None


def test_a_server_named_disabled_is_not_taken_for_the_flag() -> None:
    line = parse_server_line("server disabled 10.0.0.1:80 weight 3")
    assert line is not None and line.name == "disabled" and not line.disabled


# --- the saved server state ------------------------------------------------

def _state(*rows: str) -> str:
    return "\n".join(["1", STATE_HEADER, *rows]) + "\n"


def _row(name: str, op: int, admin: int, uweight: int, iweight: int) -> str:
    return (f"3 pool 1 {name} 10.0.0.11 {op} {admin} {uweight} {iweight} "
            "5 1 0 0 0 0 0 0 - 80 - 0 0 - - 0")


def test_state_is_saved_as_if_started_from_what_runs_now() -> None:
    saved = _state(_row("forced", 0, 1, 7, 1),  # set to maint and weight 7 at runtime
                   _row("readied", 2, 4, 3, 3),  # "disabled" in the file, set ready at runtime
                   _row("plain", 2, 0, 2, 2))
    assert normalized_server_state(saved) == _state(_row("forced", 2, 5, 7, 7),
                                                    _row("readied", 2, 0, 3, 3),
                                                    _row("plain", 2, 0, 2, 2))


def test_state_of_servers_never_changed_at_runtime_stays_except_maintenance_op_state() -> None:
    saved = _state(_row("configured-off", 0, 5, 4, 4), _row("down", 0, 0, 4, 4))
    # A disabled server saved as stopped would stay down once enabled (no check brings it up).
    assert normalized_server_state(saved) == _state(_row("configured-off", 2, 5, 4, 4),
                                                    _row("down", 0, 0, 4, 4))


def test_unknown_state_layout_is_left_alone() -> None:
    assert normalized_server_state("1\n# be_id be_name\n3 pool\n") == "1\n# be_id be_name\n3 pool\n"


# --- the agent --------------------------------------------------------------

def _checks(rig: AgentRig) -> int:
    return sum(1 for c in rig.runner.calls if c[:2] == ("haproxy", "-c"))


def test_weight_change_is_applied_without_a_reload(rig: AgentRig) -> None:
    rig.put("haproxy", config())
    new = config(a=SRV_A.replace("weight 1", "weight 7"), b=SRV_B + " disabled")
    assert rig.put("haproxy", new) == (200, {"result": "updated at runtime"})
    assert rig.cli.reloads == 0 and _checks(rig) == 2  # still validated
    assert "stats:set server pool/aaa weight 7" in rig.cli.commands
    assert "stats:set server pool/bbb state maint" in rig.cli.commands
    assert rig.cli.servers[("pool", "aaa")].uweight == 7
    assert rig.cli.servers[("pool", "bbb")].admin & 1
    assert Path(rig.paths.haproxy_cfg).read_text() == new
    assert Path(rig.paths.haproxy_cfg + ".lkg").read_text() == config()
    assert not Path(rig.paths.haproxy_cfg + ".new").exists()


def test_refused_runtime_change_falls_back_to_a_reload(rig: AgentRig) -> None:
    rig.put("haproxy", config())
    rig.cli.static_backends.add("pool")  # "balance source": weights only 0% / 100%
    new = config(a=SRV_A.replace("weight 1", "weight 7"))
    assert rig.put("haproxy", new) == (200, {"result": "reloaded"})
    assert rig.cli.reloads == 1
    assert Path(rig.paths.haproxy_cfg).read_text() == new


def test_unanswering_stats_socket_falls_back_to_a_reload(rig: AgentRig) -> None:
    rig.put("haproxy", config())

    def refuse(command: str) -> str:
        raise ConnectionRefusedError("no worker")

    rig.cli.stats = refuse  # type: ignore[method-assign]
    new = config(a=SRV_A.replace("weight 1", "weight 7"))
    assert rig.put("haproxy", new) == (200, {"result": "reloaded"})
    assert Path(rig.paths.haproxy_cfg).read_text() == new


def test_change_the_worker_does_not_report_is_not_success(rig: AgentRig) -> None:
    rig.put("haproxy", config())
    rig.cli.stats("show servers state")  # the fake worker loads its servers
    rig.cli.servers.clear()  # ... and loses them: "set server" answers "No such server."
    new = config(a=SRV_A.replace("weight 1", "weight 7"))
    assert rig.put("haproxy", new) == (200, {"result": "reloaded"})


def test_reload_after_runtime_changes_saves_the_state_they_left(rig: AgentRig) -> None:
    rig.put("haproxy", config())
    rig.put("haproxy", config(a=SRV_A.replace("weight 1", "weight 7") + " disabled"))
    # back to weight 1 and enabled, together with another change: a reload
    assert rig.put("haproxy", config(extra="# more\n")) == (200, {"result": "reloaded"})
    saved = Path(rig.paths.haproxy_state).read_text().splitlines()
    (row,) = [line.split() for line in saved if " aaa " in line]
    assert (row[5], row[6], row[7], row[8]) == ("2", "5", "7", "7")  # as if started so


def test_runtime_change_with_haproxy_not_running_starts_it(rig: AgentRig) -> None:
    rig.put("haproxy", config())
    del rig.processes.pids[rig.paths.haproxy_pid]
    assert rig.put("haproxy", config(a=SRV_A.replace("weight 1", "weight 7"))) == (
        200, {"result": "started"})
