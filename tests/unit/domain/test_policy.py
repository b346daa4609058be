"""Octavia's default RBAC, cell by cell: every rule, every kind of caller, own and other project."""

from __future__ import annotations

import pytest

from livia.domain.policy import ANY_ROLE, Caller, Role, Rule, effective

OWN, OTHER = "project-a", "project-b"

# caller's roles → the rules that pass for an object of its own project, and of another.
CASES: dict[tuple[str, ...], tuple[set[Rule], set[Rule]]] = {
    (Role.ADMIN,): (set(Rule), set(Rule)),
    (Role.MEMBER,): ({Rule.READ, Rule.WRITE, Rule.READ_QUOTA}, set()),
    (Role.READER,): ({Rule.READ, Rule.READ_QUOTA}, set()),
    (Role.LB_ADMIN,): (set(Rule), set(Rule)),
    (Role.LB_MEMBER,): ({Rule.READ, Rule.WRITE, Rule.READ_QUOTA}, set()),
    (Role.LB_OBSERVER,): ({Rule.READ, Rule.READ_QUOTA}, set()),
    (Role.LB_GLOBAL_OBSERVER,): (
        {Rule.READ, Rule.READ_GLOBAL, Rule.READ_QUOTA, Rule.READ_QUOTA_GLOBAL},
        {Rule.READ, Rule.READ_GLOBAL, Rule.READ_QUOTA, Rule.READ_QUOTA_GLOBAL}),
    (Role.LB_QUOTA_ADMIN,): (
        {Rule.READ_QUOTA, Rule.READ_QUOTA_GLOBAL, Rule.WRITE_QUOTA},
        {Rule.READ_QUOTA, Rule.READ_QUOTA_GLOBAL, Rule.WRITE_QUOTA}),
    ("service",): (set(), set()),
    (): (set(), set()),
}


@pytest.mark.parametrize("roles", list(CASES), ids=lambda r: "+".join(r) or "none")
def test_every_cell(roles: tuple[str, ...]) -> None:
    own, other = CASES[roles]
    caller = Caller.of(OWN, *roles)
    for rule in Rule:
        assert caller.allows(rule, OWN) is (rule in own), (rule, "own")
        assert caller.allows(rule, OTHER) is (rule in other), (rule, "other")


def test_admin_implies_member_implies_reader() -> None:
    assert effective(frozenset({Role.ADMIN})) == {Role.ADMIN, Role.MEMBER, Role.READER}
    assert effective(frozenset({Role.MEMBER})) == {Role.MEMBER, Role.READER}
    assert effective(frozenset({"service"})) == {"service"}


def test_global_observer_sees_everything_only_when_reading() -> None:
    observer = Caller.of(OWN, Role.LB_GLOBAL_OBSERVER, Role.MEMBER)
    assert observer.viewing(reading=True).sees(OTHER)
    writing = observer.viewing(reading=False)
    assert not writing.sees(OTHER) and writing.sees(OWN)
    member = Caller.of(OWN, Role.MEMBER).viewing(reading=True)
    assert not member.sees(OTHER) and member.sees(OWN)
    assert Caller.of(OWN, Role.ADMIN).viewing(reading=False).sees(OTHER)


def test_a_project_less_caller_owns_nothing() -> None:
    caller = Caller.of(None, Role.MEMBER)
    assert not caller.allows(Rule.WRITE, None) and not caller.sees(None)


def test_every_role_counts_for_the_gate() -> None:
    assert set(Role) == ANY_ROLE
