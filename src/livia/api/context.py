"""What every request handler gets: who is calling, the database and a way to wake the controller.

Authentication is Keystone-shaped: the token comes in ``X-Auth-Token``. The
admin token is compared by hash; other tokens are looked up (hashed) in the
database. What a caller may do is ``livia.domain.policy``'s table (Octavia's
default RBAC): every request needs one of the roles the policy knows, a read
needs ``READ`` on what it reads, a change ``WRITE``; a global observer's
reads span every project, its changes only its own.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from livia.domain import policy, visibility
from livia.domain.errors import Forbidden, NotAuthenticated, NotFound
from livia.domain.policy import Caller, Role, Rule
from livia.domain.settings import Settings
from livia.store import tokens
from livia.store.database import Database
from livia.store.identity import valid_token

ADMIN_PROJECT = "admin"


@dataclass(frozen=True)
class ApiServices:
    """Built once by the command line and shared by every request."""

    db: Database
    settings: Settings
    admin_token_hash: str | None
    wake: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class Call:
    caller: Caller
    db: Database
    settings: Settings
    wake: Callable[[], None]
    base_url: str

    @property
    def scope(self) -> str | None:
        """The project a list or lookup is limited to; None for admins."""
        return visibility.scope(self.caller)

    def require(self, rule: Rule, project_id: str | None = None) -> None:
        """403 unless the policy's rule passes (for an object of ``project_id``)."""
        if not self.caller.allows(rule, project_id):
            raise Forbidden()

    def require_write(self) -> None:
        self.require(Rule.WRITE)

    def require_admin(self) -> None:
        self.require(Rule.ADMIN)

    def owning_project(self, requested: str | None) -> str:
        """The project a new object belongs to."""
        if requested and requested != self.caller.project_id:
            if not self.caller.is_admin:
                raise Forbidden("Not authorized to create objects in another project.")
            return requested
        return requested or self.caller.project_id or ADMIN_PROJECT


def services(request: Request) -> ApiServices:
    svc: ApiServices = request.app.state.services
    return svc


def authenticate(request: Request, svc: ApiServices) -> Caller:
    if svc.settings.no_auth:
        return Caller.of(request.headers.get("X-Project-Id"), Role.ADMIN)
    secret = request.headers.get("X-Auth-Token")
    if not secret:
        raise NotAuthenticated()
    hashed = tokens.hash_token(secret)
    if svc.admin_token_hash and hmac.compare_digest(hashed, svc.admin_token_hash):
        return Caller.of(ADMIN_PROJECT, Role.ADMIN)
    with svc.db.read() as conn:
        token = tokens.find(conn, secret)
        issued = None if token is not None else valid_token(conn, secret)
    if token is not None:
        return Caller.of(token.project_id, token.role)
    if issued is None:  # unknown, expired or revoked
        raise NotAuthenticated("The request you have made requires authentication.")
    return Caller.of(issued.project_id, *issued.roles, user_id=issued.user_id)


def base_url(request: Request, svc: ApiServices) -> str:
    if svc.settings.api_base_url:
        return svc.settings.api_base_url.rstrip("/")
    return str(request.base_url).rstrip("/")


# Documents the token in /openapi.json (a security scheme); ``authenticate`` reads it.
TOKEN = APIKeyHeader(name="X-Auth-Token", auto_error=False, scheme_name="token",
                     description="The admin token or one from `livia token create`.")


READS = frozenset({"GET", "HEAD"})


def call(request: Request, _token: Annotated[str | None, Security(TOKEN)] = None) -> Call:
    svc = services(request)
    caller = authenticate(request, svc)
    if not caller.roles & policy.ANY_ROLE:
        raise Forbidden()
    reading = request.method in READS
    if reading and not (caller.can_read or caller.allows(Rule.READ_QUOTA)):
        raise Forbidden()
    return Call(
        caller=caller.viewing(reading),
        db=svc.db,
        settings=svc.settings,
        wake=svc.wake,
        base_url=base_url(request, svc),
    )


CallDep = Annotated[Call, Depends(call)]


def identity_call(request: Request,
                  _token: Annotated[str | None, Security(TOKEN)] = None) -> Call:
    """The caller of an identity route: any valid token, scoped or not, whatever its roles."""
    svc = services(request)
    return Call(caller=authenticate(request, svc), db=svc.db, settings=svc.settings,
                wake=svc.wake, base_url=base_url(request, svc))


IdentityCallDep = Annotated[Call, Depends(identity_call)]


def parse_id(value: str, resource: str) -> str:
    """Ids are UUIDs; anything else names nothing (404, never 500)."""
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise NotFound(resource, value) from exc


def new_id() -> str:
    return str(uuid.uuid4())
