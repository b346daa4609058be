"""schemathesis over ``/openapi.json``: no server error, and every answer as documented.

The app runs over the fake drivers and SQLite (``sqlite_stack``), once with an
admin token and once with a project member's. Each operation gets a bounded
number of generated requests, schema-valid ones and invalid ones
(``POSITIVE_EXAMPLES``, ``NEGATIVE_EXAMPLES``; derandomized, so a run is
reproducible; about 90 s in all): every answer must be a documented status with
the documented body, and invalid input must be refused (``call_and_validate``'s
checks, less ``positive_data_acceptance``). Path ids are, for reads and updates,
those of a tree of objects built first, so that updates reach real objects;
deletes keep the generated ids (mostly 404s), so the tree stays.

`/v2` and `/v2.0` serve the same code: each resource is exercised under one
of them only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from lbaas_stack import LBAAS, Stack, expect
from schemathesis import checks
from schemathesis.generation import GenerationMode

POSITIVE_EXAMPLES = 30
NEGATIVE_EXAMPLES = 10
# A schema cannot say everything the API checks (a VIP needs a subnet, a port or a
# network; a REDIRECT_TO_POOL policy needs its pool): a schema-valid request may be a 400.
EXCLUDED = [checks.positive_data_acceptance]
# No shrinking: a failure is reported as found (shrinking costs minutes per failure).
PHASES = (Phase.explicit, Phase.generate)
SETTLE_TIMEOUT = 5.0
ALIASES = (r"^/v2\.0/(lbaas|octavia|livia)/",
           r"^/v2/(networks|subnets|ports|extensions|security-group|floatingips)")


@dataclass
class Target:
    stack: Stack
    token: str
    ids: dict[str, str]
    lb_id: str


def _tree(stack: Stack) -> tuple[str, dict[str, str]]:
    """A load balancer with one of everything, and the network objects: their ids by name."""
    token = stack.tokens.member_a
    tree = stack.one_of_each()
    lb, listener, pool, monitor, member, policy, rule = (tree[k] for k in (
        "loadbalancer", "listener", "pool", "healthmonitor", "member", "l7policy", "rule"))
    subnet = expect(stack.api.get(f"/v2.0/subnets/{stack.vip_subnet()}"), 200)["subnet"]
    port = expect(stack.api.post("/v2.0/ports", json={"port": {
        "network_id": subnet["network_id"]}}), 201)["port"]
    group = expect(stack.api.post("/v2.0/security-groups", json={"security_group": {
        "name": "lvt-fuzz"}}), 201)["security_group"]
    sg_rule = expect(stack.api.post("/v2.0/security-group-rules", json={
        "security_group_rule": {"security_group_id": group["id"], "direction": "ingress",
                                "protocol": "tcp", "port_range_min": 22,
                                "port_range_max": 22}}), 201)["security_group_rule"]
    amphorae = expect(stack.api.get("/v2/octavia/amphorae", token=stack.tokens.admin),
                      200)["amphorae"]
    return lb["id"], {
        "lb_id": lb["id"], "listener_id": listener["id"], "pool_id": pool["id"],
        "monitor_id": monitor["id"], "member_id": member["id"], "policy_id": policy["id"],
        "l7rule_id": rule["id"], "network_id": subnet["network_id"],
        "subnet_id": subnet["id"], "port_id": port["id"], "group_id": group["id"],
        "sg_rule_id": sg_rule["id"], "amphora_id": amphorae[0]["id"], "token": token,
    }


@pytest.fixture(params=["admin", "member"])
def target(request: pytest.FixtureRequest, sqlite_stack: Stack) -> Iterator[Target]:
    lb_id, ids = _tree(sqlite_stack)
    token = sqlite_stack.tokens.admin if request.param == "admin" else ids["token"]
    yield Target(stack=sqlite_stack, token=token, ids=ids, lb_id=lb_id)


def _schema(target: Target) -> Any:
    schema = schemathesis.openapi.from_asgi("/openapi.json", target.stack.api.client.app)
    for alias in ALIASES:
        schema = schema.exclude(path_regex=alias)
    return schema


def _real_ids(operation: Any, ids: dict[str, str]) -> dict[str, str]:
    """The path ids of the tree for this operation (reads and updates; not deletes)."""
    if operation.method.upper() == "DELETE":
        return {}
    out = {}
    for name in re.findall(r"{(\w+)}", operation.path):
        key = name
        if name == "rule_id":
            key = "l7rule_id" if "/l7policies/" in operation.path else "sg_rule_id"
        if key in ids:
            out[name] = ids[key]
    return out


def _settle(target: Target) -> None:
    """After a change, wait (bounded) until the load balancer is ACTIVE again."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while time.monotonic() < deadline:
        r = target.stack.api.get(f"{LBAAS}/loadbalancers/{target.lb_id}",
                                 token=target.stack.tokens.admin)
        if r.status_code != 200 or r.json()["loadbalancer"]["provisioning_status"] in (
                "ACTIVE", "ERROR"):
            return
        time.sleep(0.02)


def _fuzz(target: Target, operation: Any, mode: GenerationMode, examples: int) -> None:
    strategy = operation.as_strategy(generation_mode=mode,
                                     path_parameters=_real_ids(operation, target.ids) or None)

    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=PHASES)
    def run(case: Any) -> None:
        response = case.call_and_validate(headers={"X-Auth-Token": target.token},
                                          excluded_checks=EXCLUDED)
        if case.method.upper() in ("POST", "PUT") and response.status_code < 300:
            _settle(target)

    run()


def test_api_conforms_to_its_schema(target: Target) -> None:
    failures: list[str] = []
    operations = 0
    for result in _schema(target).get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, examples in ((GenerationMode.POSITIVE, POSITIVE_EXAMPLES),
                               (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)):
            try:
                _fuzz(target, operation, mode, examples)
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all reported
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{str(exc)[:3000]}")
    assert operations > 80
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)
