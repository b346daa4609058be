"""A NetworkDriver in memory: the same rules as ``network_netns``, no host changes.

It also stands for the host's namespaces (``namespaces``), which
``FakeComputeDriver`` adds and removes, so plugging into a namespace that does
not exist fails here as it does on the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from livia.domain.errors import PermanentError
from livia.domain.settings import Settings
from livia.drivers.network import LB_MGMT_NET, FloatingIpPlumbing, PortPlug
from livia.drivers.network_netns import HostNames


@dataclass
class FailureSwitch:
    """Errors queued per method name; each call of that method raises the next one."""

    methods: frozenset[str]
    _queued: dict[str, list[Exception]] = field(default_factory=dict)

    def fail_next(self, method: str, error: Exception) -> None:
        if method not in self.methods:
            raise ValueError(f"no method {method!r} to fail; one of {sorted(self.methods)}")
        self._queued.setdefault(method, []).append(error)

    def check(self, method: str) -> None:
        queued = self._queued.get(method)
        if queued:
            raise queued.pop(0)


class FakeNetworkDriver:
    """Records bridges, ports and floating IPs; ``fail_next`` makes a method fail once."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.names = HostNames((settings or Settings()).name_prefix)
        self.networks: dict[str, int] = {}  # network id -> mtu
        self.mgmt_address: str | None = None
        self.ports: dict[str, PortPlug] = {}
        self.floating_ips: dict[str, FloatingIpPlumbing] = {}
        self.namespaces: set[str] = set()
        self.calls: list[tuple[str, str]] = []  # (method, the id it was called for)
        self._failures = FailureSwitch(
            frozenset(
                {
                    "ensure_network",
                    "delete_network",
                    "ensure_mgmt_network",
                    "plug_port",
                    "unplug_port",
                    "ensure_floating_ip",
                    "remove_floating_ip",
                    "cleanup",
                }
            )
        )

    def fail_next(self, method: str, error: Exception) -> None:
        self._failures.fail_next(method, error)

    def _enter(self, method: str, object_id: str) -> None:
        self.calls.append((method, object_id))
        self._failures.check(method)

    def has_network(self, network_id: str) -> bool:
        if network_id == LB_MGMT_NET:
            return self.mgmt_address is not None
        return network_id in self.networks

    def ports_in(self, netns: str) -> list[PortPlug]:
        return [plug for plug in self.ports.values() if plug.netns == netns]

    async def ensure_network(self, network_id: str, mtu: int = 1500) -> None:
        self._enter("ensure_network", network_id)
        self.networks.setdefault(network_id, mtu)

    async def delete_network(self, network_id: str) -> None:
        self._enter("delete_network", network_id)
        self.networks.pop(network_id, None)

    async def ensure_mgmt_network(self, host_address: str) -> None:
        self._enter("ensure_mgmt_network", host_address)
        self.mgmt_address = host_address

    async def plug_port(self, plug: PortPlug) -> None:
        self._enter("plug_port", plug.port_id)
        self._plug(plug.port_id, plug)

    def _plug(self, key: str, plug: PortPlug) -> None:
        if key in self.ports:
            return
        if not self.has_network(plug.network_id):
            raise PermanentError(f"network {plug.network_id} has no bridge on this host")
        if plug.netns not in self.namespaces:
            raise PermanentError(f"namespace {plug.netns} does not exist")
        self.ports[key] = plug

    async def unplug_port(self, port_id: str) -> None:
        self._enter("unplug_port", port_id)
        self.ports.pop(port_id, None)

    async def ensure_floating_ip(self, fip: FloatingIpPlumbing) -> None:
        self._enter("ensure_floating_ip", fip.floatingip_id)
        for network_id in (fip.external_network_id, fip.internal_network_id):
            if not self.has_network(network_id):
                raise PermanentError(f"network {network_id} has no bridge on this host")
        self.namespaces.add(self.names.fip_netns(fip.floatingip_id))
        self.floating_ips[fip.floatingip_id] = fip

    async def remove_floating_ip(self, floatingip_id: str) -> None:
        self._enter("remove_floating_ip", floatingip_id)
        self.remove_namespaces([self.names.fip_netns(floatingip_id)])
        self.floating_ips.pop(floatingip_id, None)

    def remove_namespaces(self, namespaces: list[str]) -> None:
        """What deleting namespaces does on the host: their ports go with them."""
        for netns in namespaces:
            self.namespaces.discard(netns)
            for port_id in [key for key, plug in self.ports.items() if plug.netns == netns]:
                del self.ports[port_id]

    async def cleanup(self) -> list[str]:
        self._enter("cleanup", "")
        removed = sorted(self.namespaces)
        removed += [self.names.port(port_id) for port_id in sorted(self.ports)]
        removed += [self.names.bridge(network_id) for network_id in sorted(self.networks)]
        if self.mgmt_address is not None:
            removed.append(self.names.mgmt_bridge)
        self.namespaces.clear()
        self.ports.clear()
        self.networks.clear()
        self.floating_ips.clear()
        self.mgmt_address = None
        return removed
