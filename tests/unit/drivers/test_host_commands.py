"""drivers.host: how command failures become Livia errors (harmless commands, no root)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from livia.domain.errors import PermanentError, TemporaryError
from livia.drivers import host


def test_stdout_comes_back() -> None:
    assert asyncio.run(host.run(["sh", "-c", "echo hello"])) == "hello\n"


def test_stdin_is_passed() -> None:
    assert asyncio.run(host.run(["cat"], stdin="a\nb\n")) == "a\nb\n"


def test_failure_is_permanent_and_carries_stderr_and_command() -> None:
    with pytest.raises(PermanentError) as caught:
        asyncio.run(host.run(["sh", "-c", "echo 'Cannot find device x' >&2; exit 2"]))
    assert "Cannot find device x" in caught.value.message
    assert "exit 2" in caught.value.message
    assert "sh -c" in caught.value.message


def test_transient_kernel_answers_are_temporary() -> None:
    script = "echo 'RTNETLINK answers: Device or resource busy' >&2; exit 2"
    with pytest.raises(TemporaryError, match="resource busy"):
        asyncio.run(host.run(["sh", "-c", script]))


def test_a_failed_batch_line_is_quoted() -> None:
    script = "cat >/dev/null; echo 'Command failed -:2' >&2; exit 1"
    with pytest.raises(PermanentError, match=r"\[line 2: link del b\]"):
        asyncio.run(host.run(["sh", "-c", script], stdin="link del a\nlink del b\n"))


def test_a_missing_program_is_permanent() -> None:
    with pytest.raises(PermanentError, match="cannot run"):
        asyncio.run(host.run(["/nonexistent/lvt-no-such-program"]))


def test_a_hanging_command_times_out_as_temporary() -> None:
    with pytest.raises(TemporaryError, match="did not finish"):
        asyncio.run(host.run(["sleep", "5"], timeout=0.2))


def test_stop_processes_ends_a_process_that_ignores_sigterm() -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print(1, flush=True); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"1\n"
        assert host.cmdline(child.pid)[:3] == [sys.executable, "-c", code]
        asyncio.run(host.stop_processes([child.pid], grace=0.2))
        assert not host.pid_alive(child.pid)  # a zombie until waited for: counts as gone
    finally:
        child.kill()
        child.wait(timeout=5)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -9


def test_read_pid_tolerates_missing_and_garbage() -> None:
    with tempfile.TemporaryDirectory(prefix="lvt-") as directory:
        path = Path(directory) / "pid"
        assert host.read_pid(path) is None
        path.write_text("garbage\n")
        assert host.read_pid(path) is None
        path.write_text(f"{os.getpid()}\n")
        assert host.read_pid(path) == os.getpid()
        assert host.pid_alive(os.getpid())
