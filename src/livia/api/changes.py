"""How a change to a load balancer's tree is admitted.

Octavia's rule, kept because every client expects it: a load balancer with
work in flight is immutable. A change to any object under it takes the load
balancer (``ACTIVE`` → ``PENDING_UPDATE``, else 409), marks the listeners and
the pool or policy above the object ``PENDING_UPDATE``, and gives the object
its own ``PENDING_*`` status. The controller turns all of it back to
``ACTIVE`` once the amphorae run the new configuration.
"""

from __future__ import annotations

from collections.abc import Iterable

from livia.domain.errors import Immutable
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.status import ProvisioningStatus
from livia.store import listeners, loadbalancers, pools
from livia.store.database import Connection
from livia.store.records import utcnow

PENDING_UPDATE = ProvisioningStatus.PENDING_UPDATE


def take(conn: Connection, lb_id: str, *, listener_ids: Iterable[str] = (),
         pool_ids: Iterable[str] = ()) -> LoadBalancer:
    """Lock the load balancer and mark the listeners and pools above a change."""
    lb = loadbalancers.lock_for_change(conn, lb_id)
    now = utcnow()
    for lid in set(listener_ids):
        listeners.records.update(conn, lid, provisioning_status=PENDING_UPDATE, updated_at=now)
    for pid in set(pool_ids):
        pools.records.update(conn, pid, provisioning_status=PENDING_UPDATE, updated_at=now)
    return lb


def require_active(status: ProvisioningStatus, resource: str, object_id: str) -> None:
    """A parent (pool, L7 policy) must be ACTIVE for its children to change."""
    if status is not ProvisioningStatus.ACTIVE:
        raise Immutable(f"{resource} {object_id} is immutable and cannot be updated.")


def require_mutable(status: ProvisioningStatus, resource: str, object_id: str) -> None:
    """The object itself must not be in flight; ERROR objects may be fixed or deleted."""
    if status.pending:
        raise Immutable(f"{resource} {object_id} is immutable and cannot be updated.")


def listeners_using_pool(conn: Connection, pool_id: str) -> list[str]:
    """Listeners whose traffic can reach the pool: as default pool or by an L7 redirect."""
    from livia.store import l7policies

    direct = listeners.records.where(conn, listeners.records.table.c.default_pool_id == pool_id)
    by_policy = l7policies.records.where(
        conn, l7policies.records.table.c.redirect_pool_id == pool_id
    )
    return sorted({li.id for li in direct} | {p.listener_id for p in by_policy})

