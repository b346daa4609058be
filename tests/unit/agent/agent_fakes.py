"""Fakes of what the agent asks of its host: programs, processes, HAProxy's sockets.

They simulate just enough behaviour to drive the agent's routes: a
configuration containing ``INVALID`` fails its validator; a haproxy.cfg
containing ``BINDFAIL`` passes ``haproxy -c`` but fails to load on reload or
start (as a bind on an absent address does); ``ip`` keeps links, addresses
and routes of one namespace in memory.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from livia.agent.system import Completed
from livia.domain.amphorae import AmphoraPaths


@dataclass
class FakeLink:
    mac: str
    mtu: int = 1500
    up: bool = False
    addresses: set[str] = field(default_factory=set)


class FakeNetns:
    """``ip -n <ns> ...`` against an in-memory namespace."""

    def __init__(self) -> None:
        self.links: dict[str, FakeLink] = {"lo": FakeLink("00:00:00:00:00:00", 65536)}
        self.routes: set[tuple[str, str, str]] = set()  # (dst, via, dev)
        self.changes: list[str] = []

    def add(self, name: str, mac: str) -> None:
        self.links[name] = FakeLink(mac)

    def run(self, args: Sequence[str], input_text: str | None) -> Completed:
        argv = tuple(args)
        if list(args[-3:]) == ["-j", "addr", "show"]:
            return Completed(argv, 0, json.dumps(self._addr_json()))
        if list(args[-3:]) == ["-j", "route", "show"]:
            six = args[0] == "-6"
            routes = [{"dst": d, "gateway": v, "dev": dev} for d, v, dev in sorted(self.routes)
                      if (":" in v) == six]
            return Completed(argv, 0, json.dumps(routes))
        if list(args) == ["-batch", "-"]:
            for line in (input_text or "").splitlines():
                problem = self._apply(line.split())
                if problem:
                    return Completed(argv, 1, "", problem)
            return Completed(argv, 0)
        return Completed(argv, 1, "", f"fake ip: unsupported {args}")

    def _addr_json(self) -> list[dict[str, object]]:
        out = []
        for name, link in self.links.items():
            flags = ["UP"] if link.up else []
            addr = [{"family": "inet", "local": a.split("/")[0], "prefixlen": int(a.split("/")[1]),
                     "scope": "global"} for a in sorted(link.addresses)]
            out.append({"ifname": name, "address": link.mac, "mtu": link.mtu, "flags": flags,
                        "addr_info": addr})
        return out

    def _apply(self, words: list[str]) -> str | None:
        self.changes.append(" ".join(words))
        match words:
            case ["link", "set", "dev", dev, *rest] if dev in self.links:
                return self._link_set(dev, rest)
            case ["addr", "add", address, "dev", dev] if dev in self.links:
                self.links[dev].addresses.add(address)
            case ["addr", "del", address, "dev", dev] if dev in self.links:
                self.links[dev].addresses.discard(address)
            case ["route", "replace", dst, "via", via, "dev", dev] if dev in self.links:
                self.routes = {r for r in self.routes if r[0] != dst}
                self.routes.add((dst, via, dev))
            case _:
                return f"Cannot apply {' '.join(words)}"
        return None

    def _link_set(self, dev: str, rest: list[str]) -> str | None:
        link = self.links[dev]
        match rest:
            case ["up"]:
                link.up = True
            case ["down"]:
                link.up = False
            case ["mtu", mtu]:
                link.mtu = int(mtu)
            case ["name", new] if not link.up:
                self.links[new] = self.links.pop(dev)
            case _:
                return f"Cannot link set {dev} {rest}"
        return None


class FakeProcesses:
    def __init__(self) -> None:
        self.pids: dict[str, int] = {}
        self.signals: list[tuple[int, int]] = []

    def alive(self, pid_file: str, name: str) -> int | None:
        return self.pids.get(pid_file)

    def gone(self, pid_file: str) -> bool:
        return pid_file not in self.pids

    def signal(self, pid: int, signum: int) -> None:
        self.signals.append((pid, signum))
        if signum == signal.SIGTERM:
            self.pids = {f: p for f, p in self.pids.items() if p != pid}


STATE_HEADER = ("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
                "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
                "srv_check_result srv_check_health srv_check_state srv_agent_state "
                "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
                "srv_check_port srv_check_addr srv_agent_addr srv_agent_port")


@dataclass
class FakeServer:
    """A server of the fake worker: as loaded from haproxy.cfg, then set at runtime."""

    uweight: int
    iweight: int
    admin: int  # 5 (forced + configuration maintenance) when "disabled" in the file


def load_servers(text: str) -> dict[tuple[str, str], FakeServer]:
    servers, backend = {}, ""
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["backend"]:
            backend = words[1]
        elif words[:1] == ["server"] and backend:
            weight = int(words[4])
            servers[(backend, words[1])] = FakeServer(weight, weight,
                                                      5 if words[-1] == "disabled" else 0)
    return servers


class FakeCli:
    """HAProxy's master CLI and stats socket, driven by the FakeRunner's processes.

    The worker's servers are loaded from haproxy.cfg at each start or reload;
    ``set server`` changes them, except weights in ``static_backends`` (as
    HAProxy refuses for a static balancing algorithm).
    """

    def __init__(self, paths: AmphoraPaths, processes: FakeProcesses) -> None:
        self.paths = paths
        self.processes = processes
        self.reloads = 0
        self.failed = 0
        self.stat_csv = ""
        self.commands: list[str] = []
        self.static_backends: set[str] = set()
        self.servers: dict[tuple[str, str], FakeServer] = {}
        self._loaded_for: tuple[int | None, int] = (None, -1)

    def master(self, command: str) -> str:
        self.commands.append(f"master:{command}")
        if self.processes.alive(self.paths.haproxy_pid, "haproxy") is None:
            raise ConnectionRefusedError("no master")
        if command == "reload":
            self.reloads += 1
            if "BINDFAIL" in Path(self.paths.haproxy_cfg).read_text():
                self.failed += 1
            return ""
        if command == "show proc":
            return (f"#<PID> <type> <reloads> <uptime> <version>\n"
                    f"100 master {self.reloads} [failed: {self.failed}] 0d00h00m01s 2.6\n"
                    f"# workers\n{101 + self.reloads} worker 0 0d00h00m01s 2.6\n# programs\n")
        return "Unknown command\n"

    def stats(self, command: str) -> str:
        self.commands.append(f"stats:{command}")
        if self.processes.alive(self.paths.haproxy_pid, "haproxy") is None:
            raise ConnectionRefusedError("no worker")
        self._load()
        if command == "show servers state":
            return self._servers_state()
        if command == "show stat":
            return self.stat_csv
        if command.startswith("set server "):
            return self._set_server(command.split()[2:])
        return "Unknown command\n"

    def _load(self) -> None:
        worker = (self.processes.alive(self.paths.haproxy_pid, "haproxy"),
                  self.reloads - self.failed)
        if worker != self._loaded_for:
            self.servers = load_servers(Path(self.paths.haproxy_cfg).read_text())
            self._loaded_for = worker

    def _servers_state(self) -> str:
        lines = ["1", STATE_HEADER]
        for i, ((backend, name), s) in enumerate(sorted(self.servers.items())):
            lines.append(f"3 {backend} {i + 1} {name} 10.0.0.1 {0 if s.admin & 1 else 2} "
                         f"{s.admin} {s.uweight} {s.iweight} 1 1 0 0 0 0 0 0 - 80 - 0 0 - - 0")
        return "\n".join(lines) + "\n"

    def _set_server(self, words: list[str]) -> str:
        target = tuple(words[0].split("/", 1))
        server = self.servers.get((target[0], target[-1]))
        if server is None:
            return "No such server.\n"
        match words[1:]:
            case ["weight", weight] if target[0] in self.static_backends:
                return ("Backend is using a static LB algorithm and only accepts weights "
                        "'0%' and '100%'.\n")
            case ["weight", weight]:
                server.uweight = int(weight)
            case ["state", "maint"]:
                server.admin |= 1
            case ["state", "ready"]:
                server.admin &= ~1
            case _:
                return "Require 'backend/server' and 'weight' or 'state'.\n"
        return "\n"


class FakeRunner:
    def __init__(self, paths: AmphoraPaths, processes: FakeProcesses) -> None:
        self.paths = paths
        self.processes = processes
        self.netns = FakeNetns()
        self.calls: list[tuple[str, ...]] = []
        self.launches: list[tuple[str, ...]] = []

    def run(self, argv: Sequence[str], *, input_text: str | None = None,
            timeout: float = 30.0) -> Completed:
        args = tuple(argv)
        self.calls.append(args)
        cmd = list(args[2:]) if args[0] == "nsenter" else list(args)
        match cmd:
            case ["haproxy", "-v"]:
                return Completed(args, 0, "HAProxy version 2.6.12-fake 2023/01/01\n")
            case ["keepalived", "-v"]:
                return Completed(args, 0, "", "Keepalived v2.2.7 (01/16,2022)\n")
            case ["haproxy", "-c", "-f", path, "-L", _]:
                return self._validate(args, path, "[ALERT] config : unknown keyword 'INVALID'")
            case ["keepalived", "-t", "-f", path]:
                return self._validate(args, path, "(Line 1) Unknown keyword 'INVALID'")
            case ["nft", "-c", "-f", path] | ["nft", "-f", path]:
                return self._validate(args, path, "Error: syntax error, unexpected INVALID")
            case ["sysctl", *_]:
                return Completed(args, 0)
            case ["ip", "-n", _, *rest]:
                return self.netns.run(rest, input_text)
        return Completed(args, 127, "", f"fake runner: unknown command {cmd}")

    @staticmethod
    def _validate(args: tuple[str, ...], path: str, complaint: str) -> Completed:
        if "INVALID" in Path(path).read_text():
            return Completed(args, 1, "", complaint)
        return Completed(args, 0, "Configuration file is valid\n")

    def launch(self, argv: Sequence[str], *, log_path: str, timeout: float = 30.0) -> Completed:
        args = tuple(argv)
        self.launches.append(args)
        if "haproxy" in args:  # the shell starts it and exits 0 either way
            if "BINDFAIL" in Path(self.paths.haproxy_cfg).read_text():
                with open(log_path, "a") as log:
                    log.write("[ALERT] cannot bind socket\n")
                return Completed(args, 0)
            self.processes.pids[self.paths.haproxy_pid] = 100
            return Completed(args, 0)
        if "keepalived" in args:
            self.processes.pids[self.paths.keepalived_pid] = 200
            self.processes.pids[self.paths.keepalived_vrrp_pid] = 201
            return Completed(args, 0)
        return Completed(args, 127)
