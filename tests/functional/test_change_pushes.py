"""What a change sends to the amphorae: only the configurations it changed."""

from __future__ import annotations

import time

from lbaas_stack import LBAAS, Stack, expect


def test_repeated_changes_send_only_haproxy(stack: Stack) -> None:
    """Settling a change must not make the next one re-send every configuration."""
    lb = stack.create_lb()
    listener = stack.create_listener(lb["id"])
    for limit in (100, 200):
        time.sleep(1.05)  # timestamps have second precision: the next change in a new second
        sent = len(stack.agents.calls)
        expect(stack.api.put(f"{LBAAS}/listeners/{listener['id']}", json={"listener": {
            "connection_limit": limit}}, token=stack.tokens.member_a), 200)
        stack.wait_until(lambda n=sent: len(stack.agents.calls) > n, "the change pushed")
        assert stack.wait_for(lb["id"])["provisioning_status"] == "ACTIVE"
        methods = {method for method, _ in stack.agents.calls[sent:]}
        assert methods == {"put_haproxy"}, (limit, stack.agents.calls[sent:])
