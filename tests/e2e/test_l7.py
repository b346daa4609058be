"""L7 policies on a real load balancer: redirects, reject, routing to a second pool, and
rules on the path, host name, a header and a cookie (plain and inverted).

Requests are sent with http.client from a client instance (no redirect is followed).
One tenant network (10.74.0.0/24), one load balancer with a default pool (w1) and a
second pool (a1) are made once for the module; each test adds its policies and
removes them afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    Lb,
    change,
    create_lb,
    delete_lb,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
)
from livia_host import LiviaHost

W1, A1, CLIENT = "10.74.0.11", "10.74.0.12", "10.74.0.50"


@dataclass(frozen=True)
class Site:
    lb: Lb
    api_pool_id: str


@pytest.fixture(scope="module")
def site(livia: LiviaHost) -> Iterator[Site]:
    network_id, subnet_id = livia.network("lvt-l7", "10.74.0.0/24")
    livia.web("w1", network_id, W1)
    livia.web("a1", network_id, A1)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    lb = create_lb(livia, subnet_id, pool_body([member(W1)]))
    try:
        pool = change(livia, lb.id, "POST", "/v2/lbaas/pools", {"pool": {
            "loadbalancer_id": lb.id, "protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN",
            "name": "api", "members": [member(A1)]}})["pool"]
        yield Site(lb, pool["id"])
    finally:
        delete_lb(livia, lb.id)


AddPolicy = Callable[..., dict[str, Any]]


@pytest.fixture
def add_policy(livia: LiviaHost, site: Site) -> Iterator[AddPolicy]:
    """Create an L7 policy (with its rules) on the listener; all are deleted after the test."""
    created: list[str] = []

    def add(action: str, rules: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        policy = change(livia, site.lb.id, "POST", "/v2/lbaas/l7policies", {"l7policy": {
            "listener_id": site.lb.listener_id, "action": action, "rules": rules,
            **extra}})["l7policy"]
        created.append(policy["id"])
        return dict(policy)

    yield add
    for policy_id in created:
        change(livia, site.lb.id, "DELETE", f"/v2/lbaas/l7policies/{policy_id}")


def rule(kind: str, compare: str, value: str, key: str | None = None,
         invert: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind, "compare_type": compare, "value": value,
                           "invert": invert}
    if key is not None:
        out["key"] = key
    return out


def ask(livia: LiviaHost, site: Site, path: str = "/",
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One request through the VIP: status, Location and the member that answered."""
    [answer] = probe(livia, "client", site.lb.vip, path, headers=headers)
    assert "error" not in answer, f"GET {path} {headers}: {answer['error']}"
    return answer


def served(answer: dict[str, Any]) -> str:
    """'w1' or 'a1' for a 200, else 'HTTP <status>'."""
    return str(answer["served_by"]) if answer["status"] == 200 else f"HTTP {answer['status']}"


def test_redirect_to_url_on_a_path_regex(livia: LiviaHost, site: Site,
                                         add_policy: AddPolicy) -> None:
    url = "http://www.example.com/new-home"
    policy = add_policy("REDIRECT_TO_URL", [rule("PATH", "REGEX", "^/old(/|$)")],
                        redirect_url=url)
    moved = ask(livia, site, "/old/page")
    assert (moved["status"], moved["location"]) == (302, url), f"default code: {moved}"
    assert served(ask(livia, site, "/older")) == "w1", "the regex must not match /older"
    assert served(ask(livia, site, "/")) == "w1"
    change(livia, site.lb.id, "PUT", f"/v2/lbaas/l7policies/{policy['id']}",
           {"l7policy": {"redirect_http_code": 301}})
    moved = ask(livia, site, "/old")
    assert (moved["status"], moved["location"]) == (301, url), f"code 301 set: {moved}"


def test_redirect_prefix_keeps_the_path(livia: LiviaHost, site: Site,
                                        add_policy: AddPolicy) -> None:
    add_policy("REDIRECT_PREFIX", [rule("PATH", "STARTS_WITH", "/secure")],
               redirect_prefix="https://secure.example.com")
    moved = ask(livia, site, "/secure/account?x=1")
    assert moved["status"] == 302, moved
    assert moved["location"] == "https://secure.example.com/secure/account?x=1", moved
    assert served(ask(livia, site, "/open")) == "w1"


def test_redirect_to_pool_sends_api_to_the_second_pool(livia: LiviaHost, site: Site,
                                                       add_policy: AddPolicy) -> None:
    add_policy("REDIRECT_TO_POOL", [rule("PATH", "STARTS_WITH", "/api")],
               redirect_pool_id=site.api_pool_id)
    routed = {path: served(ask(livia, site, path)) for path in ("/api", "/api/v1", "/", "/x")}
    assert routed == {"/api": "a1", "/api/v1": "a1", "/": "w1", "/x": "w1"}, routed


def test_reject_answers_403(livia: LiviaHost, site: Site, add_policy: AddPolicy) -> None:
    add_policy("REJECT", [rule("PATH", "STARTS_WITH", "/admin")])
    got = {path: served(ask(livia, site, path)) for path in ("/admin", "/admin/x", "/")}
    assert got == {"/admin": "HTTP 403", "/admin/x": "HTTP 403", "/": "w1"}, got


def test_host_name_header_and_cookie_rules(livia: LiviaHost, site: Site,
                                           add_policy: AddPolicy) -> None:
    to_api = {"redirect_pool_id": site.api_pool_id}
    add_policy("REDIRECT_TO_POOL", [rule("HOST_NAME", "EQUAL_TO", "api.example.com")],
               **to_api)
    add_policy("REDIRECT_TO_POOL", [rule("HEADER", "EQUAL_TO", "2", key="X-Version")],
               **to_api)
    add_policy("REDIRECT_TO_POOL", [rule("COOKIE", "EQUAL_TO", "beta", key="tier")],
               **to_api)
    cases: dict[str, tuple[dict[str, str], str]] = {
        "host matches (any case)": ({"Host": "API.example.com"}, "a1"),
        "other host": ({"Host": "www.example.com"}, "w1"),
        "header matches": ({"X-Version": "2"}, "a1"),
        "header, other value": ({"X-Version": "3"}, "w1"),
        "other header, same value": ({"X-Other": "2"}, "w1"),
        "cookie matches": ({"Cookie": "a=1; tier=beta"}, "a1"),
        "cookie, other value": ({"Cookie": "tier=stable"}, "w1"),
        "value in another cookie": ({"Cookie": "beta=tier"}, "w1"),
        "nothing": ({}, "w1"),
    }
    got = {name: served(ask(livia, site, "/", headers)) for name, (headers, _) in cases.items()}
    assert got == {name: want for name, (_, want) in cases.items()}, got


def test_invert_inverts_a_rule(livia: LiviaHost, site: Site, add_policy: AddPolicy) -> None:
    add_policy("REJECT", [rule("HEADER", "EQUAL_TO", "yes", key="X-Allowed", invert=True)])
    got = {
        "without the header": served(ask(livia, site, "/")),
        "header yes": served(ask(livia, site, "/", {"X-Allowed": "yes"})),
        "header no": served(ask(livia, site, "/", {"X-Allowed": "no"})),
    }
    assert got == {"without the header": "HTTP 403", "header yes": "w1",
                   "header no": "HTTP 403"}, got


def test_regexes_are_pcre2_as_haproxy_runs_them(livia: LiviaHost, site: Site,
                                                add_policy: AddPolicy) -> None:
    """PCRE2 syntax Python's re lacks (\\p{Lu}) routes traffic; Python-only syntax, which
    HAProxy refuses, is a 400 and leaves the load balancer serving as before."""
    add_policy("REDIRECT_TO_POOL", [rule("PATH", "REGEX", r"^/api/\p{Lu}\d+$")],
               redirect_pool_id=site.api_pool_id)
    got = {path: served(ask(livia, site, path)) for path in ("/api/A12", "/api/a12", "/")}
    assert got == {"/api/A12": "a1", "/api/a12": "w1", "/": "w1"}, got
    for pattern in ("(?a)x", "(?u)x", "x\\N{DIGIT ONE}"):
        fault = livia.call("POST", "/v2/lbaas/l7policies", {"l7policy": {
            "listener_id": site.lb.listener_id, "action": "REJECT",
            "rules": [rule("PATH", "REGEX", pattern)]}}, expect=400)
        assert "PCRE2" in fault["faultstring"], fault
    assert livia.call("GET", f"/v2/lbaas/loadbalancers/{site.lb.id}")["loadbalancer"][
        "provisioning_status"] == "ACTIVE"
    assert served(ask(livia, site, "/api/B7")) == "a1"
