"""User strings cannot inject configuration, and the agent API wants a client certificate.

Names, descriptions, L7 values, header keys, redirect URLs, cookie names and monitor
paths that hold a newline are refused with 400; ones with spaces, quotes, '#', '$' or
backslashes are either refused with 400 or rendered harmlessly: the rendered
haproxy.cfg (read from the amphora's own file) then has them only quoted, on their own
line, and one ``bind`` for the one listener; and traffic shows HAProxy read them back
literally.

One tenant network (10.75.0.0/24) with a web instance and a client, and one load
balancer, are made once for the module.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from dataplane import (  # noqa: F401 (fixtures)
    Lb,
    change,
    create_lb,
    delete_lb,
    haproxy_cfg,
    member,
    nothing_left_behind,
    pool_body,
    probe,
    record_prefix,
)
from livia_host import LiviaHost

W1, CLIENT = "10.75.0.11", "10.75.0.50"
INJECTED = "x\nbind :1"
# Every character that means something to HAProxy's line parser, and the directive the
# tests look for.
AWKWARD = "a b\"c #d 'e' $HOME \\ bind :1"


@dataclass(frozen=True)
class Site:
    lb: Lb
    network_id: str


@pytest.fixture(scope="module")
def site(livia: LiviaHost) -> Iterator[Site]:
    network_id, subnet_id = livia.network("lvt-injection", "10.75.0.0/24")
    livia.web("w1", network_id, W1)
    livia.instance("client", network_id, ["sleep", "infinity"], ip=CLIENT)
    lb = create_lb(livia, subnet_id, pool_body([member(W1)]))
    try:
        yield Site(lb, network_id)
    finally:
        delete_lb(livia, lb.id)


def configs(livia: LiviaHost, lb: Lb) -> list[str]:
    amphorae = livia.amphorae(lb.id)
    assert amphorae, f"load balancer {lb.id} has no amphora"
    return [haproxy_cfg(livia, a["id"]) for a in amphorae]


def directive_lines(cfg: str, word: str) -> list[str]:
    return [line for line in cfg.splitlines() if line.strip().split(" ")[:1] == [word]]


def haproxy_escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")


def refused(livia: LiviaHost, method: str, path: str, body: dict[str, Any]) -> str:
    response = livia.http.request(method, path, json=body)
    return f"{response.status_code}" if response.status_code == 400 else (
        f"{response.status_code}: {response.text[:200]}")


def test_values_with_a_newline_are_refused(livia: LiviaHost, site: Site) -> None:
    lb = site.lb
    policy = {"listener_id": lb.listener_id, "action": "REJECT"}
    rule = {"type": "PATH", "compare_type": "STARTS_WITH", "value": "/x"}
    monitor = {"pool_id": lb.pool_id, "type": "HTTP", "delay": 1, "timeout": 1,
               "max_retries": 1}
    cases: dict[str, tuple[str, str, dict[str, Any]]] = {
        "load balancer name": ("PUT", f"/v2/lbaas/loadbalancers/{lb.id}",
                               {"loadbalancer": {"name": INJECTED}}),
        "load balancer description": ("PUT", f"/v2/lbaas/loadbalancers/{lb.id}",
                                      {"loadbalancer": {"description": INJECTED}}),
        "listener name": ("PUT", f"/v2/lbaas/listeners/{lb.listener_id}",
                          {"listener": {"name": INJECTED}}),
        "pool description": ("PUT", f"/v2/lbaas/pools/{lb.pool_id}",
                             {"pool": {"description": INJECTED}}),
        "app cookie name": ("PUT", f"/v2/lbaas/pools/{lb.pool_id}", {"pool": {
            "session_persistence": {"type": "APP_COOKIE", "cookie_name": INJECTED}}}),
        "member name": ("POST", f"/v2/lbaas/pools/{lb.pool_id}/members",
                        {"member": {**member("10.75.0.12"), "name": INJECTED}}),
        "redirect URL": ("POST", "/v2/lbaas/l7policies", {"l7policy": {
            **policy, "action": "REDIRECT_TO_URL", "redirect_url": f"http://a/{INJECTED}"}}),
        "redirect prefix": ("POST", "/v2/lbaas/l7policies", {"l7policy": {
            **policy, "action": "REDIRECT_PREFIX", "redirect_prefix": f"http://{INJECTED}"}}),
        "L7 rule value": ("POST", "/v2/lbaas/l7policies", {"l7policy": {
            **policy, "rules": [{**rule, "value": INJECTED}]}}),
        "header key": ("POST", "/v2/lbaas/l7policies", {"l7policy": {**policy, "rules": [
            {**rule, "type": "HEADER", "key": "X-A\nbind :1", "value": "1"}]}}),
        "cookie key": ("POST", "/v2/lbaas/l7policies", {"l7policy": {**policy, "rules": [
            {**rule, "type": "COOKIE", "key": "c\nbind :1", "value": "1"}]}}),
        "monitor url_path": ("POST", "/v2/lbaas/healthmonitors", {"healthmonitor": {
            **monitor, "url_path": f"/api{INJECTED}"}}),
        "monitor domain_name": ("POST", "/v2/lbaas/healthmonitors", {"healthmonitor": {
            **monitor, "domain_name": INJECTED}}),
    }
    got = {what: refused(livia, *case) for what, case in cases.items()}
    assert got == {what: "400" for what in cases}, got
    assert livia.wait_lb(lb.id)["provisioning_status"] == "ACTIVE"
    for cfg in configs(livia, lb):
        assert "bind :1" not in cfg, cfg


def test_awkward_values_are_rendered_harmlessly(livia: LiviaHost, site: Site) -> None:
    lb = site.lb
    url = "http://www.example.com/a#b'c$HOME%d"
    for path, kind in ((f"/v2/lbaas/loadbalancers/{lb.id}", "loadbalancer"),
                       (f"/v2/lbaas/listeners/{lb.listener_id}", "listener"),
                       (f"/v2/lbaas/pools/{lb.pool_id}", "pool")):
        change(livia, lb.id, "PUT", path, {kind: {"name": AWKWARD, "description": AWKWARD}})
    policy = change(livia, lb.id, "POST", "/v2/lbaas/l7policies", {"l7policy": {
        "listener_id": lb.listener_id, "action": "REDIRECT_TO_URL", "redirect_url": url,
        "name": AWKWARD, "description": AWKWARD, "rules": [
            {"type": "HEADER", "compare_type": "EQUAL_TO", "key": "X-Test",
             "value": AWKWARD}]}})["l7policy"]
    try:
        rule_id = livia.call("GET", f"/v2/lbaas/l7policies/{policy['id']}/rules"
                             )["rules"][0]["id"]
        for cfg in configs(livia, lb):
            assert len(directive_lines(cfg, "bind")) == 1, directive_lines(cfg, "bind")
            assert len(directive_lines(cfg, "frontend")) == 1, cfg
            carrying = [line.strip() for line in cfg.splitlines() if "bind :1" in line]
            assert carrying == [f'acl {rule_id} req.hdr(X-Test) -m str -- '
                                f'"{haproxy_escaped(AWKWARD)}"'], carrying
            [redirect] = directive_lines(cfg, "redirect")
            assert f'location "{haproxy_escaped(url)}" code 302' in redirect, redirect
        # HAProxy reads the value back literally: only the exact header matches.
        [hit] = probe(livia, "client", lb.vip, headers={"X-Test": AWKWARD})
        [miss] = probe(livia, "client", lb.vip, headers={"X-Test": "a b\"c "})
        assert (hit.get("status"), hit.get("location")) == (302, url), hit
        assert (miss.get("status"), miss.get("body")) == (200, "w1"), miss
    finally:
        change(livia, lb.id, "DELETE", f"/v2/lbaas/l7policies/{policy['id']}")


@pytest.mark.parametrize("what", ["header key", "cookie key", "app cookie name"])
@pytest.mark.parametrize("name", ["X#Y", "X'Y", "X$Y", "X\"Y"])
def test_names_haproxy_cannot_take_are_refused_or_harmless(livia: LiviaHost, site: Site,
                                                           what: str, name: str) -> None:
    """Header and cookie names: a 400, or ACTIVE with the name quoted on one line."""
    lb = site.lb
    if what == "app cookie name":
        path, body = f"/v2/lbaas/pools/{lb.pool_id}", {"pool": {"session_persistence": {
            "type": "APP_COOKIE", "cookie_name": name}}}
        method = "PUT"
    else:
        kind = "HEADER" if what == "header key" else "COOKIE"
        path, body = "/v2/lbaas/l7policies", {"l7policy": {
            "listener_id": lb.listener_id, "action": "REJECT", "rules": [
                {"type": kind, "compare_type": "EQUAL_TO", "key": name, "value": "1"}]}}
        method = "POST"
    response = livia.http.request(method, path, json=body)
    if response.status_code == 400:
        return
    assert response.status_code in (200, 201, 202), response.text
    state = livia.wait_lb(lb.id, timeout=30)
    try:
        assert state["provisioning_status"] == "ACTIVE", state
        changed = (livia.call("GET", path)["pool"] if what == "app cookie name" else
                   livia.call("GET", f"{path}/{response.json()['l7policy']['id']}")["l7policy"])
        assert changed["provisioning_status"] == "ACTIVE", (
            f"{what} {name!r} was accepted ({response.status_code}) but not applied: {changed}")
        for cfg in configs(livia, lb):
            assert len(directive_lines(cfg, "bind")) == 1, cfg
    finally:
        if what == "app cookie name":
            change(livia, lb.id, "PUT", path, {"pool": {"session_persistence": None}})
        else:
            policy_id = response.json()["l7policy"]["id"]
            change(livia, lb.id, "DELETE", f"/v2/lbaas/l7policies/{policy_id}")


def agent_request(address: str, port: int, context: ssl.SSLContext) -> str:
    """GET /v1/info over TLS: 'HTTP <status>' or the error that ended the exchange."""
    with socket.create_connection((address, port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw) as tls:
                tls.sendall(f"GET /v1/info HTTP/1.1\r\nHost: {address}\r\n"
                            "Connection: close\r\n\r\n".encode())
                head = tls.recv(4096).decode(errors="replace")
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as exc:
            return f"refused: {exc!r}"
    return " ".join(head.split(" ")[:2]) if head else "refused: closed without an answer"


def test_agent_refuses_a_client_without_a_certificate(livia: LiviaHost, site: Site) -> None:
    amphora = livia.amphorae(site.lb.id)[0]
    address = amphora["lb_network_ip"]
    bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    bare.check_hostname = False
    bare.verify_mode = ssl.CERT_NONE
    answer = agent_request(address, 9443, bare)
    assert answer.startswith("refused") or answer.split(" ")[1][:1] == "4", (
        f"the agent at {address}:9443 answered a client without a certificate: {answer}")
    # The same request with the controller's certificate is answered: the refusal above
    # is about the certificate, not a dead agent.
    pki = livia.state_dir / "pki"
    with_cert = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with_cert.check_hostname = False
    with_cert.verify_mode = ssl.CERT_NONE
    with_cert.load_cert_chain(pki / "client.pem", pki / "client.key")
    assert agent_request(address, 9443, with_cert) == "HTTP/1.1 200", "with the certificate"
    print(f"agent {address}:9443 without a client certificate: {answer}")
