"""Lease owners: a restarted controller frees the leases of a dead process of its own host."""

from __future__ import annotations

import os
import subprocess
import sys

from livia.controller.bootstrap import dead_local_owner, process_owner


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def test_the_owner_names_this_process() -> None:
    host, pidns, pid = process_owner().split(":")
    assert host and pidns.isdigit() and pid == str(os.getpid())


def test_a_process_that_exited_is_dead() -> None:
    host, pidns, _ = process_owner().split(":")
    assert dead_local_owner(f"{host}:{pidns}:{_exited_pid()}")


def test_live_or_foreign_owners_are_left_alone() -> None:
    host, pidns, _ = process_owner().split(":")
    assert not dead_local_owner(process_owner())  # this very process
    assert not dead_local_owner(f"{host}:{pidns}:{os.getppid()}")  # alive
    dead = _exited_pid()
    assert not dead_local_owner(f"other-host:{pidns}:{dead}")  # cannot be checked from here
    assert not dead_local_owner(f"{host}:1:{dead}")  # another PID namespace
    assert not dead_local_owner(f"{host}:140018526598352")  # the old hostname:id() form
