"""Amphora lifecycle: build, plug, tear down, replace.

Every step is idempotent, so a controller that died half-way through a
build simply runs the build again: an amphora row in BOOTING is continued,
not duplicated, and each driver call leaves what already exists alone.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import uuid
from dataclasses import dataclass

from livia.controller.context import Controller, gather_all
from livia.domain.amphorae import Amphora, AmphoraPaths
from livia.domain.errors import DriverError
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.networks import OWNER_MEMBER, OWNER_MGMT, OWNER_VRRP, Port, Subnet
from livia.domain.status import ROLE_PRIORITY, AmphoraRole, AmphoraStatus, Topology
from livia.drivers.agent_client import AgentEndpoint
from livia.drivers.compute import AmphoraBoot
from livia.drivers.network import LB_MGMT_NET, PortPlug
from livia.protocol.agent import AgentBootConfig, AgentRuntimeConfig, PlugNetwork, PlugVip
from livia.store import amphorae, networks
from livia.store.database import Connection
from livia.store.records import utcnow

log = logging.getLogger(__name__)

LIVE = (AmphoraStatus.BOOTING, AmphoraStatus.ALLOCATED)
HANDING_OVER = (AmphoraStatus.ALLOCATED, AmphoraStatus.PENDING_DELETE)
GRACEFUL_STOP_TIMEOUT = 5.0  # a hung agent does not hold its replacement up for longer
# HAProxy's peers retry a refused session after 5 s: one retry fits.
STICK_SYNC_TIMEOUT = 6.0
STICK_SYNC_POLL = 0.05


def endpoint(ctl: Controller, amp: Amphora) -> AgentEndpoint:
    assert amp.lb_network_ip is not None
    return AgentEndpoint(amphora_id=amp.id, address=amp.lb_network_ip,
                         port=ctl.settings.agent_port)


def runtime_config(ctl: Controller) -> AgentRuntimeConfig:
    return AgentRuntimeConfig(
        heartbeat_interval=ctl.settings.heartbeat_interval,
        health_targets=(f"{ctl.settings.controller_ip}:{ctl.settings.health_port}",),
    )


def needs_replacement(amp: Amphora) -> bool:
    return amp.status is AmphoraStatus.ERROR or (
        amp.failover_reason is not None and amp.status in LIVE)


# -- database steps ------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """An amphora row and the ports it is built with."""

    amphora: Amphora
    mgmt_port: Port
    vrrp_port: Port


def plan_amphora(conn: Connection, ctl: Controller, graph: LoadBalancerGraph,
                 role: AmphoraRole, reuse_vrrp_port: str | None) -> Plan:
    """The amphora for ``role``: an unfinished one to continue, or a new row with ports."""
    lb = graph.loadbalancer
    for amp in amphorae.records.where(conn, amphorae.records.table.c.loadbalancer_id == lb.id):
        if amp.role is role and amp.status is AmphoraStatus.BOOTING and not amp.failover_reason:
            mgmt = networks.ports.get(conn, amp.mgmt_port_id or "")
            vrrp = networks.ports.get(conn, amp.vrrp_port_id or "")
            if mgmt is not None and vrrp is not None:
                return Plan(amp, mgmt, vrrp)
    reuse_vrrp_port = reuse_vrrp_port or _kept_vrrp_port(conn, lb.id)
    amp_id = str(uuid.uuid4())
    assert ctl.mgmt_subnet_id is not None and lb.vip_subnet_id is not None
    mgmt_subnet = networks.subnets.get(conn, ctl.mgmt_subnet_id)
    vip_subnet = networks.subnets.get(conn, lb.vip_subnet_id)
    assert mgmt_subnet is not None and vip_subnet is not None
    mgmt = networks.create_port(conn, project="admin", network_id=mgmt_subnet.network_id,
                                fixed_ips=[(mgmt_subnet, None)], device_owner=OWNER_MGMT,
                                device_id=amp_id, name=f"lb-mgmt-{amp_id}")
    if reuse_vrrp_port:
        networks.ports.update(conn, reuse_vrrp_port, device_id=amp_id,
                              name=f"octavia-lb-vrrp-{amp_id}")
        vrrp = networks.ports.get(conn, reuse_vrrp_port)
        assert vrrp is not None
    else:
        vrrp = networks.create_port(
            conn, project=lb.project_id, network_id=vip_subnet.network_id,
            fixed_ips=[(vip_subnet, None)], device_owner=OWNER_VRRP, device_id=amp_id,
            name=f"octavia-lb-vrrp-{amp_id}",
            allowed_address_pairs=({"ip_address": lb.vip_address or ""},))
    now = utcnow()
    amp = Amphora(
        id=amp_id, loadbalancer_id=lb.id, compute_id=None, lb_network_ip=mgmt.first_ip,
        vrrp_ip=vrrp.first_ip, ha_ip=lb.vip_address, vrrp_port_id=vrrp.id,
        ha_port_id=lb.vip_port_id, mgmt_port_id=mgmt.id, role=role,
        status=AmphoraStatus.BOOTING, vrrp_interface="eth1", vrrp_id=lb.vrrp_id,
        vrrp_priority=ROLE_PRIORITY[role], cert_expiration=None, cert_busy=False,
        created_at=now, updated_at=None,
    )
    amphorae.records.insert(conn, amp)
    return Plan(amp, mgmt, vrrp)


def _kept_vrrp_port(conn: Connection, lb_id: str) -> str | None:
    """A VRRP port a replaced amphora kept for a successor that was never planned (the
    controller died between the teardown and the plan): the successor takes it."""
    for amp in amphorae.records.where(conn, amphorae.records.table.c.loadbalancer_id == lb_id):
        if amp.status is AmphoraStatus.DELETED and amp.vrrp_port_id:
            port = networks.ports.get(conn, amp.vrrp_port_id)
            if port is not None and not port.device_id:
                return port.id
    return None


# -- building --------------------------------------------------------------------------------

def _prefixlen(subnet: Subnet) -> int:
    return ipaddress.ip_network(subnet.cidr).prefixlen


async def build(ctl: Controller, graph: LoadBalancerGraph, plan: Plan) -> Amphora:
    """Boot the amphora, wait for its agent, plug its VIP side; returns it ALLOCATED."""
    amp, mgmt, vrrp = plan.amphora, plan.mgmt_port, plan.vrrp_port
    subnet = graph.vip_subnet
    assert subnet is not None and mgmt.first_ip and vrrp.first_ip and graph.loadbalancer.vip_address
    host = ctl.compute.amphora_host(amp.id)
    mgmt_prefix = ctl.settings.mgmt_network.prefixlen
    cert = ctl.ca.issue_server(amp.id)
    paths = AmphoraPaths(host.base_dir)
    boot = AmphoraBoot(
        amphora_id=amp.id,
        mgmt_port=PortPlug(port_id=mgmt.id, network_id=LB_MGMT_NET,
                           mac_address=mgmt.mac_address, netns=host.mgmt_netns, ifname="eth0",
                           addresses=(f"{mgmt.first_ip}/{mgmt_prefix}",)),
        agent=AgentBootConfig(
            amphora_id=amp.id, base_dir=host.base_dir, data_netns=host.data_netns,
            listen_address=mgmt.first_ip, listen_port=ctl.settings.agent_port,
            server_cert=paths.server_cert, server_key=paths.server_key,
            client_ca=paths.client_ca, heartbeat_key_file=paths.heartbeat_key,
            runtime=runtime_config(ctl)),
        server_cert_pem=cert.cert_pem,
        server_key_pem=cert.key_pem,
        client_ca_pem=ctl.ca.ca_pem, heartbeat_key=ctl.heartbeat_key,
    )
    await ctl.compute.create_amphora(boot)
    await ctl.network.ensure_network(vrrp.network_id)
    await ctl.network.plug_port(PortPlug(
        port_id=vrrp.id, network_id=vrrp.network_id, mac_address=vrrp.mac_address,
        netns=host.data_netns, ifname=f"v{vrrp.id.replace('-', '')[:10]}"))
    agent = AgentEndpoint(amphora_id=amp.id, address=mgmt.first_ip,
                          port=ctl.settings.agent_port)
    await ctl.agents.wait_ready(agent, ctl.settings.amphora_boot_timeout)
    await ctl.agents.plug_vip(agent, PlugVip(
        mac_address=vrrp.mac_address, vrrp_ip=vrrp.first_ip, prefixlen=_prefixlen(subnet),
        gateway=subnet.gateway_ip, vip_address=graph.loadbalancer.vip_address,
        host_routes=subnet.host_routes,
        hold_vip=graph.loadbalancer.topology is Topology.SINGLE))

    def allocate(conn: Connection) -> Amphora:
        amphorae.records.update(conn, amp.id, status=AmphoraStatus.ALLOCATED,
                                compute_id=host.compute_id,
                                cert_expiration=cert.expires_at.replace(tzinfo=None))
        amphorae.touch_health(conn, amp.id, seq=0, when=utcnow())  # the silence clock starts
        networks.ports.update(conn, mgmt.id, status="ACTIVE")
        networks.ports.update(conn, vrrp.id, status="ACTIVE")
        found = amphorae.records.get(conn, amp.id)
        assert found is not None
        return found

    built = await ctl.write(allocate)
    log.info("amphora %s (%s) of load balancer %s is up", amp.id, amp.role,
             graph.loadbalancer.id)
    return built


async def plug_member_networks(ctl: Controller, graph: LoadBalancerGraph, amp: Amphora
                               ) -> bool:
    """Give the amphora a port on every member subnet's network it is not on yet.

    True when it got one (the graph no longer shows all its ports)."""
    have = {p.network_id for p in graph.ports if p.device_id == amp.id}
    if graph.vip_subnet is not None:
        have.add(graph.vip_subnet.network_id)
    wanted = [s for s in graph.member_subnets if s.network_id not in have]
    if not wanted:
        return False
    host = ctl.compute.amphora_host(amp.id)
    for subnet in wanted:
        def make(conn: Connection, subnet: Subnet = subnet) -> Port:
            return networks.create_port(conn, project=graph.loadbalancer.project_id,
                                        network_id=subnet.network_id,
                                        fixed_ips=[(subnet, None)], device_owner=OWNER_MEMBER,
                                        device_id=amp.id,
                                        name=f"octavia-lb-member-{amp.id}")

        port = await ctl.write(make)
        assert port.first_ip is not None
        await ctl.network.ensure_network(subnet.network_id)
        await ctl.network.plug_port(PortPlug(
            port_id=port.id, network_id=subnet.network_id, mac_address=port.mac_address,
            netns=host.data_netns, ifname=f"m{port.id.replace('-', '')[:10]}"))
        await ctl.agents.plug_network(endpoint(ctl, amp), PlugNetwork(
            mac_address=port.mac_address,
            addresses=(f"{port.first_ip}/{_prefixlen(subnet)}",)))
    return True


async def wait_stick_tables(ctl: Controller, graph: LoadBalancerGraph, new: Amphora) -> None:
    """Wait (bounded) until ``new`` holds as many stick-table entries as its peer.

    HAProxy's peers teach a new peer the whole table once their session is up. A VIP
    handed over before that (the next step of a load balancer failover) sends the
    peer's clients to whatever member the balancing picks: SOURCE_IP and APP_COOKIE
    persistence broken for a request. Best effort: an agent that does not answer,
    or tables still behind after STICK_SYNC_TIMEOUT, are logged and let pass.
    """
    peers = [a for a in graph.amphorae if a.status is AmphoraStatus.ALLOCATED
             and a.id != new.id and a.lb_network_ip is not None]
    if not peers:
        return
    t0 = asyncio.get_running_loop().time()
    while True:
        try:
            peer_info, new_info = await gather_all(
                [ctl.agents.info(endpoint(ctl, peers[0])), ctl.agents.info(endpoint(ctl, new))])
        except DriverError as exc:
            log.info("amphora %s: stick tables not compared (%s)", new.id, exc)
            return
        behind = {name: (new_info.stick_entries.get(name, 0), used)
                  for name, used in peer_info.stick_entries.items()
                  if new_info.stick_entries.get(name, 0) < used}
        waited = asyncio.get_running_loop().time() - t0
        if not behind:
            if peer_info.stick_entries:
                log.info("amphora %s: stick tables in sync after %.2f s", new.id, waited)
            return
        if waited >= STICK_SYNC_TIMEOUT:
            log.warning("amphora %s: stick tables behind its peer after %.1f s "
                        "(entries, peer's): %s", new.id, waited, behind)
            return
        await asyncio.sleep(STICK_SYNC_POLL)


# -- tearing down ------------------------------------------------------------------------------

async def stop_gracefully(ctl: Controller, amp: Amphora) -> None:
    """Let a live amphora hand its VIP over before it is removed (best effort).

    PENDING_DELETE too: a controller that died (or met a temporary error) between
    marking the amphora and its hand-over finds it so, possibly still the MASTER.
    """
    if amp.status not in HANDING_OVER or amp.lb_network_ip is None:
        return
    try:
        await asyncio.wait_for(ctl.agents.stop_keepalived(endpoint(ctl, amp)),
                               GRACEFUL_STOP_TIMEOUT)
    except (DriverError, AttributeError, TimeoutError) as exc:
        log.info("amphora %s: no graceful VRRP hand-over (%s)", amp.id, exc)
        return
    await asyncio.sleep(ctl.settings.vrrp_advert_int * 3)


async def teardown(ctl: Controller, amp: Amphora, *, keep_vrrp_port: bool) -> None:
    """Remove the amphora from the host and its rows (the VRRP port may go to a successor)."""
    await ctl.compute.delete_amphora(amp.id)

    def ports_of(conn: Connection) -> list[Port]:
        return networks.ports_of_devices(conn, [amp.id])

    for port in await ctl.read(ports_of):
        await ctl.network.unplug_port(port.id)

    def forget(conn: Connection) -> None:
        for port in networks.ports_of_devices(conn, [amp.id]):
            if keep_vrrp_port and port.id == amp.vrrp_port_id:
                networks.ports.update(conn, port.id, device_id="", status="DOWN")
            else:
                networks.ports.delete(conn, port.id)
        amphorae.records.update(conn, amp.id, status=AmphoraStatus.DELETED)
        amphorae.forget_health(conn, amp.id)
        amphorae.zero_active_connections(conn, amp.id)

    await ctl.write(forget)
    ctl.applied.forget(amp.id)
    log.info("amphora %s (%s) removed", amp.id, amp.role)
