"""Load balancers, and the fully resolved graph the controller renders from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from livia.domain.amphorae import Amphora
from livia.domain.flavors import FlavorOptions
from livia.domain.healthmonitors import HealthMonitor
from livia.domain.l7policies import L7Policy
from livia.domain.l7rules import L7Rule
from livia.domain.listeners import Listener
from livia.domain.members import Member
from livia.domain.networks import Port, SecurityGroupRule, Subnet
from livia.domain.pools import Pool
from livia.domain.status import (
    OperatingStatus,
    ProvisioningStatus,
    Topology,
)

PROVIDERS = {"amphora": "The Livia amphora provider: HAProxy and keepalived in namespaces.",
             "octavia": "Alias of the amphora provider."}


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    id: str
    project_id: str
    name: str | None
    description: str | None
    admin_state_up: bool
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    vip_address: str | None
    vip_port_id: str | None
    vip_subnet_id: str | None
    vip_network_id: str | None
    vip_qos_policy_id: str | None
    provider: str
    flavor_id: str | None
    availability_zone: str | None
    topology: Topology
    vrrp_id: int | None
    security_group_id: str | None
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()
    # The flavor's data-plane keys as they were at create (None: no flavor).
    flavor_options: FlavorOptions | None = None


@dataclass(frozen=True, slots=True)
class LoadBalancerGraph:
    """Everything about one load balancer that the data plane depends on.

    Loaded in one read by the store; the renderers and the reconciler work on
    this snapshot only, never on the database.
    """

    loadbalancer: LoadBalancer
    listeners: tuple[Listener, ...] = ()
    pools: tuple[Pool, ...] = ()
    members: tuple[Member, ...] = ()
    healthmonitors: tuple[HealthMonitor, ...] = ()
    l7policies: tuple[L7Policy, ...] = ()
    l7rules: tuple[L7Rule, ...] = ()
    amphorae: tuple[Amphora, ...] = ()
    vip_port: Port | None = None
    vip_subnet: Subnet | None = None
    member_subnets: tuple[Subnet, ...] = ()
    security_group_rules: tuple[SecurityGroupRule, ...] = ()
    security_group_revision: int = 0
    ports: tuple[Port, ...] = field(default=())

    def members_of(self, pool_id: str) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.pool_id == pool_id)

    def monitor_of(self, pool_id: str) -> HealthMonitor | None:
        return next((h for h in self.healthmonitors if h.pool_id == pool_id), None)

    def policies_of(self, listener_id: str) -> tuple[L7Policy, ...]:
        found = [p for p in self.l7policies if p.listener_id == listener_id]
        return tuple(sorted(found, key=lambda p: p.position))

    def rules_of(self, policy_id: str) -> tuple[L7Rule, ...]:
        return tuple(r for r in self.l7rules if r.l7policy_id == policy_id)

    def pool(self, pool_id: str | None) -> Pool | None:
        return next((p for p in self.pools if p.id == pool_id), None)

    def live(self) -> LoadBalancerGraph:
        """The graph without objects that are being deleted: what the data plane should run."""
        gone = ProvisioningStatus.PENDING_DELETE

        def keep(status: ProvisioningStatus) -> bool:
            return status is not gone

        listeners = tuple(x for x in self.listeners if keep(x.provisioning_status))
        pools = tuple(x for x in self.pools if keep(x.provisioning_status))
        pool_ids = {p.id for p in pools}
        policies = tuple(
            x
            for x in self.l7policies
            if keep(x.provisioning_status) and x.listener_id in {li.id for li in listeners}
        )
        policy_ids = {p.id for p in policies}
        return LoadBalancerGraph(
            loadbalancer=self.loadbalancer,
            listeners=listeners,
            pools=pools,
            members=tuple(
                x for x in self.members if keep(x.provisioning_status) and x.pool_id in pool_ids
            ),
            healthmonitors=tuple(
                x
                for x in self.healthmonitors
                if keep(x.provisioning_status) and x.pool_id in pool_ids
            ),
            l7policies=policies,
            l7rules=tuple(
                x
                for x in self.l7rules
                if keep(x.provisioning_status) and x.l7policy_id in policy_ids
            ),
            amphorae=self.amphorae,
            vip_port=self.vip_port,
            vip_subnet=self.vip_subnet,
            member_subnets=self.member_subnets,
            security_group_rules=self.security_group_rules,
            security_group_revision=self.security_group_revision,
            ports=self.ports,
        )
