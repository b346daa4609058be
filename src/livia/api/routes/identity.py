"""Keystone v3's routes as the ``openstack`` CLI, openstacksdk and gophercloud call them.

Mounted under ``/identity/v3`` (what the catalog names) and ``/v3``. Tokens
(``/auth/tokens``), the catalog, projects, users, roles and their
assignments, the ``Default`` domain and application credentials. Admins
manage projects, users and roles; a user sees itself and its projects, and
manages its own application credentials and tokens. Errors have Keystone's
body (``livia.api.errors``).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Body, Request, Response
from fastapi.responses import JSONResponse

from livia.api import keystone, routing
from livia.api.context import Call, IdentityCallDep, base_url
from livia.api.keystone import IdentityNotFound
from livia.domain import identity as ident
from livia.domain.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from livia.domain.identity import AppCredential, Assignment, Project, User
from livia.domain.limits import NAME_LENGTH
from livia.domain.policy import Role
from livia.store import identity as store
from livia.store.database import Connection
from livia.store.records import utcnow

router = routing.router("identity")
# Keystone bodies are read field by field (keystone.py); the top level holds one or two keys.
JsonBody = Body(default_factory=dict, max_length=4)


def _links(call: Call, path: str) -> dict[str, Any]:
    return {"self": f"{call.base_url}/identity/v3/{path}", "previous": None, "next": None}


def _admin(call: Call) -> None:
    if not call.caller.is_admin:
        raise Forbidden("You are not authorized to perform the requested action.")


def _self_or_admin(call: Call, user_id: str) -> None:
    if not (call.caller.is_admin or call.caller.user_id == user_id):
        raise Forbidden("You are not authorized to perform the requested action.")


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    if not isinstance(value, dict):
        raise InvalidInput(f"Invalid input for field '{key}': an object is required.")
    return value


def _name(value: Any, what: str = "name") -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_LENGTH:
        raise InvalidInput(f"Invalid input for field '{what}': a string of 1 to "
                           f"{NAME_LENGTH} characters is required.")
    return value


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > NAME_LENGTH:
        raise InvalidInput(f"Invalid input for field '{what}'.")
    return value


def _domain_of(data: dict[str, Any]) -> str:
    domain = data.get("domain_id", ident.DEFAULT_DOMAIN_ID)
    keystone.domain_ref(str(domain))
    return ident.DEFAULT_DOMAIN_ID


# -- tokens ------------------------------------------------------------------------------

@router.post("/auth/tokens", status_code=201, summary="Issue a token (Keystone v3)")
def issue_token(request: Request, body: dict[str, Any] = JsonBody) -> JSONResponse:
    services = request.app.state.services
    auth = _object(body, "auth")
    with services.db.write() as conn:
        secret, token = keystone.issue(conn, services.settings, auth,
                                       request.headers.get("X-Auth-Token"))
        out = keystone.token_body(conn, token, base_url(request, services),
                                  services.settings.region,
                                  with_catalog="nocatalog" not in request.query_params)
    return JSONResponse(out, status_code=201, headers={"X-Subject-Token": secret})


def _subject(conn: Connection, call: Call, request: Request) -> ident.IssuedToken:
    secret = request.headers.get("X-Subject-Token")
    token = store.valid_token(conn, secret)
    if token is None:
        raise IdentityNotFound("token", "the X-Subject-Token")
    _self_or_admin(call, token.user_id)
    return token


@router.get("/auth/tokens", summary="Validate a token")
def validate_token(request: Request, call: IdentityCallDep) -> JSONResponse:
    with call.db.read() as conn:
        token = _subject(conn, call, request)
        out = keystone.token_body(conn, token, call.base_url, call.settings.region,
                                  with_catalog="nocatalog" not in request.query_params)
    return JSONResponse(out, headers={"X-Subject-Token": request.headers["X-Subject-Token"]})


@router.head("/auth/tokens", summary="Check a token")
def check_token(request: Request, call: IdentityCallDep) -> Response:
    with call.db.read() as conn:
        _subject(conn, call, request)
    return Response(status_code=200)


@router.delete("/auth/tokens", status_code=204, summary="Revoke a token")
def revoke_token(request: Request, call: IdentityCallDep) -> Response:
    with call.db.write() as conn:
        token = _subject(conn, call, request)
        store.issued.update(conn, token.id, revoked=True)
    return Response(status_code=204)


@router.get("/auth/catalog", summary="The service catalog")
def auth_catalog(call: IdentityCallDep) -> dict[str, Any]:
    return {"catalog": keystone.catalog(call.base_url, call.settings.region),
            "links": _links(call, "auth/catalog")}


@router.get("/auth/projects", summary="The projects the token's user may scope to")
def auth_projects(call: IdentityCallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        found = store.projects_of(conn, call.caller.user_id) if call.caller.user_id else []
    return {"projects": [_project(call, p) for p in found],
            "links": _links(call, "auth/projects")}


# -- domains -----------------------------------------------------------------------------

def _domain(call: Call) -> dict[str, Any]:
    return {"id": ident.DEFAULT_DOMAIN_ID, "name": ident.DEFAULT_DOMAIN_NAME,
            "description": "The only domain", "enabled": True, "tags": [], "options": {},
            "links": {"self": f"{call.base_url}/identity/v3/domains/default"}}


@router.get("/domains", summary="Domains (Default only)")
def list_domains(request: Request, call: IdentityCallDep) -> dict[str, Any]:
    name = request.query_params.get("name")
    found = [] if name not in (None, ident.DEFAULT_DOMAIN_NAME) else [_domain(call)]
    return {"domains": found, "links": _links(call, "domains")}


@router.get("/domains/{domain_id}", summary="A domain")
def show_domain(domain_id: str, call: IdentityCallDep) -> dict[str, Any]:
    if domain_id not in (ident.DEFAULT_DOMAIN_ID, ident.DEFAULT_DOMAIN_NAME):
        raise IdentityNotFound("domain", domain_id)
    return {"domain": _domain(call)}


# -- projects ----------------------------------------------------------------------------

def _project(call: Call, project: Project) -> dict[str, Any]:
    return {"id": project.id, "name": project.name, "domain_id": project.domain_id,
            "enabled": project.enabled, "description": project.description or "",
            "is_domain": False, "parent_id": project.domain_id, "tags": [], "options": {},
            "links": {"self": f"{call.base_url}/identity/v3/projects/{project.id}"}}


def _find_project(conn: Connection, project_id: str) -> Project:
    project = store.projects.get(conn, project_id)
    if project is None:
        raise IdentityNotFound("project", project_id)
    return project


@router.get("/projects", summary="Projects (admins: all; others: their own)")
def list_projects(request: Request, call: IdentityCallDep) -> dict[str, Any]:
    name = request.query_params.get("name")
    with call.db.read() as conn:
        if call.caller.is_admin:
            found = store.projects_named(conn, name)
        elif call.caller.user_id:
            found = [p for p in store.projects_of(conn, call.caller.user_id)
                     if name is None or p.name == name]
        else:
            raise Forbidden("You are not authorized to perform the requested action.")
    return {"projects": [_project(call, p) for p in found], "links": _links(call, "projects")}


@router.post("/projects", status_code=201, summary="Create a project (admin)")
def create_project(call: IdentityCallDep, body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    _admin(call)
    data = _object(body, "project")
    project = Project(id=uuid.uuid4().hex, name=_name(data.get("name")),
                      domain_id=_domain_of(data), enabled=bool(data.get("enabled", True)),
                      description=_text(data.get("description"), "description"),
                      created_at=utcnow())
    with call.db.write() as conn:
        if store.project_named(conn, project.domain_id, project.name) is not None:
            raise Conflict(f"Conflict occurred attempting to store project - it is not "
                           f"permitted to have two projects with the same name in the same "
                           f"domain : {project.name}.")
        store.projects.insert(conn, project)
    return {"project": _project(call, project)}


@router.get("/projects/{project_id}", summary="A project")
def show_project(project_id: str, call: IdentityCallDep) -> dict[str, Any]:
    with call.db.read() as conn:
        project = _find_project(conn, project_id)
        if not call.caller.is_admin and (call.caller.user_id is None or project.id not in {
                p.id for p in store.projects_of(conn, call.caller.user_id)}):
            raise IdentityNotFound("project", project_id)
    return {"project": _project(call, project)}


@router.patch("/projects/{project_id}", summary="Change a project (admin)")
def update_project(project_id: str, call: IdentityCallDep, body: dict[str, Any] = JsonBody
                   ) -> dict[str, Any]:
    _admin(call)
    data = _object(body, "project")
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(data["name"])
    if "description" in data:
        values["description"] = _text(data["description"], "description")
    if "enabled" in data:
        values["enabled"] = bool(data["enabled"])
    with call.db.write() as conn:
        _find_project(conn, project_id)
        if values:
            store.projects.update(conn, project_id, **values)
        project = _find_project(conn, project_id)
    return {"project": _project(call, project)}


@router.delete("/projects/{project_id}", status_code=204, summary="Delete a project (admin)")
def delete_project(project_id: str, call: IdentityCallDep) -> Response:
    _admin(call)
    with call.db.write() as conn:
        _find_project(conn, project_id)
        for assignment in store.assignments_matching(conn, project_id=project_id):
            store.revoke_tokens(conn, user_id=assignment.user_id, project_id=project_id)
            store.assignments.delete(conn, assignment.id)
        store.projects.delete(conn, project_id)
    return Response(status_code=204)


# -- users -------------------------------------------------------------------------------

def _user(call: Call, user: User) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": user.id, "name": user.name, "domain_id": user.domain_id,
        "enabled": user.enabled, "password_expires_at": None, "options": {},
        "links": {"self": f"{call.base_url}/identity/v3/users/{user.id}"}}
    if user.default_project_id:
        out["default_project_id"] = user.default_project_id
    if user.email:
        out["email"] = user.email
    if user.description:
        out["description"] = user.description
    return out


def _find_user(conn: Connection, user_id: str) -> User:
    user = store.users.get(conn, user_id)
    if user is None:
        raise IdentityNotFound("user", user_id)
    return user


def _password(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 4096:
        raise InvalidInput("Invalid input for field 'password': a string of 1 to 4096 "
                           "characters is required.")
    return value


@router.get("/users", summary="Users (admins: all; others: themselves)")
def list_users(request: Request, call: IdentityCallDep) -> dict[str, Any]:
    name = request.query_params.get("name")
    with call.db.read() as conn:
        found = store.users_named(conn, name)
    if not call.caller.is_admin:
        found = [u for u in found if u.id == call.caller.user_id]
    return {"users": [_user(call, u) for u in found], "links": _links(call, "users")}


@router.post("/users", status_code=201, summary="Create a user (admin)")
def create_user(call: IdentityCallDep, body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    _admin(call)
    data = _object(body, "user")
    password = data.get("password")
    user = User(id=uuid.uuid4().hex, name=_name(data.get("name")), domain_id=_domain_of(data),
                enabled=bool(data.get("enabled", True)),
                password_hash=None if password is None else ident.hash_secret(
                    _password(password)),
                default_project_id=_text(data.get("default_project_id"),
                                         "default_project_id"),
                email=_text(data.get("email"), "email"),
                description=_text(data.get("description"), "description"),
                created_at=utcnow())
    with call.db.write() as conn:
        if user.default_project_id:
            _find_project(conn, user.default_project_id)
        if store.user_named(conn, user.domain_id, user.name) is not None:
            raise Conflict(f"Conflict occurred attempting to store user - Duplicate entry "
                           f"found with name {user.name} at domain ID {user.domain_id}.")
        store.users.insert(conn, user)
    return {"user": _user(call, user)}


@router.get("/users/{user_id}", summary="A user")
def show_user(user_id: str, call: IdentityCallDep) -> dict[str, Any]:
    if not (call.caller.is_admin or call.caller.user_id == user_id):
        raise IdentityNotFound("user", user_id)
    with call.db.read() as conn:
        return {"user": _user(call, _find_user(conn, user_id))}


@router.patch("/users/{user_id}", summary="Change a user (admin; a password: admin)")
def update_user(user_id: str, call: IdentityCallDep, body: dict[str, Any] = JsonBody
                ) -> dict[str, Any]:
    _admin(call)
    data = _object(body, "user")
    values: dict[str, Any] = {}
    if "name" in data:
        values["name"] = _name(data["name"])
    for key in ("email", "description", "default_project_id"):
        if key in data:
            values[key] = _text(data[key], key)
    if "enabled" in data:
        values["enabled"] = bool(data["enabled"])
    if "password" in data:
        values["password_hash"] = ident.hash_secret(_password(data["password"]))
    with call.db.write() as conn:
        _find_user(conn, user_id)
        if values:
            store.users.update(conn, user_id, **values)
        if "password_hash" in values or values.get("enabled") is False:
            store.revoke_tokens(conn, user_id=user_id)
        user = _find_user(conn, user_id)
    return {"user": _user(call, user)}


@router.post("/users/{user_id}/password", status_code=204, summary="Change one's own password")
def change_password(user_id: str, call: IdentityCallDep, body: dict[str, Any] = JsonBody
                    ) -> Response:
    _self_or_admin(call, user_id)
    data = _object(body, "user")
    with call.db.write() as conn:
        user = _find_user(conn, user_id)
        original = data.get("original_password")
        if not isinstance(original, str) or not ident.verify_secret(user.password_hash,
                                                                    original):
            raise NotAuthenticated(keystone.BAD_CREDENTIALS)
        store.users.update(conn, user_id,
                           password_hash=ident.hash_secret(_password(data.get("password"))))
        store.revoke_tokens(conn, user_id=user_id)
    return Response(status_code=204)


@router.delete("/users/{user_id}", status_code=204, summary="Delete a user (admin)")
def delete_user(user_id: str, call: IdentityCallDep) -> Response:
    _admin(call)
    with call.db.write() as conn:
        _find_user(conn, user_id)
        store.revoke_tokens(conn, user_id=user_id)
        for assignment in store.assignments_matching(conn, user_id=user_id):
            store.assignments.delete(conn, assignment.id)
        for cred in store.credentials_of(conn, user_id):
            store.app_credentials.delete(conn, cred.id)
        store.users.delete(conn, user_id)
    return Response(status_code=204)


@router.get("/users/{user_id}/projects", summary="The projects a user has a role on")
def user_projects(user_id: str, call: IdentityCallDep) -> dict[str, Any]:
    _self_or_admin(call, user_id)
    with call.db.read() as conn:
        _find_user(conn, user_id)
        found = store.projects_of(conn, user_id)
    return {"projects": [_project(call, p) for p in found],
            "links": _links(call, f"users/{user_id}/projects")}


# -- roles and assignments ---------------------------------------------------------------

def _role(call: Call, name: str) -> dict[str, Any]:
    rid = ident.role_id(name)
    return {"id": rid, "name": name, "domain_id": None, "description": None, "options": {},
            "links": {"self": f"{call.base_url}/identity/v3/roles/{rid}"}}


def _find_role(name_or_id: str) -> str:
    role = ident.find_role(name_or_id)
    if role is None:
        raise IdentityNotFound("role", name_or_id)
    return role


@router.get("/roles", summary="Roles (the names the policy knows)")
def list_roles(request: Request, call: IdentityCallDep) -> dict[str, Any]:
    name = request.query_params.get("name")
    found = [r.value for r in Role if name is None or r.value == name]
    return {"roles": [_role(call, r) for r in found], "links": _links(call, "roles")}


@router.get("/roles/{role_id}", summary="A role")
def show_role(role_id: str, call: IdentityCallDep) -> dict[str, Any]:
    return {"role": _role(call, _find_role(role_id))}


def _assignment_target(conn: Connection, project_id: str, user_id: str) -> None:
    _find_project(conn, project_id)
    _find_user(conn, user_id)


@router.put("/projects/{project_id}/users/{user_id}/roles/{role_id}", status_code=204,
            summary="Give a user a role on a project (admin)")
def assign_role(project_id: str, user_id: str, role_id: str, call: IdentityCallDep
                ) -> Response:
    _admin(call)
    role = _find_role(role_id)
    with call.db.write() as conn:
        _assignment_target(conn, project_id, user_id)
        if role not in store.roles_of(conn, user_id, project_id):
            store.assignments.insert(conn, Assignment(id=str(uuid.uuid4()), user_id=user_id,
                                                      project_id=project_id, role=role))
    return Response(status_code=204)


@router.head("/projects/{project_id}/users/{user_id}/roles/{role_id}",
             summary="Whether a user has a role on a project")
def check_role(project_id: str, user_id: str, role_id: str, call: IdentityCallDep
               ) -> Response:
    _self_or_admin(call, user_id)
    role = _find_role(role_id)
    with call.db.read() as conn:
        _assignment_target(conn, project_id, user_id)
        held = role in store.roles_of(conn, user_id, project_id)
    return Response(status_code=204 if held else 404)


@router.delete("/projects/{project_id}/users/{user_id}/roles/{role_id}", status_code=204,
               summary="Take a role away (admin); the user's tokens for the project go")
def unassign_role(project_id: str, user_id: str, role_id: str, call: IdentityCallDep
                  ) -> Response:
    _admin(call)
    role = _find_role(role_id)
    with call.db.write() as conn:
        _assignment_target(conn, project_id, user_id)
        if not store.unassign(conn, user_id, project_id, role):
            raise IdentityNotFound("role assignment", f"{role} of {user_id} on {project_id}")
        store.revoke_tokens(conn, user_id=user_id, project_id=project_id)
    return Response(status_code=204)


@router.get("/projects/{project_id}/users/{user_id}/roles",
            summary="A user's roles on a project")
def project_user_roles(project_id: str, user_id: str, call: IdentityCallDep
                       ) -> dict[str, Any]:
    _self_or_admin(call, user_id)
    with call.db.read() as conn:
        _assignment_target(conn, project_id, user_id)
        roles = sorted(store.roles_of(conn, user_id, project_id))
    return {"roles": [_role(call, r) for r in roles],
            "links": _links(call, f"projects/{project_id}/users/{user_id}/roles")}


@router.get("/role_assignments", summary="Role assignments (filters as Keystone's)")
def role_assignments(request: Request, call: IdentityCallDep) -> dict[str, Any]:
    q = request.query_params
    user_id, project_id = q.get("user.id"), q.get("scope.project.id")
    role = _find_role(q["role.id"]) if q.get("role.id") else None
    if not call.caller.is_admin:
        if user_id not in (None, call.caller.user_id) or call.caller.user_id is None:
            raise Forbidden("You are not authorized to perform the requested action.")
        user_id = call.caller.user_id
    names = q.get("include_names", "").lower() in ("1", "true", "")
    with call.db.read() as conn:
        found = store.assignments_matching(conn, user_id=user_id, project_id=project_id,
                                           role=role)
        users = {u.id: u for u in store.users_named(conn, None)} if names else {}
        projects = {p.id: p for p in store.projects_named(conn, None)} if names else {}
    out = []
    for a in found:
        entry: dict[str, Any] = {
            "role": {"id": ident.role_id(a.role)}, "user": {"id": a.user_id},
            "scope": {"project": {"id": a.project_id}},
            "links": {"assignment": f"{call.base_url}/identity/v3/projects/{a.project_id}"
                                    f"/users/{a.user_id}/roles/{ident.role_id(a.role)}"}}
        if names:
            default = {"id": ident.DEFAULT_DOMAIN_ID, "name": ident.DEFAULT_DOMAIN_NAME}
            entry["role"]["name"] = a.role
            if a.user_id in users:
                entry["user"].update(name=users[a.user_id].name, domain=default)
            if a.project_id in projects:
                entry["scope"]["project"].update(name=projects[a.project_id].name,
                                                 domain=default)
        out.append(entry)
    return {"role_assignments": out, "links": _links(call, "role_assignments")}


# -- application credentials -------------------------------------------------------------

def _credential(call: Call, cred: AppCredential, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": cred.id, "name": cred.name, "description": cred.description,
        "user_id": cred.user_id, "project_id": cred.project_id,
        "roles": [{"id": ident.role_id(r), "name": r, "domain_id": None}
                  for r in cred.roles],
        "unrestricted": cred.unrestricted, "access_rules": [],
        "expires_at": None if cred.expires_at is None else keystone.timestamp(cred.expires_at),
        "links": {"self": f"{call.base_url}/identity/v3/users/{cred.user_id}/"
                          f"application_credentials/{cred.id}"}}
    if secret is not None:
        out["secret"] = secret
    return out


def _expiry(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput("Invalid input for field 'expires_at': an ISO 8601 time is "
                           "required.") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    if moment <= utcnow():
        raise InvalidInput("The expiration time of an application credential must be in "
                           "the future.")
    return moment


@router.post("/users/{user_id}/application_credentials", status_code=201,
             summary="Create an application credential for the token's project")
def create_credential(user_id: str, call: IdentityCallDep,
                      body: dict[str, Any] = JsonBody) -> dict[str, Any]:
    if call.caller.user_id != user_id:
        raise Forbidden("You are not authorized to perform the requested action.")
    project_id = call.caller.project_id
    if project_id is None:
        raise Forbidden("An application credential needs a project-scoped token.")
    data = _object(body, "application_credential")
    given = data.get("secret")
    secret = secrets.token_urlsafe(48) if given is None else _password(given)
    held = set(call.caller.roles) & {r.value for r in Role}
    wanted = data.get("roles")
    if not wanted:  # none given (the CLI sends an empty list): the token's roles
        roles = sorted(held)
    else:
        if not isinstance(wanted, list):
            raise InvalidInput("Invalid input for field 'roles': a list is required.")
        roles = []
        for ref in wanted:
            ref = ref if isinstance(ref, dict) else {}
            role = _find_role(str(ref.get("id") or ref.get("name") or ""))
            if role not in held:
                raise Forbidden(f"You cannot give an application credential role {role}, "
                                "which you do not hold on the project.")
            roles.append(role)
    cred = AppCredential(
        id=uuid.uuid4().hex, user_id=user_id, project_id=project_id,
        name=_name(data.get("name")), description=_text(data.get("description"),
                                                        "description"),
        secret_hash=ident.hash_secret(secret), roles=tuple(sorted(set(roles))),
        unrestricted=bool(data.get("unrestricted", False)),
        expires_at=_expiry(data.get("expires_at")), created_at=utcnow())
    with call.db.write() as conn:
        if store.credential_named(conn, user_id, cred.name) is not None:
            raise Conflict(f"Conflict occurred attempting to store application_credential - "
                           f"Duplicate entry found with name {cred.name}.")
        store.app_credentials.insert(conn, cred)
    return {"application_credential": _credential(call, cred, secret)}


@router.get("/users/{user_id}/application_credentials", summary="A user's credentials")
def list_credentials(user_id: str, request: Request, call: IdentityCallDep
                     ) -> dict[str, Any]:
    _self_or_admin(call, user_id)
    name = request.query_params.get("name")
    with call.db.read() as conn:
        found = [c for c in store.credentials_of(conn, user_id)
                 if name is None or c.name == name]
    return {"application_credentials": [_credential(call, c) for c in found],
            "links": _links(call, f"users/{user_id}/application_credentials")}


def _find_credential(conn: Connection, user_id: str, cred_id: str) -> AppCredential:
    cred = store.app_credentials.get(conn, cred_id)
    if cred is None or cred.user_id != user_id:
        raise IdentityNotFound("application credential", cred_id)
    return cred


@router.get("/users/{user_id}/application_credentials/{cred_id}",
            summary="An application credential")
def show_credential(user_id: str, cred_id: str, call: IdentityCallDep) -> dict[str, Any]:
    _self_or_admin(call, user_id)
    with call.db.read() as conn:
        return {"application_credential": _credential(
            call, _find_credential(conn, user_id, cred_id))}


@router.delete("/users/{user_id}/application_credentials/{cred_id}", status_code=204,
               summary="Delete an application credential (its tokens go with it)")
def delete_credential(user_id: str, cred_id: str, call: IdentityCallDep) -> Response:
    _self_or_admin(call, user_id)
    with call.db.write() as conn:
        cred = _find_credential(conn, user_id, cred_id)
        store.revoke_tokens(conn, user_id=user_id, app_credential_id=cred.id)
        store.app_credentials.delete(conn, cred.id)
    return Response(status_code=204)
