"""Instances: admin-only by default; with project_instances, projects get confined ones.

Names are unique per project, and looked up in the caller's project; an
admin's lookup of a name several projects use is a 409 asking for the id.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from lbaas_stack import Stack, expect, fault

from livia.domain.instances import (
    CONFINED_ID_COUNT,
    CONFINED_ID_FIRST,
    MAX_COMMAND_ARGS,
    MAX_COMMAND_LENGTH,
    MAX_NAME_LENGTH,
)

INSTANCES = "/v2.0/livia/instances"
PROJECTS = pytest.mark.settings(project_instances=True)


def _network(stack: Stack, token: str) -> str:
    subnet = stack.vip_subnet(token)
    return str(expect(stack.api.get(f"/v2.0/subnets/{subnet}", token=token), 200)[
        "subnet"]["network_id"])


def _create(stack: Stack, token: str, name: str, network: str, status: int = 201,
            **extra: Any) -> dict[str, Any]:
    r = stack.api.post(INSTANCES, token=token, json={"instance": {
        "name": name, "network_id": network, **extra}})
    if status != 201:
        fault(r, status)
        return {}
    instance: dict[str, Any] = expect(r, 201)["instance"]
    return instance


def _active(stack: Stack, instance_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shown: dict[str, Any] = expect(stack.api.get(f"{INSTANCES}/{instance_id}",
                                                     token=stack.tokens.admin), 200)["instance"]
        if shown["status"] == "ACTIVE":
            return shown
        assert shown["status"] == "BUILD", shown
        time.sleep(0.02)
    raise AssertionError(f"instance {instance_id} not ACTIVE")


def test_instances_are_admin_only_by_default(stack: Stack) -> None:
    t = stack.tokens
    network = _network(stack, t.member_a)
    for token in (t.member_a, t.reader_a):
        message = fault(stack.api.post(INSTANCES, token=token, json={"instance": {
            "name": "web", "network_id": network, "command": ["sh", "-c", "id"]}}), 403)
        assert message == "Policy does not allow this request to be performed."
        fault(stack.api.get(INSTANCES, token=token), 403)
        fault(stack.api.get(f"{INSTANCES}/web", token=token), 403)
        fault(stack.api.delete(f"{INSTANCES}/web", token=token), 403)
    # The admin's instance is an operator's tool: it runs as root, unconfined.
    made = _create(stack, t.admin, "web", network, project_id=stack.project_a)
    assert made["confined"] is False and made["uid"] is None
    assert made["project_id"] == stack.project_a
    _active(stack, made["id"])
    assert stack.compute.instances[made["id"]].confined_uid is None
    fault(stack.api.get(f"{INSTANCES}/web", token=t.member_a), 403)
    expect(stack.api.delete(f"{INSTANCES}/web", token=t.admin), 204)


@PROJECTS
def test_a_members_instance_is_confined_and_its_projects_own(stack: Stack) -> None:
    t = stack.tokens
    network = _network(stack, t.member_a)
    made = _create(stack, t.member_a, "web", network, command=["livia", "httpd"])
    assert made["confined"] is True and made["project_id"] == stack.project_a
    assert CONFINED_ID_FIRST <= made["uid"] < CONFINED_ID_FIRST + CONFINED_ID_COUNT
    _active(stack, made["id"])
    assert stack.compute.instances[made["id"]].confined_uid == made["uid"]
    other = _create(stack, t.member_a, "web2", network)
    assert other["confined"] is True and other["uid"] != made["uid"]
    # Readers read; they do not write.
    for path in (f"{INSTANCES}/web", f"{INSTANCES}/{made['id']}"):
        assert expect(stack.api.get(path, token=t.reader_a), 200)["instance"]["id"] == made["id"]
    listed = expect(stack.api.get(INSTANCES, token=t.reader_a), 200)["instances"]
    assert {i["id"] for i in listed} == {made["id"], other["id"]}
    fault(stack.api.post(INSTANCES, token=t.reader_a, json={"instance": {
        "name": "web3", "network_id": network}}), 403)
    fault(stack.api.delete(f"{INSTANCES}/web", token=t.reader_a), 403)
    # Another project sees nothing of it and cannot use A's network: both answer as
    # if they did not exist.
    assert expect(stack.api.get(INSTANCES, token=t.member_b), 200)["instances"] == []
    for key in ("web", made["id"]):
        assert fault(stack.api.get(f"{INSTANCES}/{key}", token=t.member_b), 404) == (
            f"Instance {key} not found.")
        fault(stack.api.delete(f"{INSTANCES}/{key}", token=t.member_b), 404)
    random = str(uuid.uuid4())
    theirs = fault(stack.api.post(INSTANCES, token=t.member_b, json={"instance": {
        "name": "x", "network_id": network}}), 404)
    missing = fault(stack.api.post(INSTANCES, token=t.member_b, json={"instance": {
        "name": "x", "network_id": random}}), 404)
    assert theirs.replace(network, "<id>") == missing.replace(random, "<id>")
    fault(stack.api.post(INSTANCES, token=t.member_a, json={"instance": {
        "name": "x", "network_id": network, "project_id": stack.project_b}}), 403)
    # Still there, still A's; its member deletes it.
    assert _active(stack, made["id"])["project_id"] == stack.project_a
    expect(stack.api.delete(f"{INSTANCES}/web", token=t.member_a), 204)
    stack.wait_until(lambda: stack.api.get(f"{INSTANCES}/{made['id']}", token=t.admin
                                           ).status_code == 404, "the instance gone")


@PROJECTS
def test_names_are_unique_per_project(stack: Stack) -> None:
    t = stack.tokens
    a = _create(stack, t.member_a, "web", _network(stack, t.member_a))
    b = _create(stack, t.member_b, "web", _network(stack, t.member_b))
    assert a["uid"] != b["uid"]
    for token, mine in ((t.member_a, a), (t.member_b, b)):
        assert expect(stack.api.get(f"{INSTANCES}/web", token=token), 200)["instance"][
            "id"] == mine["id"]
    again = fault(stack.api.post(INSTANCES, token=t.member_a, json={"instance": {
        "name": "web", "network_id": a["network_id"]}}), 409)
    assert again == "An instance named web already exists."
    # The admin must say which one it means.
    for method in ("GET", "DELETE"):
        message = fault(stack.api.request(method, f"{INSTANCES}/web", token=t.admin), 409)
        assert "2 projects" in message and "id" in message
    assert expect(stack.api.get(f"{INSTANCES}/{a['id']}", token=t.admin), 200)[
        "instance"]["project_id"] == stack.project_a
    # B deletes its own "web" only.
    expect(stack.api.delete(f"{INSTANCES}/web", token=t.member_b), 204)
    stack.wait_until(lambda: stack.api.get(f"{INSTANCES}/{b['id']}", token=t.admin
                                           ).status_code == 404, "B's instance gone")
    assert expect(stack.api.get(f"{INSTANCES}/web", token=t.admin), 200)["instance"][
        "id"] == a["id"]
    # B may take the name again; an instance named like another's id is found by its name
    # only by its own project.
    c = _create(stack, t.member_b, a["id"], b["network_id"])
    assert expect(stack.api.get(f"{INSTANCES}/{a['id']}", token=t.member_a), 200)[
        "instance"]["id"] == a["id"]
    assert expect(stack.api.get(f"{INSTANCES}/{a['id']}", token=t.member_b), 200)[
        "instance"]["id"] == c["id"]


def test_command_and_name_are_capped(stack: Stack) -> None:
    admin = stack.tokens.admin
    network = _network(stack, stack.tokens.member_a)
    too_many = ["echo"] * (MAX_COMMAND_ARGS + 1)
    _create(stack, admin, "many", network, status=400, command=too_many)
    _create(stack, admin, "long", network, status=400,
            command=["echo", "x" * (MAX_COMMAND_LENGTH - 3)])
    _create(stack, admin, "nul", network, status=400, command=["echo", "a\0b"])
    _create(stack, admin, "none", network, status=400, command=[])
    _create(stack, admin, "n" * (MAX_NAME_LENGTH + 1), network, status=400)
    _create(stack, admin, "-dash", network, status=400)
    fits = ["echo"] * (MAX_COMMAND_ARGS - 1) + ["x" * (MAX_COMMAND_LENGTH - 4 * 64)]
    assert _create(stack, admin, "n" * MAX_NAME_LENGTH, network, command=fits)["command"] == fits
