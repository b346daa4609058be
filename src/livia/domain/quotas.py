"""Octavia's quotas: how many objects of each kind a project may have.

One row per project holds its overrides (None: the default, from Settings);
-1 is unlimited. Octavia's API names each resource twice for some kinds (the
deprecated ``load_balancer`` and ``health_monitor``); both are read and
written. The check counts the project's objects that are not deleted yet
(``PENDING_DELETE`` still counts, as Octavia's counters drop only when a
delete finishes) after the request's rows are written, under a lock of the
project's quota row, and the request fails whole when one is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Resource(StrEnum):
    LOADBALANCER = "loadbalancer"
    LISTENER = "listener"
    POOL = "pool"
    MEMBER = "member"
    HEALTHMONITOR = "healthmonitor"
    L7POLICY = "l7policy"
    L7RULE = "l7rule"


# Octavia's display names (its data models' names), as its "Quota has been met" says them.
DISPLAY: dict[Resource, str] = {
    Resource.LOADBALANCER: "Load Balancer", Resource.LISTENER: "Listener",
    Resource.POOL: "Pool", Resource.MEMBER: "Member",
    Resource.HEALTHMONITOR: "Health Monitor", Resource.L7POLICY: "L7 Policy",
    Resource.L7RULE: "L7 Rule",
}
DEPRECATED: dict[str, Resource] = {"load_balancer": Resource.LOADBALANCER,
                                   "health_monitor": Resource.HEALTHMONITOR}
UNLIMITED = -1
MAX_QUOTA = 2_000_000_000  # Octavia's


@dataclass(frozen=True, slots=True)
class Quota:
    """A project's overrides; None means the default."""

    project_id: str
    loadbalancer: int | None = None
    listener: int | None = None
    pool: int | None = None
    member: int | None = None
    healthmonitor: int | None = None
    l7policy: int | None = None
    l7rule: int | None = None

    def limit(self, resource: Resource, defaults: dict[Resource, int]) -> int:
        value: int | None = getattr(self, resource.value)
        return defaults[resource] if value is None else value

    @property
    def overridden(self) -> bool:
        return any(getattr(self, r.value) is not None for r in Resource)


def message(resource: Resource) -> str:
    return f"Quota has been met for resources: {DISPLAY[resource]}"


_POOL_TREE = (Resource.POOL, Resource.MEMBER, Resource.HEALTHMONITOR)
_POLICY_TREE = (Resource.L7POLICY, Resource.L7RULE, *_POOL_TREE)
# What one create of a kind can make: the object and what its body may nest.
MADE_BY: dict[Resource, tuple[Resource, ...]] = {
    Resource.LOADBALANCER: tuple(Resource),
    Resource.LISTENER: (Resource.LISTENER, *_POLICY_TREE),
    Resource.POOL: _POOL_TREE,
    Resource.MEMBER: (Resource.MEMBER,),
    Resource.HEALTHMONITOR: (Resource.HEALTHMONITOR,),
    Resource.L7POLICY: _POLICY_TREE,
    Resource.L7RULE: (Resource.L7RULE,),
}
