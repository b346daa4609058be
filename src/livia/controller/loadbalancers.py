"""Converging one load balancer: make the amphorae run what the database describes.

One pass, always the same whatever the load balancer's state:

1. ``PENDING_DELETE``: tear every amphora down, release the VIP port and the
   security group, delete the tree's rows, mark the load balancer DELETED.
2. Otherwise make sure each role of the topology has a healthy amphora,
   replacing failed ones one at a time (BACKUP first, so an ACTIVE_STANDBY
   pair always keeps one amphora serving), then render and push every
   configuration, then settle the statuses in one transaction:
   ``PENDING_CREATE``/``PENDING_UPDATE`` become ``ACTIVE``, ``PENDING_DELETE``
   rows are removed.

A pass that fails with a TemporaryError is simply run again later; a
PermanentError (or too many temporary ones) settles the pending objects
into ERROR, so nothing is ever left in a ``PENDING_*`` state.
"""

from __future__ import annotations

import logging

from livia.controller import amphorae as amp_steps
from livia.controller import configs
from livia.controller.context import Controller, gather_all
from livia.domain.amphorae import Amphora
from livia.domain.healthmonitors import HealthMonitor
from livia.domain.l7policies import L7Policy
from livia.domain.l7rules import L7Rule
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.members import Member
from livia.domain.networks import OWNER_VIP
from livia.domain.pools import Pool
from livia.domain.status import (
    AmphoraRole,
    AmphoraStatus,
    OperatingStatus,
    ProvisioningStatus,
    roles_for,
)
from livia.store import (
    amphorae,
    healthmonitors,
    l7policies,
    l7rules,
    listeners,
    loadbalancers,
    members,
    networks,
    pools,
    security_groups,
)
from livia.store.database import Connection
from livia.store.records import Records, utcnow

log = logging.getLogger(__name__)

PENDING_DELETE = ProvisioningStatus.PENDING_DELETE
PENDING_UPDATE = ProvisioningStatus.PENDING_UPDATE
ACTIVE = ProvisioningStatus.ACTIVE
ERROR = ProvisioningStatus.ERROR


async def converge(ctl: Controller, lb_id: str) -> None:
    graph = await ctl.read(lambda c: loadbalancers.load_graph(c, lb_id))
    lb = graph.loadbalancer
    if lb.provisioning_status is ProvisioningStatus.DELETED:
        return
    if lb.provisioning_status is PENDING_DELETE:
        await delete(ctl, graph)
        return
    graph = await ensure_amphorae(ctl, graph)
    plugged = await gather_all([amp_steps.plug_member_networks(ctl, graph, a)
                                for a in graph.amphorae if a.status is AmphoraStatus.ALLOCATED])
    if any(plugged):  # the new ports are in the graph the configurations are rendered from
        graph = await ctl.read(lambda c: loadbalancers.load_graph(c, lb_id))
    refused = await configs.push_all(ctl, graph)
    for object_id, reason in sorted(refused.items()):
        log.warning("load balancer %s: %s left out of the configuration: %s", lb_id,
                    object_id, reason)
    await ctl.write(lambda c: settle(c, graph, refused))


# -- amphorae ----------------------------------------------------------------------------------

def _by_role(graph: LoadBalancerGraph) -> dict[AmphoraRole, list[Amphora]]:
    out: dict[AmphoraRole, list[Amphora]] = {}
    for amp in graph.amphorae:
        if amp.role is not None and amp.status is not AmphoraStatus.DELETED:
            out.setdefault(amp.role, []).append(amp)
    return out


def _replace_order(role: AmphoraRole) -> int:
    return {AmphoraRole.BACKUP: 0, AmphoraRole.STANDALONE: 1, AmphoraRole.MASTER: 2}[role]


async def ensure_amphorae(ctl: Controller, graph: LoadBalancerGraph) -> LoadBalancerGraph:
    """Build missing amphorae together; replace failed ones one at a time."""
    roles = roles_for(graph.loadbalancer.topology)
    by_role = _by_role(graph)
    missing = [r for r in roles
               if not any(a.status is AmphoraStatus.ALLOCATED for a in by_role.get(r, []))]
    failed = sorted(
        (a for r in roles for a in by_role.get(r, []) if amp_steps.needs_replacement(a)
         or a.status is AmphoraStatus.PENDING_DELETE),
        key=lambda a: _replace_order(a.role or AmphoraRole.MASTER),
    )
    failed_roles = {a.role for a in failed}
    fresh = [r for r in missing if r not in failed_roles]
    if fresh:
        def plan(conn: Connection) -> list[amp_steps.Plan]:
            return [amp_steps.plan_amphora(conn, ctl, graph, r, None) for r in fresh]

        await gather_all([amp_steps.build(ctl, graph, p) for p in await ctl.write(plan)])
    for old in failed:
        log.info("replacing amphora %s (%s): %s", old.id, old.role,
                 old.failover_reason or old.status)
        await _replace(ctl, graph, old)
    if fresh or failed:
        graph = await ctl.read(lambda c: loadbalancers.load_graph(c, graph.loadbalancer.id))
    return graph


async def _replace(ctl: Controller, graph: LoadBalancerGraph, old: Amphora) -> None:
    assert old.role is not None
    await ctl.write(lambda c: amphorae.records.update(
        c, old.id, status=AmphoraStatus.PENDING_DELETE))
    await amp_steps.stop_gracefully(ctl, old)
    await amp_steps.teardown(ctl, old, keep_vrrp_port=True)
    plan = await ctl.write(lambda c: amp_steps.plan_amphora(c, ctl, graph, old.role,  # type: ignore[arg-type]
                                                            old.vrrp_port_id))
    new = await amp_steps.build(ctl, graph, plan)
    # The survivor must learn its new peer, and the new amphora the survivor's stick
    # tables, before the next replacement hands the VIP over.
    fresh = await ctl.read(lambda c: loadbalancers.load_graph(c, graph.loadbalancer.id))
    await configs.push_all(ctl, fresh)
    await amp_steps.wait_stick_tables(ctl, fresh, new)


# -- statuses ----------------------------------------------------------------------------------

def _online(admin_state_up: bool) -> OperatingStatus:
    return OperatingStatus.ONLINE if admin_state_up else OperatingStatus.OFFLINE


def _settle_rows(conn: Connection, repo: Records[object], items: tuple[object, ...],
                 operating: dict[str, OperatingStatus], refused: dict[str, str]) -> None:
    now = utcnow()
    for obj in items:
        status = obj.provisioning_status  # type: ignore[attr-defined]
        oid = obj.id  # type: ignore[attr-defined]
        if status is PENDING_DELETE:
            repo.delete(conn, oid)
        elif oid in refused:
            if status is not ERROR:
                repo.update(conn, oid, provisioning_status=ERROR, updated_at=now)
        elif status.pending:
            values = {"provisioning_status": ACTIVE, "updated_at": now}
            if oid in operating and _operating_changes(obj, operating[oid]):
                values["operating_status"] = operating[oid]
            repo.update(conn, oid, **values)


def _operating_changes(obj: object, target: OperatingStatus) -> bool:
    """New objects take their first operating status; later the health manager owns it,
    except that turning an object off or on is visible at once."""
    current = obj.operating_status  # type: ignore[attr-defined]
    if obj.provisioning_status is ProvisioningStatus.PENDING_CREATE:  # type: ignore[attr-defined]
        return True
    if target in (OperatingStatus.OFFLINE, OperatingStatus.NO_MONITOR):
        return current is not target
    return current in (OperatingStatus.OFFLINE, OperatingStatus.NO_MONITOR)


def settle(conn: Connection, graph: LoadBalancerGraph,
           refused: dict[str, str] | None = None) -> None:
    """The data plane now runs ``graph`` less the ``refused`` objects (id -> why they
    cannot be rendered): settle every pending status in one transaction; the refused
    objects go to ERROR, alone."""
    refused = refused or {}
    live = graph.live()
    monitored = {h.pool_id for h in live.healthmonitors if h.admin_state_up}
    operating: dict[str, OperatingStatus] = {}
    parents: tuple[Listener | Pool | HealthMonitor | L7Policy | L7Rule, ...] = (
        *live.listeners, *live.pools, *live.healthmonitors, *live.l7policies, *live.l7rules)
    for obj in parents:
        operating[obj.id] = _online(obj.admin_state_up)
    for m in live.members:
        if not m.admin_state_up:
            operating[m.id] = OperatingStatus.OFFLINE
        elif m.pool_id not in monitored:
            operating[m.id] = OperatingStatus.NO_MONITOR
        elif m.operating_status is OperatingStatus.NO_MONITOR:
            operating[m.id] = OperatingStatus.OFFLINE
    _settle_rows(conn, l7rules.records, graph.l7rules, operating, refused)  # type: ignore[arg-type]
    _drop_orphans(conn, graph)  # before the parents: their rows go only once nothing refers
    _settle_rows(conn, l7policies.records, graph.l7policies, operating, refused)  # type: ignore[arg-type]
    _settle_rows(conn, members.records, graph.members, operating, refused)  # type: ignore[arg-type]
    _settle_rows(conn, healthmonitors.records, graph.healthmonitors, operating, refused)  # type: ignore[arg-type]
    _settle_rows(conn, listeners.records, graph.listeners, operating, refused)  # type: ignore[arg-type]
    _settle_rows(conn, pools.records, graph.pools, operating, refused)  # type: ignore[arg-type]
    for m in live.members:
        if m.provisioning_status is ACTIVE and m.id in operating and (
                m.operating_status is OperatingStatus.NO_MONITOR) != (
                operating[m.id] is OperatingStatus.NO_MONITOR):
            members.records.update(conn, m.id, operating_status=operating[m.id],
                                   updated_at=m.updated_at)
    lb = graph.loadbalancer
    values: dict[str, object] = {"sg_revision_applied": graph.security_group_revision,
                                 "last_error": _refusal_summary(refused)}
    if lb.provisioning_status.pending:
        values.update(provisioning_status=ACTIVE, updated_at=utcnow())
        if lb.operating_status is OperatingStatus.OFFLINE or not lb.admin_state_up:
            values["operating_status"] = _online(lb.admin_state_up)
    else:
        values["updated_at"] = lb.updated_at
    loadbalancers.records.update(conn, lb.id, **values)
    # Only rows that have a reason: a row update bumps updated_at, which makes the
    # controller forget what it pushed there and re-send every configuration.
    amp = amphorae.records.table.c
    amphorae.records.update_where(
        conn, (amp.loadbalancer_id == lb.id) & amp.failover_reason.is_not(None),
        failover_reason=None)


def _refusal_summary(refused: dict[str, str]) -> str | None:
    if not refused:
        return None
    text = "; ".join(f"{oid}: {why}" for oid, why in sorted(refused.items()))
    return f"left out of the configuration (ERROR): {text}"[:1000]


def _drop_orphans(conn: Connection, graph: LoadBalancerGraph) -> None:
    """Children of deleted pools and policies go with them; references to them are cleared."""
    gone_pools = {p.id for p in graph.pools if p.provisioning_status is PENDING_DELETE}
    gone_listeners = {li.id for li in graph.listeners
                      if li.provisioning_status is PENDING_DELETE}
    for m in graph.members:
        if m.pool_id in gone_pools:
            members.records.delete(conn, m.id)
    for h in graph.healthmonitors:
        if h.pool_id in gone_pools:
            healthmonitors.records.delete(conn, h.id)
    for p in graph.l7policies:
        if p.listener_id in gone_listeners or p.provisioning_status is PENDING_DELETE:
            for r in graph.rules_of(p.id):
                l7rules.records.delete(conn, r.id)
        if p.listener_id in gone_listeners:
            l7policies.records.delete(conn, p.id)
    for li in graph.listeners:
        if li.default_pool_id in gone_pools and li.id not in gone_listeners:
            listeners.records.update(conn, li.id, default_pool_id=None)
        if li.id in gone_listeners:
            amphorae.forget_listener_stats(conn, li.id)
    gone_monitors = {h.pool_id for h in graph.healthmonitors
                     if h.provisioning_status is PENDING_DELETE}
    for m in graph.members:
        if m.pool_id in gone_monitors and m.pool_id not in gone_pools:
            members.records.update(conn, m.id, operating_status=OperatingStatus.NO_MONITOR,
                                   updated_at=m.updated_at)


def fail(conn: Connection, lb_id: str, reason: str) -> None:
    """Settle a load balancer whose change cannot be applied: nothing stays PENDING_*."""
    graph = loadbalancers.load_graph(conn, lb_id)
    lb = graph.loadbalancer
    reason = reason[:1000]
    # As Octavia's revert tasks do: the changed object goes to ERROR; a parent that was
    # only marked PENDING_UPDATE because something under it changed goes back to ACTIVE.
    above = _above_pending(graph)
    for repo, items in ((l7rules.records, graph.l7rules), (l7policies.records, graph.l7policies),
                        (members.records, graph.members),
                        (healthmonitors.records, graph.healthmonitors),
                        (listeners.records, graph.listeners), (pools.records, graph.pools)):
        for obj in items:
            if obj.provisioning_status.pending:
                unlocked = obj.provisioning_status is PENDING_UPDATE and obj.id in above
                repo.update(conn, obj.id, provisioning_status=ACTIVE if unlocked else ERROR)
    created = lb.provisioning_status in (ProvisioningStatus.PENDING_CREATE, PENDING_DELETE)
    broken = created or any(a.status is AmphoraStatus.ERROR for a in graph.amphorae)
    loadbalancers.records.update(conn, lb.id, provisioning_status=ERROR if broken else ACTIVE,
                                 last_error=reason, lease_owner=None, lease_expires=None)
    log.error("load balancer %s: %s", lb.id, reason)


def _above_pending(graph: LoadBalancerGraph) -> set[str]:
    """Ids of the pools, L7 policies and listeners with a pending object below them."""
    def pending(obj: Pool | Member | HealthMonitor | L7Policy | L7Rule | None) -> bool:
        return obj is not None and obj.provisioning_status.pending

    found = {p.id for p in graph.pools
             if pending(graph.monitor_of(p.id)) or any(map(pending, graph.members_of(p.id)))}
    found |= {p.id for p in graph.l7policies if any(map(pending, graph.rules_of(p.id)))}
    for li in graph.listeners:
        policies = graph.policies_of(li.id)
        pool_ids = {li.default_pool_id} | {p.redirect_pool_id for p in policies}
        below: list[Pool | L7Policy] = [*policies, *(p for p in graph.pools if p.id in pool_ids)]
        if any(pending(x) or x.id in found for x in below):
            found.add(li.id)
    return found


# -- deletion ----------------------------------------------------------------------------------

async def delete(ctl: Controller, graph: LoadBalancerGraph) -> None:
    lb = graph.loadbalancer
    await gather_all([amp_steps.teardown(ctl, a, keep_vrrp_port=False)
                      for a in graph.amphorae if a.status is not AmphoraStatus.DELETED])
    await ctl.write(lambda c: _delete_rows(c, graph))
    log.info("load balancer %s deleted", lb.id)


def _delete_rows(conn: Connection, graph: LoadBalancerGraph) -> None:
    lb = graph.loadbalancer
    for repo, items in ((l7rules.records, graph.l7rules), (l7policies.records, graph.l7policies),
                        (members.records, graph.members),
                        (healthmonitors.records, graph.healthmonitors)):
        for obj in items:
            repo.delete(conn, obj.id)
    for li in graph.listeners:
        amphorae.forget_listener_stats(conn, li.id)
        listeners.records.delete(conn, li.id)
    for p in graph.pools:
        pools.records.delete(conn, p.id)
    if lb.vip_port_id:
        port = networks.ports.get(conn, lb.vip_port_id)
        ours = port is not None and port.name == f"octavia-lb-{lb.id}"
        if port is not None and ours and port.device_owner == OWNER_VIP:
            networks.ports.delete(conn, port.id)
        elif port is not None:
            networks.ports.update(conn, port.id, device_owner="", device_id="",
                                  security_groups=())
    if lb.security_group_id:
        for rule in security_groups.rules_of(conn, lb.security_group_id):
            security_groups.rules.delete(conn, rule.id)
        security_groups.records.delete(conn, lb.security_group_id)
    loadbalancers.mark_deleted(conn, lb.id)
