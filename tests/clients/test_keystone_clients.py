"""The real clients with Keystone auth: a clouds.yaml with ``auth_type: password`` or
``v3applicationcredential``, no token and no endpoint; every endpoint comes from the catalog.

The seed's steps as a project's member, the identity commands people run day to day,
openstacksdk's ``openstack.connect(cloud=…)``, and tokens that expire under a client
that goes on working.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import openstack
import pytest
from livia_server import LiviaServer, make_server

pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning",
                                        "ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def keystone(livia: LiviaServer) -> LiviaServer:
    """The shared server with clouds: the bootstrap admin, and alice (member of `demo`)."""
    livia.add_cloud("admin", "password", livia.password_auth("admin", livia.password, "admin"))
    project = livia.cloud_json("admin", "project", "create", "demo")
    assert project["name"] == "demo"
    livia.cloud_ok("admin", "user", "create", "--project", "demo", "--password", "alice-pw",
                   "alice")
    livia.cloud_ok("admin", "role", "add", "--project", "demo", "--user", "alice", "member")
    livia.add_cloud("alice", "password", livia.password_auth("alice", "alice-pw", "demo"))
    return livia


def _walk(server: LiviaServer, cloud: str, tag: str, cidr: str) -> str:
    """The seed's steps; the load balancer's id."""
    run = server.cloud_json
    run(cloud, "network", "create", f"{tag}-net")
    run(cloud, "subnet", "create", "--network", f"{tag}-net", "--subnet-range", cidr,
        f"{tag}-subnet")
    lb = run(cloud, "loadbalancer", "create", "--name", f"{tag}-lb", "--vip-subnet-id",
             f"{tag}-subnet", "--wait")
    assert lb["provisioning_status"] == "ACTIVE"
    run(cloud, "loadbalancer", "listener", "create", "--name", f"{tag}-l1", "--protocol",
        "HTTP", "--protocol-port", "80", "--wait", f"{tag}-lb")
    run(cloud, "loadbalancer", "pool", "create", "--name", f"{tag}-p1", "--lb-algorithm",
        "SOURCE_IP", "--listener", f"{tag}-l1", "--protocol", "HTTP", "--wait")
    run(cloud, "loadbalancer", "member", "create", "--address", cidr.replace("0/24", "8"),
        "--protocol-port", "80", "--weight", "1", "--wait", f"{tag}-p1")
    run(cloud, "loadbalancer", "healthmonitor", "create", "--type", "HTTP", "--url-path",
        "/api", "--expected-codes", "200", "--delay", "5", "--timeout", "3", "--max-retries",
        "3", "--wait", f"{tag}-p1")
    tree = json.loads(server.cloud_ok(cloud, "loadbalancer", "status", "show", f"{tag}-lb"))
    listener = tree["loadbalancer"]["listeners"][0]
    assert listener["pools"][0]["members"][0]["address"] == cidr.replace("0/24", "8")
    assert listener["pools"][0]["health_monitor"]["type"] == "HTTP"
    return str(lb["id"])


def test_password_cloud_walks_the_seed(keystone: LiviaServer) -> None:
    token = keystone.cloud_json("alice", "token", "issue")
    assert token["user_id"] and token["project_id"] and token["id"].startswith("lvk")
    services = {s["Type"] for s in keystone.cloud_json("alice", "catalog", "list")}
    assert services == {"identity", "load-balancer", "network"}
    lb_id = _walk(keystone, "alice", "pw", "10.61.0.0/24")
    lbs = keystone.cloud_json("alice", "loadbalancer", "list")
    assert [lb["id"] for lb in lbs] == [lb_id]
    # the admin sees it; alice may not look at amphorae
    assert lb_id in {lb["id"] for lb in keystone.cloud_json("admin", "loadbalancer", "list")}
    denied = keystone.cloud_cli("alice", "loadbalancer", "amphora", "list")
    assert denied.returncode != 0 and "403" in denied.stderr + denied.stdout


def test_application_credential_cloud(keystone: LiviaServer) -> None:
    made = keystone.cloud_json("alice", "application", "credential", "create", "ci")
    assert made["Secret"] and {r["name"] for r in made["Roles"]} >= {"member"}
    listed = keystone.cloud_json("alice", "application", "credential", "list")
    assert "ci" in {c["Name"] for c in listed}
    keystone.add_cloud("alice-ac", "v3applicationcredential", {
        "application_credential_id": made["ID"],
        "application_credential_secret": made["Secret"]})
    _walk(keystone, "alice-ac", "ac", "10.62.0.0/24")
    keystone.cloud_ok("alice", "application", "credential", "delete", "ci")
    gone = keystone.cloud_cli("alice-ac", "loadbalancer", "list")
    assert gone.returncode != 0


def test_identity_commands(keystone: LiviaServer) -> None:
    run, ok = keystone.cloud_json, keystone.cloud_ok
    project = run("admin", "project", "create", "scratch", "--description", "tmp")
    assert run("admin", "project", "show", "scratch")["id"] == project["id"]
    assert "scratch" in {p["Name"] for p in run("admin", "project", "list")}
    run("admin", "user", "create", "--password", "b-pw", "bob")
    ok("admin", "user", "set", "--password", "b-pw2", "bob")
    ok("admin", "role", "add", "--project", "scratch", "--user", "bob", "reader")
    assignments = run("admin", "role", "assignment", "list", "--project", "scratch",
                      "--names")
    assert [(a["User"], a["Role"]) for a in assignments] == [("bob@Default", "reader")]
    keystone.add_cloud("bob", "password", keystone.password_auth("bob", "b-pw2", "scratch"))
    assert run("bob", "loadbalancer", "list") == []
    refused = keystone.cloud_cli("bob", "network", "create", "nope")
    assert refused.returncode != 0
    ok("admin", "role", "remove", "--project", "scratch", "--user", "bob", "reader")
    assert run("admin", "role", "assignment", "list", "--project", "scratch") == []
    assert {r["Name"] for r in run("admin", "role", "list")} >= {
        "admin", "member", "reader", "load-balancer_member", "load-balancer_observer"}
    assert "bob" in {u["Name"] for u in run("admin", "user", "list")}
    ok("admin", "user", "delete", "bob")
    ok("admin", "project", "delete", "scratch")
    assert "scratch" not in {p["Name"] for p in run("admin", "project", "list")}
    token = run("alice", "token", "issue")
    ok("admin", "token", "revoke", token["id"])
    assert [d["Name"] for d in run("admin", "domain", "list")] == ["Default"]


def test_openstacksdk_connect_cloud(keystone: LiviaServer) -> None:
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(keystone.clouds_file)
    try:
        conn = openstack.connect(cloud="alice")
        try:
            names = {lb.name for lb in conn.load_balancer.load_balancers()}
            assert "pw-lb" in names
            assert {n.name for n in conn.network.networks()} >= {"pw-net"}
            assert conn.current_project_id == keystone.cloud_json(
                "admin", "project", "show", "demo")["id"]
        finally:
            conn.close()
    finally:
        del os.environ["OS_CLIENT_CONFIG_FILE"]


@pytest.fixture
def short_tokens(tmp_path: Path) -> Iterator[LiviaServer]:
    """A server whose tokens live 4 s."""
    yield from make_server(tmp_path, extra_args=("--token-lifetime", "4"))


def test_expiring_tokens_are_renewed_without_the_user_noticing(
        short_tokens: LiviaServer) -> None:
    server = short_tokens
    server.add_cloud("admin", "password", server.password_auth("admin", server.password,
                                                               "admin"))
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(server.clouds_file)
    try:
        conn = openstack.connect(cloud="admin")
        try:
            first = conn.session.get_token()
            deadline = time.monotonic() + 10  # over two lifetimes, one call a second at most
            calls = 0
            while time.monotonic() < deadline and calls < 12:
                list(conn.load_balancer.load_balancers())
                list(conn.network.networks())
                calls += 1
                time.sleep(1)
            assert calls >= 8
            assert conn.session.get_token() != first  # a new token was fetched on the way
        finally:
            conn.close()
    finally:
        del os.environ["OS_CLIENT_CONFIG_FILE"]


def test_quota_commands(keystone: LiviaServer) -> None:
    run, ok = keystone.cloud_json, keystone.cloud_ok
    project = run("admin", "project", "show", "demo")["id"]
    ok("admin", "loadbalancer", "quota", "set", "--loadbalancer", "3", "--member", "7",
       project)
    shown = run("admin", "loadbalancer", "quota", "show", project)
    assert shown["load_balancer"] == 3 and shown["member"] == 7
    assert project in {q["project_id"] for q in run("admin", "loadbalancer", "quota", "list")}
    assert run("alice", "loadbalancer", "quota", "show", project)["member"] == 7
    denied = keystone.cloud_cli("alice", "loadbalancer", "quota", "set", "--member", "9",
                                project)
    assert denied.returncode != 0
    assert run("admin", "loadbalancer", "quota", "defaults", "show")["member"] == -1
    ok("admin", "loadbalancer", "quota", "reset", project)
    assert run("admin", "loadbalancer", "quota", "show", project)["member"] == -1
