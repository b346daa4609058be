"""Status values and the rules for moving between them.

Provisioning status is the lock of Octavia's model: an object in a ``PENDING_*``
state belongs to the controller, and the API refuses to change it (409) until
the controller has converged it to ``ACTIVE`` (or ``ERROR``, or gone).
Operating status is what the health manager observed on the data plane.
"""

from __future__ import annotations

from enum import StrEnum


class ProvisioningStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PENDING_CREATE = "PENDING_CREATE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    DELETED = "DELETED"
    ERROR = "ERROR"

    @property
    def pending(self) -> bool:
        return self.value.startswith("PENDING_")


PENDING_STATUSES = frozenset(s for s in ProvisioningStatus if s.pending)
MUTABLE_STATUSES = frozenset({ProvisioningStatus.ACTIVE})
DELETABLE_STATUSES = frozenset({ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR})
FAILOVERABLE_STATUSES = frozenset({ProvisioningStatus.ACTIVE, ProvisioningStatus.ERROR})


class OperatingStatus(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    DEGRADED = "DEGRADED"
    ERROR = "ERROR"
    DRAINING = "DRAINING"
    NO_MONITOR = "NO_MONITOR"


class AmphoraStatus(StrEnum):
    BOOTING = "BOOTING"
    ALLOCATED = "ALLOCATED"
    PENDING_CREATE = "PENDING_CREATE"
    PENDING_DELETE = "PENDING_DELETE"
    DELETED = "DELETED"
    ERROR = "ERROR"
    FAILOVER_STOPPED = "FAILOVER_STOPPED"


class AmphoraRole(StrEnum):
    MASTER = "MASTER"
    BACKUP = "BACKUP"
    STANDALONE = "STANDALONE"


class Topology(StrEnum):
    SINGLE = "SINGLE"
    ACTIVE_STANDBY = "ACTIVE_STANDBY"


ROLE_PRIORITY: dict[AmphoraRole, int] = {
    AmphoraRole.MASTER: 100,
    AmphoraRole.BACKUP: 90,
    AmphoraRole.STANDALONE: 100,
}


def roles_for(topology: Topology) -> tuple[AmphoraRole, ...]:
    if topology is Topology.ACTIVE_STANDBY:
        return (AmphoraRole.MASTER, AmphoraRole.BACKUP)
    return (AmphoraRole.STANDALONE,)
