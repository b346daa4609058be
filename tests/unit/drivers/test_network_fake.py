"""FakeNetworkDriver: the netns driver's rules, in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from livia.domain.errors import PermanentError, TemporaryError
from livia.domain.settings import Settings
from livia.drivers.network import LB_MGMT_NET, FloatingIpPlumbing, NetworkDriver, PortPlug
from livia.drivers.network_fake import FakeNetworkDriver

NET = "6a1e3b4c-0000-4000-8000-000000000001"
EXT = "6a1e3b4c-0000-4000-8000-000000000002"


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def plug(port_id: str = "p1", netns: str = "ns1", network_id: str = NET) -> PortPlug:
    return PortPlug(
        port_id=port_id,
        network_id=network_id,
        mac_address="fa:16:3e:00:00:01",
        netns=netns,
        ifname="eth1",
        addresses=("10.0.0.5/24",),
    )


def fip() -> FloatingIpPlumbing:
    return FloatingIpPlumbing(
        floatingip_id="f1",
        external_network_id=EXT,
        floating_address="10.9.0.50/24",
        external_mac="fa:16:3e:00:00:0a",
        internal_network_id=NET,
        internal_address="10.0.0.3/24",
        internal_mac="fa:16:3e:00:00:0b",
        target_address="10.0.0.100",
    )


@pytest.fixture
def network() -> FakeNetworkDriver:
    driver = FakeNetworkDriver(Settings(name_prefix="lvt"))
    driver.namespaces.add("ns1")
    return driver


def test_is_a_network_driver(network: FakeNetworkDriver) -> None:
    driver: NetworkDriver = network
    assert driver is network


def test_ensure_network_is_idempotent_and_keeps_the_first_mtu(network: FakeNetworkDriver) -> None:
    run(network.ensure_network(NET, 1450))
    run(network.ensure_network(NET, 9000))
    assert network.networks == {NET: 1450}


def test_plug_needs_the_bridge_and_the_namespace(network: FakeNetworkDriver) -> None:
    with pytest.raises(PermanentError, match="no bridge"):
        run(network.plug_port(plug()))
    run(network.ensure_network(NET))
    with pytest.raises(PermanentError, match="namespace nsX does not exist"):
        run(network.plug_port(plug(netns="nsX")))
    assert network.ports == {}


def test_plug_twice_leaves_the_first_plug(network: FakeNetworkDriver) -> None:
    run(network.ensure_network(NET))
    first = plug()
    run(network.plug_port(first))
    run(network.plug_port(PortPlug("p1", NET, "fa:16:3e:00:00:02", "ns1", "eth9")))
    assert network.ports == {"p1": first}


def test_unplug_is_idempotent(network: FakeNetworkDriver) -> None:
    run(network.ensure_network(NET))
    run(network.plug_port(plug()))
    run(network.unplug_port("p1"))
    run(network.unplug_port("p1"))
    assert network.ports == {}


def test_mgmt_ports_need_the_mgmt_network(network: FakeNetworkDriver) -> None:
    mgmt = plug(network_id=LB_MGMT_NET)
    with pytest.raises(PermanentError):
        run(network.plug_port(mgmt))
    run(network.ensure_mgmt_network("198.18.0.1/20"))
    run(network.plug_port(mgmt))
    assert network.ports["p1"].network_id == LB_MGMT_NET


def test_floating_ip_makes_a_namespace_that_removal_takes_away(network: FakeNetworkDriver) -> None:
    with pytest.raises(PermanentError):
        run(network.ensure_floating_ip(fip()))
    run(network.ensure_network(NET))
    run(network.ensure_network(EXT))
    run(network.ensure_floating_ip(fip()))
    assert "lvt-fip-f1" in network.namespaces
    run(network.remove_floating_ip("f1"))
    run(network.remove_floating_ip("f1"))
    assert "lvt-fip-f1" not in network.namespaces
    assert network.floating_ips == {}


def test_fail_next_fails_once_then_works(network: FakeNetworkDriver) -> None:
    network.fail_next("ensure_network", TemporaryError("busy"))
    with pytest.raises(TemporaryError, match="busy"):
        run(network.ensure_network(NET))
    assert network.networks == {}
    run(network.ensure_network(NET))
    assert NET in network.networks


def test_failures_queue_in_order(network: FakeNetworkDriver) -> None:
    network.fail_next("unplug_port", TemporaryError("first"))
    network.fail_next("unplug_port", PermanentError("second"))
    with pytest.raises(TemporaryError):
        run(network.unplug_port("p1"))
    with pytest.raises(PermanentError):
        run(network.unplug_port("p1"))
    run(network.unplug_port("p1"))


def test_fail_next_refuses_unknown_methods(network: FakeNetworkDriver) -> None:
    with pytest.raises(ValueError, match="plug_prot"):
        network.fail_next("plug_prot", TemporaryError("x"))


def test_cleanup_reports_host_names_and_forgets_everything(network: FakeNetworkDriver) -> None:
    run(network.ensure_network(NET))
    run(network.ensure_mgmt_network("198.18.0.1/20"))
    run(network.plug_port(plug()))
    removed = run(network.cleanup())
    assert set(removed) == {
        "ns1",
        network.names.port("p1"),
        network.names.bridge(NET),
        "lvtmgmt",
    }
    assert (network.namespaces, network.ports, network.networks) == (set(), {}, {})
    assert network.mgmt_address is None
    assert run(network.cleanup()) == []


def test_calls_are_recorded(network: FakeNetworkDriver) -> None:
    run(network.ensure_network(NET))
    run(network.unplug_port("p9"))
    assert network.calls == [("ensure_network", NET), ("unplug_port", "p9")]
