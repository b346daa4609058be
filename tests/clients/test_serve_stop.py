"""``livia stop`` stops the state directory's ``livia serve`` by its pid file; a second
``livia serve`` on the same state directory refuses to start; a stale pid file is ignored."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from livia_server import LIVIA, LiviaServer, client_env


def _livia(server: LiviaServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LIVIA, *args, "--state-dir", str(server.state_dir)],
                          capture_output=True, text=True, timeout=60, env=client_env(),
                          check=False)


def test_stop_by_pid_file(fresh_server: LiviaServer) -> None:
    server = fresh_server
    server.start()
    assert server.proc is not None
    pid_file = Path(server.state_dir) / "serve.pid"
    assert pid_file.read_text().strip() == str(server.proc.pid)
    second = subprocess.run([*server.args(), "--port", "1"], capture_output=True, text=True,
                            timeout=60, env={**client_env(), "LIVIA_ADMIN_TOKEN": "x"},
                            check=False)
    assert second.returncode == 1 and "already runs" in second.stderr, second
    assert server.proc.poll() is None  # the first one is untouched
    stopped = _livia(server, "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout, stopped
    assert server.proc.wait(timeout=5) == 0
    assert not pid_file.exists()
    again = _livia(server, "stop")
    assert again.returncode == 0 and "no livia serve runs" in again.stdout


def test_a_stale_pid_file_points_nowhere(fresh_server: LiviaServer) -> None:
    server = fresh_server
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        server.state_dir.mkdir(parents=True)
        (server.state_dir / "serve.pid").write_text(f"{sleeper.pid}\n")
        result = _livia(server, "stop")
        assert "no livia serve runs" in result.stdout, result
        assert sleeper.poll() is None  # another process's pid is never signalled
        server.start()  # and the stale file does not block a start
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and server.proc is not None:
            if (server.state_dir / "serve.pid").read_text().strip() == str(server.proc.pid):
                break
            time.sleep(0.05)
        assert server.proc is not None
        assert (server.state_dir / "serve.pid").read_text().strip() == str(server.proc.pid)
    finally:
        sleeper.kill()
        sleeper.wait(timeout=5)
