"""Keystone v3 as clients see it: methods, scopes, token bodies, the catalog, discovery,
identity CRUD and who may do it, and a user's token carrying exactly its roles' rights."""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from lbaas_stack import LBAAS, Api, Stack, expect, fault

from livia.store import identity as store

V3 = "/identity/v3"
DOMAIN = {"name": "Default"}


def _keystone_error(r: httpx.Response, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == status, body
    assert body["error"]["title"] and body["error"]["message"]
    message: str = body["error"]["message"]
    return message


def _auth(stack: Stack, identity: dict[str, Any], scope: Any = None,
          query: str = "") -> httpx.Response:
    auth: dict[str, Any] = {"identity": identity}
    if scope is not None:
        auth["scope"] = scope
    return stack.api.client.post(f"{V3}/auth/tokens{query}", json={"auth": auth})


def _password(name: str, password: str, **extra: Any) -> dict[str, Any]:
    return {"methods": ["password"], "password": {"user": {
        "name": name, "domain": DOMAIN, "password": password, **extra}}}


@dataclasses.dataclass
class People:
    project: str
    other_project: str
    alice: str  # member of project
    bob: str  # reader of project
    carol: str  # no role anywhere


def _admin(stack: Stack) -> Api:
    return Api(stack.api.client, stack.tokens.admin)


def _people(stack: Stack) -> People:
    api = _admin(stack)
    ids = {}
    for name in ("pa", "pb"):
        ids[name] = expect(api.post(f"{V3}/projects", json={"project": {"name": name}}),
                           201)["project"]["id"]
    for name in ("alice", "bob", "carol"):
        ids[name] = expect(api.post(f"{V3}/users", json={"user": {
            "name": name, "password": f"{name}-pw", "default_project_id": ids["pa"]}}),
            201)["user"]["id"]
    for user, role in (("alice", "member"), ("bob", "reader")):
        r = api.put(f"{V3}/projects/{ids['pa']}/users/{ids[user]}/roles/{role}")
        assert r.status_code == 204, r.text
    return People(ids["pa"], ids["pb"], ids["alice"], ids["bob"], ids["carol"])


def _token(stack: Stack, name: str, scope: Any = None) -> tuple[str, dict[str, Any]]:
    r = _auth(stack, _password(name, f"{name}-pw"), scope)
    body = expect(r, 201)
    return r.headers["X-Subject-Token"], body["token"]


def test_discovery_documents_as_keystoneauth_and_gophercloud_read_them(stack: Stack) -> None:
    r = stack.api.client.get("/identity", headers={"Accept": "application/json"})
    assert r.status_code == 300
    [entry] = r.json()["versions"]["values"]
    assert "v3" in entry["id"] and entry["status"] == "stable"
    self_link = next(link["href"] for link in entry["links"] if link["rel"] == "self")
    assert self_link.endswith("/identity/v3/")
    for path in ("/identity/v3", "/v3"):
        assert stack.api.client.get(path).json()["version"]["id"] == entry["id"]
    # The root stays Octavia's document for the load-balancer client.
    assert stack.api.client.get("/").json()["versions"][-1]["id"].startswith("v2.")


def test_password_token_body_catalog_and_header(stack: Stack) -> None:
    p = _people(stack)
    scope = {"project": {"name": "pa", "domain": DOMAIN}}
    r = _auth(stack, _password("alice", "alice-pw"), scope)
    body = expect(r, 201)["token"]
    assert r.headers["X-Subject-Token"].startswith("lvk")
    assert body["methods"] == ["password"]
    assert body["user"]["id"] == p.alice and body["user"]["name"] == "alice"
    assert body["user"]["domain"] == {"id": "default", "name": "Default"}
    assert body["project"]["id"] == p.project and body["project"]["domain"]["id"] == "default"
    assert {role["name"] for role in body["roles"]} == {"member", "reader"}  # implied reader
    for key in ("expires_at", "issued_at"):  # RFC 3339 with a zone (gophercloud's time.Time)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body[key]), body[key]
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    lifetime = (expires - datetime.now(UTC)).total_seconds()
    assert stack.settings.token_lifetime - 60 < lifetime <= stack.settings.token_lifetime
    assert body["audit_ids"] and body["is_domain"] is False
    types = {s["type"]: s for s in body["catalog"]}
    assert set(types) == {"identity", "load-balancer", "network"}
    for service in types.values():
        assert {e["interface"] for e in service["endpoints"]} == {"public", "internal", "admin"}
        for e in service["endpoints"]:
            assert e["region"] == e["region_id"] == stack.settings.region and e["url"]
    assert types["identity"]["endpoints"][0]["url"].endswith("/identity")
    assert not types["network"]["endpoints"][0]["url"].rstrip("/").endswith(("v2.0", "v2"))
    # by ids, and without a catalog
    r = _auth(stack, {"methods": ["password"], "password": {"user": {
        "id": p.alice, "password": "alice-pw"}}}, {"project": {"id": p.project}}, "?nocatalog")
    assert "catalog" not in expect(r, 201)["token"]


def test_scopes(stack: Stack) -> None:
    p = _people(stack)
    # no scope: the default project where the user has a role; else unscoped
    _, body = _token(stack, "alice")
    assert body["project"]["id"] == p.project
    _, body = _token(stack, "carol")
    assert "project" not in body and "roles" not in body and "catalog" not in body
    _, body = _token(stack, "alice", "unscoped")
    assert "project" not in body
    # unknown project, no role on the project: 401
    for scope in ({"project": {"id": "nope"}}, {"project": {"name": "nope", "domain": DOMAIN}},
                  {"project": {"id": p.other_project}}):
        _keystone_error(_auth(stack, _password("alice", "alice-pw"), scope), 401)
    message = _keystone_error(_auth(stack, _password("carol", "carol-pw"),
                                    {"project": {"id": p.project}}), 401)
    assert "has no access to project" in message
    # two scopes, a name without a domain: 400
    _keystone_error(_auth(stack, _password("alice", "alice-pw"), {
        "project": {"id": p.project}, "domain": {"id": "default"}}), 400)
    _keystone_error(_auth(stack, _password("alice", "alice-pw"),
                          {"project": {"name": "pa"}}), 400)
    _keystone_error(_auth(stack, {"methods": ["password"], "password": {"user": {
        "name": "alice", "password": "alice-pw"}}}), 400)


def test_bad_credentials_are_401_and_say_nothing_more(stack: Stack) -> None:
    _people(stack)
    wrong = _keystone_error(_auth(stack, _password("alice", "wrong")), 401)
    nobody = _keystone_error(_auth(stack, _password("nobody", "x")), 401)
    assert wrong == nobody
    r = _auth(stack, _password("alice", "wrong"))
    assert r.headers["WWW-Authenticate"].startswith("Keystone")
    _keystone_error(_auth(stack, {"methods": ["totp"], "totp": {}}), 401)
    _keystone_error(_auth(stack, {"methods": []}), 400)
    _keystone_error(stack.api.client.post(f"{V3}/auth/tokens", json={"auth": "x"}), 400)


def test_rescoping_keeps_the_expiry(stack: Stack) -> None:
    p = _people(stack)
    unscoped, first = _token(stack, "alice", "unscoped")
    r = _auth(stack, {"methods": ["token"], "token": {"id": unscoped}},
              {"project": {"id": p.project}})
    body = expect(r, 201)["token"]
    assert body["project"]["id"] == p.project and body["expires_at"] == first["expires_at"]
    assert body["methods"] == ["password", "token"]
    _keystone_error(_auth(stack, {"methods": ["token"], "token": {"id": "lvk-nothing"}}), 401)


def test_validate_check_revoke(stack: Stack) -> None:
    _people(stack)
    alice, _ = _token(stack, "alice")
    bob, _ = _token(stack, "bob")
    c = stack.api.client

    def call(method: str, caller: str, subject: str) -> httpx.Response:
        return c.request(method, f"{V3}/auth/tokens",
                         headers={"X-Auth-Token": caller, "X-Subject-Token": subject})

    r = call("GET", alice, alice)
    assert r.status_code == 200 and r.headers["X-Subject-Token"] == alice
    assert r.json()["token"]["user"]["name"] == "alice"
    assert call("HEAD", alice, alice).status_code == 200
    assert call("GET", stack.tokens.admin, alice).status_code == 200
    _keystone_error(call("GET", bob, alice), 403)  # another user's token
    _keystone_error(call("GET", alice, "lvk-unknown"), 404)
    _keystone_error(call("GET", "lvk-unknown", alice), 401)
    assert call("DELETE", alice, alice).status_code == 204
    # revoked: refused everywhere, and unknown as a subject
    fault(stack.api.get(f"{LBAAS}/loadbalancers", token=alice), 401)
    _keystone_error(call("GET", bob, alice), 404)


def test_expired_tokens_are_refused(stack: Stack) -> None:
    _people(stack)
    alice, _ = _token(stack, "alice")
    expect(stack.api.get(f"{LBAAS}/loadbalancers", token=alice), 200)
    with stack.db.write() as conn:
        token = store.token_for(conn, alice)
        assert token is not None
        store.issued.update(conn, token.id, expires_at=datetime(2020, 1, 1))
    r = stack.api.get(f"{LBAAS}/loadbalancers", token=alice)
    fault(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Keystone")
    _keystone_error(stack.api.client.get(f"{V3}/auth/tokens", headers={
        "X-Auth-Token": stack.tokens.admin, "X-Subject-Token": alice}), 404)


def test_a_users_token_has_its_roles_rights(stack: Stack) -> None:
    p = _people(stack)
    alice, _ = _token(stack, "alice")
    bob, _ = _token(stack, "bob")
    subnet = stack.vip_subnet(alice)
    lb = expect(stack.api.post(f"{LBAAS}/loadbalancers", token=alice, json={
        "loadbalancer": {"vip_subnet_id": subnet}}), 201)["loadbalancer"]
    assert lb["project_id"] == p.project
    stack.wait_for(lb["id"])
    assert [x["id"] for x in expect(stack.api.get(f"{LBAAS}/loadbalancers", token=bob),
                                    200)["loadbalancers"]] == [lb["id"]]
    fault(stack.api.put(f"{LBAAS}/loadbalancers/{lb['id']}", token=bob,
                        json={"loadbalancer": {"name": "x"}}), 403)
    fault(stack.api.get("/v2/octavia/amphorae", token=alice), 403)
    # a token of the other project sees nothing of it
    _admin(stack).put(f"{V3}/projects/{p.other_project}/users/{p.carol}/roles/member")
    carol, _ = _token(stack, "carol", {"project": {"id": p.other_project}})
    fault(stack.api.get(f"{LBAAS}/loadbalancers/{lb['id']}", token=carol), 404)
    # an unscoped token has no role: refused by the load-balancer API
    unscoped, _ = _token(stack, "alice", "unscoped")
    fault(stack.api.get(f"{LBAAS}/loadbalancers", token=unscoped), 403)
    # taking the role away revokes the user's tokens for the project
    r = _admin(stack).delete(f"{V3}/projects/{p.project}/users/{p.alice}/roles/member")
    assert r.status_code == 204
    fault(stack.api.get(f"{LBAAS}/loadbalancers", token=alice), 401)


def test_application_credentials(stack: Stack) -> None:
    p = _people(stack)
    alice, _ = _token(stack, "alice")
    path = f"{V3}/users/{p.alice}/application_credentials"
    made = expect(stack.api.post(path, token=alice, json={"application_credential": {
        "name": "ci"}}), 201)["application_credential"]
    assert made["secret"] and made["project_id"] == p.project
    assert {r["name"] for r in made["roles"]} == {"member", "reader"}
    listed = expect(stack.api.get(path, token=alice), 200)["application_credentials"]
    assert [c["id"] for c in listed] == [made["id"]] and "secret" not in listed[0]
    by_id = {"methods": ["application_credential"], "application_credential": {
        "id": made["id"], "secret": made["secret"]}}
    r = _auth(stack, by_id)
    body = expect(r, 201)["token"]
    assert body["project"]["id"] == p.project
    assert body["application_credential"] == {"id": made["id"], "name": "ci",
                                              "restricted": True}
    token = r.headers["X-Subject-Token"]
    expect(stack.api.get(f"{LBAAS}/loadbalancers", token=token), 200)
    by_name = {"methods": ["application_credential"], "application_credential": {
        "name": "ci", "secret": made["secret"], "user": {"name": "alice", "domain": DOMAIN}}}
    expect(_auth(stack, by_name), 201)
    # a scope, a wrong secret: 401; a rescope of its token: 403
    message = _keystone_error(_auth(stack, by_id, {"project": {"id": p.project}}), 401)
    assert "cannot request a scope" in message
    wrong = {**by_id, "application_credential": {"id": made["id"], "secret": "x"}}
    _keystone_error(_auth(stack, wrong), 401)
    _keystone_error(_auth(stack, {"methods": ["token"], "token": {"id": token}},
                          {"project": {"id": p.project}}), 403)
    # only roles the creator holds; names unique per user
    reader_only = expect(stack.api.post(path, token=alice, json={"application_credential": {
        "name": "ro", "roles": [{"name": "reader"}]}}), 201)["application_credential"]
    ro = _auth(stack, {"methods": ["application_credential"], "application_credential": {
        "id": reader_only["id"], "secret": reader_only["secret"]}}).headers["X-Subject-Token"]
    fault(stack.api.post(f"{LBAAS}/loadbalancers", token=ro, json={"loadbalancer": {
        "vip_subnet_id": stack.vip_subnet(alice)}}), 403)
    _keystone_error(stack.api.post(path, token=alice, json={"application_credential": {
        "name": "x", "roles": [{"name": "admin"}]}}), 403)
    _keystone_error(stack.api.post(path, token=alice, json={"application_credential": {
        "name": "ci"}}), 409)
    # another user may not see or make them; deleting one revokes its tokens
    bob, _ = _token(stack, "bob")
    _keystone_error(stack.api.get(path, token=bob), 403)
    _keystone_error(stack.api.post(path, token=bob, json={"application_credential": {
        "name": "b"}}), 403)
    assert stack.api.delete(f"{path}/{made['id']}", token=alice).status_code == 204
    fault(stack.api.get(f"{LBAAS}/loadbalancers", token=token), 401)
    _keystone_error(_auth(stack, by_id), 401)


def test_identity_crud_and_who_may(stack: Stack) -> None:
    p = _people(stack)
    alice, _ = _token(stack, "alice")
    api = _admin(stack)
    # admins manage; a member may not
    for method, path, body in (
            ("POST", f"{V3}/projects", {"project": {"name": "x"}}),
            ("POST", f"{V3}/users", {"user": {"name": "x"}}),
            ("DELETE", f"{V3}/projects/{p.other_project}", None),
            ("PATCH", f"{V3}/users/{p.bob}", {"user": {"password": "y"}}),
            ("PUT", f"{V3}/projects/{p.project}/users/{p.alice}/roles/admin", None)):
        _keystone_error(api.request(method, path, json=body, token=alice), 403)
    # a user sees itself and its projects only
    assert [u["name"] for u in expect(api.get(f"{V3}/users", token=alice), 200)["users"]] == [
        "alice"]
    assert [x["id"] for x in expect(api.get(f"{V3}/projects", token=alice),
                                    200)["projects"]] == [p.project]
    _keystone_error(api.get(f"{V3}/users/{p.bob}", token=alice), 404)
    _keystone_error(api.get(f"{V3}/projects/{p.other_project}", token=alice), 404)
    expect(api.get(f"{V3}/users/{p.alice}/projects", token=alice), 200)
    _keystone_error(api.get(f"{V3}/users/{p.bob}/projects", token=alice), 403)
    # the admin's view; duplicates; unknown ids in Keystone's words
    names = {x["name"] for x in expect(api.get(f"{V3}/projects"), 200)["projects"]}
    assert {"pa", "pb"} <= names
    assert expect(api.get(f"{V3}/projects?name=pb"), 200)["projects"][0]["id"] == p.other_project
    _keystone_error(api.post(f"{V3}/projects", json={"project": {"name": "pa"}}), 409)
    _keystone_error(api.post(f"{V3}/users", json={"user": {"name": "alice"}}), 409)
    assert _keystone_error(
        api.get(f"{V3}/projects/nope"), 404) == "Could not find project: nope."
    _keystone_error(api.put(f"{V3}/projects/{p.project}/users/{p.bob}/roles/wizard"), 404)
    _keystone_error(api.post(f"{V3}/projects", json={"project": {"name": ""}}), 400)
    _keystone_error(api.post(f"{V3}/projects", json={"project": "x"}), 400)
    # assignments, as `openstack role assignment list --names` reads them
    found = expect(api.get(f"{V3}/role_assignments?scope.project.id={p.project}"
                           "&include_names=True"), 200)["role_assignments"]
    assert {(a["user"]["name"], a["role"]["name"]) for a in found} == {
        ("alice", "member"), ("bob", "reader")}
    # a new password works, the old one and its tokens do not
    r = api.request("PATCH", f"{V3}/users/{p.alice}", json={"user": {"password": "new-pw"}})
    assert r.status_code == 200
    fault(api.get(f"{LBAAS}/loadbalancers", token=alice), 401)
    _keystone_error(_auth(stack, _password("alice", "alice-pw")), 401)
    expect(_auth(stack, _password("alice", "new-pw")), 201)
    # deleting a user and a project
    assert api.delete(f"{V3}/users/{p.bob}").status_code == 204
    _keystone_error(_auth(stack, _password("bob", "bob-pw")), 401)
    assert api.delete(f"{V3}/projects/{p.other_project}").status_code == 204
    _keystone_error(api.get(f"{V3}/projects/{p.other_project}"), 404)
    # domains: Default only
    assert [d["id"] for d in expect(api.get(f"{V3}/domains"), 200)["domains"]] == ["default"]
    _keystone_error(api.get(f"{V3}/domains/other"), 404)
    # no token at all
    _keystone_error(api.get(f"{V3}/projects", token=None), 401)


def test_secrets_are_stored_hashed_and_never_logged(stack: Stack,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = _people(stack)
    alice, _ = _token(stack, "alice")
    made = expect(stack.api.post(f"{V3}/users/{p.alice}/application_credentials", token=alice,
                                 json={"application_credential": {"name": "s"}}),
                  201)["application_credential"]
    _auth(stack, _password("alice", "wrong-secret-pw"))
    with stack.db.read() as conn:
        user = store.users.get(conn, p.alice)
        cred = store.app_credentials.get(conn, made["id"])
        token = store.token_for(conn, alice)
    assert user is not None and user.password_hash and user.password_hash.startswith(
        "$argon2id$")
    assert cred is not None and cred.secret_hash.startswith("$argon2id$")
    assert token is not None and alice not in token.token_hash
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("alice-pw", "wrong-secret-pw", made["secret"], alice):
        assert secret not in logged
