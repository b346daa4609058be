"""The shell scripts the agent writes for HAProxy and keepalived, run for real."""

from __future__ import annotations

import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from livia.agent import scripts
from livia.domain.amphorae import AmphoraPaths


@pytest.fixture
def paths(tmp_path: Path) -> AmphoraPaths:
    p = AmphoraPaths(str(tmp_path))
    scripts.install(p)
    return p


def _run(*argv: str) -> int:
    return subprocess.run(argv, capture_output=True, timeout=10, check=False).returncode


def test_modes_are_safe_for_keepalived_and_usable_by_haproxy(paths: AmphoraPaths) -> None:
    for script, mode in ((paths.keepalived_check_script, 0o700),
                         (paths.keepalived_notify_script, 0o700), (paths.ping_wrapper, 0o755)):
        assert stat.S_IMODE(Path(script).stat().st_mode) == mode


@pytest.fixture
def fake_haproxy(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose name is "haproxy" (a copy of sleep), bounded to 30 s."""
    (tmp_path / "bin").mkdir()
    binary = tmp_path / "bin" / "haproxy"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", binary)
    proc = subprocess.Popen([str(binary), "30"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_check_script_is_true_only_while_the_haproxy_master_lives(
        paths: AmphoraPaths, fake_haproxy: subprocess.Popen[bytes]) -> None:
    check = paths.keepalived_check_script
    assert _run(check) == 1  # no pid file
    Path(paths.haproxy_pid).write_text(f"{fake_haproxy.pid}\n")
    assert _run(check) == 0
    Path(paths.haproxy_pid).write_text("1\n")  # alive, but not HAProxy
    assert _run(check) == 1
    Path(paths.haproxy_pid).write_text(f"{fake_haproxy.pid}\n")
    fake_haproxy.kill()
    fake_haproxy.wait()
    assert _run(check) == 1


def test_notify_script_records_the_vrrp_state(paths: AmphoraPaths) -> None:
    notify = paths.keepalived_notify_script
    assert _run(notify, "INSTANCE", "lb", "MASTER", "100") == 0
    assert Path(paths.vrrp_state_file).read_text() == "MASTER\n"
    assert _run(notify, "INSTANCE", "lb", "BACKUP", "90") == 0
    assert Path(paths.vrrp_state_file).read_text() == "BACKUP\n"
    assert _run(notify, "INSTANCE", "lb", "; rm -rf /", "90") == 0
    assert Path(paths.vrrp_state_file).read_text() == "BACKUP\n"


def test_ping_wrapper_pings_the_server_address(paths: AmphoraPaths) -> None:
    assert _run(paths.ping_wrapper, "10.0.0.10", "80", "127.0.0.1", "80") == 0
    assert _run(paths.ping_wrapper, "10.0.0.10", "80", "256.0.0.1", "80") != 0
