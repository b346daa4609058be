"""The network port: bridges for networks, veths for ports, NAT for floating IPs.

IP addresses and MACs are decided by the controller (IPAM lives in the
database); a network driver only makes the host match.

Implementations: ``network_netns`` (Linux bridges, veth pairs, nftables) and
``network_fake`` (memory only, for tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

LB_MGMT_NET = "lb-mgmt-net"  # PortPlug.network_id of a port on the management network


@dataclass(frozen=True, slots=True)
class PortPlug:
    """One end of a port on a network's bridge, the other inside a namespace."""

    port_id: str
    network_id: str
    mac_address: str
    netns: str
    ifname: str  # the name the interface gets inside the namespace
    addresses: tuple[str, ...] = ()  # "ip/prefixlen"; empty: the agent addresses it
    gateway: str | None = None
    mtu: int = 1500


@dataclass(frozen=True, slots=True)
class FloatingIpPlumbing:
    """A NAT between an external network and a port on a tenant network."""

    floatingip_id: str
    external_network_id: str
    floating_address: str  # "ip/prefixlen" on the external network
    external_mac: str
    internal_network_id: str
    internal_address: str  # "ip/prefixlen": the NAT's own address on the tenant side
    internal_mac: str
    target_address: str  # the fixed IP (e.g. the VIP) traffic is sent to


class NetworkDriver(Protocol):
    async def ensure_network(self, network_id: str, mtu: int = 1500) -> None:
        """Create the network's bridge if missing. Idempotent."""
        ...

    async def delete_network(self, network_id: str) -> None:
        """Remove the network's bridge. Idempotent."""
        ...

    async def ensure_mgmt_network(self, host_address: str) -> None:
        """Create lb-mgmt-net's bridge and give the host ``host_address`` ("ip/prefixlen") on it."""
        ...

    async def plug_port(self, plug: PortPlug) -> None:
        """Create the veth, attach it to the bridge, move its peer into ``plug.netns``.

        The namespace must exist. Idempotent: a plugged port is left as it is.
        """
        ...

    async def unplug_port(self, port_id: str) -> None:
        """Remove the port's veth. Idempotent."""
        ...

    async def ensure_floating_ip(self, fip: FloatingIpPlumbing) -> None: ...

    async def remove_floating_ip(self, floatingip_id: str) -> None: ...

    async def cleanup(self) -> list[str]:
        """Remove every host resource this driver's prefix names; return what was removed."""
        ...
