"""From a heartbeat to operating statuses: pure functions, Octavia's rules.

=========================  ===========================================
what the amphora reports   operating status
=========================  ===========================================
listener OPEN              ONLINE
listener FULL              DEGRADED (and the load balancer DEGRADED)
listener missing           ERROR if enabled and settled, else OFFLINE
pool UP                    ONLINE (DEGRADED if a member is down)
pool DOWN                  ERROR (and the load balancer ERROR)
pool missing               OFFLINE
member UP                  ONLINE
member DOWN                ERROR (pool and load balancer DEGRADED)
member DRAIN               DRAINING
member MAINT               OFFLINE
member "no check"          NO_MONITOR
member missing             OFFLINE (NO_MONITOR stays)
=========================  ===========================================

Objects still being created are left alone: the amphorae do not run them yet.
"""

from __future__ import annotations

from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.protocol.heartbeat import Heartbeat

Op = OperatingStatus
MEMBER_STATES = {
    "UP": Op.ONLINE, "DOWN": Op.ERROR, "DRAIN": Op.DRAINING, "MAINT": Op.OFFLINE,
    "NO CHECK": Op.NO_MONITOR, "NOLB": Op.ONLINE,
}
WORSE = {Op.ONLINE: 0, Op.NO_MONITOR: 0, Op.DRAINING: 1, Op.DEGRADED: 2, Op.OFFLINE: 0, Op.ERROR: 3}


def member_status(reported: str) -> Op | None:
    """HAProxy's server status (``UP 1/3`` counts as UP); None keeps the current status."""
    word = reported.strip().upper()
    if word.startswith("NO CHECK"):
        return Op.NO_MONITOR
    head = word.split(" ")[0]
    if head in ("MAINT", "DRAIN", "UP", "DOWN", "NOLB"):
        return MEMBER_STATES[head]
    return None


def _worst(a: Op, b: Op) -> Op:
    return a if WORSE[a] >= WORSE[b] else b


def evaluate(graph: LoadBalancerGraph, beat: Heartbeat) -> dict[str, Op]:
    """object id -> the operating status the heartbeat says it has."""
    out: dict[str, Op] = {}
    lb = graph.loadbalancer
    settled = not lb.provisioning_status.pending
    lb_status = Op.ONLINE if lb.admin_state_up else Op.OFFLINE
    creating = ProvisioningStatus.PENDING_CREATE
    for li in graph.listeners:
        if li.provisioning_status is creating:
            continue
        report = beat.listeners.get(li.id)
        if not li.admin_state_up or not lb.admin_state_up:
            out[li.id] = Op.OFFLINE
        elif report is None:
            out[li.id] = Op.ERROR if settled else Op.OFFLINE
        elif report.status.upper() == "FULL":
            out[li.id] = Op.DEGRADED
            lb_status = _worst(lb_status, Op.DEGRADED)
        else:
            out[li.id] = Op.ONLINE
    for pool in graph.pools:
        if pool.provisioning_status is creating:
            continue
        status = _pool_status(graph, beat, pool.id, out)
        out[pool.id] = status if pool.admin_state_up else Op.OFFLINE
        if pool.admin_state_up and status in (Op.ERROR, Op.DEGRADED):
            lb_status = _worst(lb_status, status if status is Op.DEGRADED else Op.ERROR)
    if lb.admin_state_up:
        out[lb.id] = lb_status
    return out


def _pool_status(graph: LoadBalancerGraph, beat: Heartbeat, pool_id: str,
                 out: dict[str, Op]) -> Op:
    report = beat.pools.get(pool_id)
    members = graph.members_of(pool_id)
    if report is None:
        for m in members:
            if m.provisioning_status is not ProvisioningStatus.PENDING_CREATE and (
                    m.operating_status is not Op.NO_MONITOR):
                out[m.id] = Op.OFFLINE
        return Op.OFFLINE
    status = Op.ERROR if report.status.upper() == "DOWN" else Op.ONLINE
    for m in members:
        if m.provisioning_status is ProvisioningStatus.PENDING_CREATE:
            continue
        reported = report.members.get(m.id)
        if reported is None:
            if m.operating_status is not Op.NO_MONITOR:
                out[m.id] = Op.OFFLINE
            continue
        member = member_status(reported)
        if member is None:
            continue
        out[m.id] = member if m.admin_state_up else Op.OFFLINE
        if member is Op.ERROR and m.admin_state_up and status is Op.ONLINE:
            status = Op.DEGRADED
    return status
