"""Keystone-v3-shaped identity: domains, projects, users, role assignments,
application credentials and the tokens they yield.

One domain exists (``Default``, id ``default``). Roles are the names the
policy knows (``livia.domain.policy.Role``), each with a stable id. Passwords
and application-credential secrets are kept as argon2id hashes; a token is
kept as the SHA-256 of its secret (it is random, so a fast hash suffices),
with the roles it carried when it was issued.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import argon2

from livia.domain.policy import Role

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"
ADMIN_PROJECT_NAME = "admin"
ADMIN_USER_NAME = "admin"
# Keystone's version as the discovery document names it.
IDENTITY_VERSION = "v3.14"
IDENTITY_UPDATED = "2020-04-07T00:00:00Z"

_ROLE_NAMESPACE = uuid.UUID("6f1f3c52-6d0e-4c8e-9a0b-6c6976696121")


def role_id(name: str) -> str:
    """Roles have stable ids (no table): a hex uuid5 of the name, as Keystone's ids look."""
    return uuid.uuid5(_ROLE_NAMESPACE, name).hex


ROLE_BY_ID: dict[str, str] = {role_id(r.value): r.value for r in Role}


def find_role(name_or_id: str) -> str | None:
    """A role name from its name or id; None for a role that does not exist."""
    if name_or_id in ROLE_BY_ID:
        return ROLE_BY_ID[name_or_id]
    return name_or_id if name_or_id in {r.value for r in Role} else None


# argon2id with OWASP's second recommended set (19 MiB, 2 passes): ~25 ms per check here.
_HASHER = argon2.PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(hashed: str | None, secret: str) -> bool:
    if not hashed:
        _HASHER.hash(secret)  # as slow as a real check: timing tells nothing
        return False
    try:
        return _HASHER.verify(hashed, secret)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    domain_id: str
    enabled: bool
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    domain_id: str
    enabled: bool
    password_hash: str | None
    default_project_id: str | None
    email: str | None
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    id: str
    user_id: str
    project_id: str
    role: str


@dataclass(frozen=True, slots=True)
class AppCredential:
    id: str
    user_id: str
    project_id: str
    name: str
    description: str | None
    secret_hash: str
    roles: tuple[str, ...]
    unrestricted: bool
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token issued by ``POST /v3/auth/tokens``; its secret is never stored."""

    id: str
    token_hash: str
    user_id: str
    project_id: str | None
    roles: tuple[str, ...]
    methods: tuple[str, ...]
    app_credential_id: str | None
    audit_id: str
    issued_at: datetime
    expires_at: datetime
    revoked: bool
