"""Load balancer rows, the per-load-balancer lock, leases and the graph read."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Connection,
    and_,
    bindparam,
    literal,
    or_,
    select,
    union_all,
)

from livia.domain.errors import Immutable, NotFound
from livia.domain.loadbalancers import LoadBalancer, LoadBalancerGraph
from livia.domain.status import PENDING_STATUSES, AmphoraStatus, ProvisioningStatus
from livia.store import (
    amphorae,
    healthmonitors,
    l7policies,
    l7rules,
    listeners,
    members,
    networks,
    pools,
    security_groups,
    tables,
)
from livia.store.records import Records, utcnow
from livia.store.tables import loadbalancers as table

records = Records(table, LoadBalancer)

PENDING = [s.value for s in PENDING_STATUSES]


def live(conn: Connection, lb_id: str) -> LoadBalancer:
    """The load balancer, or NotFound if there is none (or it is DELETED)."""
    lb = records.get(conn, lb_id)
    if lb is None or lb.provisioning_status is ProvisioningStatus.DELETED:
        raise NotFound("Load Balancer", lb_id)
    return lb


def vrrp_ids_on(conn: Connection, network_id: str) -> set[int]:
    """VRRP router ids of the live load balancers whose VIP is on the network."""
    stmt = select(table.c.vrrp_id).where(
        table.c.vip_network_id == network_id,
        table.c.provisioning_status != ProvisioningStatus.DELETED.value,
    )
    return {row[0] for row in conn.execute(stmt)}


def lock_for_change(conn: Connection, lb_id: str) -> LoadBalancer:
    """Take the load balancer for a change of it or one of its children.

    Octavia's rule: only an ACTIVE load balancer can change; it becomes
    PENDING_UPDATE until the controller has applied the change.
    """
    lb = records.get(conn, lb_id, for_update=True)
    if lb is None or lb.provisioning_status is ProvisioningStatus.DELETED:
        raise NotFound("Load Balancer", lb_id)
    if lb.provisioning_status is not ProvisioningStatus.ACTIVE:
        raise Immutable(
            f"Invalid state {lb.provisioning_status} of loadbalancer resource {lb_id}"
        )
    records.update(conn, lb_id, provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    return lb


def work_ids(conn: Connection) -> list[str]:
    """Load balancers the controller has to converge."""
    amps = tables.amphorae
    broken_amphora = select(amps.c.id).where(
        amps.c.loadbalancer_id == table.c.id,
        amps.c.status.in_([AmphoraStatus.ERROR.value, AmphoraStatus.PENDING_DELETE.value]),
    ).exists()
    stmt = select(table.c.id).where(
        or_(
            table.c.provisioning_status.in_(PENDING),
            and_(table.c.provisioning_status == ProvisioningStatus.ACTIVE.value,
                 broken_amphora),
            and_(
                table.c.provisioning_status == ProvisioningStatus.ACTIVE.value,
                table.c.security_group_id.is_not(None),
                table.c.sg_revision_applied != security_groups.revision_subquery(),
            ),
        )
    ).order_by(table.c.updated_at, table.c.created_at)
    return [r[0] for r in conn.execute(stmt)]


def acquire_lease(conn: Connection, lb_id: str, owner: str, seconds: float) -> bool:
    now = utcnow()
    taken = records.update_where(
        conn,
        and_(
            table.c.id == lb_id,
            or_(
                table.c.lease_owner.is_(None),
                table.c.lease_owner == owner,
                table.c.lease_expires < now,
            ),
        ),
        lease_owner=owner,
        lease_expires=now + timedelta(seconds=seconds),
        updated_at=table.c.updated_at,
    )
    return taken == 1


def release_lease(conn: Connection, lb_id: str, owner: str) -> None:
    records.update_where(
        conn,
        and_(table.c.id == lb_id, table.c.lease_owner == owner),
        lease_owner=None,
        lease_expires=None,
        updated_at=table.c.updated_at,
    )


def lease_owners(conn: Connection) -> list[str]:
    """The controllers that hold a lease now (live or not)."""
    stmt = select(table.c.lease_owner).where(table.c.lease_owner.is_not(None)).distinct()
    return [str(r[0]) for r in conn.execute(stmt)]


def release_leases_of(conn: Connection, owner: str) -> int:
    """Drop every lease ``owner`` holds: for a controller known to be dead."""
    return records.update_where(conn, table.c.lease_owner == owner, lease_owner=None,
                                lease_expires=None, updated_at=table.c.updated_at)


def sg_revision_applied(conn: Connection, lb_id: str) -> int:
    return int(conn.execute(select(table.c.sg_revision_applied).where(table.c.id == lb_id))
               .scalar_one())


def load_graph(conn: Connection, lb_id: str) -> LoadBalancerGraph:
    lb = records.get(conn, lb_id)
    if lb is None:
        raise NotFound("Load Balancer", lb_id)
    lb_listeners = listeners.records.where(conn, listeners.records.table.c.loadbalancer_id == lb_id)
    lb_pools = pools.records.where(conn, pools.records.table.c.loadbalancer_id == lb_id)
    pool_ids = [p.id for p in lb_pools]
    listener_ids = [li.id for li in lb_listeners]
    lb_members = members.records.where(conn, members.records.table.c.pool_id.in_(pool_ids))
    policies = l7policies.records.where(
        conn, l7policies.records.table.c.listener_id.in_(listener_ids))
    rules = l7rules.records.where(
        conn, l7rules.records.table.c.l7policy_id.in_([p.id for p in policies])
    )
    vip_port = networks.ports.get(conn, lb.vip_port_id) if lb.vip_port_id else None
    vip_subnet = networks.subnets.get(conn, lb.vip_subnet_id) if lb.vip_subnet_id else None
    member_subnet_ids = {m.subnet_id for m in lb_members if m.subnet_id} - {lb.vip_subnet_id}
    sg_rules, sg_revision = (
        security_groups.rules_and_revision(conn, lb.security_group_id)
        if lb.security_group_id
        else ((), 0)
    )
    amps = amphorae.records.where(conn, amphorae.records.table.c.loadbalancer_id == lb_id)
    return LoadBalancerGraph(
        loadbalancer=lb,
        listeners=tuple(lb_listeners),
        pools=tuple(lb_pools),
        members=tuple(lb_members),
        healthmonitors=tuple(
            healthmonitors.records.where(conn, healthmonitors.records.table.c.pool_id.in_(pool_ids))
        ),
        l7policies=tuple(policies),
        l7rules=tuple(rules),
        amphorae=tuple(a for a in amps if a.status.value != "DELETED"),
        vip_port=vip_port,
        vip_subnet=vip_subnet,
        member_subnets=tuple(
            s for s in (networks.subnets.get(conn, sid) for sid in sorted(member_subnet_ids))
            if s is not None
        ),
        security_group_rules=sg_rules,
        security_group_revision=sg_revision,
        ports=tuple(networks.ports_of_devices(conn, [a.id for a in amps])),
    )


def _children_statement() -> CompoundSelect[Any]:
    ids: BindParameter[Any] = bindparam("lb_ids", expanding=True)
    both = union_all(*(
        select(t.c.loadbalancer_id, t.c.id, t.c.created_at, literal(kind).label("kind"))
        .where(t.c.loadbalancer_id.in_(ids))
        for kind, t in ((0, tables.listeners), (1, tables.pools))
    ))
    cols = both.selected_columns
    return both.order_by(cols.kind, cols.created_at, cols.id)


_CHILDREN = _children_statement()  # built once: only the ids change


def children_ids(conn: Connection, lb_ids: list[str]
                 ) -> dict[str, tuple[list[str], list[str]]]:
    """Per load balancer, the ids of its listeners and of its pools (oldest first),
    read in one query without building the objects."""
    out: dict[str, tuple[list[str], list[str]]] = {i: ([], []) for i in lb_ids}
    for lb_id, child_id, _created, kind in conn.execute(_CHILDREN, {"lb_ids": lb_ids}):
        out[lb_id][kind].append(child_id)
    return out


def mark_deleted(conn: Connection, lb_id: str, when: datetime | None = None) -> None:
    records.update(
        conn, lb_id, provisioning_status=ProvisioningStatus.DELETED,
        updated_at=when or utcnow(), lease_owner=None, lease_expires=None,
    )
