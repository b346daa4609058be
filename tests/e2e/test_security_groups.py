"""The load balancer's security group ``lb-<id>`` is enforced by nftables in its amphorae.

One tenant network (10.74.0.0/24) with one web instance and one client; one
ACTIVE_STANDBY load balancer for the module. Port 80 is open because the
listener exists; ICMP is closed until a rule is added through the network API;
deleting the listener closes port 80 again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    Lb,
    bodies,
    create_lb,
    delete_lb,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
    wait_for,
)
from livia_host import LiviaHost

WEB, CLIENT = "10.74.0.11", "10.74.0.50"
PING_BOUND = 10.0  # seconds from the API call to the firewall in force
CLOSE_BOUND = 15.0


@pytest.fixture(scope="module")
def lb(livia: LiviaHost) -> Iterator[Lb]:
    network_id, subnet_id = livia.network("lvt-sg", "10.74.0.0/24")
    livia.web("web", network_id, WEB)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    made = create_lb(livia, subnet_id, pool_body([member(WEB)]))
    try:
        yield made
    finally:
        delete_lb(livia, made.id)


def pings(livia: LiviaHost, address: str) -> bool:
    done = livia.run_in("client", ["ping", "-c", "1", "-W", "1", address], timeout=10)
    return done.returncode == 0


# Runs in the client namespace: one TCP connect, printed as "open", "refused" or "timeout".
CONNECT = r"""
import socket, sys
try:
    socket.create_connection((sys.argv[1], 80), timeout=1).close()
    print("open")
except ConnectionRefusedError:
    print("refused")
except OSError as exc:
    print("timeout" if isinstance(exc, TimeoutError) else f"error {exc!r}")
"""


def tcp80(livia: LiviaHost, address: str) -> str:
    done = livia.run_in("client", [sys.executable, "-c", CONNECT, address], timeout=10)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def lb_group(livia: LiviaHost, lb_id: str) -> dict[str, object]:
    groups = livia.call("GET", f"/v2.0/security-groups?name=lb-{lb_id}")["security_groups"]
    assert len(groups) == 1, f"security groups named lb-{lb_id}: {groups}"
    group: dict[str, object] = groups[0]
    return group


def test_port_80_is_open_and_icmp_closed(livia: LiviaHost, lb: Lb) -> None:
    seen = bodies(probe(livia, "client", lb.vip, count=5))
    assert seen == {"web": 5}, f"HTTP through the VIP: {seen}"
    assert tcp80(livia, lb.vip) == "open"
    assert not pings(livia, lb.vip), "ping to the VIP answered without an ICMP rule"
    # The instance answers pings, so the client's ping itself works.
    assert pings(livia, WEB), "ping to a plain instance fails: the probe is broken"


def test_an_icmp_rule_opens_ping(livia: LiviaHost, lb: Lb) -> None:
    group = lb_group(livia, lb.id)
    livia.call("POST", "/v2.0/security-group-rules", {"security_group_rule": {
        "security_group_id": group["id"], "direction": "ingress", "ethertype": "IPv4",
        "protocol": "icmp"}})
    _, took = wait_for("ping to the VIP after the ICMP rule",
                       lambda: pings(livia, lb.vip), PING_BOUND, interval=0.2)
    print(f"ping answered {took:.2f} s after the ICMP rule was added")
    assert tcp80(livia, lb.vip) == "open", "port 80 closed by adding an ICMP rule"


def test_deleting_the_listener_closes_port_80(livia: LiviaHost, lb: Lb) -> None:
    assert lb.listener_id is not None
    assert tcp80(livia, lb.vip) == "open"
    livia.call("DELETE", f"/v2/lbaas/listeners/{lb.listener_id}")
    livia.wait_lb(lb.id)
    state, took = wait_for("TCP 80 on the VIP closed",
                           lambda: (s := tcp80(livia, lb.vip)) != "open" and s,
                           CLOSE_BOUND, interval=0.2)
    print(f"after the listener was deleted, TCP 80 is {state} ({took:.2f} s)")
    assert state in ("refused", "timeout"), state
    group = lb_group(livia, lb.id)
    rules = livia.call("GET", f"/v2.0/security-group-rules?security_group_id={group['id']}"
                       )["security_group_rules"]
    ports = [r["port_range_min"] for r in rules if r["protocol"] == "tcp"]
    assert 80 not in ports, f"the group still opens port 80: {rules}"
    assert pings(livia, lb.vip), "the user's ICMP rule went with the listener"
