"""Member weight and admin-state changes reach a real HAProxy without a reload.

The agent applies them through the worker's stats socket (``set server``); these
tests check that the traffic split follows, that no amphora's master reloaded,
and that the file on disk says the same for the next reload. One tenant network
(10.69.0.0/24) with two web instances and a client.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    bodies,
    change,
    create_lb,
    haproxy_cfg,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
)
from livia_host import LiviaHost

from livia.agent.haproxy_cli import ask_unix, parse_show_proc

pytestmark = pytest.mark.e2e

W1, W2, CLIENT = "10.69.0.11", "10.69.0.12", "10.69.0.50"
REQUESTS = 200


@pytest.fixture(scope="module")
def subnet(livia: LiviaHost) -> str:
    network_id, subnet_id = livia.network("lvt-runtime", "10.69.0.0/24")
    livia.web("w1", network_id, W1)
    livia.web("w2", network_id, W2)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    return subnet_id


def reloads(livia: LiviaHost, lb_id: str) -> dict[str, int]:
    """amphora id -> how many times its HAProxy master reloaded."""
    out = {}
    for amphora in livia.amphorae(lb_id):
        sock = Path(livia.state_dir) / "amphorae" / amphora["id"] / "haproxy" / "master.sock"
        state = parse_show_proc(ask_unix(str(sock), "show proc"))
        assert state is not None, f"no master state from {sock}"
        out[amphora["id"]] = state.reloads
    return out


def split(livia: LiviaHost, vip: str) -> dict[str, int]:
    seen = bodies(probe(livia, "client", vip, count=REQUESTS))
    assert sum(seen.values()) == REQUESTS and seen["w1"] + seen["w2"] == REQUESTS, seen
    return {"w1": seen["w1"], "w2": seen["w2"]}


def test_weight_change_moves_the_split_without_a_reload(livia: LiviaHost, subnet: str,
                                                         lbs: list[str]) -> None:
    lb = create_lb(livia, subnet, pool_body([member(W1, 1), member(W2, 1)]))
    lbs.append(lb.id)
    before = split(livia, lb.vip)
    assert abs(before["w2"] / REQUESTS - 1 / 2) <= 0.1, before
    reloaded = reloads(livia, lb.id)
    change(livia, lb.id, "PUT", f"/v2/lbaas/pools/{lb.pool_id}/members/{lb.member_ids[W2]}",
           {"member": {"weight": 3}})
    after = split(livia, lb.vip)
    print(f"weights 1:1 {before} -> 1:3 {after}")
    assert abs(after["w2"] / REQUESTS - 3 / 4) <= 0.1, after
    assert reloads(livia, lb.id) == reloaded, "a weight change reloaded HAProxy"
    for amphora in livia.amphorae(lb.id):
        assert f"{lb.member_ids[W2]} {W2}:80 weight 3" in haproxy_cfg(livia, amphora["id"])


def test_disable_and_enable_a_member_without_a_reload(livia: LiviaHost, subnet: str,
                                                      lbs: list[str]) -> None:
    lb = create_lb(livia, subnet, pool_body([member(W1, 1), member(W2, 1)]))
    lbs.append(lb.id)
    reloaded = reloads(livia, lb.id)
    path = f"/v2/lbaas/pools/{lb.pool_id}/members/{lb.member_ids[W1]}"
    change(livia, lb.id, "PUT", path, {"member": {"admin_state_up": False}})
    assert split(livia, lb.vip) == {"w1": 0, "w2": REQUESTS}
    change(livia, lb.id, "PUT", path, {"member": {"admin_state_up": True}})
    back = split(livia, lb.vip)
    assert abs(back["w1"] / REQUESTS - 1 / 2) <= 0.1, back
    assert reloads(livia, lb.id) == reloaded, "an admin-state change reloaded HAProxy"


def test_reload_after_runtime_changes_follows_the_new_file(livia: LiviaHost, subnet: str,
                                                           lbs: list[str]) -> None:
    """Disabled and re-weighted at runtime, then undone in a change that needs a reload.

    HAProxy keeps a server's saved weight and maintenance across a reload when its
    configuration compares equal to the one the worker started from; the agent
    saves the state as if the worker had started from what it runs.
    """
    lb = create_lb(livia, subnet, pool_body([member(W1, 1), member(W2, 1)]))
    lbs.append(lb.id)
    path = f"/v2/lbaas/pools/{lb.pool_id}/members"
    change(livia, lb.id, "PUT", f"{path}/{lb.member_ids[W1]}",
           {"member": {"admin_state_up": False, "weight": 5}})
    assert split(livia, lb.vip) == {"w1": 0, "w2": REQUESTS}
    reloaded = reloads(livia, lb.id)
    # One batch: W1 back to enabled and weight 1, and a third (disabled) member added.
    change(livia, lb.id, "PUT", path, {"members": [
        member(W1, 1, admin_state_up=True), member(W2, 1),
        member("10.69.0.13", 1, admin_state_up=False)]})
    assert all(n > reloaded[a] for a, n in reloads(livia, lb.id).items()), "no reload"
    back = split(livia, lb.vip)
    print(f"after the reload: {back}")
    assert abs(back["w1"] / REQUESTS - 1 / 2) <= 0.1, back
