"""Users, projects, role assignments, application credentials and issued tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, select

from livia.domain.identity import AppCredential, Assignment, IssuedToken, Project, User
from livia.store import tables
from livia.store.records import Records, utcnow
from livia.store.tokens import hash_token

projects = Records(tables.projects, Project, tagged=False)
users = Records(tables.users, User, tagged=False)
assignments = Records(tables.role_assignments, Assignment, tagged=False)
app_credentials = Records(tables.application_credentials, AppCredential, tagged=False)
issued = Records(tables.issued_tokens, IssuedToken, tagged=False)


def project_named(conn: Connection, domain_id: str, name: str) -> Project | None:
    t = tables.projects
    found = projects.where(conn, t.c.domain_id == domain_id, t.c.name == name)
    return found[0] if found else None


def projects_named(conn: Connection, name: str | None) -> list[Project]:
    t = tables.projects
    return projects.where(conn, *(() if name is None else (t.c.name == name,)))


def user_named(conn: Connection, domain_id: str, name: str) -> User | None:
    t = tables.users
    found = users.where(conn, t.c.domain_id == domain_id, t.c.name == name)
    return found[0] if found else None


def users_named(conn: Connection, name: str | None) -> list[User]:
    t = tables.users
    return users.where(conn, *(() if name is None else (t.c.name == name,)))


def roles_of(conn: Connection, user_id: str, project_id: str) -> set[str]:
    t = tables.role_assignments
    return {a.role for a in assignments.where(conn, t.c.user_id == user_id,
                                              t.c.project_id == project_id)}


def assignments_matching(conn: Connection, *, user_id: str | None = None,
                         project_id: str | None = None, role: str | None = None
                         ) -> list[Assignment]:
    t = tables.role_assignments
    conditions = [c for c in (
        t.c.user_id == user_id if user_id else None,
        t.c.project_id == project_id if project_id else None,
        t.c.role == role if role else None) if c is not None]
    return assignments.where(conn, *conditions)


def projects_of(conn: Connection, user_id: str) -> list[Project]:
    t = tables.role_assignments
    ids = select(t.c.project_id).where(t.c.user_id == user_id)
    return projects.where(conn, tables.projects.c.id.in_(ids))


def unassign(conn: Connection, user_id: str, project_id: str, role: str) -> int:
    t = tables.role_assignments
    result = conn.execute(delete(t).where(t.c.user_id == user_id, t.c.project_id == project_id,
                                          t.c.role == role))
    return int(result.rowcount or 0)


def credentials_of(conn: Connection, user_id: str) -> list[AppCredential]:
    return app_credentials.where(conn, tables.application_credentials.c.user_id == user_id)


def credential_named(conn: Connection, user_id: str, name: str) -> AppCredential | None:
    t = tables.application_credentials
    found = app_credentials.where(conn, t.c.user_id == user_id, t.c.name == name)
    return found[0] if found else None


def token_for(conn: Connection, secret: str) -> IssuedToken | None:
    found = issued.where(conn, tables.issued_tokens.c.token_hash == hash_token(secret))
    return found[0] if found else None


def revoke_tokens(conn: Connection, *, user_id: str, project_id: str | None = None,
                  app_credential_id: str | None = None) -> int:
    """Revoke a user's tokens (those of one project, or made from one credential)."""
    t = tables.issued_tokens
    conditions = [t.c.user_id == user_id]
    if project_id is not None:
        conditions.append(t.c.project_id == project_id)
    if app_credential_id is not None:
        conditions.append(t.c.app_credential_id == app_credential_id)
    return issued.update_where(conn, and_(*conditions), revoked=True)


def forget_expired(conn: Connection, before: datetime) -> int:
    """Drop tokens that expired before ``before`` (they are refused anyway)."""
    t = tables.issued_tokens
    result = conn.execute(delete(t).where(t.c.expires_at < before))
    return int(result.rowcount or 0)


def valid_token(conn: Connection, secret: str | None) -> IssuedToken | None:
    """The stored token of a secret, if it is neither expired nor revoked."""
    if not secret:
        return None
    token = token_for(conn, secret)
    if token is None or token.revoked or token.expires_at <= utcnow():
        return None
    return token
