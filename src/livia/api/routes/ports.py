"""``/v2.0/ports``: addresses on networks (Neutron-shaped).

Ports are created by ``livia.store.networks.create_port`` (IPAM included).
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Connection

from livia.store import networks

router = APIRouter(tags=["ports"])


def delete_port(conn: Connection, port_id: str) -> None:
    networks.ports.delete(conn, port_id)
