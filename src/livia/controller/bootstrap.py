"""What the controller needs before its first pass: lb-mgmt-net, in the database and on the host."""

from __future__ import annotations

import ipaddress
import logging
import uuid

from sqlalchemy import Connection

from livia.controller.context import Controller
from livia.domain.networks import AllocationPool, Network, Subnet
from livia.store import networks, tables
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


async def prepare(ctl: Controller) -> None:
    s = ctl.settings
    ctl.mgmt_network_id, ctl.mgmt_subnet_id = await ctl.write(
        lambda c: ensure_mgmt_rows(c, s.mgmt_cidr, s.controller_ip))
    await ctl.network.ensure_mgmt_network(f"{s.controller_ip}/{s.mgmt_network.prefixlen}")
    log.info("lb-mgmt-net %s ready; controller at %s", s.mgmt_cidr, s.controller_ip)
