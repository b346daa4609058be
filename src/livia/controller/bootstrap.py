"""What the controller needs before its first pass: lb-mgmt-net, in the database and on the host,
and no lease left by a crashed controller of this host."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import uuid
from collections.abc import Callable

from livia.controller.context import Controller
from livia.domain.networks import AllocationPool, Network, Subnet
from livia.store import loadbalancers, networks, tables
from livia.store.database import Connection
from livia.store.records import utcnow

log = logging.getLogger(__name__)

MGMT_NAME = "lb-mgmt-net"
MGMT_PROJECT = "admin"


def ensure_mgmt_rows(conn: Connection, cidr: str, controller_ip: str) -> tuple[str, str]:
    """The lb-mgmt-net network and subnet rows (ids); the controller's address is the gateway."""
    found = networks.records.where(conn, tables.networks.c.name == MGMT_NAME,
                                   tables.networks.c.project_id == MGMT_PROJECT)
    if found:
        network = found[0]
    else:
        network = Network(id=_id(), project_id=MGMT_PROJECT, name=MGMT_NAME,
                          description="Controller <-> amphora agents", admin_state_up=True,
                          status="ACTIVE", shared=False, router_external=False, mtu=1500,
                          revision_number=1, created_at=utcnow(), updated_at=None)
        networks.records.insert(conn, network)
    subnets = networks.subnets_of(conn, network.id)
    if subnets:
        if subnets[0].cidr != str(ipaddress.ip_network(cidr)):
            log.warning("lb-mgmt-net is %s in the database but %s in the settings; keeping %s",
                        subnets[0].cidr, cidr, subnets[0].cidr)
        return network.id, subnets[0].id
    net = ipaddress.ip_network(cidr)
    hosts = list(net.hosts())
    subnet = Subnet(
        id=_id(), project_id=MGMT_PROJECT, network_id=network.id, name=f"{MGMT_NAME}-subnet",
        description=None, ip_version=4, cidr=str(net), gateway_ip=controller_ip,
        enable_dhcp=False, revision_number=1, created_at=utcnow(), updated_at=None,
        allocation_pools=(AllocationPool(start=str(hosts[1]), end=str(hosts[-1])),),
    )
    networks.subnets.insert(conn, subnet)
    return network.id, subnet.id


def _id() -> str:
    return str(uuid.uuid4())


def process_owner() -> str:
    """This process's name in leases: host, PID namespace and PID. Unique among live processes,
    and it tells a restarted controller that a lease's holder on this host has died."""
    return f"{socket.gethostname()[:40]}:{_pid_namespace()}:{os.getpid()}"


def _pid_namespace() -> str:
    try:
        return "".join(ch for ch in os.readlink("/proc/self/ns/pid") if ch.isdigit())
    except OSError:
        return "0"


def dead_local_owner(owner: str) -> bool:
    """True if ``owner`` was a process of this host and PID namespace that no longer runs."""
    parts, mine = owner.split(":"), process_owner().split(":")
    if len(parts) != 3 or parts[:2] != mine[:2] or not parts[2].isdigit() or parts == mine:
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _release_leases_of(owner: str) -> Callable[[Connection], int]:
    return lambda c: loadbalancers.release_leases_of(c, owner)


async def release_dead_leases(ctl: Controller) -> None:
    """A crashed controller on this host held leases: free them now, not when they expire."""
    for owner in await ctl.read(loadbalancers.lease_owners):
        if dead_local_owner(owner):
            n = await ctl.write(_release_leases_of(owner))
            log.info("released %d lease(s) of %s, which no longer runs", n, owner)


async def prepare(ctl: Controller) -> None:
    s = ctl.settings
    await release_dead_leases(ctl)
    ctl.mgmt_network_id, ctl.mgmt_subnet_id = await ctl.write(
        lambda c: ensure_mgmt_rows(c, s.mgmt_cidr, s.controller_ip))
    await ctl.network.ensure_mgmt_network(f"{s.controller_ip}/{s.mgmt_network.prefixlen}")
    log.info("lb-mgmt-net %s ready; controller at %s", s.mgmt_cidr, s.controller_ip)
