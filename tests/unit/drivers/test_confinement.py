"""The confined command line: every limit and privilege drop from livia.domain.instances."""

from __future__ import annotations

import subprocess

import pytest

from livia.domain.instances import CONFINED_LIMITS, PRIVATE_DIRS
from livia.drivers import confinement


def test_the_command_runs_last_as_its_uid_within_the_limits() -> None:
    argv = confinement.argv(["livia", "httpd", "--name", "a b"], uid=2_000_000_007,
                            hidden=["/var/lib/livia", "/run"])
    assert argv[:7] == ["unshare", "--mount", "--pid", "--ipc", "--fork", "--mount-proc", "--"]
    assert argv[7:9] == ["sh", "-c"]
    script_args = argv[10:]
    assert script_args[:4] == ["sh", "/var/lib/livia", "/run", "--"]
    private_end = 4 + len(PRIVATE_DIRS)
    assert tuple(script_args[4:private_end]) == PRIVATE_DIRS
    assert script_args[private_end] == "--"
    rest = script_args[private_end + 1:]
    limits = rest[:rest.index("--") + 1]
    assert limits == ["prlimit", f"--nproc={CONFINED_LIMITS.processes}",
                      f"--nofile={CONFINED_LIMITS.open_files}",
                      f"--as={CONFINED_LIMITS.address_space}",
                      f"--fsize={CONFINED_LIMITS.file_size}", "--core=0", "--"]
    privileges = rest[len(limits):]
    assert privileges[:8] == ["setpriv", "--reuid=2000000007", "--regid=2000000007",
                              "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                              "--no-new-privs", "--"]
    assert privileges[8:] == ["livia", "httpd", "--name", "a b"]


def test_the_setup_script_is_valid_sh() -> None:
    script = confinement.argv(["true"], uid=2_000_000_000, hidden=[])[9]
    subprocess.run(["sh", "-n", "-c", script], check=True)


@pytest.mark.parametrize("uid", [0, -1])
def test_never_as_root(uid: int) -> None:
    with pytest.raises(ValueError):
        confinement.argv(["true"], uid=uid, hidden=[])
