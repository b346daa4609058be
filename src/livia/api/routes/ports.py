"""``/v2.0/ports``: addresses on networks (Neutron-shaped)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fastapi import APIRouter
from sqlalchemy import Connection

from livia.api.context import new_id
from livia.domain.networks import Network, Port, Subnet
from livia.store import networks
from livia.store.records import utcnow

router = APIRouter(tags=["ports"])


def create_port(
    conn: Connection,
    *,
    project: str,
    network: Network,
    fixed_ips: Sequence[tuple[Subnet, str | None]],
    name: str | None = None,
    device_owner: str = "",
    device_id: str = "",
    security_groups: Sequence[str] = (),
    mac_address: str | None = None,
) -> Port:
    """Insert a port and allocate its addresses (the one way ports come to be)."""
    port = Port(
        id=new_id(), project_id=project, network_id=network.id, name=name, description=None,
        admin_state_up=True, status="DOWN", mac_address=mac_address or networks.new_mac(conn),
        device_id=device_id, device_owner=device_owner, revision_number=1,
        created_at=utcnow(), updated_at=None, security_groups=tuple(security_groups),
    )
    networks.ports.insert(conn, port)
    return dataclasses.replace(port, fixed_ips=networks.allocate(conn, port.id, fixed_ips))


def delete_port(conn: Connection, port_id: str) -> None:
    networks.ports.delete(conn, port_id)
