"""Plugging the VIP and member networks: found by MAC, named, addressed, idempotent."""

from __future__ import annotations

import json

from agent_rig import AgentRig

VIP_MAC = "fa:16:3e:00:00:01"
NET_MAC = "fa:16:3e:00:00:02"


def _plug(rig: AgentRig, kind: str, doc: dict[str, object]) -> tuple[int, dict[str, str]]:
    return rig.put(f"plug/{kind}", json.dumps(doc), method="POST")


def _vip(**extra: object) -> dict[str, object]:
    doc: dict[str, object] = {"mac_address": VIP_MAC.upper(), "vrrp_ip": "10.0.0.5",
                              "prefixlen": 24, "gateway": "10.0.0.1",
                              "vip_address": "10.0.0.10", "mtu": 1450}
    doc.update(extra)
    return doc


def test_vip_interface_is_renamed_addressed_routed_and_up(rig: AgentRig) -> None:
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    status, body = _plug(rig, "vip", _vip(host_routes=[
        {"destination": "192.168.0.0/16", "nexthop": "10.0.0.254"}]))
    assert (status, body) == (200, {"result": "configured"})
    ns = rig.runner.netns
    eth1 = ns.links["eth1"]
    assert "lvtmp0" not in ns.links
    assert (eth1.mac, eth1.mtu, eth1.up, eth1.addresses) == (VIP_MAC, 1450, True, {"10.0.0.5/24"})
    assert ns.links["lo"].up
    assert ns.routes == {("default", "10.0.0.1", "eth1"), ("192.168.0.0/16", "10.0.0.254", "eth1")}


def test_second_identical_vip_plug_changes_nothing(rig: AgentRig) -> None:
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    assert _plug(rig, "vip", _vip())[0] == 200
    changes = list(rig.runner.netns.changes)
    status, body = _plug(rig, "vip", _vip())
    assert (status, body) == (200, {"result": "unchanged"})
    assert rig.runner.netns.changes == changes


def test_a_single_amphora_holds_the_vip_itself(rig: AgentRig) -> None:
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    assert _plug(rig, "vip", _vip(hold_vip=True))[1] == {"result": "configured"}
    assert rig.runner.netns.links["eth1"].addresses == {"10.0.0.5/24", "10.0.0.10/24"}
    assert _plug(rig, "vip", _vip(hold_vip=True))[1] == {"result": "unchanged"}


def test_vip_plug_keeps_addresses_keepalived_added(rig: AgentRig) -> None:
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    _plug(rig, "vip", _vip())
    rig.runner.netns.links["eth1"].addresses.add("10.0.0.10/24")  # the VIP, by keepalived
    assert _plug(rig, "vip", _vip())[1] == {"result": "unchanged"}
    assert "10.0.0.10/24" in rig.runner.netns.links["eth1"].addresses


def test_vip_plug_before_the_interface_arrives_is_503(rig: AgentRig) -> None:
    status, body = _plug(rig, "vip", _vip())
    assert status == 503
    assert VIP_MAC.upper() in body["details"]


def test_vip_plug_refuses_when_eth1_is_another_interface(rig: AgentRig) -> None:
    rig.runner.netns.add("eth1", "fa:16:3e:99:99:99")
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    assert _plug(rig, "vip", _vip())[0] == 409


def test_member_networks_take_the_next_free_eth_and_are_idempotent(rig: AgentRig) -> None:
    ns = rig.runner.netns
    ns.add("lvtmp0", VIP_MAC)
    ns.add("lvtmp1", NET_MAC)
    ns.add("lvtmp2", "fa:16:3e:00:00:03")
    _plug(rig, "vip", _vip())
    doc = {"mac_address": NET_MAC, "addresses": ["10.1.0.5/24"], "mtu": 1500}
    assert _plug(rig, "network", doc) == (200, {"result": "configured"})
    assert ns.links["eth2"].mac == NET_MAC and ns.links["eth2"].up
    assert _plug(rig, "network", doc) == (200, {"result": "unchanged"})
    other = {"mac_address": "fa:16:3e:00:00:03", "addresses": ["10.2.0.5/24"]}
    assert _plug(rig, "network", other)[0] == 200
    assert ns.links["eth3"].addresses == {"10.2.0.5/24"}


def test_member_network_addresses_follow_the_request(rig: AgentRig) -> None:
    ns = rig.runner.netns
    ns.add("lvtmp1", NET_MAC)
    _plug(rig, "network", {"mac_address": NET_MAC, "addresses": ["10.1.0.5/24"]})
    _plug(rig, "network", {"mac_address": NET_MAC, "addresses": ["10.1.0.6/24"]})
    assert ns.links["eth2"].addresses == {"10.1.0.6/24"}


def test_network_plug_refuses_the_vip_interface(rig: AgentRig) -> None:
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    _plug(rig, "vip", _vip())
    doc = {"mac_address": VIP_MAC, "addresses": ["10.1.0.5/24"]}
    assert _plug(rig, "network", doc)[0] == 409
    assert rig.runner.netns.links["eth1"].addresses == {"10.0.0.5/24"}


def test_addresses_that_are_not_addresses_are_refused(rig: AgentRig) -> None:
    rig.runner.netns.add("lvtmp0", VIP_MAC)
    assert _plug(rig, "vip", _vip(vrrp_ip="10.0.0.5 dev lo"))[0] == 400
    assert _plug(rig, "vip", _vip(gateway="10.0.0.1\nlink del eth1"))[0] == 400
    assert "lvtmp0" in rig.runner.netns.links
