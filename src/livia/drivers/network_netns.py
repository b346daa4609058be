"""Networks as Linux bridges, ports as veth pairs, floating IPs as NAT namespaces.

Naming scheme (``P`` is ``Settings.name_prefix``; ``K(x)`` is a 9-hex-digit key of
the id ``x``: its first 9 hex digits when it is a UUID-like hex string, else the
first 9 hex digits of its SHA-256)::

    P b K(network)      bridge of a tenant network            e.g. lvb3f2a9c01d
    P mgmt              bridge of lb-mgmt-net                  lvmgmt
    P p K(port)         host end of a port's veth              lvp8e41aa0c2
    P f K(fip)          floating-IP NAT: external leg (host)   lvf51c09e7aa
    P g K(fip)          floating-IP NAT: tenant leg (host)     lvg51c09e7aa
    P-amp-<id>-mgmt     an amphora's management namespace
    P-amp-<id>-data     an amphora's data namespace (VIP, HAProxy, keepalived)
    P-inst-<id>         an instance's namespace
    P-fip-<id>          a floating IP's NAT namespace

Interface names have at most 15 characters, so the prefix has at most 5
(lowercase letters and digits, starting with a letter). A port's peer is
created directly inside its namespace under its final name, so no temporary
name is needed. ``cleanup`` removes exactly the names above for its prefix:
``lv`` never touches a test's ``lvt12…``.

Bridges carry no address (tenant networks stay apart from the host and from
the outside) except lb-mgmt-net's, which holds the controller's address. They
run without STP, forward delay or multicast snooping, with a fixed MAC, so a
new port forwards at once and a VRRP takeover is not held up by the bridge.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import re
from pathlib import Path

from livia.domain.errors import DriverError, PermanentError
from livia.domain.settings import Settings
from livia.drivers import host
from livia.drivers.network import LB_MGMT_NET, FloatingIpPlumbing, PortPlug

IFNAMSIZ = 15  # the kernel's limit on an interface name (16 with the NUL)
KEY_LEN = 9
MAX_PREFIX_LEN = IFNAMSIZ - 1 - KEY_LEN
BRIDGE_AGEING_CS = 1000  # FDB entries age out after 10 s (the unit is 1/100 s)
FIP_EXTERNAL_IF = "ext0"
FIP_INTERNAL_IF = "int0"
FIP_TABLE = "livia_fip"
_BR_STATE_FORWARDING = "3"  # /sys/class/net/<port>/brport/state

_PREFIX = re.compile(rf"[a-z][a-z0-9]{{0,{MAX_PREFIX_LEN - 1}}}")
_HEX_ID = re.compile(rf"[0-9a-f]{{{KEY_LEN},}}")
_SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


class HostNames:
    """The names of everything Livia creates on the host, for one prefix."""

    def __init__(self, prefix: str) -> None:
        if not _PREFIX.fullmatch(prefix):
            raise PermanentError(
                f"name_prefix {prefix!r} is not usable: it must be 1 to {MAX_PREFIX_LEN} "
                f"lowercase letters or digits starting with a letter, because interface "
                f"names are at most {IFNAMSIZ} characters and Livia adds {1 + KEY_LEN}"
            )
        self.prefix = prefix
        self._link = re.compile(rf"{prefix}(?:mgmt|[bpfg][0-9a-f]{{{KEY_LEN}}})")
        self._netns = re.compile(rf"{prefix}-(?:amp|inst|fip)-.+")

    @staticmethod
    def checked_id(object_id: str) -> str:
        """Ids become file and namespace names: refuse anything that is not a plain name."""
        if not _SAFE_ID.fullmatch(object_id) or ".." in object_id:
            raise PermanentError(f"id {object_id!r} cannot name a host resource")
        return object_id

    @staticmethod
    def key(object_id: str) -> str:
        compact = object_id.replace("-", "").lower()
        if _HEX_ID.fullmatch(compact):
            return compact[:KEY_LEN]
        return hashlib.sha256(object_id.encode()).hexdigest()[:KEY_LEN]

    @property
    def mgmt_bridge(self) -> str:
        return f"{self.prefix}mgmt"

    def bridge(self, network_id: str) -> str:
        if network_id == LB_MGMT_NET:
            return self.mgmt_bridge
        return f"{self.prefix}b{self.key(network_id)}"

    def port(self, port_id: str) -> str:
        return f"{self.prefix}p{self.key(port_id)}"

    def fip_external(self, floatingip_id: str) -> str:
        return f"{self.prefix}f{self.key(floatingip_id)}"

    def fip_internal(self, floatingip_id: str) -> str:
        return f"{self.prefix}g{self.key(floatingip_id)}"

    def amphora_mgmt_netns(self, amphora_id: str) -> str:
        return f"{self.prefix}-amp-{self.checked_id(amphora_id)}-mgmt"

    def amphora_data_netns(self, amphora_id: str) -> str:
        return f"{self.prefix}-amp-{self.checked_id(amphora_id)}-data"

    def instance_netns(self, instance_id: str) -> str:
        return f"{self.prefix}-inst-{self.checked_id(instance_id)}"

    def fip_netns(self, floatingip_id: str) -> str:
        return f"{self.prefix}-fip-{self.checked_id(floatingip_id)}"

    def owns_link(self, name: str) -> bool:
        return self._link.fullmatch(name) is not None

    def owns_netns(self, name: str) -> bool:
        return self._netns.fullmatch(name) is not None


def bridge_mac(bridge: str) -> str:
    """A fixed, locally administered MAC: a bridge's MAC would otherwise follow its ports."""
    digest = hashlib.sha256(bridge.encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def fip_ruleset(fip: FloatingIpPlumbing) -> str:
    """DNAT the floating address to the target; SNAT toward the tenant so replies return here."""
    floating = ipaddress.IPv4Interface(fip.floating_address).ip
    internal = ipaddress.IPv4Interface(fip.internal_address).ip
    target = ipaddress.IPv4Address(fip.target_address)
    return "\n".join(
        [
            f"table ip {FIP_TABLE} {{}}",
            f"delete table ip {FIP_TABLE}",
            f"table ip {FIP_TABLE} {{",
            "  chain prerouting {",
            "    type nat hook prerouting priority dstnat; policy accept;",
            f'    iifname "{FIP_EXTERNAL_IF}" ip daddr {floating} dnat to {target}',
            "  }",
            "  chain postrouting {",
            "    type nat hook postrouting priority srcnat; policy accept;",
            f'    oifname "{FIP_INTERNAL_IF}" ip daddr {target} snat to {internal}',
            "  }",
            "}",
            "",
        ]
    )


class NetnsNetworkDriver:
    """The NetworkDriver on this host's bridges and namespaces (needs root)."""

    def __init__(self, settings: Settings) -> None:
        self.names = HostNames(settings.name_prefix)

    async def ensure_network(self, network_id: str, mtu: int = 1500) -> None:
        await self._ensure_bridge(self.names.bridge(network_id), mtu)

    async def delete_network(self, network_id: str) -> None:
        await host.delete_links([self.names.bridge(network_id)])

    async def ensure_mgmt_network(self, host_address: str) -> None:
        bridge = self.names.mgmt_bridge
        await self._ensure_bridge(bridge, 1500)
        await host.ip("addr", "replace", str(ipaddress.IPv4Interface(host_address)), "dev", bridge)

    async def _ensure_bridge(self, bridge: str, mtu: int) -> None:
        if host.link_exists(bridge):
            return
        lines = [
            f"link add {bridge} address {bridge_mac(bridge)} mtu {mtu} type bridge stp_state 0 "
            f"forward_delay 0 ageing_time {BRIDGE_AGEING_CS} mcast_snooping 0",
            f"link set {bridge} addrgenmode none up",  # no IPv6 link-local address either
        ]
        try:
            await host.ip_batch(lines)
        except DriverError:
            if not host.link_exists(bridge):  # else another caller created it meanwhile
                raise

    async def plug_port(self, plug: PortPlug) -> None:
        await self._plug(self.names.port(plug.port_id), plug)

    async def unplug_port(self, port_id: str) -> None:
        await host.delete_links([self.names.port(port_id)])

    async def _plug(self, host_if: str, plug: PortPlug) -> None:
        """Veth ``host_if`` on the bridge, its peer ``plug.ifname`` in ``plug.netns``."""
        bridge = self.names.bridge(plug.network_id)
        if host.link_exists(host_if):
            if plug.addresses:
                # Made before, perhaps only half-way (a controller killed between the veth
                # and its addresses): finish it. Every step is idempotent.
                _check_plug(plug)
                await host.ip_batch([f"link set {host_if} master {bridge} up"])
                await host.ip_batch(_inside_lines(plug), netns=plug.netns)
            return
        _check_plug(plug)
        if not host.link_exists(bridge):
            raise PermanentError(f"network {plug.network_id} has no bridge {bridge} on this host")
        if not host.netns_exists(plug.netns):
            raise PermanentError(f"namespace {plug.netns} does not exist")
        await host.ip_batch(
            [
                f"link add {host_if} mtu {plug.mtu} type veth peer name {plug.ifname} "
                f"netns {plug.netns} address {plug.mac_address} mtu {plug.mtu}",
                f"link set {host_if} addrgenmode none master {bridge} up",
            ]
        )
        if not plug.addresses:
            return  # the agent brings it up itself, found by its MAC
        try:
            await host.sysctl(plug.netns, {"net.ipv4.conf.all.arp_notify": "1"})
            await host.ip_batch(_inside_lines(plug), netns=plug.netns)
            await _announce(host_if, plug)
        except DriverError:
            await host.delete_links([host_if])  # leave nothing half-made behind
            raise

    async def ensure_floating_ip(self, fip: FloatingIpPlumbing) -> None:
        netns = self.names.fip_netns(fip.floatingip_id)
        await host.add_namespaces([netns])
        legs = [
            (
                self.names.fip_external(fip.floatingip_id),
                PortPlug(
                    port_id=f"fip-ext-{fip.floatingip_id}",
                    network_id=fip.external_network_id,
                    mac_address=fip.external_mac,
                    netns=netns,
                    ifname=FIP_EXTERNAL_IF,
                    addresses=(fip.floating_address,),
                ),
            ),
            (
                self.names.fip_internal(fip.floatingip_id),
                PortPlug(
                    port_id=f"fip-int-{fip.floatingip_id}",
                    network_id=fip.internal_network_id,
                    mac_address=fip.internal_mac,
                    netns=netns,
                    ifname=FIP_INTERNAL_IF,
                    addresses=(fip.internal_address,),
                ),
            ),
        ]
        for host_if, plug in legs:
            await self._plug(host_if, plug)
        await host.sysctl(netns, {"net.ipv4.ip_forward": "1"})
        await host.nft(netns, fip_ruleset(fip))

    async def remove_floating_ip(self, floatingip_id: str) -> None:
        await host.remove_namespaces([self.names.fip_netns(floatingip_id)])
        await host.delete_links(
            [self.names.fip_external(floatingip_id), self.names.fip_internal(floatingip_id)]
        )

    async def cleanup(self) -> list[str]:
        namespaces = [name for name in host.netns_names() if self.names.owns_netns(name)]
        links = [name for name in host.link_names() if self.names.owns_link(name)]
        links.sort(key=host.is_bridge)  # veths first, then the bridges they hung on
        removed = await host.remove_namespaces(namespaces)  # takes the veths into them
        await host.delete_links(links)
        return removed + [name for name in links if not host.link_exists(name)]


def _check_plug(plug: PortPlug) -> None:
    """Refuse values that are not one token: they end up in ``ip -batch`` lines."""
    values = [plug.ifname, plug.netns, plug.mac_address, *plug.addresses, plug.gateway or "x"]
    if any(not value or len(value.split()) != 1 or value != value.strip() for value in values):
        raise PermanentError(f"port {plug.port_id}: malformed plug {plug!r}")
    if len(plug.ifname) > IFNAMSIZ:
        raise PermanentError(f"port {plug.port_id}: interface name {plug.ifname!r} is too long")


async def _announce(host_if: str, plug: PortPlug) -> None:
    """A gratuitous ARP for the port's addresses, once the bridge forwards its frames.

    The address may have had another MAC a moment ago (an instance deleted and made
    again with the same IP): without the announcement, neighbours keep sending to the
    old MAC for up to a minute. The one the kernel sends as the link comes up
    (arp_notify) goes out before the bridge port forwards and is lost; setting the MAC
    again makes the kernel send it again (arp_notify: "hardware address changes").
    """
    state = Path(f"/sys/class/net/{host_if}/brport/state")
    for _ in range(100):  # at most 1 s; usually forwarding already
        with contextlib.suppress(OSError):
            if state.read_text().strip() == _BR_STATE_FORWARDING:
                break
        await asyncio.sleep(0.01)
    await host.ip_batch([f"link set {plug.ifname} address {plug.mac_address}"],
                        netns=plug.netns)


def _inside_lines(plug: PortPlug) -> list[str]:
    lines = ["link set lo up"]
    lines += [f"addr replace {address} dev {plug.ifname}" for address in plug.addresses]
    lines.append(f"link set {plug.ifname} up")
    if plug.gateway:
        lines.append(f"route replace default via {plug.gateway} dev {plug.ifname}")
    return lines
