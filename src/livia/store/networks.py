"""Networks, subnets, ports and IP address management."""

from __future__ import annotations

import dataclasses
import ipaddress
import secrets
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, String, cast, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError

from livia.domain.errors import Conflict, InvalidInput
from livia.domain.networks import NETWORK_DELETING, FixedIp, Network, Port, Subnet
from livia.domain.visibility import NETWORK_SEEN_BY_ALL
from livia.store import tables
from livia.store.records import Records, from_mapping, utcnow

records = Records(tables.networks, Network)
subnets = Records(tables.subnets, Subnet)


class _PortRecords(Records[Port]):
    """Ports carry their fixed IPs, which live in ``ip_allocations``."""

    def _build(self, conn: Connection, rows: Iterable[Any]) -> list[Port]:
        mappings = [r._mapping for r in rows]
        ids = [m["id"] for m in mappings]
        tag_map = self._tags(conn, ids)
        ips: dict[str, list[FixedIp]] = {}
        a = tables.ip_allocations
        for start in range(0, len(ids), 500):
            stmt = (
                select(a.c.port_id, a.c.subnet_id, a.c.ip_address)
                .where(a.c.port_id.in_(ids[start : start + 500]))
                .order_by(a.c.port_id, a.c.position)
            )
            for port_id, subnet_id, ip in conn.execute(stmt):
                ips.setdefault(port_id, []).append(FixedIp(subnet_id=subnet_id, ip_address=ip))
        return [
            from_mapping(Port, m, tags=tuple(sorted(tag_map.get(m["id"], ()))),
                         fixed_ips=tuple(ips.get(m["id"], ())))
            for m in mappings
        ]

    def delete(self, conn: Connection, object_id: str) -> None:
        a = tables.ip_allocations
        conn.execute(delete(a).where(a.c.port_id == object_id))
        super().delete(conn, object_id)


ports = _PortRecords(tables.ports, Port)


def visible_to(project_id: str | None) -> ColumnElement[bool]:
    """Live networks a project sees (``livia.domain.visibility``); None: every live one."""
    t = tables.networks
    live = t.c.status != NETWORK_DELETING
    if project_id is None:
        return live
    return live & or_(t.c.project_id == project_id,
                      *(t.c[flag].is_(True) for flag in NETWORK_SEEN_BY_ALL))


def subnets_visible_to(project_id: str | None) -> ColumnElement[bool]:
    """Subnets of the networks ``visible_to`` the project."""
    return tables.subnets.c.network_id.in_(
        select(tables.networks.c.id).where(visible_to(project_id)))


def ports_of_devices(conn: Connection, device_ids: Sequence[str]) -> list[Port]:
    if not device_ids:
        return []
    return ports.where(conn, tables.ports.c.device_id.in_(list(device_ids)))


def new_mac(conn: Connection) -> str:
    """A random MAC in OpenStack's fa:16:3e prefix, unused so far."""
    for _ in range(32):
        mac = "fa:16:3e:" + ":".join(f"{b:02x}" for b in secrets.token_bytes(3))
        taken = conn.execute(select(tables.ports.c.id).where(tables.ports.c.mac_address == mac))
        if taken.first() is None:
            return mac
    raise Conflict("Could not find a free MAC address.")


def allocated(conn: Connection, subnet_id: str) -> set[str]:
    a = tables.ip_allocations
    return {r[0] for r in conn.execute(select(a.c.ip_address).where(a.c.subnet_id == subnet_id))}


def _allocated_numbers(conn: Connection, subnet_id: str) -> set[int]:
    return {int(ipaddress.ip_address(ip)) for ip in allocated(conn, subnet_id)}


def _pool_bounds(subnet: Subnet) -> list[tuple[int, int]]:
    return [(int(ipaddress.ip_address(p.start)), int(ipaddress.ip_address(p.end)))
            for p in subnet.allocation_pools]


def free_count(conn: Connection, subnet: Subnet) -> int:
    used = _allocated_numbers(conn, subnet.id)
    return sum(last - first + 1 - sum(1 for n in used if first <= n <= last)
               for first, last in _pool_bounds(subnet))


def next_free_ip(conn: Connection, subnet: Subnet) -> str:
    used = _allocated_numbers(conn, subnet.id)
    if subnet.gateway_ip:
        used.add(int(ipaddress.ip_address(subnet.gateway_ip)))
    for first, last in _pool_bounds(subnet):
        for n in range(first, last + 1):
            if n not in used:
                return str(ipaddress.ip_address(n))
    raise Conflict(f"No more IP addresses available on subnet {subnet.id}.")


def check_requested_ip(conn: Connection, subnet: Subnet, ip: str) -> None:
    addr = ipaddress.ip_address(ip)
    if addr not in ipaddress.ip_network(subnet.cidr):
        raise InvalidInput(f"IP address {ip} is not a valid IP for the specified subnet.")
    if ip in allocated(conn, subnet.id) or ip == subnet.gateway_ip:
        raise Conflict(f"IP address {ip} already allocated in subnet {subnet.id}")


def check_host_address(subnet: Subnet, ip: str) -> None:
    """A subnet's network address (and IPv4 broadcast address) is never a port's."""
    net = ipaddress.ip_network(subnet.cidr)
    address = ipaddress.ip_address(ip)
    if net.num_addresses <= 2 or address not in net:
        return
    if address == net.network_address or (net.version == 4 and address == net.broadcast_address):
        raise InvalidInput(f"IP address {ip} is the network or broadcast address of subnet "
                           f"{subnet.id}; it cannot be given to a port.")


def allocate(conn: Connection, port_id: str, requests: Sequence[tuple[Subnet, str | None]]
             ) -> tuple[FixedIp, ...]:
    """Give ``port_id`` one address per (subnet, wanted address or None)."""
    # Concurrent writers on PostgreSQL would pick the same "next free" address:
    # lock the subnets (in a fixed order) so that allocations in one subnet take turns.
    # SQLite writers are serialized already (BEGIN IMMEDIATE); FOR UPDATE is a no-op there.
    for subnet_id in sorted({s.id for s, _ in requests}):
        conn.execute(select(tables.subnets.c.id).where(tables.subnets.c.id == subnet_id)
                     .with_for_update())
    out = []
    for position, (subnet, wanted) in enumerate(requests):
        if wanted is None:
            ip = next_free_ip(conn, subnet)
        else:
            check_requested_ip(conn, subnet, wanted)
            ip = wanted
        try:
            conn.execute(insert(tables.ip_allocations).values(
                port_id=port_id, subnet_id=subnet.id, ip_address=ip, position=position))
        except IntegrityError as exc:
            raise Conflict(f"IP address {ip} already allocated in subnet {subnet.id}") from exc
        out.append(FixedIp(subnet_id=subnet.id, ip_address=ip))
    return tuple(out)


def release(conn: Connection, port_id: str) -> None:
    a = tables.ip_allocations
    conn.execute(delete(a).where(a.c.port_id == port_id))


def subnets_of(conn: Connection, network_id: str) -> list[Subnet]:
    return subnets.where(conn, tables.subnets.c.network_id == network_id)


def create_port(
    conn: Connection,
    *,
    project: str,
    network_id: str,
    fixed_ips: Sequence[tuple[Subnet, str | None]],
    name: str | None = None,
    device_owner: str = "",
    device_id: str = "",
    security_groups: Sequence[str] = (),
    allowed_address_pairs: Sequence[dict[str, str]] = (),
    mac_address: str | None = None,
) -> Port:
    """Insert a port and allocate its addresses: the one way ports come to be."""
    port = Port(
        id=str(uuid.uuid4()), project_id=project, network_id=network_id, name=name,
        description=None, admin_state_up=True, status="DOWN",
        mac_address=mac_address or new_mac(conn), device_id=device_id,
        device_owner=device_owner, revision_number=1, created_at=utcnow(), updated_at=None,
        security_groups=tuple(security_groups),
        allowed_address_pairs=tuple(allowed_address_pairs),
    )
    ports.insert(conn, port)
    return dataclasses.replace(port, fixed_ips=allocate(conn, port.id, fixed_ips))


def with_fixed_ip(ip_addresses: Sequence[str] = (), subnet_ids: Sequence[str] = (),
                  ip_substrings: Sequence[str] = ()) -> ColumnElement[bool]:
    """Ports holding one address that meets every given condition (Neutron's ``fixed_ips``)."""
    a = tables.ip_allocations
    conditions: list[ColumnElement[bool]] = []
    if ip_addresses:
        conditions.append(a.c.ip_address.in_(list(ip_addresses)))
    if subnet_ids:
        conditions.append(a.c.subnet_id.in_(list(subnet_ids)))
    conditions.extend(a.c.ip_address.contains(s, autoescape=True) for s in ip_substrings)
    return tables.ports.c.id.in_(select(a.c.port_id).where(*conditions))


def using_group(group_id: str) -> ColumnElement[bool]:
    """Ports whose ``security_groups`` list names ``group_id``."""
    listed = cast(tables.ports.c.security_groups, String)
    return listed.contains(f'"{group_id}"', autoescape=True)
