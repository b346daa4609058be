"""Floating IPs on the host: a NAT between an external network and a fixed IP."""

from __future__ import annotations

import ipaddress
import logging

from livia.controller.context import Controller
from livia.domain.errors import LiviaError
from livia.domain.networks import FloatingIp, Port
from livia.drivers.network import FloatingIpPlumbing
from livia.store import floatingips, networks
from livia.store.database import Connection

log = logging.getLogger(__name__)


def _cidr_of(conn: Connection, port: Port) -> str:
    subnet = networks.subnets.get(conn, port.fixed_ips[0].subnet_id)
    assert subnet is not None
    return f"{port.first_ip}/{ipaddress.ip_network(subnet.cidr).prefixlen}"


def _load(conn: Connection, fip_id: str
          ) -> tuple[FloatingIp | None, FloatingIpPlumbing | None, bool]:
    fip = floatingips.records.get(conn, fip_id)
    if fip is None:
        return None, None, False
    outer_id, inner_id, pending_delete = floatingips.plumbing_ports(conn, fip_id)
    outer = networks.ports.get(conn, outer_id) if outer_id else None
    inner = networks.ports.get(conn, inner_id) if inner_id else None
    if pending_delete or fip.fixed_ip_address is None or outer is None or inner is None:
        return fip, None, pending_delete
    return fip, FloatingIpPlumbing(
        floatingip_id=fip.id, external_network_id=outer.network_id,
        floating_address=_cidr_of(conn, outer), external_mac=outer.mac_address,
        internal_network_id=inner.network_id, internal_address=_cidr_of(conn, inner),
        internal_mac=inner.mac_address, target_address=fip.fixed_ip_address,
    ), False


async def reconcile(ctl: Controller) -> None:
    for fip_id in await ctl.read(floatingips.work_ids):
        try:
            await _one(ctl, fip_id)
        except LiviaError as exc:
            log.error("floating IP %s: %s", fip_id, exc.message)


async def _one(ctl: Controller, fip_id: str) -> None:
    fip, plumbing, pending_delete = await ctl.read(lambda c: _load(c, fip_id))
    if fip is None:
        return
    await ctl.network.remove_floating_ip(fip_id)
    if pending_delete:
        await ctl.write(lambda c: _forget(c, fip_id))
        log.info("floating IP %s released", fip.floating_ip_address)
        return
    if plumbing is not None:
        await ctl.network.ensure_network(plumbing.external_network_id)
        await ctl.network.ensure_network(plumbing.internal_network_id)
        await ctl.network.ensure_floating_ip(plumbing)
    status = "ACTIVE" if plumbing is not None else "DOWN"
    await ctl.write(lambda c: floatingips.records.update(c, fip_id, applied=True,
                                                         status=status))
    log.info("floating IP %s -> %s (%s)", fip.floating_ip_address, fip.fixed_ip_address, status)


def _forget(conn: Connection, fip_id: str) -> None:
    outer_id, inner_id, _ = floatingips.plumbing_ports(conn, fip_id)
    for port_id in (outer_id, inner_id):
        if port_id:
            networks.ports.delete(conn, port_id)
    floatingips.records.delete(conn, fip_id)
