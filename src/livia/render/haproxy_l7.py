"""L7 policies and rules of one listener, resolved into HAProxy ACLs and actions.

HAProxy runs a frontend's ``http-request`` rules first, then its ``redirect``
rules, then ``use_backend``, whatever their order in the file. Octavia
documents the same precedence for its amphorae (REJECT before REDIRECT_TO_URL
and REDIRECT_PREFIX, before REDIRECT_TO_POOL; by position within each kind),
so Livia keeps it and writes the rules in the order HAProxy evaluates them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from livia.domain.errors import InvalidInput
from livia.domain.l7policies import REDIRECT_CODES, L7Action, L7Policy
from livia.domain.l7rules import CompareType, L7Rule, L7RuleType
from livia.domain.listeners import Listener
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.render.values import checked_id, checked_token, haproxy_quoted

DEFAULT_REDIRECT_CODE = 302

_MATCH: dict[CompareType, str] = {
    CompareType.REGEX: "-m reg",
    CompareType.STARTS_WITH: "-m beg",
    CompareType.ENDS_WITH: "-m end",
    CompareType.CONTAINS: "-m sub",
    CompareType.EQUAL_TO: "-m str",
}


@dataclass(frozen=True, slots=True)
class AclView:
    name: str
    criterion: str  # the fetch and its flags, e.g. ``req.hdr(host) -i -m str``
    pattern: str | None  # already quoted; None for boolean fetches


@dataclass(frozen=True, slots=True)
class RedirectView:
    kind: Literal["location", "prefix"]
    target: str  # already quoted
    code: int
    condition: str


@dataclass(frozen=True, slots=True)
class RouteView:
    pool_id: str
    backend: str
    condition: str


@dataclass(frozen=True, slots=True)
class L7View:
    acls: tuple[AclView, ...] = ()
    rejects: tuple[str, ...] = ()  # conditions of ``http-request deny``
    redirects: tuple[RedirectView, ...] = ()
    routes: tuple[RouteView, ...] = ()


def l7_view(
    graph: LoadBalancerGraph,
    listener: Listener,
    usable_pools: frozenset[str],
    backend_name: Callable[[str, str], str],
) -> L7View:
    """The listener's policies that can act: enabled, with enabled rules, and a usable pool."""
    acls: list[AclView] = []
    rejects: list[str] = []
    redirects: list[RedirectView] = []
    routes: list[RouteView] = []
    for policy in sorted(graph.policies_of(listener.id), key=lambda p: (p.position, p.id)):
        rules = _active_rules(graph, policy)
        if not rules or not _actionable(policy, usable_pools):
            continue
        acls.extend(_acl(rule) for rule in rules)
        condition = " ".join(("!" if rule.invert else "") + rule.id for rule in rules)
        if policy.action is L7Action.REJECT:
            rejects.append(condition)
        elif policy.action is L7Action.REDIRECT_TO_POOL:
            pool_id = str(policy.redirect_pool_id)
            routes.append(RouteView(pool_id, backend_name(pool_id, listener.id), condition))
        else:
            redirects.append(_redirect(policy, condition))
    return L7View(tuple(acls), tuple(rejects), tuple(redirects), tuple(routes))


def _active_rules(graph: LoadBalancerGraph, policy: L7Policy) -> tuple[L7Rule, ...]:
    if not policy.admin_state_up:
        return ()
    rules = (r for r in graph.rules_of(policy.id) if r.admin_state_up)
    return tuple(sorted(rules, key=lambda r: r.id))


def _actionable(policy: L7Policy, usable_pools: frozenset[str]) -> bool:
    if policy.action is L7Action.REDIRECT_TO_POOL:
        return policy.redirect_pool_id in usable_pools
    return True


def _redirect(policy: L7Policy, condition: str) -> RedirectView:
    code = policy.redirect_http_code or DEFAULT_REDIRECT_CODE
    if code not in REDIRECT_CODES:
        raise InvalidInput(f"L7 policy {policy.id}: redirect code {code} is not a redirect")
    if policy.action is L7Action.REDIRECT_TO_URL:
        target = policy.redirect_url
        kind: Literal["location", "prefix"] = "location"
    else:
        target = policy.redirect_prefix
        kind = "prefix"
    if not target:
        raise InvalidInput(f"L7 policy {policy.id} has no redirect target")
    # The frontend `redirect` keyword takes its target literally (no log-format),
    # so quoting is all it needs.
    quoted = haproxy_quoted(target, f"L7 policy {policy.id} redirect target")
    return RedirectView(kind, quoted, code, condition)


def _acl(rule: L7Rule) -> AclView:
    name = checked_id(rule.id, "L7 rule id")
    what = f"L7 rule {rule.id}"
    match rule.type:
        case L7RuleType.SSL_CONN_HAS_CERT:
            return AclView(name, "ssl_c_used", None)
        case L7RuleType.SSL_VERIFY_RESULT:
            if not rule.value.isdigit():
                raise InvalidInput(f"{what}: SSL_VERIFY_RESULT must be an integer")
            return AclView(name, "ssl_c_verify", haproxy_quoted(rule.value, what))
        case L7RuleType.FILE_TYPE:
            return AclView(name, _file_type_fetch(rule), haproxy_quoted(rule.value, what))
    match_flag = _MATCH[rule.compare_type]
    return AclView(name, f"{_fetch(rule)} {match_flag}", haproxy_quoted(rule.value, what))


def _fetch(rule: L7Rule) -> str:
    match rule.type:
        case L7RuleType.HOST_NAME:
            return "req.hdr(host) -i"
        case L7RuleType.PATH:
            return "path"
        case L7RuleType.HEADER:
            return f"req.hdr({checked_token(rule.key, f'L7 rule {rule.id} header name')})"
        case L7RuleType.COOKIE:
            return f"req.cook({checked_token(rule.key, f'L7 rule {rule.id} cookie name')})"
        case L7RuleType.SSL_DN_FIELD:
            return f"ssl_c_s_dn({checked_token(rule.key, f'L7 rule {rule.id} DN field')})"
    raise InvalidInput(f"L7 rule {rule.id}: type {rule.type} has no HAProxy fetch")


def _file_type_fetch(rule: L7Rule) -> str:
    if rule.compare_type is CompareType.EQUAL_TO:
        return "path_end"
    if rule.compare_type is CompareType.REGEX:
        return "path_reg"
    raise InvalidInput(f"L7 rule {rule.id}: FILE_TYPE compares with EQUAL_TO or REGEX only")
