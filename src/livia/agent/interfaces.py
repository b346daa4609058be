"""The data namespace's interfaces: the VIP port (eth1) and member networks (eth2…).

The network driver moves a veth into the namespace under a temporary name;
the agent finds it by MAC address, names it, sets its MTU, addresses and
routes, and brings it up. Both plugs compare what is there with what is
asked and change only the difference, so repeating a plug changes nothing.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from livia.agent import failures
from livia.agent.system import Runner
from livia.protocol.agent import PlugNetwork, PlugVip

log = logging.getLogger("livia.agent.interfaces")
VIP_INTERFACE = "eth1"
_ETH = re.compile(r"^eth(\d+)$")


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    mac: str
    mtu: int
    up: bool
    addresses: frozenset[str]  # "ip/prefixlen", global scope


def _address(value: str) -> str:
    return ipaddress.ip_interface(value).with_prefixlen


def parse_links(ip_json: str) -> list[Link]:
    """``ip -j addr show`` → links (loopback included, named "lo")."""
    links = []
    for item in json.loads(ip_json or "[]"):
        addresses = frozenset(
            _address(f"{a['local']}/{a['prefixlen']}") for a in item.get("addr_info", [])
            if a.get("scope") == "global" and "local" in a)
        links.append(Link(name=str(item["ifname"]), mac=str(item.get("address", "")).lower(),
                          mtu=int(item.get("mtu", 0)), up="UP" in item.get("flags", []),
                          addresses=addresses))
    return links


class Interfaces:
    def __init__(self, netns: str, runner: Runner) -> None:
        self._netns = netns
        self._runner = runner
        self._lock = threading.Lock()

    def links(self) -> list[Link]:
        done = self._ip("-j", "addr", "show")
        if not done:
            return []
        return parse_links(done)

    def macs(self) -> dict[str, str]:
        return {link.name: link.mac for link in self.links() if link.name != "lo"}

    def plug_vip(self, plug: PlugVip) -> str:
        with self._lock:
            links = self.links()
            link = self._find(links, plug.mac_address)
            commands = self._claim(links, link, VIP_INTERFACE)
            commands += self._shape(link, VIP_INTERFACE, plug.mtu)
            lo = next((x for x in links if x.name == "lo"), None)
            if lo is not None and not lo.up:
                commands.append("link set dev lo up")
            wanted = [_address(f"{plug.vrrp_ip}/{plug.prefixlen}")]
            if plug.hold_vip:  # SINGLE: no keepalived to put the VIP there
                wanted.append(_address(f"{plug.vip_address}/{plug.prefixlen}"))
            commands += [f"addr add {a} dev {VIP_INTERFACE}" for a in wanted
                         if a not in link.addresses]
            commands += self._missing_routes(plug)
            return self._apply(f"vip {plug.vrrp_ip} on {VIP_INTERFACE}", commands)

    def plug_network(self, plug: PlugNetwork) -> str:
        with self._lock:
            links = self.links()
            link = self._find(links, plug.mac_address)
            if link.name == VIP_INTERFACE:
                raise failures.conflict("that MAC is the VIP interface",
                                        f"{plug.mac_address} is {VIP_INTERFACE}")
            name = link.name if _ETH.match(link.name) else self._next_free(links)
            commands = self._claim(links, link, name)
            commands += self._shape(link, name, plug.mtu)
            wanted = {_address(a) for a in plug.addresses}
            commands += [f"addr add {a} dev {name}" for a in sorted(wanted - link.addresses)]
            commands += [f"addr del {a} dev {name}" for a in sorted(link.addresses - wanted)]
            return self._apply(f"network {plug.mac_address} on {name}", commands)

    def hold_vip_locally(self) -> str:
        """Before VRRP stops for good: keep answering for the VIP until the host goes.

        keepalived removes the VIP from eth1 as it hands over; clients whose ARP
        entry still names this amphora would lose the packets they send in that
        moment (a SYN lost costs a second). The addresses of eth1 are copied to
        ``lo`` and eth1 stops answering or announcing ARP for them (LVS-DR's
        arp_ignore/arp_announce), so the peer's gratuitous ARP moves the clients
        while this HAProxy still serves what reaches it.
        """
        with self._lock:
            link = next((x for x in self.links() if x.name == VIP_INTERFACE), None)
            if link is None:
                return "unchanged"
            sysctl = ["sysctl", "-q", "-w", f"net.ipv4.conf.{VIP_INTERFACE}.arp_ignore=1",
                      f"net.ipv4.conf.{VIP_INTERFACE}.arp_announce=2"]
            done = self._runner.run(["ip", "netns", "exec", self._netns, *sysctl])
            if not done.ok:
                raise failures.rejected("could not quiet ARP on the VIP interface", done.output)
            hosts = sorted({str(ipaddress.ip_interface(a).ip) for a in link.addresses})
            return self._apply("VIP held on lo",
                               [f"addr replace {h}/{_max_len(h)} dev lo" for h in hosts])

    def release_vip_hold(self) -> str:
        """VRRP runs again: what ``hold_vip_locally`` put on ``lo`` goes."""
        with self._lock:
            lo = next((x for x in self.links() if x.name == "lo"), None)
            held = sorted(lo.addresses) if lo is not None else []
            return self._apply("VIP hold released", [f"addr del {a} dev lo" for a in held])

    def _find(self, links: list[Link], mac: str) -> Link:
        for link in links:
            if link.mac == mac.lower():
                return link
        raise failures.not_ready("no interface with that MAC address",
                                 f"{mac} is not in namespace {self._netns} (yet)")

    @staticmethod
    def _claim(links: list[Link], link: Link, name: str) -> list[str]:
        if link.name == name:
            return []
        if any(x.name == name for x in links):
            raise failures.conflict(f"{name} is taken",
                                    f"{name} exists with another MAC than {link.mac}")
        return [f"link set dev {link.name} down", f"link set dev {link.name} name {name}"]

    @staticmethod
    def _shape(link: Link, name: str, mtu: int) -> list[str]:
        commands = []
        if link.mtu != mtu:
            commands.append(f"link set dev {name} mtu {mtu}")
        renamed = link.name != name
        if renamed or not link.up:
            commands.append(f"link set dev {name} up")
        return commands

    @staticmethod
    def _next_free(links: list[Link]) -> str:
        used = {int(m.group(1)) for x in links if (m := _ETH.match(x.name))}
        number = 2  # eth0 is the management side's, eth1 the VIP's
        while number in used:
            number += 1
        return f"eth{number}"

    def _missing_routes(self, plug: PlugVip) -> list[str]:
        wanted: list[tuple[str, str]] = []
        if plug.gateway:
            wanted.append(("default", _host(plug.gateway)))
        for route in plug.host_routes:
            wanted.append((_network(route["destination"]), _host(route["nexthop"])))
        if not wanted:
            return []
        have = self._routes()
        return [f"route replace {dst} via {via} dev {VIP_INTERFACE}"
                for dst, via in wanted if (dst, via) not in have]

    def _routes(self) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for family in ("-4", "-6"):
            for route in json.loads(self._ip(family, "-j", "route", "show") or "[]"):
                if route.get("dev") == VIP_INTERFACE and "gateway" in route:
                    dst = route.get("dst", "")
                    found.add((dst if dst == "default" else _network(dst), route["gateway"]))
        return found

    def _apply(self, what: str, commands: list[str]) -> str:
        if not commands:
            log.info("plug %s: already as asked", what)
            return "unchanged"
        done = self._runner.run(["ip", "-n", self._netns, "-batch", "-"],
                                input_text="\n".join(commands) + "\n")
        if not done.ok:
            log.error("plug %s failed: %s", what, done.output)
            raise failures.rejected("could not configure the interface", done.output)
        log.info("plug %s: %s", what, "; ".join(commands))
        return "configured"

    def _ip(self, *args: str) -> str:
        done = self._runner.run(["ip", "-n", self._netns, *args])
        if not done.ok:
            log.warning("ip %s in %s: %s", " ".join(args), self._netns, done.output)
            return ""
        return done.stdout


def _max_len(host: str) -> int:
    return ipaddress.ip_address(host).max_prefixlen


def _host(value: Any) -> str:
    return str(ipaddress.ip_address(str(value)))


def _network(value: Any) -> str:
    """"10.0.0.0/8" and a bare host address alike, as ``ip route`` prints them."""
    net = ipaddress.ip_network(str(value), strict=False)
    host = net.prefixlen == net.max_prefixlen
    return str(net.network_address) if host else net.with_prefixlen
