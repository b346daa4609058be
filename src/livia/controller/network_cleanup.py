"""Networks deleted through the API lose their bridge here, then their row."""

from __future__ import annotations

import logging
from collections.abc import Callable

from livia.controller.context import Controller
from livia.domain.networks import NETWORK_DELETING as DELETING
from livia.store import networks, tables
from livia.store.database import Connection

log = logging.getLogger(__name__)


def _deleting(conn: Connection) -> list[str]:
    return [n.id for n in networks.records.where(conn, tables.networks.c.status == DELETING)]


def _forget(network_id: str) -> Callable[[Connection], None]:
    return lambda c: networks.records.delete(c, network_id)


async def reconcile(ctl: Controller) -> None:
    for network_id in await ctl.read(_deleting):
        await ctl.network.delete_network(network_id)
        await ctl.write(_forget(network_id))
        log.info("network %s deleted", network_id)
