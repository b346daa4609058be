"""Builders of realistic load balancer graphs for the renderer tests.

Ids come from uuid5 over a counter, timestamps are fixed: the same calls give
the same graph, so golden files stay stable.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from livia.domain.amphorae import Amphora
from livia.domain.healthmonitors import HealthMonitor, HttpMethod, MonitorType
from livia.domain.l7policies import L7Action, L7Policy
from livia.domain.l7rules import CompareType, L7Rule, L7RuleType
from livia.domain.listeners import DEFAULT_TIMEOUTS, Listener, ListenerProtocol
from livia.domain.loadbalancers import LoadBalancer, LoadBalancerGraph
from livia.domain.members import Member
from livia.domain.networks import SecurityGroupRule, Subnet
from livia.domain.pools import (
    LbAlgorithm,
    PersistenceType,
    Pool,
    PoolProtocol,
    SessionPersistence,
)
from livia.domain.status import (
    ROLE_PRIORITY,
    AmphoraRole,
    AmphoraStatus,
    OperatingStatus,
    ProvisioningStatus,
    Topology,
    roles_for,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PROJECT = "7f3c9a1e2b4d4c6e8f0a1b2c3d4e5f60"
_NAMESPACE = uuid.UUID("2f1b7c38-54a1-4d1e-9a53-1c3a9b0e7d11")
ACTIVE = ProvisioningStatus.ACTIVE
ONLINE = OperatingStatus.ONLINE


class GraphFactory:
    """Collects the objects of one load balancer; :meth:`graph` assembles them."""

    def __init__(self, vip: str = "198.18.0.3", cidr: str = "198.18.0.0/24") -> None:
        self._counter = 0
        self.vip = vip
        self.cidr = cidr
        self.lb_id = self.uid("lb")
        self.listeners: list[Listener] = []
        self.pools: list[Pool] = []
        self.members: list[Member] = []
        self.monitors: list[HealthMonitor] = []
        self.policies: list[L7Policy] = []
        self.rules: list[L7Rule] = []
        self.sg_rules: list[SecurityGroupRule] = []

    def uid(self, kind: str) -> str:
        self._counter += 1
        return str(uuid.uuid5(_NAMESPACE, f"{kind}-{self._counter}"))

    def listener(
        self,
        protocol: ListenerProtocol = ListenerProtocol.HTTP,
        port: int = 80,
        pool: Pool | None = None,
        **over: Any,
    ) -> Listener:
        listener = Listener(
            id=self.uid("listener"),
            project_id=PROJECT,
            loadbalancer_id=self.lb_id,
            name="web listener",
            description="a user's words",
            admin_state_up=True,
            protocol=protocol,
            protocol_port=port,
            connection_limit=-1,
            default_pool_id=pool.id if pool else None,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            created_at=T0,
            updated_at=None,
            timeout_client_data=DEFAULT_TIMEOUTS["timeout_client_data"],
            timeout_member_connect=DEFAULT_TIMEOUTS["timeout_member_connect"],
            timeout_member_data=DEFAULT_TIMEOUTS["timeout_member_data"],
            timeout_tcp_inspect=DEFAULT_TIMEOUTS["timeout_tcp_inspect"],
        )
        listener = replace(listener, **over)
        self.listeners.append(listener)
        return listener

    def pool(
        self,
        protocol: PoolProtocol = PoolProtocol.HTTP,
        algorithm: LbAlgorithm = LbAlgorithm.ROUND_ROBIN,
        persistence: PersistenceType | None = None,
        cookie_name: str | None = None,
        **over: Any,
    ) -> Pool:
        session = SessionPersistence(persistence, cookie_name) if persistence else None
        pool = Pool(
            id=self.uid("pool"),
            project_id=PROJECT,
            loadbalancer_id=self.lb_id,
            name="web pool",
            description=None,
            admin_state_up=True,
            protocol=protocol,
            lb_algorithm=algorithm,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            created_at=T0,
            updated_at=None,
            session_persistence=session,
        )
        pool = replace(pool, **over)
        self.pools.append(pool)
        return pool

    def member(
        self, pool: Pool, address: str, port: int = 80, weight: int = 1, **over: Any
    ) -> Member:
        member = Member(
            id=self.uid("member"),
            project_id=PROJECT,
            pool_id=pool.id,
            name="instance",
            admin_state_up=True,
            address=address,
            protocol_port=port,
            weight=weight,
            backup=False,
            subnet_id=None,
            monitor_address=None,
            monitor_port=None,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            created_at=T0,
            updated_at=None,
        )
        member = replace(member, **over)
        self.members.append(member)
        return member

    def monitor(
        self, pool: Pool, kind: MonitorType = MonitorType.PING, **over: Any
    ) -> HealthMonitor:
        http = kind in (MonitorType.HTTP, MonitorType.HTTPS)
        monitor = HealthMonitor(
            id=self.uid("monitor"),
            project_id=PROJECT,
            pool_id=pool.id,
            name="hm",
            admin_state_up=True,
            type=kind,
            delay=5,
            timeout=5,
            max_retries=3,
            max_retries_down=3,
            http_method=HttpMethod.GET if http else None,
            url_path="/" if http else None,
            expected_codes="200" if http else None,
            http_version=None,
            domain_name=None,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            created_at=T0,
            updated_at=None,
        )
        monitor = replace(monitor, **over)
        self.monitors.append(monitor)
        return monitor

    def policy(self, listener: Listener, action: L7Action, position: int, **over: Any) -> L7Policy:
        policy = L7Policy(
            id=self.uid("l7policy"),
            project_id=PROJECT,
            listener_id=listener.id,
            name="policy",
            description=None,
            admin_state_up=True,
            action=action,
            position=position,
            redirect_pool_id=None,
            redirect_url=None,
            redirect_prefix=None,
            redirect_http_code=None,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            created_at=T0,
            updated_at=None,
        )
        policy = replace(policy, **over)
        self.policies.append(policy)
        return policy

    def rule(
        self,
        policy: L7Policy,
        kind: L7RuleType,
        compare: CompareType,
        value: str,
        key: str | None = None,
        invert: bool = False,
        **over: Any,
    ) -> L7Rule:
        rule = L7Rule(
            id=self.uid("l7rule"),
            project_id=PROJECT,
            l7policy_id=policy.id,
            type=kind,
            compare_type=compare,
            key=key,
            value=value,
            invert=invert,
            admin_state_up=True,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            created_at=T0,
            updated_at=None,
        )
        rule = replace(rule, **over)
        self.rules.append(rule)
        return rule

    def sg_rule(
        self,
        protocol: str | None = "tcp",
        port_min: int | None = None,
        port_max: int | None = None,
        prefix: str | None = None,
        ethertype: str = "IPv4",
        **over: Any,
    ) -> SecurityGroupRule:
        rule = SecurityGroupRule(
            id=self.uid("sgrule"),
            project_id=PROJECT,
            security_group_id=self.uid("sg"),
            direction="ingress",
            ethertype=ethertype,
            protocol=protocol,
            port_range_min=port_min,
            port_range_max=port_max,
            remote_ip_prefix=prefix,
            remote_group_id=None,
            description="a user's words",
            revision_number=1,
            created_at=T0,
            updated_at=None,
        )
        rule = replace(rule, **over)
        self.sg_rules.append(rule)
        return rule

    def graph(
        self,
        topology: Topology = Topology.ACTIVE_STANDBY,
        vrrp_ips: tuple[str, ...] = ("198.18.0.10", "198.18.0.11"),
        **lb_over: Any,
    ) -> LoadBalancerGraph:
        lb = LoadBalancer(
            id=self.lb_id,
            project_id=PROJECT,
            name="lb one",
            description="words",
            admin_state_up=True,
            provisioning_status=ACTIVE,
            operating_status=ONLINE,
            vip_address=self.vip,
            vip_port_id=None,
            vip_subnet_id=None,
            vip_network_id=None,
            vip_qos_policy_id=None,
            provider="amphora",
            flavor_id=None,
            availability_zone=None,
            topology=topology,
            vrrp_id=1,
            security_group_id=None,
            created_at=T0,
            updated_at=None,
        )
        lb = replace(lb, **lb_over)
        amphorae = tuple(
            self._amphora(role, vrrp_ip)
            for role, vrrp_ip in zip(roles_for(topology), vrrp_ips, strict=True)
        )
        return LoadBalancerGraph(
            loadbalancer=lb,
            listeners=tuple(self.listeners),
            pools=tuple(self.pools),
            members=tuple(self.members),
            healthmonitors=tuple(self.monitors),
            l7policies=tuple(self.policies),
            l7rules=tuple(self.rules),
            amphorae=amphorae,
            vip_subnet=self._subnet(),
            security_group_rules=tuple(self.sg_rules),
        )

    def _amphora(self, role: AmphoraRole, vrrp_ip: str) -> Amphora:
        return Amphora(
            id=str(uuid.uuid5(_NAMESPACE, f"amphora-{role.value}")),
            loadbalancer_id=self.lb_id,
            compute_id=None,
            lb_network_ip="198.18.8.20",
            vrrp_ip=vrrp_ip,
            ha_ip=self.vip,
            vrrp_port_id=None,
            ha_port_id=None,
            mgmt_port_id=None,
            role=role,
            status=AmphoraStatus.ALLOCATED,
            vrrp_interface="eth1",
            vrrp_id=1,
            vrrp_priority=ROLE_PRIORITY[role],
            cert_expiration=None,
            cert_busy=False,
            created_at=T0,
            updated_at=None,
        )

    def _subnet(self) -> Subnet:
        return Subnet(
            id=str(uuid.uuid5(_NAMESPACE, "subnet")),
            project_id=PROJECT,
            network_id=str(uuid.uuid5(_NAMESPACE, "network")),
            name="tenant",
            description=None,
            ip_version=6 if ":" in self.cidr else 4,
            cidr=self.cidr,
            gateway_ip=None,
            enable_dhcp=False,
            revision_number=1,
            created_at=T0,
            updated_at=None,
        )


def amphora_of(graph: LoadBalancerGraph, role: AmphoraRole) -> Amphora:
    return next(a for a in graph.amphorae if a.role is role)
