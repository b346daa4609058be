"""The rules from a heartbeat to operating statuses (livia.health.evaluation), as a table."""

from __future__ import annotations

from dataclasses import replace

import pytest
from health_rows import Site, site

from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.health.evaluation import evaluate, member_status
from livia.protocol.heartbeat import Heartbeat, ListenerReport, PoolReport

Op = OperatingStatus


def beat(s: Site, listener: str | None = "OPEN", pool: str | None = "UP",
         members: tuple[str | None, ...] = ("UP", "UP")) -> Heartbeat:
    """A heartbeat about ``s``; None leaves that object out of the report."""
    reported = {m.id: st for m, st in zip(s.members, members, strict=True) if st is not None}
    return Heartbeat(
        amphora_id=s.amphorae[0].id, seq=1,
        listeners={} if listener is None else {s.listeners[0].id: ListenerReport(listener)},
        pools={} if pool is None else {s.pools[0].id: PoolReport(pool, reported)})


@pytest.mark.parametrize(("listener", "expected_listener", "expected_lb"), [
    ("OPEN", Op.ONLINE, Op.ONLINE),
    ("FULL", Op.DEGRADED, Op.DEGRADED),
    (None, Op.ERROR, Op.ONLINE),
])
def test_listener_rules(listener: str | None, expected_listener: Op, expected_lb: Op) -> None:
    s = site()
    out = evaluate(s.graph(), beat(s, listener=listener))
    assert out[s.listeners[0].id] is expected_listener
    assert out[s.lb.id] is expected_lb


def test_a_missing_listener_of_a_changing_load_balancer_is_offline_not_error() -> None:
    s = site(provisioning_status=ProvisioningStatus.PENDING_UPDATE)
    assert evaluate(s.graph(), beat(s, listener=None))[s.listeners[0].id] is Op.OFFLINE


@pytest.mark.parametrize(("pool", "members", "expected_pool", "expected_lb"), [
    ("UP", ("UP", "UP"), Op.ONLINE, Op.ONLINE),
    ("UP", ("UP", "DOWN"), Op.DEGRADED, Op.DEGRADED),
    ("DOWN", ("DOWN", "DOWN"), Op.ERROR, Op.ERROR),
    (None, ("UP", "UP"), Op.OFFLINE, Op.ONLINE),
])
def test_pool_rules(pool: str | None, members: tuple[str, ...], expected_pool: Op,
                    expected_lb: Op) -> None:
    s = site()
    out = evaluate(s.graph(), beat(s, pool=pool, members=members))
    assert out[s.pools[0].id] is expected_pool
    assert out[s.lb.id] is expected_lb


@pytest.mark.parametrize(("reported", "expected"), [
    ("UP", Op.ONLINE), ("UP 1/3", Op.ONLINE), ("DOWN", Op.ERROR), ("DOWN 1/2", Op.ERROR),
    ("DRAIN", Op.DRAINING), ("MAINT", Op.OFFLINE), ("MAINT (via x)", Op.OFFLINE),
    ("no check", Op.NO_MONITOR), ("NOLB", Op.ONLINE),
])
def test_member_rules(reported: str, expected: Op) -> None:
    s = site()
    out = evaluate(s.graph(), beat(s, members=(reported, "UP")))
    assert out[s.members[0].id] is expected
    assert member_status(reported) is expected


def test_an_unknown_member_word_keeps_the_stored_status() -> None:
    s = site()
    out = evaluate(s.graph(), beat(s, members=("WEIRD", "UP")))
    assert s.members[0].id not in out
    assert out[s.pools[0].id] is Op.ONLINE


def test_a_member_missing_from_the_report_is_offline_unless_it_has_no_monitor() -> None:
    s = site()
    s.members[1] = replace(s.members[1], operating_status=Op.NO_MONITOR)
    out = evaluate(s.graph(), beat(s, members=(None, None)))
    assert out[s.members[0].id] is Op.OFFLINE
    assert s.members[1].id not in out


def test_objects_being_created_are_left_alone() -> None:
    s = site()
    creating = ProvisioningStatus.PENDING_CREATE
    s.listeners[0] = replace(s.listeners[0], provisioning_status=creating)
    s.pools[0] = replace(s.pools[0], provisioning_status=creating)
    s.members[0] = replace(s.members[0], provisioning_status=creating)
    out = evaluate(s.graph(), beat(s, listener=None, pool=None, members=(None, None)))
    assert s.listeners[0].id not in out and s.pools[0].id not in out
    assert s.members[0].id not in out
    assert out[s.lb.id] is Op.ONLINE


def test_a_member_being_created_is_left_alone_in_a_reported_pool() -> None:
    s = site()
    s.members[0] = replace(s.members[0], provisioning_status=ProvisioningStatus.PENDING_CREATE)
    out = evaluate(s.graph(), beat(s, members=(None, "UP")))
    assert s.members[0].id not in out
    assert out[s.members[1].id] is Op.ONLINE


def test_admin_down_objects_are_offline_whatever_is_reported() -> None:
    s = site()
    s.listeners[0] = replace(s.listeners[0], admin_state_up=False)
    s.pools[0] = replace(s.pools[0], admin_state_up=False)
    s.members[0] = replace(s.members[0], admin_state_up=False)
    out = evaluate(s.graph(), beat(s, pool="DOWN", members=("DOWN", "DOWN")))
    assert out[s.listeners[0].id] is Op.OFFLINE
    assert out[s.pools[0].id] is Op.OFFLINE
    assert out[s.members[0].id] is Op.OFFLINE
    assert out[s.members[1].id] is Op.ERROR
    assert out[s.lb.id] is Op.ONLINE  # an admin-down pool does not degrade it


def test_an_admin_down_load_balancer_takes_its_listeners_offline() -> None:
    s = site(admin_state_up=False)
    out = evaluate(s.graph(), beat(s))
    assert out[s.listeners[0].id] is Op.OFFLINE
    assert s.lb.id not in out
