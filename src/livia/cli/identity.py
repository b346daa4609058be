"""The identity's first rows: the ``admin`` project and user, with the admin role.

Run by ``livia serve`` on every start; it creates what is missing and
leaves the rest alone (a changed password stays changed). The password is
``LIVIA_ADMIN_PASSWORD`` or ``<state dir>/admin-password`` (generated, 0600).
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from livia.cli import state
from livia.domain import identity as ident
from livia.domain.identity import Assignment, Project, User
from livia.domain.policy import Role
from livia.domain.settings import Settings
from livia.store import identity as store
from livia.store.database import Database
from livia.store.records import utcnow


def bootstrap(settings: Settings, db: Database) -> bool:
    """Create the admin project, user and role if missing; whether anything was created."""
    password, _ = state.admin_password(settings)
    created = False
    with db.write() as conn:
        project = store.project_named(conn, ident.DEFAULT_DOMAIN_ID, ident.ADMIN_PROJECT_NAME)
        if project is None:
            project = Project(id=uuid.uuid4().hex, name=ident.ADMIN_PROJECT_NAME,
                              domain_id=ident.DEFAULT_DOMAIN_ID, enabled=True,
                              description="Bootstrap project for the admin", created_at=utcnow())
            store.projects.insert(conn, project)
            created = True
        user = store.user_named(conn, ident.DEFAULT_DOMAIN_ID, ident.ADMIN_USER_NAME)
        if user is None:
            user = User(id=uuid.uuid4().hex, name=ident.ADMIN_USER_NAME,
                        domain_id=ident.DEFAULT_DOMAIN_ID, enabled=True,
                        password_hash=ident.hash_secret(password),
                        default_project_id=project.id, email=None,
                        description="Livia's bootstrap admin", created_at=utcnow())
            store.users.insert(conn, user)
            created = True
        if Role.ADMIN.value not in store.roles_of(conn, user.id, project.id):
            store.assignments.insert(conn, Assignment(id=str(uuid.uuid4()), user_id=user.id,
                                                      project_id=project.id, role=Role.ADMIN))
            created = True
    return created


CLOUDS_FILE = "clouds.yaml"


def write_clouds_yaml(settings: Settings, endpoint: str, cloud: str = "livia") -> Path:
    """``<state dir>/clouds.yaml`` (0600: it holds the admin's password) with one cloud:
    password auth as the bootstrap admin, every endpoint from the catalog."""
    password, _ = state.admin_password(settings)
    path = settings.state_dir / CLOUDS_FILE
    text = (f"clouds:\n  {cloud}:\n    auth_type: password\n    auth:\n"
            f"      auth_url: {endpoint}/identity\n      username: {ident.ADMIN_USER_NAME}\n"
            f"      password: {json.dumps(password)}\n"
            f"      project_name: {ident.ADMIN_PROJECT_NAME}\n"
            f"      user_domain_name: {ident.DEFAULT_DOMAIN_NAME}\n"
            f"      project_domain_name: {ident.DEFAULT_DOMAIN_NAME}\n"
            f"    region_name: {settings.region}\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path
