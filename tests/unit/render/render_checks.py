"""The real daemons' config checks, run on rendered files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livia.domain.amphorae import AmphoraPaths

# golden(name, text): compare with golden/<name> (or rewrite it).
GoldenCheck = Callable[[str, str], None]


@dataclass(frozen=True)
class Checked:
    returncode: int
    output: str


def run(args: list[str]) -> Checked:
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    return Checked(done.returncode, done.stdout + done.stderr)


def prepare_amphora_dir(base: Path) -> AmphoraPaths:
    """An amphora's directory as the agent lays it out, as far as the validators look."""
    paths = AmphoraPaths(str(base))
    for directory in ("haproxy", "keepalived"):
        (base / directory).mkdir(parents=True, exist_ok=True)
    Path(paths.haproxy_state).write_text("1\n")  # the state file's version line
    for script in (
        paths.keepalived_check_script,
        paths.keepalived_notify_script,
        paths.ping_wrapper,
    ):
        Path(script).write_text("#!/bin/sh\nexit 0\n")
        os.chmod(script, 0o700)
    return paths


def haproxy_check(path: Path, peer_name: str) -> Checked:
    """haproxy -c in zero-warning mode (-dW): a warning fails the check too."""
    return run(["haproxy", "-c", "-dW", "-f", str(path), "-L", peer_name])


def keepalived_check(netns: str, path: Path) -> Checked:
    """keepalived -t exits 0 only for a clean file (it needs the interface to exist)."""
    return run(["ip", "netns", "exec", netns, "keepalived", "-t", "-f", str(path)])


def nft_check(netns: str, path: Path) -> Checked:
    return run(["ip", "netns", "exec", netns, "nft", "-c", "-f", str(path)])
