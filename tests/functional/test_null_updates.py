"""``null`` in an update: a field with a default goes back to it; one without is a 400.

Octavia (and Livia before these tests) answered some of these with a 500: the null
reached a NOT NULL column.
"""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault
from pydantic import BaseModel

from livia.api.schemas.floatingips import FloatingIpUpdate
from livia.api.schemas.healthmonitors import HealthMonitorUpdate
from livia.api.schemas.l7policies import L7PolicyUpdate
from livia.api.schemas.l7rules import L7RuleUpdate
from livia.api.schemas.listeners import ListenerUpdate
from livia.api.schemas.loadbalancers import LoadBalancerUpdate
from livia.api.schemas.members import MemberUpdate
from livia.api.schemas.networks import NetworkUpdate, SubnetUpdate
from livia.api.schemas.pools import PoolUpdate
from livia.api.schemas.ports import PortUpdate
from livia.api.schemas.security_groups import GroupUpdate


def test_null_resets_to_the_default_or_is_400(stack: Stack) -> None:
    tree = stack.one_of_each()
    lb, listener, pool, monitor, member, policy, rule = (tree[k] for k in (
        "loadbalancer", "listener", "pool", "healthmonitor", "member", "l7policy", "rule"))
    objects: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
        (f"{LBAAS}/loadbalancers/{lb['id']}", "loadbalancer",
         {"admin_state_up": True, "name": "", "description": "", "tags": []}, ()),
        (f"{LBAAS}/listeners/{listener['id']}", "listener",
         {"admin_state_up": True, "name": "", "connection_limit": -1, "insert_headers": {},
          "allowed_cidrs": None, "default_pool_id": None}, ()),
        (f"{LBAAS}/pools/{pool['id']}", "pool",
         {"admin_state_up": True, "tls_enabled": False, "session_persistence": None},
         ("lb_algorithm",)),
        (f"{LBAAS}/healthmonitors/{monitor['id']}", "healthmonitor",
         {"admin_state_up": True, "max_retries_down": 3, "expected_codes": "200"},
         ("delay", "timeout", "max_retries")),
        (f"{LBAAS}/pools/{pool['id']}/members/{member['id']}", "member",
         {"admin_state_up": True, "weight": 1, "backup": False, "monitor_port": None}, ()),
        (f"{LBAAS}/l7policies/{policy['id']}", "l7policy",
         {"admin_state_up": True, "name": ""}, ("action", "position")),
        (f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}", "rule",
         {"admin_state_up": True, "invert": False, "key": None},
         ("type", "compare_type", "value")),
    ]
    for path, key, defaults, required in objects:
        for field in required:
            message = fault(stack.api.put(path, json={key: {field: None}}), 400)
            assert field in message
        out = expect(stack.api.put(path, json={key: dict.fromkeys(defaults)}), 200)[key]
        assert {k: out[k] for k in defaults} == defaults, key
        stack.wait_for(lb["id"])
    assert expect(stack.api.get(f"{LBAAS}/pools/{pool['id']}"), 200)["pool"][
        "lb_algorithm"] == "ROUND_ROBIN"


UPDATES: tuple[tuple[str, type[BaseModel]], ...] = (
    ("loadbalancer", LoadBalancerUpdate), ("listener", ListenerUpdate), ("pool", PoolUpdate),
    ("healthmonitor", HealthMonitorUpdate), ("member", MemberUpdate),
    ("l7policy", L7PolicyUpdate), ("rule", L7RuleUpdate), ("network", NetworkUpdate),
    ("subnet", SubnetUpdate), ("port", PortUpdate), ("security_group", GroupUpdate),
    ("floatingip", FloatingIpUpdate),
)


def _paths(stack: Stack) -> tuple[str, dict[str, str]]:
    token = stack.tokens.admin
    lb = stack.create_lb(token=token)
    listener = stack.create_listener(lb["id"], token=token)
    pool = stack.create_pool(lb["id"], listener_id=listener["id"], token=token)
    monitor = stack.create_monitor(lb["id"], pool["id"], token=token)
    member = stack.create_member(lb["id"], pool["id"], token=token)
    policy = stack.create_policy(lb["id"], listener["id"], token=token)
    rule = stack.create_rule(lb["id"], policy["id"], token=token)
    subnet = expect(stack.api.get(f"/v2.0/subnets/{stack.vip_subnet(token)}", token=token),
                    200)["subnet"]
    port = expect(stack.api.post("/v2.0/ports", token=token, json={"port": {
        "network_id": subnet["network_id"]}}), 201)["port"]
    group = expect(stack.api.post("/v2.0/security-groups", token=token, json={
        "security_group": {"name": "lvt-null"}}), 201)["security_group"]
    ext = expect(stack.api.post("/v2.0/networks", token=token, json={"network": {
        "name": "lvt-ext", "router:external": True}}), 201)["network"]
    expect(stack.api.post("/v2.0/subnets", token=token, json={"subnet": {
        "network_id": ext["id"], "cidr": "10.250.0.0/24"}}), 201)
    fip = expect(stack.api.post("/v2.0/floatingips", token=token, json={"floatingip": {
        "floating_network_id": ext["id"]}}), 201)["floatingip"]
    return lb["id"], {
        "loadbalancer": f"{LBAAS}/loadbalancers/{lb['id']}",
        "listener": f"{LBAAS}/listeners/{listener['id']}",
        "pool": f"{LBAAS}/pools/{pool['id']}",
        "healthmonitor": f"{LBAAS}/healthmonitors/{monitor['id']}",
        "member": f"{LBAAS}/pools/{pool['id']}/members/{member['id']}",
        "l7policy": f"{LBAAS}/l7policies/{policy['id']}",
        "rule": f"{LBAAS}/l7policies/{policy['id']}/rules/{rule['id']}",
        "network": f"/v2.0/networks/{subnet['network_id']}",
        "subnet": f"/v2.0/subnets/{subnet['id']}",
        "port": f"/v2.0/ports/{port['id']}",
        "security_group": f"/v2.0/security-groups/{group['id']}",
        "floatingip": f"/v2.0/floatingips/{fip['id']}",
    }


def test_null_in_any_update_field_is_never_a_server_error(stack: Stack) -> None:
    """Every field of every update schema, set to null alone: 200 or 400, never 500."""
    lb_id, paths = _paths(stack)
    seen = 0
    for key, model in UPDATES:
        for name, info in model.model_fields.items():
            field = info.alias or name
            response = stack.api.put(paths[key], json={key: {field: None}},
                                     token=stack.tokens.admin)
            assert response.status_code in (200, 400), (key, field, response.text)
            if response.status_code == 400:
                assert field in fault(response, 400), (key, field)
            seen += 1
            if paths[key].startswith(LBAAS):
                stack.wait_for(lb_id)
    assert seen > 60


def test_subnet_enable_dhcp_null_is_400(stack: Stack) -> None:
    subnet = stack.vip_subnet()
    message = fault(stack.api.put(f"/v2.0/subnets/{subnet}",
                                  json={"subnet": {"enable_dhcp": None}}), 400)
    assert "enable_dhcp" in message
