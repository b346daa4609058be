"""A project's instance on the real host: unprivileged, confined, limited, yet serving on port 80.

``livia serve --project-instances``; a member token of one project creates an
instance whose command reports what it can see and do (as JSON, in its
output log) and then serves HTTP on port 80. An admin's client instance on
the same network fetches from it. Deleting it leaves no process of its uid,
no namespace and no file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dataplane import nothing_left_behind, record_prefix  # noqa: F401 (fixtures)
from livia_host import LIVIA, TOKEN, LiviaHost

from livia.domain.instances import (
    CONFINED_ID_COUNT,
    CONFINED_ID_FIRST,
    CONFINED_LIMITS,
    PRIVATE_DIRS,
)

LIVIA_SERVE_ARGS = ("--project-instances",)
PROJECT = "lvt-confined"
INSTANCES = "/v2.0/livia/instances"

PROBE = r"""
import http.server, json, os, resource, sys
state = sys.argv[1]
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
procs = {}
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            procs[pid] = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        except OSError as exc:
            procs[pid] = str(exc)
def attempt(action):
    try:
        return ["ok", action()]
    except OSError as exc:
        return ["refused", exc.strerror]
facts = {
    "pid": os.getpid(), "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
    "egid": os.getegid(),
    "groups": os.getgroups(), "cwd": os.getcwd(), "environ": dict(os.environ),
    "status": {k: status[k].strip() for k in ("NoNewPrivs", "CapInh", "CapPrm", "CapEff",
                                               "CapBnd", "CapAmb")},
    "procs": procs,
    "token": attempt(lambda: open(os.path.join(state, "admin-token")).read()),
    "state": attempt(lambda: os.listdir(state)),
    "run": attempt(lambda: os.listdir("/run")),
    "root": attempt(lambda: os.listdir("/root")),
    "tmp": {d: attempt(lambda d=d: os.listdir(d)) for d in ("/tmp", "/var/tmp", "/dev/shm")},
    "limits": {name: resource.getrlimit(getattr(resource, "RLIMIT_" + name))
               for name in ("NPROC", "NOFILE", "AS", "FSIZE", "CORE")},
}
print(json.dumps(facts), flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", 80), http.server.SimpleHTTPRequestHandler
                                ).serve_forever()
"""


@pytest.fixture(scope="module")
def member(livia: LiviaHost) -> Iterator[httpx.Client]:
    """An HTTP client with a member token of PROJECT."""
    done = subprocess.run([LIVIA, "token", "create", *livia.common_args, "--project", PROJECT,
                           "--role", "member"], env=livia.env, capture_output=True, text=True,
                          timeout=60, check=True)
    client = httpx.Client(base_url=str(livia.http.base_url), timeout=30.0,
                          headers={"X-Auth-Token": done.stdout.strip()})
    yield client
    client.close()


def _call(client: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None,
          expect: int = 200) -> dict[str, Any]:
    r = client.request(method, path, json=body)
    assert r.status_code == expect, f"{method} {path} -> {r.status_code}: {r.text}"
    return r.json() if r.content else {}


def _wait_active(client: httpx.Client, instance_id: str, livia: LiviaHost) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        inst: dict[str, Any] = _call(client, "GET", f"{INSTANCES}/{instance_id}")["instance"]
        if inst["status"] == "ACTIVE":
            return inst
        assert inst["status"] == "BUILD", livia.log_tail()
        time.sleep(0.05)
    raise AssertionError(f"instance {instance_id} not ACTIVE\n{livia.log_tail()}")


def _facts(log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            if line.startswith("{"):
                facts: dict[str, Any] = json.loads(line)
                return facts
        time.sleep(0.05)
    raise AssertionError(f"no facts in {log}: {log.read_text() if log.exists() else '-'}")


def _processes_of(uid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        uids = next((line.split()[1:] for line in status.splitlines()
                     if line.startswith("Uid:")), [])
        if entry.isdigit() and str(uid) in uids:
            found.append(int(entry))
    return found


def test_a_projects_instance_is_confined_and_still_serves_port_80(
        livia: LiviaHost, member: httpx.Client) -> None:
    net = _call(member, "POST", "/v2.0/networks", {"network": {"name": "confined-net"}},
                201)["network"]["id"]
    _call(member, "POST", "/v2.0/subnets", {"subnet": {
        "network_id": net, "cidr": "10.66.0.0/24", "ip_version": 4}}, 201)
    made = _call(member, "POST", INSTANCES, {"instance": {
        "name": "probe", "network_id": net, "ip_address": "10.66.0.10",
        "command": ["/usr/bin/python3", "-c", PROBE, str(livia.state_dir)]}}, 201)["instance"]
    assert made["confined"] is True
    uid = made["uid"]
    assert CONFINED_ID_FIRST <= uid < CONFINED_ID_FIRST + CONFINED_ID_COUNT
    _wait_active(member, made["id"], livia)
    directory = livia.state_dir / "instances" / made["id"]
    facts = _facts(directory / "output.log")

    # Its own uid and gid, no groups, no capabilities, no_new_privs.
    assert (facts["uid"], facts["euid"], facts["gid"], facts["egid"]) == (uid,) * 4
    assert facts["groups"] == []
    assert facts["status"]["NoNewPrivs"] == "1"
    for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(facts["status"][caps], 16) == 0, facts["status"]
    # Its own PID namespace: the setup shell (PID 1) and the command, nothing of the host.
    me = str(facts["pid"])
    assert set(facts["procs"]) == {"1", me}, facts["procs"]
    assert facts["procs"]["1"].startswith("sh -c ")
    assert facts["procs"][me].startswith("/usr/bin/python3 -c")
    # The state directory and /run are out of sight (here the state directory is under
    # /tmp, which is private: it is not there at all); the temporary directories are its own.
    assert facts["token"][0] == "refused"
    assert facts["state"] in (["ok", []], ["refused", "No such file or directory"])
    assert facts["run"] == facts["root"] == ["ok", []]
    assert facts["tmp"] == {d: ["ok", []] for d in PRIVATE_DIRS}
    assert facts["cwd"] == "/tmp"
    assert TOKEN not in json.dumps(facts["environ"])
    assert set(facts["environ"]) <= {"PATH", "HOME", "LANG", "PWD"}, facts["environ"]
    # The limits.
    limits = CONFINED_LIMITS
    assert facts["limits"] == {
        "NPROC": [limits.processes] * 2, "NOFILE": [limits.open_files] * 2,
        "AS": [limits.address_space] * 2, "FSIZE": [limits.file_size] * 2, "CORE": [0, 0]}
    # It serves on port 80 (unprivileged), reached from another instance on its network.
    livia.instance("client", net, ["sleep", "infinity"], ip="10.66.0.20")
    livia.wait_tcp("client", "10.66.0.10", 80)
    fetched = livia.run_in("client", [sys.executable, "-c",
                                      "import urllib.request as u; "
                                      "print(u.urlopen('http://10.66.0.10/', timeout=5).status)"])
    assert fetched.stdout.strip() == "200", fetched.stderr
    # On the host, its processes run as its uid (the setup shell is root, inside).
    assert _processes_of(uid)

    # Deleting it leaves nothing: no process of its uid, no namespace, no directory.
    netns = f"{livia.prefix}-inst-{made['id']}"
    _call(member, "DELETE", f"{INSTANCES}/probe", expect=204)
    deadline = time.monotonic() + 20
    while member.get(f"{INSTANCES}/{made['id']}").status_code != 404:
        assert time.monotonic() < deadline, livia.log_tail()
        time.sleep(0.05)
    assert _processes_of(uid) == []
    assert not Path(f"/run/netns/{netns}").exists()
    assert not directory.exists()
    mounts = Path("/proc/self/mountinfo").read_text()
    assert "livia-hidden" not in mounts and "livia-private" not in mounts
    livia.call("DELETE", f"{INSTANCES}/client")
