"""What a caller may see and refer to: the one rule of tenant isolation.

Every tenant is treated as hostile. An admin sees everything (and a global
observer, when reading: ``livia.domain.policy``); any other caller sees the
objects of its own project and nothing else, with Neutron's two exceptions
for networks (and their subnets):

- a ``shared`` or ``router:external`` network is visible to every project;
- ports (a member's or VIP's amphora port, an instance's, a user's) may go on
  a project's own networks and on ``shared`` ones; an external network that
  is not shared takes addresses only for floating IPs.

``livia.api.refs`` applies this rule to every id a request passes; the
store's ``visible_to`` conditions are its SQL form for lists. A reference to
an object the caller may not see is answered exactly as one to an object that
does not exist.
"""

from __future__ import annotations

from enum import StrEnum

from livia.domain.networks import Network
from livia.domain.tokens import Caller

# A network with one of these flags is visible to every project...
NETWORK_SEEN_BY_ALL: tuple[str, ...] = ("shared", "router_external")
# ...and with one of these, every project may put ports on it.
NETWORK_USED_BY_ALL: tuple[str, ...] = ("shared",)


class Need(StrEnum):
    """What a request does with a network it names."""

    SEE = "see"  # show it, list it, take a floating IP from it
    USE = "use"  # put a port on it (members, VIPs, instances, ports)
    OWN = "own"  # change it, delete it, add a subnet to it


def scope(caller: Caller) -> str | None:
    """The project a lookup is limited to; None for an admin (every project), and for a
    global observer when reading."""
    return None if caller.global_view or caller.is_admin else caller.project_id


def sees(caller: Caller, project_id: str | None) -> bool:
    """Whether an object owned by ``project_id`` exists for the caller."""
    return caller.sees(project_id)


def _flagged(network: Network, flags: tuple[str, ...]) -> bool:
    return any(getattr(network, flag) for flag in flags)


def allows(caller: Caller, network: Network, need: Need) -> bool:
    if sees(caller, network.project_id):
        return True
    if need is Need.SEE:
        return _flagged(network, NETWORK_SEEN_BY_ALL)
    if need is Need.USE:
        return _flagged(network, NETWORK_USED_BY_ALL)
    return False
