"""Instances on the host: a namespace per instance with its port, running the user's command."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from livia.controller.context import Controller
from livia.domain.errors import LiviaError, PermanentError
from livia.domain.instances import ACTIVE, BUILD, DELETING, ERROR, Instance
from livia.domain.networks import Port
from livia.drivers.compute import InstanceBoot
from livia.drivers.network import PortPlug
from livia.store import instances, networks, tables
from livia.store.database import Connection

log = logging.getLogger(__name__)


def _work(conn: Connection) -> list[tuple[Instance, Port | None]]:
    found = instances.records.where(conn, tables.instances.c.status.in_([BUILD, DELETING]))
    return [(i, networks.ports.get(conn, i.port_id) if i.port_id else None) for i in found]


async def reconcile(ctl: Controller) -> None:
    for instance, port in await ctl.read(_work):
        try:
            if instance.status == DELETING:
                await _delete(ctl, instance)
            elif port is not None:
                await _create(ctl, instance, port)
        except LiviaError as exc:
            log.error("instance %s: %s", instance.name, exc.message)
            status = ERROR if instance.status == BUILD else DELETING
            if status == ERROR:
                await ctl.write(_mark_error(instance.id))


def _mark_error(instance_id: str) -> Callable[[Connection], None]:
    return lambda c: instances.records.update(c, instance_id, status=ERROR)


def _confined_uid(instance: Instance) -> int | None:
    if not instance.confined:
        return None
    if instance.uid is None:
        raise PermanentError(f"instance {instance.id} is confined but has no uid")
    return instance.uid


async def _create(ctl: Controller, instance: Instance, port: Port) -> None:
    subnet = await ctl.read(lambda c: networks.subnets.get(c, port.fixed_ips[0].subnet_id))
    assert subnet is not None and port.first_ip is not None
    prefix = ipaddress.ip_network(subnet.cidr).prefixlen
    host = ctl.compute.instance_host(instance.id)
    await ctl.network.ensure_network(port.network_id)
    await ctl.compute.create_instance(InstanceBoot(
        instance_id=instance.id, name=instance.name,
        port=PortPlug(port_id=port.id, network_id=port.network_id,
                      mac_address=port.mac_address, netns=host.netns, ifname="eth0",
                      addresses=(f"{port.first_ip}/{prefix}",), gateway=subnet.gateway_ip),
        command=instance.command, confined_uid=_confined_uid(instance)))

    def activate(conn: Connection) -> None:
        instances.records.update(conn, instance.id, status=ACTIVE)
        networks.ports.update(conn, port.id, status="ACTIVE")

    await ctl.write(activate)
    log.info("instance %s is running on %s", instance.name, port.first_ip)


async def _delete(ctl: Controller, instance: Instance) -> None:
    await ctl.compute.delete_instance(instance.id)
    if instance.port_id:
        await ctl.network.unplug_port(instance.port_id)

    def forget(conn: Connection) -> None:
        if instance.port_id:
            networks.ports.delete(conn, instance.port_id)
        instances.records.delete(conn, instance.id)

    await ctl.write(forget)
    log.info("instance %s deleted", instance.name)
