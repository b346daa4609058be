"""``null`` in an update: a field with a default goes back to it; one without is a 400.

Octavia (and Livia before these tests) answered some of these with a 500: the null
reached a NOT NULL column.
"""

from __future__ import annotations

from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault


def test_null_resets_to_the_default_or_is_400(stack: Stack) -> None:
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    pool = stack.create_pool(lb["id"], listener_id=listener["id"])
    monitor = stack.create_monitor(lb["id"], pool["id"])
    member = stack.create_member(lb["id"], pool["id"])
    policy = stack.create_policy(lb["id"], listener["id"])
    rule = stack.create_rule(lb["id"], policy["id"])
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
