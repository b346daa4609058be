"""Which objects of a load balancer can be rendered, and the graph without the others.

The API refuses what the renderer would refuse, with the same checks (each
domain module's ``check``). An object can still fail them later: it was
stored before a check existed, or a check became stricter. Such an object
must not take its load balancer down with it: the controller renders the
graph without it, settles it in ERROR alone and reports why, and the rest of
the load balancer keeps converging.

Leaving an object out also leaves out what hangs on it: a refused listener
takes its L7 policies, a refused pool its members and monitor (listeners
that use it get no default backend, as with a disabled pool). A refused L7
rule takes its whole policy out: the policy's rules are ANDed, and acting on
the others alone would apply the policy to more requests than asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from livia.domain import healthmonitors, l7policies, l7rules, listeners, members, pools
from livia.domain.errors import InvalidInput
from livia.domain.loadbalancers import LoadBalancerGraph


def refusals(graph: LoadBalancerGraph) -> dict[str, str]:
    """Object id -> why it cannot be rendered, for the live objects of the graph."""
    live = graph.live()
    protocols = {p.id: p.protocol for p in live.pools}
    checks: list[tuple[str, Callable[[], None]]] = [
        *((li.id, partial(listeners.check, li)) for li in live.listeners),
        *((p.id, partial(_check_pool, live, p)) for p in live.pools),
        *((m.id, partial(members.check, m)) for m in live.members),
        *((h.id, partial(healthmonitors.check, h, protocols[h.pool_id]))
          for h in live.healthmonitors),
        *((p.id, partial(l7policies.check, p)) for p in live.l7policies),
        *((r.id, partial(l7rules.check, r)) for r in live.l7rules),
    ]
    out: dict[str, str] = {}
    for object_id, check in checks:
        try:
            check()
        except InvalidInput as exc:
            out[object_id] = exc.message
    return out


def _check_pool(graph: LoadBalancerGraph, pool: pools.Pool) -> None:
    pools.check(pool)
    for listener in graph.listeners:
        if listener.default_pool_id == pool.id:
            pools.check_listener_compatible(listener.protocol, pool)


def without(graph: LoadBalancerGraph, refused: dict[str, str]) -> LoadBalancerGraph:
    """The live graph less the refused objects and what hangs on them."""
    live = graph.live()
    if not refused:
        return live
    gone = set(refused)
    gone |= {r.l7policy_id for r in live.l7rules if r.id in gone}
    listener_list = tuple(li for li in live.listeners if li.id not in gone)
    kept_listeners = {li.id for li in listener_list}
    policy_list = tuple(p for p in live.l7policies
                        if p.id not in gone and p.listener_id in kept_listeners)
    kept_policies = {p.id for p in policy_list}
    pool_list = tuple(p for p in live.pools if p.id not in gone)
    kept_pools = {p.id for p in pool_list}
    return replace(
        live,
        listeners=tuple(_without_default_pool(li, kept_pools) for li in listener_list),
        pools=pool_list,
        members=tuple(m for m in live.members if m.id not in gone and m.pool_id in kept_pools),
        healthmonitors=tuple(h for h in live.healthmonitors
                             if h.id not in gone and h.pool_id in kept_pools),
        # A REDIRECT_TO_POOL policy whose pool is left out stays: the renderer skips it,
        # as it does one that routes to a disabled pool.
        l7policies=policy_list,
        l7rules=tuple(r for r in live.l7rules if r.l7policy_id in kept_policies),
    )


def _without_default_pool(listener: listeners.Listener, kept: set[str]) -> listeners.Listener:
    if listener.default_pool_id is None or listener.default_pool_id in kept:
        return listener
    return replace(listener, default_pool_id=None)
