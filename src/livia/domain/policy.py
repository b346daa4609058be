"""Who may do what: Octavia's default RBAC as one table.

A caller holds a set of roles in one project (a Keystone token's, with the
roles they imply: admin implies member, member implies reader, as
``keystone-manage bootstrap`` sets them up). A rule is a set of *grants*;
a caller passes the rule when one grant holds:

- a role the caller holds *anywhere* (``admin`` is global, as in Octavia's
  ``load-balancer:admin`` = ``role:admin``), or
- a role the caller holds *in the project that owns the object*
  (``member_and_owner``, ``observer_and_owner``).

Octavia's deprecated ``load-balancer_*`` roles are honoured as its
deprecated rules define them (``advanced_rbac.py``): they grant what the new
roles grant. The Neutron-shaped network API and Livia's own routes use the
same rules: reading a project's objects is ``READ``, changing them ``WRITE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Every role name the policy knows; other role names grant nothing."""

    ADMIN = "admin"
    MEMBER = "member"
    READER = "reader"
    # Octavia's deprecated (legacy) roles.
    LB_ADMIN = "load-balancer_admin"
    LB_GLOBAL_OBSERVER = "load-balancer_global_observer"
    LB_QUOTA_ADMIN = "load-balancer_quota_admin"
    LB_MEMBER = "load-balancer_member"
    LB_OBSERVER = "load-balancer_observer"


# What a role brings with it (Keystone's implied roles, as bootstrap creates them).
IMPLIES: dict[str, tuple[str, ...]] = {
    Role.ADMIN: (Role.MEMBER, Role.READER),
    Role.MEMBER: (Role.READER,),
}


def effective(roles: frozenset[str] | set[str] | tuple[str, ...]) -> frozenset[str]:
    """The roles with every role they imply."""
    out = set(roles)
    pending = list(roles)
    while pending:
        for implied in IMPLIES.get(pending.pop(), ()):
            if implied not in out:
                out.add(implied)
                pending.append(implied)
    return frozenset(out)


class Rule(StrEnum):
    """Octavia's rule names (``octavia/policies/base.py``)."""

    READ = "load-balancer:read"
    READ_GLOBAL = "load-balancer:read-global"
    WRITE = "load-balancer:write"
    ADMIN = "load-balancer:admin"
    READ_QUOTA = "load-balancer:read-quota"
    READ_QUOTA_GLOBAL = "load-balancer:read-quota-global"
    WRITE_QUOTA = "load-balancer:write-quota"


@dataclass(frozen=True)
class Grants:
    anywhere: frozenset[str] = frozenset()  # a role held in any project passes
    owner: frozenset[str] = frozenset()     # a role held in the object's project passes


_ADMIN = frozenset({Role.ADMIN, Role.LB_ADMIN})
_GLOBAL_OBSERVER = frozenset({Role.LB_GLOBAL_OBSERVER})
_QUOTA_ADMIN = frozenset({Role.LB_QUOTA_ADMIN})
_MEMBER = frozenset({Role.MEMBER, Role.LB_MEMBER})
_OBSERVER = frozenset({Role.READER, Role.LB_OBSERVER})

POLICY: dict[Rule, Grants] = {
    Rule.ADMIN: Grants(anywhere=_ADMIN),
    Rule.READ: Grants(anywhere=_ADMIN | _GLOBAL_OBSERVER, owner=_MEMBER | _OBSERVER),
    Rule.READ_GLOBAL: Grants(anywhere=_ADMIN | _GLOBAL_OBSERVER),
    Rule.WRITE: Grants(anywhere=_ADMIN, owner=_MEMBER),
    Rule.READ_QUOTA: Grants(anywhere=_ADMIN | _GLOBAL_OBSERVER | _QUOTA_ADMIN,
                            owner=_MEMBER | _OBSERVER),
    Rule.READ_QUOTA_GLOBAL: Grants(anywhere=_ADMIN | _GLOBAL_OBSERVER | _QUOTA_ADMIN),
    Rule.WRITE_QUOTA: Grants(anywhere=_ADMIN | _QUOTA_ADMIN),
}

# A caller with none of these roles may not use the load-balancer or network API at all.
ANY_ROLE: frozenset[str] = frozenset().union(
    *(g.anywhere | g.owner for g in POLICY.values()))


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the project they act in, their roles there (implied ones included).

    ``global_view`` is set per request: a global observer sees every project
    when reading, and only its own project when changing anything.
    """

    project_id: str | None
    roles: frozenset[str]
    user_id: str | None = None
    global_view: bool = False

    @classmethod
    def of(cls, project_id: str | None, *roles: str, user_id: str | None = None) -> Caller:
        return cls(project_id=project_id, roles=effective(frozenset(roles)), user_id=user_id)

    def allows(self, rule: Rule, project_id: str | None = None) -> bool:
        """Whether the rule passes for an object of ``project_id`` (default: the caller's)."""
        grants = POLICY[rule]
        if self.roles & grants.anywhere:
            return True
        owner = self.project_id if project_id is None else project_id
        return (owner is not None and owner == self.project_id
                and bool(self.roles & grants.owner))

    def viewing(self, reading: bool) -> Caller:
        """This caller for one request: reads may span projects when READ_GLOBAL allows."""
        wide = self.allows(Rule.ADMIN) or (reading and self.allows(Rule.READ_GLOBAL))
        if wide == self.global_view:
            return self
        return Caller(self.project_id, self.roles, self.user_id, wide)

    @property
    def is_admin(self) -> bool:
        return self.allows(Rule.ADMIN)

    @property
    def can_write(self) -> bool:
        return self.allows(Rule.WRITE)

    @property
    def can_read(self) -> bool:
        return self.allows(Rule.READ)

    def sees(self, project_id: str | None) -> bool:
        """Whether an object owned by ``project_id`` exists for this caller."""
        if self.global_view or self.is_admin:
            return True
        return project_id is not None and project_id == self.project_id
