"""A ComputeDriver in memory: the same names, paths and idempotency as ``compute_netns``.

Nothing runs and nothing is written. Whether an amphora or instance exists
follows the namespaces in its :class:`FakeNetworkDriver` (pass the one the
controller under test uses), so ``cleanup`` there removes them here too.
"""

from __future__ import annotations

import dataclasses

from livia.domain.settings import Settings
from livia.drivers.compute import AmphoraBoot, AmphoraHost, InstanceBoot, InstanceHost
from livia.drivers.compute_netns import INSTANCE_IFNAME, MGMT_IFNAME
from livia.drivers.network_fake import FailureSwitch, FakeNetworkDriver
from livia.drivers.network_netns import HostNames


class FakeComputeDriver:
    """Records amphorae, instances and agent starts; ``fail_next`` makes a method fail once."""

    def __init__(self, settings: Settings, network: FakeNetworkDriver | None = None) -> None:
        self._settings = settings
        self.network = network or FakeNetworkDriver(settings)
        self.names = HostNames(settings.name_prefix)
        self.amphorae: dict[str, AmphoraBoot] = {}
        self.instances: dict[str, InstanceBoot] = {}
        self.agents_running: set[str] = set()
        self.agent_starts: dict[str, int] = {}  # amphora id -> how often its agent was started
        self.calls: list[tuple[str, str]] = []
        self._failures = FailureSwitch(
            frozenset(
                {
                    "create_amphora",
                    "delete_amphora",
                    "amphora_exists",
                    "create_instance",
                    "delete_instance",
                }
            )
        )

    def fail_next(self, method: str, error: Exception) -> None:
        self._failures.fail_next(method, error)

    def stop_agent(self, amphora_id: str) -> None:
        """As if the agent had crashed: the next create_amphora starts it again."""
        self.agents_running.discard(amphora_id)

    def _enter(self, method: str, object_id: str) -> None:
        self.calls.append((method, object_id))
        self._failures.check(method)

    def amphora_host(self, amphora_id: str) -> AmphoraHost:
        mgmt = self.names.amphora_mgmt_netns(amphora_id)
        return AmphoraHost(
            compute_id=mgmt,
            mgmt_netns=mgmt,
            data_netns=self.names.amphora_data_netns(amphora_id),
            base_dir=str(self._settings.amphorae_dir / amphora_id),
        )

    async def create_amphora(self, boot: AmphoraBoot) -> AmphoraHost:
        self._enter("create_amphora", boot.amphora_id)
        amphora = self.amphora_host(boot.amphora_id)
        namespaces = {amphora.mgmt_netns, amphora.data_netns}
        if not namespaces <= self.network.namespaces:  # an agent cannot outlive its namespace
            self.agents_running.discard(boot.amphora_id)
        self.network.namespaces.update(namespaces)
        port = dataclasses.replace(boot.mgmt_port, netns=amphora.mgmt_netns, ifname=MGMT_IFNAME)
        await self.network.plug_port(port)
        self.amphorae.setdefault(boot.amphora_id, boot)
        if boot.amphora_id not in self.agents_running:
            self.agents_running.add(boot.amphora_id)
            self.agent_starts[boot.amphora_id] = self.agent_starts.get(boot.amphora_id, 0) + 1
        return amphora

    async def delete_amphora(self, amphora_id: str) -> None:
        self._enter("delete_amphora", amphora_id)
        amphora = self.amphora_host(amphora_id)
        self.network.remove_namespaces([amphora.mgmt_netns, amphora.data_netns])
        self.amphorae.pop(amphora_id, None)
        self.agents_running.discard(amphora_id)

    async def amphora_exists(self, amphora_id: str) -> bool:
        self._enter("amphora_exists", amphora_id)
        amphora = self.amphora_host(amphora_id)
        return {amphora.mgmt_netns, amphora.data_netns} <= self.network.namespaces

    def instance_host(self, instance_id: str) -> InstanceHost:
        directory = self._settings.instances_dir / HostNames.checked_id(instance_id)
        return InstanceHost(
            netns=self.names.instance_netns(instance_id),
            pid=None,  # nothing runs; a made-up pid could be signalled by mistake
            log_path=str(directory / "output.log"),
        )

    async def create_instance(self, boot: InstanceBoot) -> InstanceHost:
        self._enter("create_instance", boot.instance_id)
        instance = self.instance_host(boot.instance_id)
        self.network.namespaces.add(instance.netns)
        port = dataclasses.replace(boot.port, netns=instance.netns, ifname=INSTANCE_IFNAME)
        await self.network.plug_port(port)
        self.instances.setdefault(boot.instance_id, boot)
        return instance

    async def delete_instance(self, instance_id: str) -> None:
        self._enter("delete_instance", instance_id)
        self.network.remove_namespaces([self.instance_host(instance_id).netns])
        self.instances.pop(instance_id, None)

    def instance_exists(self, instance_id: str) -> bool:
        return self.instance_host(instance_id).netns in self.network.namespaces
