"""Keystone v3 as clients use it: issuing tokens, their bodies, the catalog, discovery.

``POST /v3/auth/tokens`` takes the ``password``, ``application_credential``
and ``token`` methods and one scope (a project by id, or by name and
domain; ``unscoped``; none: the user's default project when it has a role
there). A token is a random secret; its SHA-256 and the roles it carries
(with the roles they imply) are stored, so a token becomes a
``livia.domain.policy.Caller`` with one lookup. Rescoping keeps the expiry.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from livia.domain import identity as ident
from livia.domain.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from livia.domain.identity import AppCredential, IssuedToken, Project, User
from livia.domain.limits import quote
from livia.domain.policy import effective
from livia.domain.settings import Settings
from livia.store import identity as store
from livia.store.database import Connection
from livia.store.records import utcnow
from livia.store.tokens import hash_token

BAD_CREDENTIALS = "The request you have made requires authentication."
SERVICES = (("identity", "keystone", "/identity"), ("load-balancer", "octavia", ""),
            ("network", "neutron", ""))
INTERFACES = ("public", "internal", "admin")


class IdentityNotFound(NotFound):
    """Keystone's wording: ``Could not find project: X.``"""

    def __init__(self, resource: str, object_id: str) -> None:
        super().__init__(resource, object_id)
        self.message = f"Could not find {resource}: {quote(object_id)}."


def timestamp(moment: datetime) -> str:
    """Keystone's form: ``2015-11-07T02:58:43.000000Z`` (RFC 3339, UTC)."""
    return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def catalog(base: str, region: str) -> list[dict[str, Any]]:
    out = []
    for kind, name, path in SERVICES:
        endpoints = [{"id": uuid.uuid5(uuid.NAMESPACE_URL, f"{base}{path}#{kind}#{i}").hex,
                      "interface": i, "region": region, "region_id": region,
                      "url": f"{base}{path}"} for i in INTERFACES]
        out.append({"type": kind, "name": name, "endpoints": endpoints,
                    "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{base}#{kind}").hex})
    return out


def version_entry(base: str) -> dict[str, Any]:
    return {
        "id": ident.IDENTITY_VERSION, "status": "stable", "updated": ident.IDENTITY_UPDATED,
        "links": [{"rel": "self", "href": f"{base}/identity/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.identity-v3+json"}],
    }


def domain_ref(domain_id: str) -> dict[str, str]:
    if domain_id != ident.DEFAULT_DOMAIN_ID:
        raise IdentityNotFound("domain", domain_id)
    return {"id": ident.DEFAULT_DOMAIN_ID, "name": ident.DEFAULT_DOMAIN_NAME}


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"Invalid input for field '{what}': an object is required.")
    return value


def _str(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"Invalid input for field '{what}': a string is required.")
    return value


def _domain_id(domain: Any, what: str) -> str:
    """A domain given by id or name: only ``Default`` exists."""
    ref = _dict(domain, what)
    if "id" in ref:
        return _str(ref["id"], f"{what}.id")
    if "name" in ref:
        name = _str(ref["name"], f"{what}.name")
        return ident.DEFAULT_DOMAIN_ID if name == ident.DEFAULT_DOMAIN_NAME else "?" + name
    raise InvalidInput(f"Expecting to find id or name in {what}.")


def find_user(conn: Connection, ref: dict[str, Any], what: str = "user") -> User | None:
    if "id" in ref:
        return store.users.get(conn, _str(ref["id"], f"{what}.id"))
    if "name" not in ref:
        raise InvalidInput(f"Expecting to find id or name in {what}.")
    name = _str(ref["name"], f"{what}.name")
    if "domain" not in ref:
        raise InvalidInput(f"Expecting to find domain in {what}. The server could not comply "
                           "with the request since it is either malformed or otherwise "
                           "incorrect.")
    return store.user_named(conn, _domain_id(ref["domain"], f"{what}.domain"), name)


@dataclass(frozen=True)
class Principal:
    """Who the methods proved the caller to be."""

    user: User
    methods: tuple[str, ...]
    expires_at: datetime | None = None  # a rescoped token keeps its parent's expiry
    credential: AppCredential | None = None
    audit_id: str | None = None


def _password(conn: Connection, data: Any) -> User:
    user_ref = _dict(_dict(data, "password").get("user"), "password.user")
    password = user_ref.get("password")
    user = find_user(conn, user_ref, "password.user")
    if not isinstance(password, str) or not ident.verify_secret(
            user.password_hash if user else None, password) or user is None or not user.enabled:
        raise NotAuthenticated(BAD_CREDENTIALS)
    return user


def _app_credential(conn: Connection, data: Any) -> tuple[User, AppCredential]:
    ref = _dict(data, "application_credential")
    secret = ref.get("secret")
    cred: AppCredential | None = None
    if "id" in ref:
        cred = store.app_credentials.get(conn, _str(ref["id"], "application_credential.id"))
    elif "name" in ref:
        owner = find_user(conn, _dict(ref.get("user"), "application_credential.user"),
                          "application_credential.user")
        if owner is not None:
            cred = store.credential_named(conn, owner.id, _str(ref["name"], "name"))
    else:
        raise InvalidInput("Expecting to find id or name in application_credential.")
    if not isinstance(secret, str) or not ident.verify_secret(
            cred.secret_hash if cred else None, secret) or cred is None:
        raise NotAuthenticated(BAD_CREDENTIALS)
    if cred.expires_at is not None and cred.expires_at <= utcnow():
        raise NotAuthenticated(BAD_CREDENTIALS)
    user = store.users.get(conn, cred.user_id)
    if user is None or not user.enabled:
        raise NotAuthenticated(BAD_CREDENTIALS)
    return user, cred


def prove(conn: Connection, identity: dict[str, Any], header_token: str | None) -> Principal:
    methods = identity.get("methods")
    if not isinstance(methods, list) or not methods or not all(
            isinstance(m, str) for m in methods):
        raise InvalidInput("Invalid input for field 'identity/methods': a non-empty list "
                           "of method names is required.")
    method = methods[0]
    if len(set(methods)) > 1:
        raise NotAuthenticated("Only one authentication method may be used at a time.")
    if method == "password":
        return Principal(_password(conn, identity.get("password")), ("password",))
    if method == "application_credential":
        user, cred = _app_credential(conn, identity.get("application_credential"))
        return Principal(user, ("application_credential",), credential=cred)
    if method == "token":
        ref = identity.get("token")
        secret = _dict(ref, "token").get("id") if ref is not None else header_token
        parent = store.valid_token(conn, secret if isinstance(secret, str) else None)
        if parent is None:
            raise NotAuthenticated(BAD_CREDENTIALS)
        if parent.app_credential_id is not None:
            raise Forbidden("You are not authorized to perform the requested action: "
                            "rescoping a token made from an application credential.")
        owner = store.users.get(conn, parent.user_id)
        if owner is None or not owner.enabled:
            raise NotAuthenticated(BAD_CREDENTIALS)
        methods_out = tuple(dict.fromkeys((*parent.methods, "token")))
        return Principal(owner, methods_out, expires_at=parent.expires_at,
                         audit_id=parent.audit_id)
    raise NotAuthenticated(f"Attempted to authenticate with an unsupported method: "
                           f"{quote(method)}.")


def _scoped_project(conn: Connection, scope: Any, principal: Principal) -> Project | None:
    """The project a token is for; None for an unscoped token."""
    if principal.credential is not None:
        if scope is not None:
            raise NotAuthenticated("Application credentials cannot request a scope.")
        project = store.projects.get(conn, principal.credential.project_id)
        if project is None or not project.enabled:
            raise NotAuthenticated(BAD_CREDENTIALS)
        return project
    user = principal.user
    if scope is None:
        if user.default_project_id is None:
            return None
        project = store.projects.get(conn, user.default_project_id)
        if project is None or not project.enabled or not store.roles_of(
                conn, user.id, project.id):
            return None
        return project
    if scope == "unscoped":
        return None
    kinds = _dict(scope, "scope")
    if len(kinds) != 1:
        raise InvalidInput("Only one scope may be requested: project, domain, system or "
                           "unscoped.")
    kind, ref = next(iter(kinds.items()))
    if kind == "domain":
        raise NotAuthenticated(f"User {user.id} has no access to domain "
                               f"{quote(str(_dict(ref, 'domain').get('id') or ''))}")
    if kind == "system":
        raise NotAuthenticated(f"User {user.id} has no access to the system")
    if kind != "project":
        raise InvalidInput(f"Unknown scope: {quote(kind)}")
    ref = _dict(ref, "scope.project")
    if "id" in ref:
        project = store.projects.get(conn, _str(ref["id"], "scope.project.id"))
    elif "name" in ref:
        if "domain" not in ref:
            raise InvalidInput("Expecting to find domain in project.")
        project = store.project_named(conn, _domain_id(ref["domain"], "scope.project.domain"),
                                      _str(ref["name"], "scope.project.name"))
    else:
        raise InvalidInput("Expecting to find id or name in project.")
    if project is None or not project.enabled:
        raise NotAuthenticated(BAD_CREDENTIALS)
    return project


def issue(conn: Connection, settings: Settings, auth: dict[str, Any],
          header_token: str | None) -> tuple[str, IssuedToken]:
    """Check the methods and the scope, store a new token; its secret and its row."""
    principal = prove(conn, _dict(auth.get("identity"), "identity"), header_token)
    project = _scoped_project(conn, auth.get("scope"), principal)
    roles: set[str] = set()
    if project is not None:
        roles = set(effective(frozenset(store.roles_of(conn, principal.user.id, project.id))))
        if principal.credential is not None:
            roles &= effective(frozenset(principal.credential.roles))
        if not roles:
            raise NotAuthenticated(f"User {principal.user.id} has no access to project "
                                   f"{project.id}")
    now = datetime.now(UTC).replace(tzinfo=None)
    expires = principal.expires_at or now + timedelta(seconds=settings.token_lifetime)
    secret = "lvk" + secrets.token_urlsafe(32)
    token = IssuedToken(
        id=str(uuid.uuid4()), token_hash=hash_token(secret), user_id=principal.user.id,
        project_id=project.id if project else None, roles=tuple(sorted(effective(roles))),
        methods=principal.methods,
        app_credential_id=principal.credential.id if principal.credential else None,
        audit_id=principal.audit_id or secrets.token_urlsafe(16), issued_at=now,
        expires_at=expires, revoked=False)
    store.issued.insert(conn, token)
    return secret, token


def token_body(conn: Connection, token: IssuedToken, base: str, region: str, *,
               with_catalog: bool = True) -> dict[str, Any]:
    user = store.users.get(conn, token.user_id)
    if user is None:
        raise IdentityNotFound("token", token.id)
    body: dict[str, Any] = {
        "methods": list(token.methods),
        "user": {"id": user.id, "name": user.name, "domain": domain_ref(user.domain_id),
                 "password_expires_at": None},
        "audit_ids": [token.audit_id],
        "expires_at": timestamp(token.expires_at),
        "issued_at": timestamp(token.issued_at),
    }
    if token.project_id is not None:
        project = store.projects.get(conn, token.project_id)
        if project is not None:
            body["project"] = {"id": project.id, "name": project.name,
                               "domain": domain_ref(project.domain_id)}
        body["is_domain"] = False
        body["roles"] = [{"id": ident.role_id(r), "name": r} for r in token.roles]
        if with_catalog:
            body["catalog"] = catalog(base, region)
    if token.app_credential_id is not None:
        cred = store.app_credentials.get(conn, token.app_credential_id)
        if cred is not None:
            body["application_credential"] = {"id": cred.id, "name": cred.name,
                                              "restricted": not cred.unrestricted}
    return {"token": body}
