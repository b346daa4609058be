"""The ids a request passes, resolved within what the caller may see.

Every id that names an object — in the path, or in a body field such as
``loadbalancer_id``, ``subnet_id``, ``vip_port_id``, ``remote_group_id`` —
becomes that object here, by the rule of :mod:`livia.domain.visibility`.
A reference to an object the caller may not see gets exactly the answer of
a reference to an id that does not exist: the same error, the same message,
which names only the id the caller sent. So no answer tells a project which
ids exist in another.

``invalid=True`` is for the body fields whose missing target Octavia answers
with 400 instead of 404 (a VIP's or member's subnet, network or port).
"""

from __future__ import annotations

import uuid
from typing import Protocol, TypeVar

from livia.api.context import parse_id
from livia.domain.errors import Conflict, InvalidInput, LiviaError, NotFound
from livia.domain.healthmonitors import HealthMonitor
from livia.domain.instances import Instance
from livia.domain.l7policies import L7Policy
from livia.domain.limits import quote
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancer
from livia.domain.networks import (
    NETWORK_DELETING,
    FloatingIp,
    Network,
    Port,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
)
from livia.domain.pools import Pool
from livia.domain.status import ProvisioningStatus
from livia.domain.tokens import Caller
from livia.domain.visibility import Need, allows, scope, sees
from livia.store import (
    floatingips,
    healthmonitors,
    instances,
    l7policies,
    listeners,
    loadbalancers,
    networks,
    pools,
    security_groups,
)
from livia.store.database import Connection

LOADBALANCER = "Load Balancer"
LISTENER = "Listener"
POOL = "Pool"
HEALTHMONITOR = "Health Monitor"
L7POLICY = "L7 Policy"
NETWORK = "Network"
SUBNET = "Subnet"
PORT = "Port"
SECURITY_GROUP = "Security group"
SECURITY_GROUP_RULE = "Security group rule"
FLOATINGIP = "Floating IP"
INSTANCE = "Instance"


class Owned(Protocol):
    @property
    def project_id(self) -> str | None: ...


OwnedT = TypeVar("OwnedT", bound=Owned)


def missing(resource: str, ref: str, *, invalid: bool = False) -> LiviaError:
    """The error of a reference to nothing, the same whether the object exists or not."""
    if invalid:
        return InvalidInput(f"{resource} {quote(ref)} not found.")  # NotFound's message
    return NotFound(resource, ref)


def owned(found: OwnedT | None, caller: Caller, resource: str, ref: str, *,
          invalid: bool = False) -> OwnedT:
    """``found`` if the caller's project owns it (an admin: any); else as if it did not exist."""
    if found is None or not sees(caller, found.project_id):
        raise missing(resource, ref, invalid=invalid)
    return found


# -- load balancing ---------------------------------------------------------------------


def loadbalancer(conn: Connection, caller: Caller, ref: str) -> LoadBalancer:
    found = loadbalancers.records.get(conn, parse_id(ref, LOADBALANCER))
    if found is not None and found.provisioning_status is ProvisioningStatus.DELETED:
        found = None
    return owned(found, caller, LOADBALANCER, ref)


def listener(conn: Connection, caller: Caller, ref: str) -> Listener:
    return owned(listeners.records.get(conn, parse_id(ref, LISTENER)), caller, LISTENER, ref)


def pool(conn: Connection, caller: Caller, ref: str) -> Pool:
    return owned(pools.records.get(conn, parse_id(ref, POOL)), caller, POOL, ref)


def healthmonitor(conn: Connection, caller: Caller, ref: str) -> HealthMonitor:
    found = healthmonitors.records.get(conn, parse_id(ref, HEALTHMONITOR))
    return owned(found, caller, HEALTHMONITOR, ref)


def l7policy(conn: Connection, caller: Caller, ref: str) -> L7Policy:
    return owned(l7policies.records.get(conn, parse_id(ref, L7POLICY)), caller, L7POLICY, ref)


def pool_of(found: Pool | None, lb_id: str, ref: str) -> Pool:
    """A pool named beside a listener or policy: it must be on the same load balancer."""
    if found is None or found.loadbalancer_id != lb_id:
        raise missing(POOL, ref)
    return found


# -- networking -------------------------------------------------------------------------


def _live(found: Network | None) -> Network | None:
    return None if found is None or found.status == NETWORK_DELETING else found


def network(conn: Connection, caller: Caller, ref: str, need: Need = Need.SEE, *,
            invalid: bool = False) -> Network:
    found = _live(networks.records.get(conn, parse_id(ref, NETWORK)))
    if found is None or not allows(caller, found, need):
        raise missing(NETWORK, ref, invalid=invalid)
    return found


def subnet(conn: Connection, caller: Caller, ref: str, need: Need = Need.SEE, *,
           invalid: bool = False) -> Subnet:
    """A subnet is seen and used as its network is; owning one is owning the subnet itself."""
    found = networks.subnets.get(conn, parse_id(ref, SUBNET))
    parent = _live(networks.records.get(conn, found.network_id)) if found else None
    if found is None or parent is None:
        raise missing(SUBNET, ref, invalid=invalid)
    if need is Need.OWN:
        ok = allows(caller, parent, Need.SEE) and sees(caller, found.project_id)
    else:
        ok = allows(caller, parent, need)
    if not ok:
        raise missing(SUBNET, ref, invalid=invalid)
    return found


def port(conn: Connection, caller: Caller, ref: str, *, invalid: bool = False) -> Port:
    found = networks.ports.get(conn, parse_id(ref, PORT))
    return owned(found, caller, PORT, ref, invalid=invalid)


def security_group(conn: Connection, caller: Caller, ref: str) -> SecurityGroup:
    found = security_groups.records.get(conn, parse_id(ref, SECURITY_GROUP))
    return owned(found, caller, SECURITY_GROUP, ref)


def security_group_rule(conn: Connection, caller: Caller, ref: str) -> SecurityGroupRule:
    found = security_groups.rules.get(conn, parse_id(ref, SECURITY_GROUP_RULE))
    return owned(found, caller, SECURITY_GROUP_RULE, ref)


def floatingip(conn: Connection, caller: Caller, ref: str) -> FloatingIp:
    found = floatingips.records.get(conn, parse_id(ref, FLOATINGIP))
    if found is not None and floatingips.plumbing_ports(conn, found.id)[2]:
        found = None  # deleted: gone for the API at once
    return owned(found, caller, FLOATINGIP, ref)


# -- instances --------------------------------------------------------------------------


def instance(conn: Connection, caller: Caller, key: str) -> Instance:
    """By id, else by name in the caller's project (an admin's: in every project).

    A name that several projects use is a 409 for an admin, who must give the id.
    """
    try:
        by_id = instances.records.get(conn, str(uuid.UUID(key)))
    except ValueError:
        by_id = None
    if by_id is not None and sees(caller, by_id.project_id):
        return by_id
    found = instances.named(conn, scope(caller), key)
    if len(found) > 1:
        raise Conflict(f"Instances of {len(found)} projects are named {key}; give the id of "
                       "the one you mean.")
    if not found:
        raise missing(INSTANCE, key)
    return found[0]
