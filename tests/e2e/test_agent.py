"""The real amphora agent in real namespaces, driven by the real HTTPS client (root).

One amphora for the module: a management namespace (the agent, ``eth0`` on a
veth whose other end is on the host) and a data namespace (the VIP port: a
veth moved in under a temporary name, as the network driver does). Every
name starts with ``lvt``; addresses are a random pair of 198.19.x.0/24 on
those veths only. The fixture kills the agent, HAProxy and keepalived (via
their pid files and the namespaces' pids) and removes namespaces, veths and
files, even when a test fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from livia.agent.haproxy_cli import ask_unix, parse_show_proc
from livia.domain.amphorae import AmphoraPaths
from livia.domain.errors import PermanentError, TemporaryError
from livia.drivers.agent_client import AgentEndpoint
from livia.drivers.agent_client_https import HttpsAgentClient
from livia.drivers.certificates import LocalCA
from livia.protocol.agent import AgentBootConfig, AgentRuntimeConfig, PlugVip
from livia.protocol.heartbeat import HeartbeatError, decode

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0 or shutil.which("haproxy") is None
                       or shutil.which("keepalived") is None,
                       reason="needs root, haproxy and keepalived"),
]

T = TypeVar("T")
KEY = b"e2e-heartbeat-key"
LISTENER = "5e2a9c1d-0000-4000-8000-00000000e2e1"
POOL = "5e2a9c1d-0000-4000-8000-00000000e2e2"
MEMBER = "5e2a9c1d-0000-4000-8000-00000000e2e3"
VIP_MAC = "fa:16:3e:e2:e2:01"


@dataclass
class Amphora:
    tag: str
    base: Path
    paths: AmphoraPaths
    pki: LocalCA
    endpoint: AgentEndpoint
    host_mgmt_ip: str
    host_vip_ip: str
    vrrp_ip: str
    vip: str
    mgmt_ns: str
    data_ns: str
    agent: subprocess.Popen[bytes]
    ready_seconds: float

    def client(self) -> HttpsAgentClient:
        cert, key = self.pki.client_cert_paths()
        return HttpsAgentClient(str(self.pki.ca_path), str(cert), str(key), 2.0, 30.0)

    def call(self, use: Callable[[HttpsAgentClient], Awaitable[T]]) -> T:
        async def go() -> T:
            client = self.client()
            try:
                return await use(client)
            finally:
                await client.close()
        return asyncio.run(go())


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=30)


def _kill_pid_file(path: str, name: str) -> None:
    try:
        pid = int(Path(path).read_text().split()[0])
        if Path(f"/proc/{pid}/comm").read_text().strip() == name:
            os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError, IndexError):
        pass


def _teardown(tag: str, paths: AmphoraPaths, namespaces: list[str],
              agent: subprocess.Popen[bytes] | None) -> None:
    if agent is not None and agent.poll() is None:
        agent.terminate()
        try:
            agent.wait(5)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait(5)
    _kill_pid_file(paths.haproxy_pid, "haproxy")
    _kill_pid_file(paths.keepalived_pid, "keepalived")
    deadline = time.monotonic() + 5
    for ns in namespaces:
        while time.monotonic() < deadline:
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            if not pids:
                break
            for pid in pids:
                if time.monotonic() > deadline - 2:
                    sh("kill", "-9", pid, check=False)
            time.sleep(0.1)
        sh("ip", "netns", "del", ns, check=False)
    for veth in (f"{tag}m0", f"{tag}v0"):
        sh("ip", "link", "del", veth, check=False)


def _build_namespaces(tag: str, mgmt_ns: str, data_ns: str, net: int) -> None:
    sh("ip", "netns", "add", mgmt_ns)
    sh("ip", "netns", "add", data_ns)
    sh("ip", "link", "add", f"{tag}m0", "type", "veth", "peer", "name", f"{tag}m1")
    sh("ip", "link", "set", f"{tag}m1", "netns", mgmt_ns, "name", "eth0")
    sh("ip", "addr", "add", f"198.19.{net}.1/24", "dev", f"{tag}m0")
    sh("ip", "link", "set", f"{tag}m0", "up")
    sh("ip", "-n", mgmt_ns, "addr", "add", f"198.19.{net}.2/24", "dev", "eth0")
    sh("ip", "-n", mgmt_ns, "link", "set", "eth0", "up")
    sh("ip", "-n", mgmt_ns, "link", "set", "lo", "up")
    # The VIP port, as the network driver leaves it: moved in under a temporary name.
    sh("ip", "link", "add", f"{tag}v0", "type", "veth", "peer", "name", f"{tag}v1")
    sh("ip", "link", "set", f"{tag}v1", "address", VIP_MAC)
    sh("ip", "link", "set", f"{tag}v1", "netns", data_ns, "name", f"{tag}tmp")
    sh("ip", "addr", "add", f"198.19.{net + 1}.1/24", "dev", f"{tag}v0")
    sh("ip", "link", "set", f"{tag}v0", "up")


def _write_boot(base: Path, pki: LocalCA, amphora_id: str, data_ns: str,
                listen: str) -> AmphoraPaths:
    paths = AmphoraPaths(str(base))
    Path(paths.server_cert).parent.mkdir(parents=True)
    issued = pki.issue_server(amphora_id)
    Path(paths.server_cert).write_bytes(issued.cert_pem)
    Path(paths.server_key).write_bytes(issued.key_pem)
    Path(paths.client_ca).write_bytes(pki.ca_pem)
    Path(paths.heartbeat_key).write_bytes(KEY)
    boot = AgentBootConfig(amphora_id, str(base), data_ns, listen, 9443, paths.server_cert,
                           paths.server_key, paths.client_ca, paths.heartbeat_key,
                           AgentRuntimeConfig(1.0, ()))
    Path(paths.agent_config).write_text(json.dumps(boot.to_dict()))
    return paths


def _start_agent(paths: AmphoraPaths, mgmt_ns: str) -> subprocess.Popen[bytes]:
    with open(paths.agent_log, "ab") as log:
        return subprocess.Popen(
            ["ip", "netns", "exec", mgmt_ns, sys.executable, "-m", "livia.agent",
             "--config", paths.agent_config],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            cwd=paths.base_dir)


@pytest.fixture(scope="module")
def amp() -> Iterator[Amphora]:
    tag = "lvt" + uuid.uuid4().hex[:5]
    mgmt_ns, data_ns = f"{tag}-mgmt", f"{tag}-data"
    net = random.randrange(20, 240, 2)
    base = Path(tempfile.mkdtemp(prefix=f"{tag}-"))
    paths = AmphoraPaths(str(base))
    started_agents: list[subprocess.Popen[bytes]] = []
    amphora: Amphora | None = None
    try:
        _build_namespaces(tag, mgmt_ns, data_ns, net)
        pki = LocalCA.load_or_create(base / "pki")
        amphora_id = str(uuid.uuid4())
        paths = _write_boot(base / "amp", pki, amphora_id, data_ns, f"198.19.{net}.2")
        started = time.monotonic()
        started_agents.append(_start_agent(paths, mgmt_ns))
        endpoint = AgentEndpoint(amphora_id, f"198.19.{net}.2", 9443)
        amphora = Amphora(tag, base, paths, pki, endpoint, f"198.19.{net}.1",
                          f"198.19.{net + 1}.1", f"198.19.{net + 1}.5",
                          f"198.19.{net + 1}.10", mgmt_ns, data_ns, started_agents[0], 0.0)
        amphora.call(lambda c: c.wait_ready(endpoint, 10.0))
        amphora.ready_seconds = time.monotonic() - started
        yield amphora
    finally:
        agent = amphora.agent if amphora is not None else None
        _teardown(tag, paths, [mgmt_ns, data_ns], agent)
        if os.path.exists(paths.agent_log):
            print("\n--- agent log (tail) ---\n" + Path(paths.agent_log).read_text()[-3000:])
        shutil.rmtree(base, ignore_errors=True)


def haproxy_cfg(amp: Amphora, version: str) -> str:
    p = amp.paths
    return f"""global
    maxconn 1000
    stats socket {p.haproxy_stats_socket} mode 600 level admin expose-fd listeners
    server-state-file {p.haproxy_state}
    external-check
    insecure-fork-wanted

defaults
    mode http
    timeout client 10s
    timeout server 10s
    timeout connect 2s
    timeout check 2s
    option idle-close-on-response
    load-server-state-from-file global

frontend {LISTENER}
    bind {amp.vip}:80
    http-request return status 200 content-type text/plain string "{version}" if {{ path /v }}
    default_backend {POOL}:{LISTENER}

backend {POOL}:{LISTENER}
    option external-check
    external-check path "/usr/bin:/bin"
    external-check command {p.ping_wrapper}
    server {MEMBER} {amp.host_vip_ip}:9 check inter 200ms
"""


def keepalived_conf(amp: Amphora) -> str:
    p = amp.paths
    return f"""global_defs {{
    router_id {amp.tag}
    vrrp_version 3
    enable_script_security
    script_user root
}}
vrrp_script check_haproxy {{
    script "{p.keepalived_check_script}"
    interval 1
    fall 2
    rise 1
}}
vrrp_instance {amp.tag} {{
    state BACKUP
    interface eth1
    virtual_router_id 77
    priority 100
    nopreempt
    advert_int 0.1
    unicast_src_ip {amp.vrrp_ip}
    unicast_peer {{
        {amp.vrrp_ip.rsplit(".", 1)[0]}.6
    }}
    virtual_ipaddress {{
        {amp.vip}/24
    }}
    track_script {{
        check_haproxy
    }}
    notify "{p.keepalived_notify_script}"
}}
"""


def get_v(amp: Amphora, conn: http.client.HTTPConnection | None = None) -> str:
    conn = conn or http.client.HTTPConnection(amp.vip, 80, timeout=3)
    conn.request("GET", "/v")
    response = conn.getresponse()
    body = response.read().decode()
    assert response.status == 200
    return body


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _vip_plug(amp: Amphora) -> PlugVip:
    return PlugVip(mac_address=VIP_MAC, vrrp_ip=amp.vrrp_ip, prefixlen=24,
                   gateway=amp.host_vip_ip, vip_address=amp.vip, mtu=1450)


def test_agent_is_ready_fast_and_small(amp: Amphora) -> None:
    status = Path(f"/proc/{amp.agent.pid}/status").read_text()
    rss_kb = int(next(x for x in status.splitlines() if x.startswith("VmRSS")).split()[1])
    rollup = Path(f"/proc/{amp.agent.pid}/smaps_rollup").read_text()
    pss_kb = int(next(x for x in rollup.splitlines() if x.startswith("Pss:")).split()[1])
    print(f"\nagent ready after {amp.ready_seconds * 1000:.0f} ms; RSS {rss_kb} kB, "
          f"PSS {pss_kb} kB")
    assert amp.ready_seconds < 2.0
    assert rss_kb < 60_000
    assert Path(amp.paths.agent_pid).read_text().strip() == str(amp.agent.pid)
    for script in (amp.paths.keepalived_check_script, amp.paths.keepalived_notify_script):
        assert os.stat(script).st_mode & 0o777 == 0o700


def test_plug_vip_configures_eth1_and_a_second_call_changes_nothing(amp: Amphora) -> None:
    amp.call(lambda c: c.plug_vip(amp.endpoint, _vip_plug(amp)))
    before = sh("ip", "-n", amp.data_ns, "-d", "addr", "show", "eth1").stdout
    assert "198.19." in before and "mtu 1450" in before and "UP" in before
    assert f"default via {amp.host_vip_ip} dev eth1" in sh(
        "ip", "-n", amp.data_ns, "route").stdout
    amp.call(lambda c: c.plug_vip(amp.endpoint, _vip_plug(amp)))
    assert sh("ip", "-n", amp.data_ns, "-d", "addr", "show", "eth1").stdout == before
    info = amp.call(lambda c: c.info(amp.endpoint))
    assert info.interfaces == {"eth1": VIP_MAC}


def test_haproxy_and_keepalived_serve_the_vip(amp: Amphora) -> None:
    amp.call(lambda c: c.plug_vip(amp.endpoint, _vip_plug(amp)))
    amp.call(lambda c: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, "v1")))
    amp.call(lambda c: c.put_keepalived(amp.endpoint, keepalived_conf(amp)))
    assert wait_for(lambda: f"inet {amp.vip}/24" in sh(
        "ip", "-n", amp.data_ns, "addr", "show", "eth1").stdout, 10)
    assert get_v(amp) == "v1"
    info = amp.call(lambda c: c.info(amp.endpoint))
    assert info.haproxy_running and info.keepalived_running
    assert info.haproxy_config_sha256 == hashlib.sha256(
        haproxy_cfg(amp, "v1").encode()).hexdigest()
    assert wait_for(lambda: Path(amp.paths.vrrp_state_file).exists()
                    and Path(amp.paths.vrrp_state_file).read_text().strip() == "MASTER", 5)


def _keep_alive_requests(amp: Amphora, stop: threading.Event, results: list[str]) -> None:
    """Sequential requests on one keep-alive connection until told to stop, then 20 more.

    Bounded: at most 1000 requests and 60 seconds.
    """
    conn = http.client.HTTPConnection(amp.vip, 80, timeout=3)
    deadline = time.monotonic() + 60
    after_stop = 20
    try:
        while len(results) < 1000 and time.monotonic() < deadline and after_stop > 0:
            if stop.is_set():
                after_stop -= 1
            try:
                results.append(get_v(amp, conn))
            except (OSError, http.client.HTTPException, AssertionError) as exc:
                results.append(f"FAILED {exc!r}")
                conn.close()
            time.sleep(0.005)
    finally:
        conn.close()


def test_reloads_drop_no_keep_alive_request(amp: Amphora) -> None:
    amp.call(lambda c: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, "v1")))
    results: list[str] = []
    stop = threading.Event()
    worker = threading.Thread(target=_keep_alive_requests, args=(amp, stop, results))
    worker.start()
    try:
        for n in range(2, 7):
            time.sleep(0.1)
            amp.call(lambda c, n=n: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, f"v{n}")))
    finally:
        stop.set()
        worker.join(70)
    failures = [r for r in results if r.startswith("FAILED")]
    print(f"\n{len(results)} keep-alive requests across 5 reloads, {len(failures)} failed")
    assert len(results) >= 100
    assert failures == []
    assert results[-1] == "v6"
    assert sorted(set(results)) == ["v1", "v2", "v3", "v4", "v5", "v6"]
    master = parse_show_proc(ask_unix(amp.paths.haproxy_master_socket, "show proc"))
    assert master is not None and master.reloads >= 5 and master.failed == 0


def test_an_invalid_config_is_refused_and_the_old_one_keeps_serving(amp: Amphora) -> None:
    amp.call(lambda c: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, "good")))
    broken = haproxy_cfg(amp, "bad").replace("maxconn 1000", "maxconn 1000\n    bogus_keyword 1")
    with pytest.raises(PermanentError, match="bogus_keyword"):
        amp.call(lambda c: c.put_haproxy(amp.endpoint, broken))
    assert get_v(amp) == "good"
    assert "bogus_keyword" in Path(amp.paths.haproxy_cfg + ".failed").read_text()


def test_a_reload_that_fails_restores_the_last_known_good(amp: Amphora) -> None:
    """haproxy -c accepts it, but the reload cannot get the file descriptors it needs."""
    amp.call(lambda c: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, "kept")))
    greedy = haproxy_cfg(amp, "greedy").replace("maxconn 1000", "maxconn 15000")
    with pytest.raises(TemporaryError, match="FD limit"):
        amp.call(lambda c: c.put_haproxy(amp.endpoint, greedy))
    assert get_v(amp) == "kept"
    assert Path(amp.paths.haproxy_cfg).read_text() == haproxy_cfg(amp, "kept")
    master = parse_show_proc(ask_unix(amp.paths.haproxy_master_socket, "show proc"))
    assert master is not None and master.workers == 1


def test_a_client_without_certificate_is_refused_at_tls(amp: Amphora) -> None:
    context = ssl.create_default_context(cafile=str(amp.pki.ca_path))
    answer = b""
    with socket.create_connection((amp.endpoint.address, 9443), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=amp.endpoint.amphora_id) as tls:
                tls.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = tls.recv(1024)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass
    assert b"HTTP/1.1" not in answer


def test_heartbeats_reach_the_host_signed_and_list_the_listener(amp: Amphora) -> None:
    amp.call(lambda c: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, "hb")))
    get_v(amp)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((amp.host_mgmt_ip, 0))
        udp.settimeout(3.0)
        target = f"{amp.host_mgmt_ip}:{udp.getsockname()[1]}"
        amp.call(lambda c: c.put_runtime_config(amp.endpoint, AgentRuntimeConfig(0.2, (target,))))
        deadline = time.monotonic() + 10
        beat = None
        while time.monotonic() < deadline:
            datagram = udp.recv(65535)
            with pytest.raises(HeartbeatError):
                decode(datagram, b"wrong key")
            beat = decode(datagram, KEY)
            if beat.pools.get(POOL) and beat.pools[POOL].members.get(MEMBER) == "UP":
                break
    assert beat is not None and beat.amphora_id == amp.endpoint.amphora_id
    assert beat.listeners[LISTENER].status == "OPEN"
    assert beat.listeners[LISTENER].totconns >= 1
    assert beat.pools[POOL].members == {MEMBER: "UP"}  # the PING check through the wrapper
    assert beat.vrrp == "MASTER"
    runtime = json.loads(Path(amp.paths.agent_config).read_text())["runtime"]
    assert runtime == {"heartbeat_interval": 0.2, "health_targets": [target]}


def test_firewall_applies_and_an_invalid_ruleset_is_refused(amp: Amphora) -> None:
    ruleset = f"table inet {amp.tag} {{\n  chain input {{\n    type filter hook input " \
              "priority 0; policy accept;\n  }\n}\n"
    amp.call(lambda c: c.put_firewall(amp.endpoint, ruleset))
    assert f"table inet {amp.tag}" in sh("ip", "netns", "exec", amp.data_ns, "nft",
                                          "list", "tables").stdout
    with pytest.raises(PermanentError):
        amp.call(lambda c: c.put_firewall(amp.endpoint, "table inet x { nonsense }\n"))
    assert get_v(amp)  # still serving


def test_data_plane_outlives_the_agent(amp: Amphora) -> None:
    amp.call(lambda c: c.put_haproxy(amp.endpoint, haproxy_cfg(amp, "alive")))
    amp.agent.terminate()
    amp.agent.wait(5)
    assert get_v(amp) == "alive"
    assert not Path(amp.paths.agent_pid).exists()
    amp.agent = _start_agent(amp.paths, amp.mgmt_ns)
    info = amp.call(lambda c: c.wait_ready(amp.endpoint, 10.0))
    assert info.haproxy_running and info.keepalived_running


def test_stop_keepalived_hands_the_vip_over_and_put_starts_it_again(amp: Amphora) -> None:
    amp.call(lambda c: c.stop_keepalived(amp.endpoint))
    assert f"inet {amp.vip}/24" not in sh("ip", "-n", amp.data_ns, "addr", "show", "eth1").stdout
    assert not amp.call(lambda c: c.info(amp.endpoint)).keepalived_running
    amp.call(lambda c: c.put_keepalived(amp.endpoint, keepalived_conf(amp)))
    assert wait_for(lambda: f"inet {amp.vip}/24" in sh(
        "ip", "-n", amp.data_ns, "addr", "show", "eth1").stdout, 10)
