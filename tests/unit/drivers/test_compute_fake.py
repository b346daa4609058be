"""FakeComputeDriver: names, paths and idempotency of the netns driver, in memory."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from livia.domain.errors import PermanentError, TemporaryError
from livia.domain.settings import Settings
from livia.drivers.compute import AmphoraBoot, ComputeDriver, InstanceBoot
from livia.drivers.compute_fake import FakeComputeDriver
from livia.drivers.network import LB_MGMT_NET, PortPlug
from livia.drivers.network_fake import FakeNetworkDriver
from livia.protocol.agent import AgentBootConfig, AgentRuntimeConfig

AMP = "0f4b2d9e-1111-4222-8333-444455556666"
NET = "6a1e3b4c-0000-4000-8000-000000000001"


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", name_prefix="lvt")


@pytest.fixture
def compute(settings: Settings) -> FakeComputeDriver:
    driver = FakeComputeDriver(settings)
    run(driver.network.ensure_mgmt_network("198.18.0.1/20"))
    run(driver.network.ensure_network(NET))
    return driver


def boot(compute: FakeComputeDriver, amphora_id: str = AMP) -> AmphoraBoot:
    base = compute.amphora_host(amphora_id).base_dir
    agent = AgentBootConfig(
        amphora_id=amphora_id,
        base_dir=base,
        data_netns=compute.amphora_host(amphora_id).data_netns,
        listen_address="198.18.0.10",
        listen_port=9443,
        server_cert=f"{base}/certs/server.pem",
        server_key=f"{base}/certs/server.key",
        client_ca=f"{base}/certs/client_ca.pem",
        heartbeat_key_file=f"{base}/certs/heartbeat.key",
        runtime=AgentRuntimeConfig(heartbeat_interval=1.0, health_targets=("198.18.0.1:5555",)),
    )
    port = PortPlug(
        port_id=f"mgmt-{amphora_id}",
        network_id=LB_MGMT_NET,
        mac_address="fa:16:3e:00:00:10",
        netns="",
        ifname="",
        addresses=("198.18.0.10/20",),
    )
    return AmphoraBoot(amphora_id, port, agent, b"cert", b"key", b"ca", b"hb")


def instance_boot(instance_id: str = "i1") -> InstanceBoot:
    port = PortPlug("ip1", NET, "fa:16:3e:00:00:20", "", "", ("10.0.0.7/24",), "10.0.0.1")
    return InstanceBoot(instance_id, "web", port, ("sleep", "30"))


def test_is_a_compute_driver(compute: FakeComputeDriver) -> None:
    driver: ComputeDriver = compute
    assert driver is compute


def test_amphora_host_names_and_paths(compute: FakeComputeDriver, settings: Settings) -> None:
    amphora = compute.amphora_host(AMP)
    assert amphora.mgmt_netns == f"lvt-amp-{AMP}-mgmt" == amphora.compute_id
    assert amphora.data_netns == f"lvt-amp-{AMP}-data"
    assert amphora.base_dir == str(settings.state_dir / "amphorae" / AMP)
    assert not Path(amphora.base_dir).exists()  # the fake writes nothing


def test_create_amphora_plugs_mgmt_port_into_mgmt_namespace(compute: FakeComputeDriver) -> None:
    amphora = run(compute.create_amphora(boot(compute)))
    assert run(compute.amphora_exists(AMP))
    plugged = compute.network.ports[f"mgmt-{AMP}"]
    assert (plugged.netns, plugged.ifname) == (amphora.mgmt_netns, "eth0")
    assert compute.agent_starts == {AMP: 1}


def test_create_twice_starts_the_agent_once_and_again_after_a_crash(
    compute: FakeComputeDriver,
) -> None:
    run(compute.create_amphora(boot(compute)))
    run(compute.create_amphora(boot(compute)))
    assert compute.agent_starts == {AMP: 1}
    compute.stop_agent(AMP)
    run(compute.create_amphora(boot(compute)))
    assert compute.agent_starts == {AMP: 2}


def test_delete_amphora_takes_its_ports_and_is_idempotent(compute: FakeComputeDriver) -> None:
    amphora = run(compute.create_amphora(boot(compute)))
    vip = PortPlug("vip", NET, "fa:16:3e:00:00:11", amphora.data_netns, "eth1")
    run(compute.network.plug_port(vip))
    run(compute.delete_amphora(AMP))
    run(compute.delete_amphora(AMP))
    assert not run(compute.amphora_exists(AMP))
    assert compute.network.ports == {}
    assert compute.amphorae == {}


def test_network_cleanup_removes_amphorae_and_their_agents(compute: FakeComputeDriver) -> None:
    run(compute.create_amphora(boot(compute)))
    run(compute.network.cleanup())
    assert not run(compute.amphora_exists(AMP))
    run(compute.network.ensure_mgmt_network("198.18.0.1/20"))
    run(compute.create_amphora(boot(compute)))
    assert compute.agent_starts == {AMP: 2}


def test_mgmt_port_failure_surfaces(compute: FakeComputeDriver) -> None:
    compute.network.fail_next("plug_port", TemporaryError("bridge busy"))
    with pytest.raises(TemporaryError, match="bridge busy"):
        run(compute.create_amphora(boot(compute)))
    assert compute.agent_starts == {}


def test_fail_next_on_compute(compute: FakeComputeDriver) -> None:
    compute.fail_next("delete_amphora", PermanentError("stuck"))
    with pytest.raises(PermanentError, match="stuck"):
        run(compute.delete_amphora(AMP))
    run(compute.delete_amphora(AMP))
    with pytest.raises(ValueError):
        compute.fail_next("create_amphorae", PermanentError("x"))


def test_instances(compute: FakeComputeDriver, settings: Settings) -> None:
    instance = run(compute.create_instance(instance_boot()))
    assert instance.netns == "lvt-inst-i1"
    assert instance.log_path == str(settings.state_dir / "instances" / "i1" / "output.log")
    assert instance.pid is None
    assert compute.network.ports["ip1"].netns == "lvt-inst-i1"
    assert compute.instance_exists("i1")
    run(compute.create_instance(instance_boot()))
    run(compute.delete_instance("i1"))
    run(compute.delete_instance("i1"))
    assert not compute.instance_exists("i1")
    assert compute.network.ports == {}


def test_instance_needs_its_network(settings: Settings) -> None:
    compute = FakeComputeDriver(settings, FakeNetworkDriver(settings))
    with pytest.raises(PermanentError, match="no bridge"):
        run(compute.create_instance(instance_boot()))


def test_ids_that_are_not_names_are_refused(compute: FakeComputeDriver) -> None:
    with pytest.raises(PermanentError):
        compute.amphora_host("../../etc")
    with pytest.raises(PermanentError):
        compute.instance_host("a b")
