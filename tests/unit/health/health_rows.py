"""Objects of one load balancer for the health manager's tests, in memory or in SQLite.

Every builder takes the fields a test cares about as keywords; the rest are
plain defaults (ACTIVE and ONLINE, admin up).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from livia.domain.amphorae import Amphora
from livia.domain.listeners import DEFAULT_TIMEOUTS, Listener, ListenerProtocol
from livia.domain.loadbalancers import LoadBalancer, LoadBalancerGraph
from livia.domain.members import Member
from livia.domain.pools import LbAlgorithm, Pool, PoolProtocol
from livia.domain.status import (
    AmphoraRole,
    AmphoraStatus,
    OperatingStatus,
    ProvisioningStatus,
    Topology,
)
from livia.store import amphorae, listeners, loadbalancers, members, pools

T0 = datetime(2026, 1, 2, 3, 4, 5)
PROJECT = "p" * 32
ACTIVE = ProvisioningStatus.ACTIVE
ONLINE = OperatingStatus.ONLINE


def uid() -> str:
    return str(uuid.uuid4())


def loadbalancer(**over: Any) -> LoadBalancer:
    lb = LoadBalancer(
        id=uid(), project_id=PROJECT, name="lb", description=None, admin_state_up=True,
        provisioning_status=ACTIVE, operating_status=ONLINE, vip_address="10.0.0.3",
        vip_port_id=None, vip_subnet_id=None, vip_network_id=None, vip_qos_policy_id=None,
        provider="amphora", flavor_id=None, availability_zone=None,
        topology=Topology.ACTIVE_STANDBY, vrrp_id=1, security_group_id=None, created_at=T0,
        updated_at=None)
    return replace(lb, **over)


def listener(lb: LoadBalancer, **over: Any) -> Listener:
    li = Listener(
        id=uid(), project_id=PROJECT, loadbalancer_id=lb.id, name=None, description=None,
        admin_state_up=True, protocol=ListenerProtocol.HTTP, protocol_port=80,
        connection_limit=-1, default_pool_id=None,
        timeout_client_data=DEFAULT_TIMEOUTS["timeout_client_data"],
        timeout_member_connect=DEFAULT_TIMEOUTS["timeout_member_connect"],
        timeout_member_data=DEFAULT_TIMEOUTS["timeout_member_data"],
        timeout_tcp_inspect=DEFAULT_TIMEOUTS["timeout_tcp_inspect"],
        provisioning_status=ACTIVE, operating_status=ONLINE, created_at=T0, updated_at=None)
    return replace(li, **over)


def pool(lb: LoadBalancer, **over: Any) -> Pool:
    p = Pool(
        id=uid(), project_id=PROJECT, loadbalancer_id=lb.id, name=None, description=None,
        admin_state_up=True, protocol=PoolProtocol.HTTP, lb_algorithm=LbAlgorithm.ROUND_ROBIN,
        provisioning_status=ACTIVE, operating_status=ONLINE, created_at=T0, updated_at=None)
    return replace(p, **over)


def member(p: Pool, address: str = "10.0.0.11", **over: Any) -> Member:
    m = Member(
        id=uid(), project_id=PROJECT, pool_id=p.id, name=None, admin_state_up=True,
        address=address, protocol_port=80, weight=1, backup=False, subnet_id=None,
        monitor_address=None, monitor_port=None, provisioning_status=ACTIVE,
        operating_status=ONLINE, created_at=T0, updated_at=None)
    return replace(m, **over)


def amphora(lb: LoadBalancer | None, **over: Any) -> Amphora:
    a = Amphora(
        id=uid(), loadbalancer_id=lb.id if lb else None, compute_id=None,
        lb_network_ip="198.18.0.9", vrrp_ip=None, ha_ip=None, vrrp_port_id=None,
        ha_port_id=None, mgmt_port_id=None, role=AmphoraRole.MASTER,
        status=AmphoraStatus.ALLOCATED, vrrp_interface="eth1", vrrp_id=1, vrrp_priority=100,
        cert_expiration=None, cert_busy=False, created_at=T0, updated_at=None)
    return replace(a, **over)


@dataclass
class Site:
    """One load balancer: a listener, a pool with members, its amphorae."""

    lb: LoadBalancer
    listeners: list[Listener] = field(default_factory=list)
    pools: list[Pool] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    amphorae: list[Amphora] = field(default_factory=list)

    def graph(self) -> LoadBalancerGraph:
        return LoadBalancerGraph(loadbalancer=self.lb, listeners=tuple(self.listeners),
                                 pools=tuple(self.pools), members=tuple(self.members),
                                 amphorae=tuple(self.amphorae))

    def insert(self, conn: Connection) -> None:
        loadbalancers.records.insert(conn, self.lb)
        for li in self.listeners:
            listeners.records.insert(conn, li)
        for p in self.pools:
            pools.records.insert(conn, p)
        for m in self.members:
            members.records.insert(conn, m)
        for a in self.amphorae:
            amphorae.records.insert(conn, a)


def site(n_members: int = 2, n_amphorae: int = 1, **lb_over: Any) -> Site:
    lb = loadbalancer(**lb_over)
    li = listener(lb)
    p = pool(lb)
    ms = [member(p, f"10.0.0.{11 + i}") for i in range(n_members)]
    amps = [amphora(lb) for _ in range(n_amphorae)]
    return Site(lb, [li], [p], ms, amps)
