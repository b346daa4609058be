"""The netns network and compute drivers on the real host (root).

Every test works under its own prefix ``lvt<2 random chars>`` and a temporary state
directory; the fixture removes everything with that prefix (``cleanup()``) and the
directory, even when the test fails. Traffic goes only to addresses inside the
namespaces and bridges the test made: 10.77-79.x inside namespaces, and a random
198.19.x.0/24 on the test's own lb-mgmt-net bridge.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import random
import re
import shutil
import socket
import stat
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from livia.domain.amphorae import AmphoraPaths
from livia.domain.settings import Settings
from livia.drivers import host
from livia.drivers.compute import AmphoraBoot, InstanceBoot
from livia.drivers.compute_netns import NetnsComputeDriver
from livia.drivers.network import LB_MGMT_NET, FloatingIpPlumbing, PortPlug
from livia.drivers.network_netns import NetnsNetworkDriver
from livia.protocol.agent import AgentBootConfig, AgentRuntimeConfig

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root for namespaces and bridges"),
]

# Stands in for livia.agent: listens where agent.json says, then idles (bounded).
STAND_IN_AGENT = (
    sys.executable,
    "-c",
    "import json, socket, sys, time\n"
    "cfg = json.load(open(sys.argv[sys.argv.index('--config') + 1]))\n"
    "s = socket.socket()\n"
    "s.bind((cfg['listen_address'], cfg['listen_port']))\n"
    "s.listen()\n"
    "time.sleep(60)\n",
)

STARTER = """
import asyncio, json, sys
from pathlib import Path
from livia.domain.settings import Settings
from livia.drivers.compute import AmphoraBoot
from livia.drivers.compute_netns import NetnsComputeDriver
from livia.drivers.network import PortPlug
from livia.drivers.network_netns import NetnsNetworkDriver
from livia.protocol.agent import AgentBootConfig

args = json.loads(sys.argv[1])
settings = Settings(state_dir=Path(args["state_dir"]), name_prefix=args["prefix"])
compute = NetnsComputeDriver(
    settings, NetnsNetworkDriver(settings), agent_command=args["agent_command"]
)
port = args["port"]
port["addresses"] = tuple(port["addresses"])
boot = AmphoraBoot(
    args["amphora_id"], PortPlug(**port), AgentBootConfig.from_dict(args["agent"]),
    b"CERT", b"KEY", b"CA", b"HBKEY",
)
asyncio.run(compute.create_amphora(boot))
"""


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@dataclass
class Env:
    settings: Settings
    network: NetnsNetworkDriver
    compute: NetnsComputeDriver
    mgmt_base: str  # "198.19.N": the test's lb-mgmt-net is <mgmt_base>.0/24

    @property
    def prefix(self) -> str:
        return self.settings.name_prefix


@pytest.fixture
def env() -> Iterator[Env]:
    prefix = "lvt" + "".join(random.choices(string.ascii_lowercase + string.digits, k=2))
    state_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-state-"))
    mgmt_base = f"198.19.{random.randint(100, 250)}"
    settings = Settings(state_dir=state_dir, name_prefix=prefix, mgmt_cidr=f"{mgmt_base}.0/24")
    network = NetnsNetworkDriver(settings)
    compute = NetnsComputeDriver(settings, network, agent_command=STAND_IN_AGENT)
    try:
        yield Env(settings, network, compute, mgmt_base)
    finally:
        try:
            run(network.cleanup())
        finally:
            shutil.rmtree(state_dir, ignore_errors=True)


def mac() -> str:
    return "02:" + ":".join(f"{random.randint(0, 255):02x}" for _ in range(5))


def leftovers(prefix: str) -> list[str]:
    return [n for n in host.link_names() + host.netns_names() if n.startswith(prefix)]


def in_netns(netns: str, *argv: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    command = ["nsenter", f"--net=/run/netns/{netns}", "--", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def ping(netns: str, address: str) -> bool:
    return in_netns(netns, "ping", "-c", "1", "-W", "1", "-q", address).returncode == 0


def amphora_boot(env: Env, amphora_id: str, index: int = 10) -> AmphoraBoot:
    amphora = env.compute.amphora_host(amphora_id)
    paths = AmphoraPaths(amphora.base_dir)
    address = f"{env.mgmt_base}.{index}"
    agent = AgentBootConfig(
        amphora_id=amphora_id,
        base_dir=amphora.base_dir,
        data_netns=amphora.data_netns,
        listen_address=address,
        listen_port=9443,
        server_cert=paths.server_cert,
        server_key=paths.server_key,
        client_ca=paths.client_ca,
        heartbeat_key_file=paths.heartbeat_key,
        runtime=AgentRuntimeConfig(1.0, (f"{env.mgmt_base}.1:5555",)),
    )
    port = PortPlug(
        port_id=str(uuid.uuid4()),
        network_id=LB_MGMT_NET,
        mac_address=mac(),
        netns=amphora.mgmt_netns,
        ifname="eth0",
        addresses=(f"{address}/24",),
    )
    return AmphoraBoot(amphora_id, port, agent, b"CERT", b"KEY", b"CA", b"HBKEY")


def instance_boot(instance_id: str, network_id: str, address: str, *command: str) -> InstanceBoot:
    port = PortPlug(str(uuid.uuid4()), network_id, mac(), "", "eth0", (address,), None)
    return InstanceBoot(instance_id, instance_id, port, command or ("sleep", "30"))


async def mgmt_up(env: Env) -> None:
    await env.network.ensure_mgmt_network(f"{env.mgmt_base}.1/24")


def connect(address: str, port: int, attempts: int = 50) -> bool:
    for _ in range(attempts):
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


# --- networks and ports ----------------------------------------------------------------


def test_ports_on_one_network_reach_each_other_and_nothing_else(env: Env) -> None:
    net_a, net_b = str(uuid.uuid4()), str(uuid.uuid4())
    a1_boot = instance_boot("a1", net_a, "10.77.0.11/24")

    async def build() -> None:
        for network_id in (net_a, net_a, net_b):
            await env.network.ensure_network(network_id)
        await env.compute.create_instance(a1_boot)
        await env.compute.create_instance(instance_boot("a2", net_a, "10.77.0.12/24"))
        await env.compute.create_instance(instance_boot("b1", net_b, "10.77.0.13/24"))

    run(build())
    a1 = env.compute.instance_host("a1")
    assert a1.pid is not None and host.pid_in_netns(a1.pid, a1.netns)
    assert ping(a1.netns, "10.77.0.12")
    assert not ping(a1.netns, "10.77.0.13")  # same subnet, other bridge
    bridge = env.network.names.bridge(net_a)
    shown = json.loads(subprocess.check_output(["ip", "-j", "addr", "show", "dev", bridge]))
    assert shown[0]["addr_info"] == []  # the host has no address on a tenant network
    again = run(env.compute.create_instance(a1_boot))
    assert again == a1  # nothing new: same port, same process


def test_unaddressed_port_stays_down_with_its_mac(env: Env) -> None:
    net = str(uuid.uuid4())
    run(env.network.ensure_network(net))
    run(host.add_namespaces([f"{env.prefix}-inst-x"]))
    plug = PortPlug(str(uuid.uuid4()), net, "02:aa:bb:cc:dd:ee", f"{env.prefix}-inst-x", "eth1")
    run(env.network.plug_port(plug))
    run(env.network.plug_port(plug))
    link = json.loads(in_netns(plug.netns, "ip", "-j", "link", "show", "eth1").stdout)[0]
    assert link["address"] == "02:aa:bb:cc:dd:ee"
    assert "UP" not in link["flags"]
    run(env.network.unplug_port(plug.port_id))
    run(env.network.unplug_port(plug.port_id))
    assert not host.link_exists(env.network.names.port(plug.port_id))
    assert in_netns(plug.netns, "ip", "link", "show", "eth1").returncode != 0



def test_a_plug_interrupted_before_its_addresses_is_finished(env: Env) -> None:
    """A controller killed between the veth and its addresses: plugging again completes it."""
    net = str(uuid.uuid4())
    run(env.network.ensure_network(net))
    ns = f"{env.prefix}-inst-half"
    run(host.add_namespaces([ns]))
    plug = PortPlug(str(uuid.uuid4()), net, mac(), ns, "eth0", ("10.77.1.11/24",))
    host_if = env.network.names.port(plug.port_id)
    bridge = env.network.names.bridge(net)
    subprocess.run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", "eth0",
                    "netns", ns, "address", plug.mac_address], check=True)
    subprocess.run(["ip", "link", "set", host_if, "master", bridge, "up"], check=True)
    run(env.network.plug_port(plug))
    shown = json.loads(in_netns(ns, "ip", "-j", "addr", "show", "dev", "eth0").stdout)[0]
    assert "UP" in shown["flags"]
    assert [a["local"] for a in shown["addr_info"] if a["family"] == "inet"] == ["10.77.1.11"]

# --- amphorae --------------------------------------------------------------------------


def test_host_reaches_the_agent_over_lb_mgmt_net(env: Env) -> None:
    run(mgmt_up(env))
    run(mgmt_up(env))
    amphora = run(env.compute.create_amphora(amphora_boot(env, "amp1")))
    assert run(env.compute.amphora_exists("amp1"))
    assert connect(f"{env.mgmt_base}.10", 9443)
    assert ping(amphora.mgmt_netns, f"{env.mgmt_base}.1")


def test_agent_is_detached_and_outlives_its_starter(env: Env) -> None:
    run(mgmt_up(env))
    boot = amphora_boot(env, "amp1")
    args = {
        "state_dir": str(env.settings.state_dir),
        "prefix": env.prefix,
        "agent_command": list(STAND_IN_AGENT),
        "amphora_id": "amp1",
        "port": dataclasses.asdict(boot.mgmt_port),
        "agent": boot.agent.to_dict(),
    }
    subprocess.run([sys.executable, "-c", STARTER, json.dumps(args)], check=True, timeout=30)
    amphora = env.compute.amphora_host("amp1")
    paths = AmphoraPaths(amphora.base_dir)
    pid = host.read_pid(paths.agent_pid)
    assert pid is not None and host.pid_alive(pid)  # its starter has exited
    assert host.pid_in_netns(pid, amphora.mgmt_netns)
    assert os.getsid(pid) == pid
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    assert os.readlink(f"/proc/{pid}/fd/1") == paths.agent_log
    assert paths.agent_config in host.cmdline(pid)
    assert AgentBootConfig.from_dict(json.loads(Path(paths.agent_config).read_text())) == boot.agent
    assert Path(paths.server_key).read_bytes() == b"KEY"
    assert stat.S_IMODE(os.stat(amphora.base_dir).st_mode) == 0o711
    for secret in (paths.server_cert, paths.server_key, paths.client_ca, paths.heartbeat_key):
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600

    run(env.compute.create_amphora(boot))  # idempotent: the agent is not started twice
    assert host.read_pid(paths.agent_pid) == pid
    run(host.stop_processes([pid]))
    run(env.compute.create_amphora(boot))  # ... but started again once it is gone
    restarted = host.read_pid(paths.agent_pid)
    assert restarted not in (None, pid)
    assert connect(f"{env.mgmt_base}.10", 9443)


def test_delete_amphora_leaves_nothing(env: Env) -> None:
    run(mgmt_up(env))
    net = str(uuid.uuid4())
    run(env.network.ensure_network(net))
    amphora = run(env.compute.create_amphora(amphora_boot(env, "amp1")))
    vip = PortPlug(str(uuid.uuid4()), net, mac(), amphora.data_netns, "eth1")
    run(env.network.plug_port(vip))
    # what HAProxy and keepalived would be: processes in the data namespace
    worker = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{amphora.data_netns}", "--", "sleep", "60"],
        start_new_session=True,
    )
    agent = host.read_pid(AmphoraPaths(amphora.base_dir).agent_pid)
    assert agent is not None and host.pid_alive(agent)
    try:
        started = time.monotonic()
        run(env.compute.delete_amphora("amp1"))
        elapsed = time.monotonic() - started
    finally:
        worker.kill()
        worker.wait(timeout=5)
    assert worker.returncode == -15  # it got SIGTERM from delete_amphora, not our kill
    assert not host.pid_alive(agent)
    assert not host.netns_exists(amphora.mgmt_netns)
    assert not host.netns_exists(amphora.data_netns)
    assert not host.link_exists(env.network.names.port(vip.port_id))
    assert not Path(amphora.base_dir).exists()
    assert leftovers(env.prefix) == [env.network.names.bridge(net), f"{env.prefix}mgmt"]
    assert not run(env.compute.amphora_exists("amp1"))
    run(env.compute.delete_amphora("amp1"))
    assert elapsed < 1.0, f"delete_amphora took {elapsed:.3f} s"


def test_create_amphora_twice_is_idempotent(env: Env) -> None:
    run(mgmt_up(env))
    boot = amphora_boot(env, "amp1")
    first = run(env.compute.create_amphora(boot))
    links_before = set(leftovers(env.prefix))
    second = run(env.compute.create_amphora(boot))
    assert first == second
    assert set(leftovers(env.prefix)) == links_before
    ns_pids = host.netns_pids([first.mgmt_netns])
    assert len(ns_pids) == 1  # one agent


# --- instances, floating IPs, cleanup -------------------------------------------------------


def test_instance_delete_stops_its_command_and_removes_its_files(env: Env) -> None:
    net = str(uuid.uuid4())
    run(env.network.ensure_network(net))
    instance = run(env.compute.create_instance(instance_boot("i1", net, "10.77.1.5/24")))
    assert instance.pid is not None
    run(env.compute.delete_instance("i1"))
    run(env.compute.delete_instance("i1"))
    assert not host.pid_alive(instance.pid)
    assert not host.netns_exists(instance.netns)
    assert not (env.settings.instances_dir / "i1").exists()
    assert env.compute.instance_host("i1").pid is None


def http_get(netns: str, url: str) -> str:
    code = (
        "import sys, time, urllib.request\n"
        "for attempt in range(30):\n"
        "    try:\n"
        "        print(urllib.request.urlopen(sys.argv[1], timeout=1).status); break\n"
        "    except OSError as exc:\n"
        "        err = exc; time.sleep(0.1)\n"
        "else:\n"
        "    print('failed', err)\n"
    )
    return in_netns(netns, sys.executable, "-c", code, url, timeout=60).stdout.strip()


def floating_ip(tenant: str, external: str) -> FloatingIpPlumbing:
    return FloatingIpPlumbing(
        floatingip_id="fip1",
        external_network_id=external,
        floating_address="10.79.0.50/24",
        external_mac=mac(),
        internal_network_id=tenant,
        internal_address="10.78.0.3/24",
        internal_mac=mac(),
        target_address="10.78.0.20",
    )


def test_floating_ip_reaches_a_server_on_the_tenant_network(env: Env) -> None:
    tenant, external = str(uuid.uuid4()), str(uuid.uuid4())
    server_cmd = (sys.executable, "-m", "http.server", "8080", "--bind", "10.78.0.20")

    async def build() -> None:
        await env.network.ensure_network(tenant)
        await env.network.ensure_network(external)
        await env.compute.create_instance(
            instance_boot("srv", tenant, "10.78.0.20/24", *server_cmd)
        )
        await env.compute.create_instance(instance_boot("cli", external, "10.79.0.10/24"))
        await env.network.ensure_floating_ip(floating_ip(tenant, external))
        await env.network.ensure_floating_ip(floating_ip(tenant, external))

    run(build())
    client = env.compute.instance_host("cli")
    assert http_get(client.netns, "http://10.79.0.50:8080/") == "200"
    log = Path(env.compute.instance_host("srv").log_path).read_text()
    assert "10.78.0.3" in log  # the server saw the NAT's tenant-side address
    assert not ping(client.netns, "10.78.0.20")  # only the floating address leads there

    run(env.network.remove_floating_ip("fip1"))
    run(env.network.remove_floating_ip("fip1"))
    assert not host.netns_exists(f"{env.prefix}-fip-fip1")
    assert not ping(client.netns, "10.79.0.50")


def test_cleanup_removes_everything_with_the_prefix(env: Env) -> None:
    tenant, external = str(uuid.uuid4()), str(uuid.uuid4())

    async def build() -> None:
        await mgmt_up(env)
        await env.network.ensure_network(tenant)
        await env.network.ensure_network(external)
        await env.compute.create_amphora(amphora_boot(env, "amp1"))
        await env.compute.create_instance(instance_boot("i1", tenant, "10.78.0.20/24"))
        await env.network.ensure_floating_ip(floating_ip(tenant, external))

    run(build())
    pids = host.netns_pids([n for n in host.netns_names() if n.startswith(env.prefix)])
    assert len(pids) == 2  # the agent and the instance's command
    made = set(leftovers(env.prefix))
    removed = run(env.network.cleanup())
    assert set(removed) >= made
    assert leftovers(env.prefix) == []
    assert not any(host.pid_alive(pid) for pid in pids)
    assert run(env.network.cleanup()) == []


def test_cleanup_right_after_create_leaves_no_agent_behind(env: Env) -> None:
    async def create_then_cleanup() -> int | None:
        await mgmt_up(env)
        amphora = await env.compute.create_amphora(amphora_boot(env, "amp1"))
        pid = host.read_pid(AmphoraPaths(amphora.base_dir).agent_pid)
        await env.network.cleanup()
        return pid

    for _ in range(3):
        pid = run(create_then_cleanup())
        assert pid is not None and not host.pid_alive(pid)
        assert leftovers(env.prefix) == []


# --- speed -----------------------------------------------------------------------------------


def command_kind(command: str) -> str:
    """``ip -n lvtab-amp-x-mgmt -batch -`` -> ``ip -n <ns> -batch``."""
    words = command.split()
    if words[1:2] == ["-n"]:
        return " ".join(["ip -n <ns>", *words[3:4]])
    if words[0] == "nsenter":
        return " ".join(["nsenter", *words[3:4]])
    return " ".join(words[:2])


def test_provisioning_two_amphorae_with_ports_is_fast(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    vip_net, member_net = str(uuid.uuid4()), str(uuid.uuid4())
    caplog.set_level(logging.DEBUG, logger="livia.drivers.host")

    async def amphora(index: int) -> None:
        boot = amphora_boot(env, f"amp{index}", 10 + index)
        created = await env.compute.create_amphora(boot)
        data = created.data_netns
        await env.network.plug_port(PortPlug(str(uuid.uuid4()), vip_net, mac(), data, "eth1"))
        member = PortPlug(
            str(uuid.uuid4()), member_net, mac(), data, "eth2", (f"10.77.2.{index}/24",)
        )
        await env.network.plug_port(member)

    async def provision() -> float:
        started = time.monotonic()
        await asyncio.gather(
            mgmt_up(env),
            env.network.ensure_network(vip_net),
            env.network.ensure_network(member_net),
        )
        await asyncio.gather(amphora(1), amphora(2))
        return time.monotonic() - started

    elapsed = run(provision())
    timings: dict[str, list[float]] = {}
    for record in caplog.records:
        match = re.fullmatch(r"([\d.]+) ms: (.*)", record.getMessage())
        if match:
            timings.setdefault(command_kind(match.group(2)), []).append(float(match.group(1)))
    summary = ", ".join(
        f"{name}: {len(ms)}x avg {sum(ms) / len(ms):.1f} ms" for name, ms in sorted(timings.items())
    )
    print(f"\nprovisioned 2 amphorae x 3 ports in {elapsed * 1000:.0f} ms ({summary})")
    assert all(connect(f"{env.mgmt_base}.{10 + i}", 9443) for i in (1, 2))
    assert elapsed < 1.0, f"provisioning took {elapsed:.3f} s: {summary}"
