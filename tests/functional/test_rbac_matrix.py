"""The RBAC matrix: every documented route, for every kind of caller, on project A's objects.

Callers: the admin token, a member and a reader of A, a member of B, Octavia's
legacy roles (``load-balancer_member`` and ``_observer`` of A, a
``load-balancer_global_observer`` and a ``load-balancer_admin`` of a third
project), an unknown token, an expired Keystone token of A's member and no token.
Every route in /openapi.json must
have a row here (a new route without one fails ``test_every_route_has_a_row``),
and every cell is asserted: what passes answers its success status, what does
not answers 401 (no or bad token), 403 (a role that does not allow it) or the
"not found" of an object that does not exist (another project's objects).
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from lbaas_stack import LBAAS, Stack, expect

from livia.domain.identity import IssuedToken
from livia.domain.policy import Role
from livia.domain.tokens import Token
from livia.store import identity, tokens
from livia.store.records import utcnow

NET = "/v2"
AMP = "/v2/octavia/amphorae"
INSTANCES = "/v2/livia/instances"

READERS_OF_A = {"admin", "member_a", "reader_a", "lb_member_a", "lb_observer_a",
                "lb_global_observer", "lb_admin"}
WRITERS_OF_A = {"admin", "member_a", "lb_member_a", "lb_admin"}
ADMINS = {"admin", "lb_admin"}
AUTHENTICATED = READERS_OF_A | {"member_b"}
CALLERS = sorted(AUTHENTICATED | {"none", "unknown", "expired"})


@dataclass
class World:
    """Project A's objects and the tokens of every caller."""

    stack: Stack
    token: dict[str, str | None]
    objs: dict[str, str]
    counter: itertools.count[int]

    def next(self) -> int:
        return next(self.counter)

    def settle(self) -> None:
        self.stack.wait_for(self.objs["loadbalancer"])


Request = tuple[str, dict[str, Any] | None]  # path, JSON body
Maker = Callable[[World], Request]


@dataclass(frozen=True)
class Row:
    """One route: how to call it, who may, and what success answers."""

    method: str
    template: str
    make: Maker
    allowed: frozenset[str]
    ok: int
    settles: bool = False  # a change to A's load balancer: wait for ACTIVE after success
    listed: str | None = None  # a list: the key of A's object that must show only to readers
    refused: int | None = None  # what B's member gets when the route names A, not an object


def _insert_token(stack: Stack, project: str, role: Role) -> str:
    secret = "lvt-" + secrets.token_urlsafe(16)
    with stack.db.write() as conn:
        tokens.records.insert(conn, Token(id=str(uuid.uuid4()), project_id=project, role=role,
                                          token_hash=tokens.hash_token(secret),
                                          description="rbac matrix", created_at=utcnow()))
    return secret


def _expired_token(stack: Stack, project: str) -> str:
    """A Keystone token of a member of ``project`` that expired a minute ago."""
    secret = "lvk-" + secrets.token_urlsafe(16)
    past = utcnow() - timedelta(minutes=1)
    with stack.db.write() as conn:
        identity.issued.insert(conn, IssuedToken(
            id=str(uuid.uuid4()), token_hash=tokens.hash_token(secret), user_id="u",
            project_id=project, roles=(Role.MEMBER, Role.READER), methods=("password",),
            app_credential_id=None, audit_id="a", issued_at=past - timedelta(hours=1),
            expires_at=past, revoked=False))
    return secret


def _world(stack: Stack) -> World:
    t = stack.tokens
    project_c = "project-c-" + uuid.uuid4().hex[:8]
    token: dict[str, str | None] = {
        "admin": t.admin, "member_a": t.member_a, "reader_a": t.reader_a,
        "member_b": t.member_b, "none": None, "unknown": "lvt-unknown-" + uuid.uuid4().hex,
        "lb_member_a": _insert_token(stack, stack.project_a, Role.LB_MEMBER),
        "lb_observer_a": _insert_token(stack, stack.project_a, Role.LB_OBSERVER),
        "lb_global_observer": _insert_token(stack, project_c, Role.LB_GLOBAL_OBSERVER),
        "lb_admin": _insert_token(stack, project_c, Role.LB_ADMIN),
        "expired": _expired_token(stack, stack.project_a),
    }
    tree = stack.one_of_each()
    objs = {kind: obj["id"] for kind, obj in tree.items()}
    api, a = stack.api, t.member_a
    subnet = expect(api.get(f"{NET}/subnets/{tree['loadbalancer']['vip_subnet_id']}",
                            token=t.admin), 200)["subnet"]
    objs["subnet"], objs["network"] = subnet["id"], subnet["network_id"]
    objs["port"] = expect(api.post(f"{NET}/ports", json={"port": {
        "network_id": objs["network"], "name": "rbac"}}, token=a), 201)["port"]["id"]
    objs["security_group"] = expect(api.post(f"{NET}/security-groups", json={
        "security_group": {"name": "rbac"}}, token=a), 201)["security_group"]["id"]
    objs["security_group_rule"] = expect(api.post(f"{NET}/security-group-rules", json={
        "security_group_rule": {"security_group_id": objs["security_group"],
                                "direction": "ingress", "protocol": "tcp",
                                "port_range_min": 1, "port_range_max": 1}},
        token=a), 201)["security_group_rule"]["id"]
    ext = expect(api.post(f"{NET}/networks", json={"network": {
        "name": "rbac-ext", "router:external": True}}, token=t.admin), 201)["network"]["id"]
    expect(api.post(f"{NET}/subnets", json={"subnet": {
        "network_id": ext, "cidr": "198.18.70.0/24", "ip_version": 4}}, token=t.admin), 201)
    objs["external_network"] = ext
    objs["floatingip"] = _floating_ip(stack, ext, a)
    objs["instance"] = _instance(stack, objs["network"])
    _flavors_and_zones(stack, objs)
    objs["project"] = stack.project_a
    return World(stack=stack, token=token, objs=objs, counter=itertools.count(1))


def _flavors_and_zones(stack: Stack, objs: dict[str, str]) -> None:
    """A flavor profile and flavor, a zone profile and zone (admin objects, no project)."""
    admin, n = stack.tokens.admin, uuid.uuid4().hex[:8]
    objs["flavorprofile"] = expect(stack.api.post(f"{LBAAS}/flavorprofiles", json={
        "flavorprofile": {"name": "rbac", "provider_name": "amphora", "flavor_data": "{}"}},
        token=admin), 201)["flavorprofile"]["id"]
    objs["flavor"] = expect(stack.api.post(f"{LBAAS}/flavors", json={"flavor": {
        "name": f"rbac-{n}", "flavor_profile_id": objs["flavorprofile"]}},
        token=admin), 201)["flavor"]["id"]
    objs["zoneprofile"] = expect(stack.api.post(f"{LBAAS}/availabilityzoneprofiles", json={
        "availability_zone_profile": {"name": "rbac", "provider_name": "amphora",
                                      "availability_zone_data": "{}"}},
        token=admin), 201)["availability_zone_profile"]["id"]
    objs["zone"] = expect(stack.api.post(f"{LBAAS}/availabilityzones", json={
        "availability_zone": {"name": f"rbac-{n}",
                              "availability_zone_profile_id": objs["zoneprofile"]}},
        token=admin), 201)["availability_zone"]["name"]


def _floating_ip(stack: Stack, ext: str, token: str) -> str:
    body = {"floatingip": {"floating_network_id": ext}}
    return str(expect(stack.api.post(f"{NET}/floatingips", json=body, token=token),
                      201)["floatingip"]["id"])


def _instance(stack: Stack, network: str) -> str:
    body = {"instance": {"name": f"rbac-{uuid.uuid4().hex[:8]}", "network_id": network,
                         "command": ["sleep", "1"]}}
    return str(expect(stack.api.post(INSTANCES, json=body, token=stack.tokens.admin),
                      201)["instance"]["id"])


# -- makers: a path (and body) for one call; fresh objects where the call destroys one ------

def at(template: str, body: dict[str, Any] | None = None) -> Maker:
    def make(w: World) -> Request:
        return template.format(**w.objs), body
    return make


def amphora(suffix: str = "") -> Maker:
    """The load balancer's current MASTER (a failover or delete replaces it)."""
    def make(w: World) -> Request:
        amps = expect(w.stack.api.get(f"{AMP}?loadbalancer_id={w.objs['loadbalancer']}",
                                      token=w.stack.tokens.admin), 200)["amphorae"]
        live = sorted(a["id"] for a in amps if a["status"] == "ALLOCATED")
        return f"{AMP}/{live[0]}{suffix}", None
    return make


def fresh(create: Callable[[World], str], template: str) -> Maker:
    """A new object of A for each call (deletes)."""
    def make(w: World) -> Request:
        return template.format(id=create(w), **w.objs), None
    return make


def _new_listener(w: World) -> str:
    return str(w.stack.create_listener(w.objs["loadbalancer"], protocol="TCP",
                                       port=1000 + w.next())["id"])


def _new_pool(w: World) -> str:
    return str(w.stack.create_pool(w.objs["loadbalancer"], protocol="TCP")["id"])


def _new_member(w: World) -> str:
    return str(w.stack.create_member(w.objs["loadbalancer"], w.objs["pool"],
                                     address=f"10.91.1.{w.next()}")["id"])


def _new_monitor(w: World) -> str:
    return str(w.stack.create_monitor(w.objs["loadbalancer"], _new_pool(w), type="TCP")["id"])


def _new_policy(w: World) -> str:
    return str(w.stack.create_policy(w.objs["loadbalancer"], w.objs["listener"])["id"])


def _new_rule(w: World) -> str:
    return str(w.stack.create_rule(w.objs["loadbalancer"], w.objs["l7policy"],
                                   value=f"/r{w.next()}")["id"])


def _new_lb(w: World) -> str:
    return str(w.stack.create_lb()["id"])


def _post(w: World, path: str, key: str, body: dict[str, Any], token: str | None = None) -> str:
    r = w.stack.api.post(path, json={key: body}, token=token or w.stack.tokens.member_a)
    return str(expect(r, 201)[key]["id"])


def _new_network(w: World) -> str:
    return _post(w, f"{NET}/networks", "network", {"name": f"rbac-{w.next()}"})


def _new_subnet(w: World) -> str:
    return _post(w, f"{NET}/subnets", "subnet", {"network_id": _new_network(w),
                                                 "cidr": f"10.{150 + w.next()}.0.0/24",
                                                 "ip_version": 4})


def _new_port(w: World) -> str:
    return _post(w, f"{NET}/ports", "port", {"network_id": w.objs["network"]})


def _new_group(w: World) -> str:
    return _post(w, f"{NET}/security-groups", "security_group", {"name": f"g{w.next()}"})


def _new_group_rule(w: World) -> str:
    n = 2000 + w.next()
    return _post(w, f"{NET}/security-group-rules", "security_group_rule", {
        "security_group_id": w.objs["security_group"], "direction": "ingress",
        "protocol": "tcp", "port_range_min": n, "port_range_max": n})


def _new_fip(w: World) -> str:
    return _floating_ip(w.stack, w.objs["external_network"], w.stack.tokens.member_a)


def _new_instance(w: World) -> str:
    return _instance(w.stack, w.objs["network"])


def _new_flavor_profile(w: World) -> str:
    return _post(w, f"{LBAAS}/flavorprofiles", "flavorprofile", {
        "name": "p", "provider_name": "amphora", "flavor_data": "{}"}, w.stack.tokens.admin)


def _new_flavor(w: World) -> str:
    return _post(w, f"{LBAAS}/flavors", "flavor", {
        "name": f"f{w.next()}", "flavor_profile_id": w.objs["flavorprofile"]},
        w.stack.tokens.admin)


def _new_zone_profile(w: World) -> str:
    return _post(w, f"{LBAAS}/availabilityzoneprofiles", "availability_zone_profile", {
        "name": "p", "provider_name": "amphora", "availability_zone_data": "{}"},
        w.stack.tokens.admin)


def _new_zone(w: World) -> str:
    r = w.stack.api.post(f"{LBAAS}/availabilityzones", json={"availability_zone": {
        "name": f"z{w.next()}", "availability_zone_profile_id": w.objs["zoneprofile"]}},
        token=w.stack.tokens.admin)
    return str(expect(r, 201)["availability_zone"]["name"])


def create(path: str, key: str, body: Callable[[World], dict[str, Any]]) -> Maker:
    def make(w: World) -> Request:
        return path.format(**w.objs), {key: body(w)}
    return make


def _tags(kind: str) -> dict[str, Any]:
    return {kind: {"tags": ["rbac"]}}


R, W, A = frozenset(READERS_OF_A), frozenset(WRITERS_OF_A), frozenset(ADMINS)
EVERYONE = frozenset(AUTHENTICATED)
LB = LBAAS + "/loadbalancers/{loadbalancer}"
POOL = LBAAS + "/pools/{pool}"
POLICY = LBAAS + "/l7policies/{l7policy}"

ROWS: list[Row] = [
    # discovery: no token needed; providers need one
    Row("GET", "/", at("/"), frozenset(CALLERS), 200),
    Row("GET", "/v2", at("/v2"), frozenset(CALLERS), 200),
    Row("GET", "/v2/lbaas/providers", at(f"{LBAAS}/providers"), EVERYONE, 200),
    # load balancers
    Row("GET", "/v2/lbaas/loadbalancers", at(f"{LBAAS}/loadbalancers"), EVERYONE, 200,
        listed="loadbalancer"),
    Row("POST", "/v2/lbaas/loadbalancers", create(f"{LBAAS}/loadbalancers", "loadbalancer",
        lambda w: {"vip_subnet_id": w.objs["subnet"]}), W, 201),
    Row("GET", "/v2/lbaas/loadbalancers/{lb_id}", at(LB), R, 200),
    Row("PUT", "/v2/lbaas/loadbalancers/{lb_id}", at(LB, _tags("loadbalancer")), W, 200,
        settles=True),
    Row("DELETE", "/v2/lbaas/loadbalancers/{lb_id}",
        fresh(_new_lb, LBAAS + "/loadbalancers/{id}"), W, 204),
    Row("GET", "/v2/lbaas/loadbalancers/{lb_id}/statuses", at(LB + "/statuses"), R, 200),
    Row("GET", "/v2/lbaas/loadbalancers/{lb_id}/status", at(LB + "/status"), R, 200),
    Row("GET", "/v2/lbaas/loadbalancers/{lb_id}/stats", at(LB + "/stats"), R, 200),
    Row("PUT", "/v2/lbaas/loadbalancers/{lb_id}/failover", at(LB + "/failover"), A, 202,
        settles=True),
    # listeners
    Row("GET", "/v2/lbaas/listeners", at(f"{LBAAS}/listeners"), EVERYONE, 200,
        listed="listener"),
    Row("POST", "/v2/lbaas/listeners", create(f"{LBAAS}/listeners", "listener", lambda w: {
        "loadbalancer_id": w.objs["loadbalancer"], "protocol": "TCP",
        "protocol_port": 3000 + w.next()}), W, 201, settles=True),
    Row("GET", "/v2/lbaas/listeners/{listener_id}", at(LBAAS + "/listeners/{listener}"), R,
        200),
    Row("PUT", "/v2/lbaas/listeners/{listener_id}",
        at(LBAAS + "/listeners/{listener}", _tags("listener")), W, 200, settles=True),
    Row("DELETE", "/v2/lbaas/listeners/{listener_id}",
        fresh(_new_listener, LBAAS + "/listeners/{id}"), W, 204, settles=True),
    Row("GET", "/v2/lbaas/listeners/{listener_id}/stats",
        at(LBAAS + "/listeners/{listener}/stats"), R, 200),
    # pools
    Row("GET", "/v2/lbaas/pools", at(f"{LBAAS}/pools"), EVERYONE, 200, listed="pool"),
    Row("POST", "/v2/lbaas/pools", create(f"{LBAAS}/pools", "pool", lambda w: {
        "loadbalancer_id": w.objs["loadbalancer"], "protocol": "TCP",
        "lb_algorithm": "ROUND_ROBIN"}), W, 201, settles=True),
    Row("GET", "/v2/lbaas/pools/{pool_id}", at(POOL), R, 200),
    Row("PUT", "/v2/lbaas/pools/{pool_id}", at(POOL, _tags("pool")), W, 200, settles=True),
    Row("DELETE", "/v2/lbaas/pools/{pool_id}", fresh(_new_pool, LBAAS + "/pools/{id}"), W,
        204, settles=True),
    # members
    Row("POST", "/v2/lbaas/pools/{pool_id}/members", create(
        POOL + "/members", "member", lambda w: {
            "address": f"10.91.2.{w.next()}", "protocol_port": 80}), W, 201, settles=True),
    Row("GET", "/v2/lbaas/pools/{pool_id}/members", at(POOL + "/members"), R, 200,
        listed="member"),
    Row("PUT", "/v2/lbaas/pools/{pool_id}/members", at(POOL + "/members", {"members": [
        {"address": "10.91.0.50", "protocol_port": 8080}]}), W, 202, settles=True),
    Row("GET", "/v2/lbaas/pools/{pool_id}/members/{member_id}",
        at(POOL + "/members/{member}"), R, 200),
    Row("PUT", "/v2/lbaas/pools/{pool_id}/members/{member_id}",
        at(POOL + "/members/{member}", _tags("member")), W, 200, settles=True),
    Row("DELETE", "/v2/lbaas/pools/{pool_id}/members/{member_id}",
        fresh(_new_member, POOL + "/members/{id}"), W, 204, settles=True),
    # health monitors
    Row("GET", "/v2/lbaas/healthmonitors", at(f"{LBAAS}/healthmonitors"), EVERYONE, 200,
        listed="healthmonitor"),
    Row("POST", "/v2/lbaas/healthmonitors", create(f"{LBAAS}/healthmonitors", "healthmonitor",
        lambda w: {"pool_id": _new_pool(w), "type": "TCP", "delay": 5, "timeout": 3,
                   "max_retries": 3}), W, 201, settles=True),
    Row("GET", "/v2/lbaas/healthmonitors/{monitor_id}",
        at(LBAAS + "/healthmonitors/{healthmonitor}"), R, 200),
    Row("PUT", "/v2/lbaas/healthmonitors/{monitor_id}",
        at(LBAAS + "/healthmonitors/{healthmonitor}", _tags("healthmonitor")), W, 200,
        settles=True),
    Row("DELETE", "/v2/lbaas/healthmonitors/{monitor_id}",
        fresh(_new_monitor, LBAAS + "/healthmonitors/{id}"), W, 204, settles=True),
    # L7 policies and rules
    Row("GET", "/v2/lbaas/l7policies", at(f"{LBAAS}/l7policies"), EVERYONE, 200,
        listed="l7policy"),
    Row("POST", "/v2/lbaas/l7policies", create(f"{LBAAS}/l7policies", "l7policy", lambda w: {
        "listener_id": w.objs["listener"], "action": "REJECT"}), W, 201, settles=True),
    Row("GET", "/v2/lbaas/l7policies/{policy_id}", at(POLICY), R, 200),
    Row("PUT", "/v2/lbaas/l7policies/{policy_id}", at(POLICY, _tags("l7policy")), W, 200,
        settles=True),
    Row("DELETE", "/v2/lbaas/l7policies/{policy_id}",
        fresh(_new_policy, LBAAS + "/l7policies/{id}"), W, 204, settles=True),
    Row("POST", "/v2/lbaas/l7policies/{policy_id}/rules", create(
        POLICY + "/rules", "rule", lambda w: {
            "type": "PATH", "compare_type": "STARTS_WITH", "value": f"/p{w.next()}"}),
        W, 201, settles=True),
    Row("GET", "/v2/lbaas/l7policies/{policy_id}/rules", at(POLICY + "/rules"), R, 200,
        listed="rule"),
    Row("GET", "/v2/lbaas/l7policies/{policy_id}/rules/{rule_id}",
        at(POLICY + "/rules/{rule}"), R, 200),
    Row("PUT", "/v2/lbaas/l7policies/{policy_id}/rules/{rule_id}",
        at(POLICY + "/rules/{rule}", _tags("rule")), W, 200, settles=True),
    Row("DELETE", "/v2/lbaas/l7policies/{policy_id}/rules/{rule_id}",
        fresh(_new_rule, POLICY + "/rules/{id}"), W, 204, settles=True),
    # quotas: a project's readers read its quota, admins change it (403, not 404: the path
    # names a project, not an object)
    Row("GET", "/v2/lbaas/quotas", at(f"{LBAAS}/quotas"), EVERYONE, 200),
    Row("GET", "/v2/lbaas/quotas/defaults", at(f"{LBAAS}/quotas/defaults"), EVERYONE, 200),
    Row("GET", "/v2/lbaas/quotas/{project_id}", at(LBAAS + "/quotas/{project}"), R, 200,
        refused=403),
    Row("GET", "/v2/lbaas/quotas/{project_id}/default",
        at(LBAAS + "/quotas/{project}/default"), R, 200, refused=403),
    Row("PUT", "/v2/lbaas/quotas/{project_id}", at(LBAAS + "/quotas/{project}", {
        "quota": {"listener": 1000}}), A, 202),
    Row("DELETE", "/v2/lbaas/quotas/{project_id}", at(LBAAS + "/quotas/{project}"), A, 202),
    # flavors and availability zones: profiles and capabilities admin only, flavors and
    # zones read by every reader, written by admins
    Row("GET", "/v2/lbaas/flavorprofiles", at(f"{LBAAS}/flavorprofiles"), A, 200),
    Row("POST", "/v2/lbaas/flavorprofiles", create(f"{LBAAS}/flavorprofiles", "flavorprofile",
        lambda w: {"name": "p", "provider_name": "amphora", "flavor_data": "{}"}), A, 201),
    Row("GET", "/v2/lbaas/flavorprofiles/{profile_id}",
        at(LBAAS + "/flavorprofiles/{flavorprofile}"), A, 200),
    Row("PUT", "/v2/lbaas/flavorprofiles/{profile_id}",
        at(LBAAS + "/flavorprofiles/{flavorprofile}", {"flavorprofile": {"name": "q"}}), A,
        200),
    Row("DELETE", "/v2/lbaas/flavorprofiles/{profile_id}",
        fresh(_new_flavor_profile, LBAAS + "/flavorprofiles/{id}"), A, 204),
    Row("GET", "/v2/lbaas/flavors", at(f"{LBAAS}/flavors"), EVERYONE, 200),
    Row("POST", "/v2/lbaas/flavors", create(f"{LBAAS}/flavors", "flavor", lambda w: {
        "name": f"f{w.next()}", "flavor_profile_id": w.objs["flavorprofile"]}), A, 201),
    Row("GET", "/v2/lbaas/flavors/{flavor_id}", at(LBAAS + "/flavors/{flavor}"), EVERYONE,
        200),
    Row("PUT", "/v2/lbaas/flavors/{flavor_id}", at(LBAAS + "/flavors/{flavor}", {
        "flavor": {"description": "rbac"}}), A, 200),
    Row("DELETE", "/v2/lbaas/flavors/{flavor_id}", fresh(_new_flavor, LBAAS + "/flavors/{id}"),
        A, 204),
    Row("GET", "/v2/lbaas/availabilityzoneprofiles", at(f"{LBAAS}/availabilityzoneprofiles"),
        A, 200),
    Row("POST", "/v2/lbaas/availabilityzoneprofiles", create(
        f"{LBAAS}/availabilityzoneprofiles", "availability_zone_profile", lambda w: {
            "name": "p", "provider_name": "amphora", "availability_zone_data": "{}"}), A, 201),
    Row("GET", "/v2/lbaas/availabilityzoneprofiles/{profile_id}",
        at(LBAAS + "/availabilityzoneprofiles/{zoneprofile}"), A, 200),
    Row("PUT", "/v2/lbaas/availabilityzoneprofiles/{profile_id}",
        at(LBAAS + "/availabilityzoneprofiles/{zoneprofile}", {
            "availability_zone_profile": {"name": "q"}}), A, 200),
    Row("DELETE", "/v2/lbaas/availabilityzoneprofiles/{profile_id}",
        fresh(_new_zone_profile, LBAAS + "/availabilityzoneprofiles/{id}"), A, 204),
    Row("GET", "/v2/lbaas/availabilityzones", at(f"{LBAAS}/availabilityzones"), EVERYONE, 200),
    Row("POST", "/v2/lbaas/availabilityzones", create(
        f"{LBAAS}/availabilityzones", "availability_zone", lambda w: {
            "name": f"z{w.next()}", "availability_zone_profile_id": w.objs["zoneprofile"]}),
        A, 201),
    Row("GET", "/v2/lbaas/availabilityzones/{name}", at(LBAAS + "/availabilityzones/{zone}"),
        EVERYONE, 200),
    Row("PUT", "/v2/lbaas/availabilityzones/{name}", at(LBAAS + "/availabilityzones/{zone}", {
        "availability_zone": {"description": "rbac"}}), A, 200),
    Row("DELETE", "/v2/lbaas/availabilityzones/{name}",
        fresh(_new_zone, LBAAS + "/availabilityzones/{id}"), A, 204),
    Row("GET", "/v2/lbaas/providers/{provider}/flavor_capabilities",
        at(f"{LBAAS}/providers/amphora/flavor_capabilities"), A, 200),
    Row("GET", "/v2/lbaas/providers/{provider}/availability_zone_capabilities",
        at(f"{LBAAS}/providers/amphora/availability_zone_capabilities"), A, 200),
    # amphorae: admin only
    Row("GET", "/v2/octavia/amphorae", at(AMP), A, 200),
    Row("GET", "/v2/octavia/amphorae/{amphora_id}", amphora(), A, 200),
    Row("GET", "/v2/octavia/amphorae/{amphora_id}/stats", amphora("/stats"), A,
        200),
    Row("PUT", "/v2/octavia/amphorae/{amphora_id}/config", amphora("/config"), A,
        202, settles=True),
    Row("PUT", "/v2/octavia/amphorae/{amphora_id}/failover", amphora("/failover"),
        A, 202, settles=True),
    # past the policy, a live amphora is refused by the state check (fail it over instead)
    Row("DELETE", "/v2/octavia/amphorae/{amphora_id}", amphora(), A, 409),
    # the network API
    Row("GET", "/v2/networks", at(f"{NET}/networks"), EVERYONE, 200, listed="network"),
    Row("POST", "/v2/networks", create(f"{NET}/networks", "network", lambda w: {
        "name": "n"}), EVERYONE - {"reader_a", "lb_observer_a", "lb_global_observer"}, 201),
    Row("GET", "/v2/networks/{network_id}", at(NET + "/networks/{network}"), R, 200),
    Row("PUT", "/v2/networks/{network_id}", at(NET + "/networks/{network}",
        {"network": {"description": "rbac"}}), W, 200),
    Row("DELETE", "/v2/networks/{network_id}", fresh(_new_network, NET + "/networks/{id}"), W,
        204),
    Row("GET", "/v2/subnets", at(f"{NET}/subnets"), EVERYONE, 200, listed="subnet"),
    Row("POST", "/v2/subnets", create(f"{NET}/subnets", "subnet", lambda w: {
        "network_id": w.objs["network"], "cidr": f"10.{200 + w.next()}.0.0/24",
        "ip_version": 4}), W, 201),
    Row("GET", "/v2/subnets/{subnet_id}", at(NET + "/subnets/{subnet}"), R, 200),
    Row("PUT", "/v2/subnets/{subnet_id}", at(NET + "/subnets/{subnet}",
        {"subnet": {"description": "rbac"}}), W, 200),
    Row("DELETE", "/v2/subnets/{subnet_id}", fresh(_new_subnet, NET + "/subnets/{id}"), W,
        204),
    Row("GET", "/v2/ports", at(f"{NET}/ports"), EVERYONE, 200, listed="port"),
    Row("POST", "/v2/ports", create(f"{NET}/ports", "port", lambda w: {
        "network_id": w.objs["network"]}), W, 201),
    Row("GET", "/v2/ports/{port_id}", at(NET + "/ports/{port}"), R, 200),
    Row("PUT", "/v2/ports/{port_id}", at(NET + "/ports/{port}",
        {"port": {"description": "rbac"}}), W, 200),
    Row("DELETE", "/v2/ports/{port_id}", fresh(_new_port, NET + "/ports/{id}"), W, 204),
    Row("GET", "/v2/extensions", at(f"{NET}/extensions"), EVERYONE, 200),
    Row("GET", "/v2/extensions/{alias}", at(f"{NET}/extensions/security-group"), EVERYONE,
        200),
    Row("GET", "/v2/security-groups", at(f"{NET}/security-groups"), EVERYONE, 200,
        listed="security_group"),
    Row("POST", "/v2/security-groups", create(f"{NET}/security-groups", "security_group",
        lambda w: {"name": f"g{w.next()}"}),
        EVERYONE - {"reader_a", "lb_observer_a", "lb_global_observer"}, 201),
    Row("GET", "/v2/security-groups/{group_id}", at(NET + "/security-groups/{security_group}"),
        R, 200),
    Row("PUT", "/v2/security-groups/{group_id}", at(
        NET + "/security-groups/{security_group}", {"security_group": {"description": "x"}}),
        W, 200),
    Row("DELETE", "/v2/security-groups/{group_id}",
        fresh(_new_group, NET + "/security-groups/{id}"), W, 204),
    Row("GET", "/v2/security-group-rules", at(f"{NET}/security-group-rules"), EVERYONE, 200,
        listed="security_group_rule"),
    Row("POST", "/v2/security-group-rules", create(
        f"{NET}/security-group-rules", "security_group_rule", lambda w: {
            "security_group_id": w.objs["security_group"], "direction": "ingress",
            "protocol": "udp", "port_range_min": 4000, "port_range_max": 4000 + w.next()}),
        W, 201),
    Row("GET", "/v2/security-group-rules/{rule_id}",
        at(NET + "/security-group-rules/{security_group_rule}"), R, 200),
    Row("DELETE", "/v2/security-group-rules/{rule_id}",
        fresh(_new_group_rule, NET + "/security-group-rules/{id}"), W, 204),
    Row("GET", "/v2/floatingips", at(f"{NET}/floatingips"), EVERYONE, 200,
        listed="floatingip"),
    Row("POST", "/v2/floatingips", create(f"{NET}/floatingips", "floatingip", lambda w: {
        "floating_network_id": w.objs["external_network"]}),
        EVERYONE - {"reader_a", "lb_observer_a", "lb_global_observer"}, 201),
    Row("GET", "/v2/floatingips/{fip_id}", at(NET + "/floatingips/{floatingip}"), R, 200),
    Row("PUT", "/v2/floatingips/{fip_id}", at(NET + "/floatingips/{floatingip}",
        {"floatingip": {"description": "rbac"}}), W, 200),
    Row("DELETE", "/v2/floatingips/{fip_id}", fresh(_new_fip, NET + "/floatingips/{id}"), W,
        204),
    # instances: an operator's tool (admin only unless --project-instances)
    Row("GET", "/v2/livia/instances", at(INSTANCES), A, 200),
    Row("POST", "/v2/livia/instances", create(INSTANCES, "instance", lambda w: {
        "name": f"rbac-{w.next()}", "network_id": w.objs["network"],
        "command": ["sleep", "1"]}), A, 201),
    Row("GET", "/v2/livia/instances/{name_or_id}", at(INSTANCES + "/{instance}"), A, 200),
    Row("DELETE", "/v2/livia/instances/{name_or_id}",
        fresh(_new_instance, INSTANCES + "/{id}"), A, 204),
]

# Keystone's routes have Keystone's policy (admins manage, users their own): test_identity.
IDENTITY = ("/identity", "/v3")
# Routes the matrix leaves to other tests, with the reason.
ELSEWHERE = {
    ("GET", "/projects/{project_id}"): "Keystone stand-in (test_auth)",
    ("GET", "/projects"): "Keystone stand-in (test_auth)",
}


def _documented() -> set[tuple[str, str]]:
    from livia.api.app import create_app
    from livia.api.context import ApiServices
    from livia.domain.settings import Settings

    app = create_app(ApiServices(db=None, settings=Settings(),  # type: ignore[arg-type]
                                 admin_token_hash=None))
    return {(method.upper(), path) for path, ops in app.openapi()["paths"].items()
            if not path.startswith(("/v2.0", *IDENTITY)) for method in ops}


def test_every_route_has_a_row() -> None:
    rows = {(row.method, row.template) for row in ROWS}
    assert len(rows) == len(ROWS), "a route has two rows"
    assert _documented() - rows - set(ELSEWHERE) == set()
    assert rows - _documented() == set(), "a row names a route that does not exist"


def _denied(caller: str, row: Row) -> set[int]:
    if caller in ("none", "unknown", "expired"):
        return {401}
    if caller == "member_b" and row.refused is not None:
        return {row.refused}
    if caller == "member_b" and row.allowed != A:  # A's objects do not exist for B
        return {400, 404}
    return {403}


def _check(w: World, row: Row, caller: str) -> None:
    path, body = row.make(w)
    r = w.stack.api.request(row.method, path, json=body, token=w.token[caller])
    where = f"{caller}: {row.method} {row.template} -> {r.status_code} {r.text[:300]}"
    if caller in row.allowed:
        assert r.status_code == row.ok, where
        if row.listed is not None:
            items = next(v for k, v in r.json().items() if not k.endswith("_links"))
            shown = w.objs[row.listed] in {item["id"] for item in items}
            assert shown is (caller in READERS_OF_A), where
        if row.settles:
            w.settle()
        return
    assert r.status_code in _denied(caller, row), where
    body_out = r.json()
    assert "faultstring" in body_out or "NeutronError" in body_out, where
    if caller == "member_b" and r.status_code in (400, 404):
        assert "not found" in r.text.lower(), where


@pytest.mark.parametrize("caller", CALLERS)
def test_matrix(stack: Stack, caller: str) -> None:
    w = _world(stack)
    for row in ROWS:
        _check(w, row, caller)
