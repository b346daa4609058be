"""Ids passed in a request body resolve only within what the caller may see.

For every route that takes a reference, project B naming project A's object
gets exactly the answer of a random UUID (same status, same message but for
the id it sent, and nothing of A's in it), and A's objects are unchanged
afterwards. Shared and external networks, a project's own objects and admins
keep working.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lbaas_stack import LBAAS, Stack, expect, fault

NET = "/v2.0"
Body = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    path: str
    body: Body
    a_ref: str


def _project(stack: Stack, token: str) -> dict[str, str]:
    """A network, subnet, load balancer tree, port and security group of one project."""
    subnet = stack.vip_subnet(token)
    net = expect(stack.api.get(f"{NET}/subnets/{subnet}", token=token), 200)["subnet"]
    lb = stack.create_lb(token)["id"]
    listener = stack.create_listener(lb, token=token)["id"]
    spare = stack.create_listener(lb, protocol="HTTP", port=8080, token=token)["id"]
    pool = stack.create_pool(lb, listener_id=listener, token=token)["id"]
    policy = stack.create_policy(lb, listener, token=token)["id"]
    port = expect(stack.api.post(f"{NET}/ports", token=token, json={"port": {
        "network_id": net["network_id"]}}), 201)["port"]["id"]
    group = expect(stack.api.post(f"{NET}/security-groups", token=token, json={
        "security_group": {"name": "sg"}}), 201)["security_group"]["id"]
    return {"net": net["network_id"], "subnet": subnet, "lb": lb, "listener": listener,
            "spare_listener": spare, "pool": pool, "policy": policy, "port": port,
            "group": group}


def _admin_network(stack: Stack, name: str, cidr: str, **flags: Any) -> tuple[str, str]:
    admin = stack.tokens.admin
    net = expect(stack.api.post(f"{NET}/networks", token=admin, json={"network": {
        "name": name, **flags}}), 201)["network"]["id"]
    sub = expect(stack.api.post(f"{NET}/subnets", token=admin, json={"subnet": {
        "network_id": net, "cidr": cidr, "ip_version": 4}}), 201)["subnet"]["id"]
    return net, sub


def _snapshot(stack: Stack, a: dict[str, str]) -> dict[str, Any]:
    """Everything of project A that B's requests could have changed, as the admin sees it."""
    def get(path: str, **params: str) -> Any:
        return expect(stack.api.get(path, token=stack.tokens.admin, params=params), 200)

    return {
        "status": get(f"{LBAAS}/loadbalancers/{a['lb']}/status"),
        "lb": get(f"{LBAAS}/loadbalancers/{a['lb']}"),
        "listeners": get(f"{LBAAS}/listeners", project_id=stack.project_a),
        "pools": get(f"{LBAAS}/pools", project_id=stack.project_a),
        "members": get(f"{LBAAS}/pools/{a['pool']}/members"),
        "monitors": get(f"{LBAAS}/healthmonitors", project_id=stack.project_a),
        "policies": get(f"{LBAAS}/l7policies", project_id=stack.project_a),
        "network": get(f"{NET}/networks/{a['net']}"),
        "subnets": get(f"{NET}/subnets", network_id=a["net"]),
        "ports": get(f"{NET}/ports", network_id=a["net"]),
        "group": get(f"{NET}/security-groups/{a['group']}"),
        "rules": get(f"{NET}/security-group-rules", security_group_id=a["group"]),
        "plugged": sorted(p.port_id for p in stack.network.ports.values()
                          if p.network_id == a["net"]),
    }


def _cases(a: dict[str, str], b: dict[str, str], ext: str, fip: str) -> list[Case]:
    http = {"protocol": "HTTP", "lb_algorithm": "ROUND_ROBIN"}
    member = {"address": "10.92.0.77", "protocol_port": 80}
    return [
        Case("member subnet_id", "POST", f"{LBAAS}/pools/{b['pool']}/members",
             lambda r: {"member": {**member, "subnet_id": r}}, a["subnet"]),
        Case("batch member subnet_id", "PUT", f"{LBAAS}/pools/{b['pool']}/members",
             lambda r: {"members": [{**member, "subnet_id": r}]}, a["subnet"]),
        Case("inline member subnet_id", "POST", f"{LBAAS}/pools",
             lambda r: {"pool": {**http, "loadbalancer_id": b["lb"],
                                 "members": [{**member, "subnet_id": r}]}}, a["subnet"]),
        Case("vip_subnet_id", "POST", f"{LBAAS}/loadbalancers",
             lambda r: {"loadbalancer": {"vip_subnet_id": r}}, a["subnet"]),
        Case("vip_network_id", "POST", f"{LBAAS}/loadbalancers",
             lambda r: {"loadbalancer": {"vip_network_id": r}}, a["net"]),
        Case("vip_port_id", "POST", f"{LBAAS}/loadbalancers",
             lambda r: {"loadbalancer": {"vip_port_id": r}}, a["port"]),
        Case("graph member subnet_id", "POST", f"{LBAAS}/loadbalancers",
             lambda r: {"loadbalancer": {"vip_subnet_id": b["subnet"], "pools": [
                 {**http, "members": [{**member, "subnet_id": r}]}]}}, a["subnet"]),
        Case("listener loadbalancer_id", "POST", f"{LBAAS}/listeners",
             lambda r: {"listener": {"loadbalancer_id": r, "protocol": "TCP",
                                     "protocol_port": 22}}, a["lb"]),
        Case("listener default_pool_id", "POST", f"{LBAAS}/listeners",
             lambda r: {"listener": {"loadbalancer_id": b["lb"], "protocol": "HTTP",
                                     "protocol_port": 8081, "default_pool_id": r}}, a["pool"]),
        Case("listener update default_pool_id", "PUT",
             f"{LBAAS}/listeners/{b['spare_listener']}",
             lambda r: {"listener": {"default_pool_id": r}}, a["pool"]),
        Case("pool loadbalancer_id", "POST", f"{LBAAS}/pools",
             lambda r: {"pool": {**http, "loadbalancer_id": r}}, a["lb"]),
        Case("pool listener_id", "POST", f"{LBAAS}/pools",
             lambda r: {"pool": {**http, "listener_id": r}}, a["spare_listener"]),
        Case("healthmonitor pool_id", "POST", f"{LBAAS}/healthmonitors",
             lambda r: {"healthmonitor": {"pool_id": r, "type": "TCP", "delay": 5,
                                          "timeout": 3, "max_retries": 3}}, a["pool"]),
        Case("l7policy listener_id", "POST", f"{LBAAS}/l7policies",
             lambda r: {"l7policy": {"listener_id": r, "action": "REJECT"}}, a["listener"]),
        Case("l7policy redirect_pool_id", "POST", f"{LBAAS}/l7policies",
             lambda r: {"l7policy": {"listener_id": b["listener"], "action": "REDIRECT_TO_POOL",
                                     "redirect_pool_id": r}}, a["pool"]),
        Case("l7policy update redirect_pool_id", "PUT", f"{LBAAS}/l7policies/{b['policy']}",
             lambda r: {"l7policy": {"action": "REDIRECT_TO_POOL", "redirect_pool_id": r}},
             a["pool"]),
        Case("subnet network_id", "POST", f"{NET}/subnets",
             lambda r: {"subnet": {"network_id": r, "cidr": "10.200.0.0/24",
                                   "ip_version": 4}}, a["net"]),
        Case("port network_id", "POST", f"{NET}/ports",
             lambda r: {"port": {"network_id": r}}, a["net"]),
        Case("port fixed_ips subnet_id", "POST", f"{NET}/ports",
             lambda r: {"port": {"network_id": b["net"], "fixed_ips": [{"subnet_id": r}]}},
             a["subnet"]),
        Case("port security_groups", "POST", f"{NET}/ports",
             lambda r: {"port": {"network_id": b["net"], "security_groups": [r]}}, a["group"]),
        Case("port update fixed_ips subnet_id", "PUT", f"{NET}/ports/{b['port']}",
             lambda r: {"port": {"fixed_ips": [{"subnet_id": r}]}}, a["subnet"]),
        Case("port update security_groups", "PUT", f"{NET}/ports/{b['port']}",
             lambda r: {"port": {"security_groups": [r]}}, a["group"]),
        Case("rule security_group_id", "POST", f"{NET}/security-group-rules",
             lambda r: {"security_group_rule": {"security_group_id": r,
                                                "direction": "ingress"}}, a["group"]),
        Case("rule remote_group_id", "POST", f"{NET}/security-group-rules",
             lambda r: {"security_group_rule": {"security_group_id": b["group"],
                                                "direction": "ingress",
                                                "remote_group_id": r}}, a["group"]),
        Case("floatingip floating_network_id", "POST", f"{NET}/floatingips",
             lambda r: {"floatingip": {"floating_network_id": r}}, a["net"]),
        Case("floatingip port_id", "POST", f"{NET}/floatingips",
             lambda r: {"floatingip": {"floating_network_id": ext, "port_id": r}}, a["port"]),
        Case("floatingip subnet_id", "POST", f"{NET}/floatingips",
             lambda r: {"floatingip": {"floating_network_id": ext, "subnet_id": r}},
             a["subnet"]),
        Case("floatingip update port_id", "PUT", f"{NET}/floatingips/{fip}",
             lambda r: {"floatingip": {"port_id": r}}, a["port"]),
    ]


def _answer(stack: Stack, case: Case, ref: str) -> tuple[int, str]:
    r = stack.api.request(case.method, case.path, json=case.body(ref),
                          token=stack.tokens.member_b)
    if r.status_code not in (400, 404):
        return r.status_code, r.text
    return r.status_code, fault(r, r.status_code).replace(ref, "<id>")


def _world(stack: Stack) -> tuple[dict[str, str], dict[str, str], tuple[str, str]]:
    a = _project(stack, stack.tokens.member_a)
    b = _project(stack, stack.tokens.member_b)
    ext = _admin_network(stack, "lvt-ext", "10.160.0.0/24", **{"router:external": True})
    return a, b, ext


def test_another_projects_objects_answer_as_if_they_did_not_exist(stack: Stack) -> None:
    a, b, (ext, _) = _world(stack)
    fip = expect(stack.api.post(f"{NET}/floatingips", token=stack.tokens.member_b, json={
        "floatingip": {"floating_network_id": ext}}), 201)["floatingip"]["id"]
    before = _snapshot(stack, a)
    a_ids = set(a.values()) | {stack.project_a}
    wrong = []
    for case in _cases(a, b, ext, fip):
        random = str(uuid.uuid4())
        theirs, missing = _answer(stack, case, case.a_ref), _answer(stack, case, random)
        leaked = [x for x in a_ids if x in theirs[1]]
        if theirs != missing or leaked or theirs[0] not in (400, 404):
            wrong.append(f"{case.label}: A's id -> {theirs}, a random id -> {missing}")
    assert not wrong, "\n".join(wrong)
    assert stack.wait_for(b["lb"])["provisioning_status"] == "ACTIVE"
    assert stack.wait_for(a["lb"])["provisioning_status"] == "ACTIVE"
    assert _snapshot(stack, a) == before


def test_shared_and_external_networks_own_objects_and_admins(stack: Stack) -> None:
    a, b, (ext, ext_subnet) = _world(stack)
    shared, shared_subnet = _admin_network(stack, "lvt-shared", "10.150.0.0/24", shared=True)
    t = stack.tokens
    # A member, a VIP and a port on a shared network; a member on B's own subnet.
    stack.create_member(b["lb"], b["pool"], address="10.150.0.20", subnet_id=shared_subnet,
                        token=t.member_b)
    stack.create_member(b["lb"], b["pool"], address="10.92.0.20", subnet_id=b["subnet"],
                        token=t.member_b)
    on_shared = stack.create_lb(t.member_b, vip_subnet_id=shared_subnet)
    assert on_shared["vip_network_id"] == shared
    expect(stack.api.post(f"{NET}/ports", token=t.member_b, json={"port": {
        "network_id": shared}}), 201)
    stack.wait_for(b["lb"])
    assert shared in {p.network_id for p in stack.network.ports.values()}
    on_a = expect(stack.api.get(f"{NET}/ports", token=t.admin, params={
        "network_id": a["net"]}), 200)["ports"]
    assert {p["project_id"] for p in on_a} == {stack.project_a}
    # An external network is seen and gives floating IPs, but takes no other port; a
    # shared network takes no subnet of B's: both answer as a network that does not exist.
    expect(stack.api.get(f"{NET}/networks/{ext}", token=t.member_b), 200)
    expect(stack.api.post(f"{NET}/floatingips", token=t.member_b, json={"floatingip": {
        "floating_network_id": ext, "port_id": b["port"]}}), 201)
    for label, body, ref in (
            ("port on external", lambda r: ("/ports", {"port": {"network_id": r}}), ext),
            ("member on external", lambda r: (
                f"/pools/{b['pool']}/members",
                {"member": {"address": "10.160.0.9", "protocol_port": 80, "subnet_id": r}}),
             ext_subnet),
            ("subnet on shared", lambda r: ("/subnets", {"subnet": {
                "network_id": r, "cidr": "10.201.0.0/24", "ip_version": 4}}), shared)):
        random = str(uuid.uuid4())
        answers = []
        for value in (ref, random):
            path, data = body(value)
            base = LBAAS if path.startswith("/pools") else NET
            r = stack.api.post(base + path, json=data, token=t.member_b)
            answers.append((r.status_code, fault(r, r.status_code).replace(value, "<id>")))
        assert answers[0] == answers[1] and answers[0][0] in (400, 404), (label, answers)
    # The admin may use any project's objects.
    stack.create_member(b["lb"], b["pool"], address="10.91.0.30", subnet_id=a["subnet"],
                        token=t.admin)
    theirs = stack.create_lb(t.admin, vip_subnet_id=a["subnet"], project_id=stack.project_b)
    assert theirs["project_id"] == stack.project_b
    expect(stack.api.post(f"{NET}/security-group-rules", token=t.admin, json={
        "security_group_rule": {"security_group_id": b["group"], "direction": "ingress",
                                "remote_group_id": a["group"]}}), 201)


def test_a_marker_of_another_project_is_not_found(stack: Stack) -> None:
    a, b, _ = _world(stack)
    wrong = []
    for path, a_ref in ((f"{LBAAS}/loadbalancers", a["lb"]), (f"{LBAAS}/pools", a["pool"]),
                        (f"{LBAAS}/l7policies", a["policy"]),
                        (f"{NET}/networks", a["net"]), (f"{NET}/subnets", a["subnet"]),
                        (f"{NET}/ports", a["port"]), (f"{NET}/security-groups", a["group"])):
        answers = []
        for ref in (a_ref, str(uuid.uuid4())):
            r = stack.api.get(path, token=stack.tokens.member_b, params={
                "marker": ref, "limit": "1", "sort": "name:asc"})
            answers.append((r.status_code, r.text.replace(ref, "<id>")))
        if answers[0] != answers[1] or answers[0][0] != 400:
            wrong.append(f"{path}: {answers}")
    assert not wrong, "\n".join(wrong)
    # The caller's own marker still pages.
    page = expect(stack.api.get(f"{LBAAS}/loadbalancers", token=stack.tokens.member_b,
                                params={"marker": b["lb"], "limit": "1"}), 200)
    assert page["loadbalancers"] == []
