"""``livia token create``: a project-scoped token, printed once and stored as a hash."""

from __future__ import annotations

import secrets
import uuid

from livia.cli import state
from livia.domain.settings import Settings
from livia.domain.tokens import Role, Token
from livia.store import tokens
from livia.store.database import Database
from livia.store.records import utcnow


def create_token(settings: Settings, project: str | None, role: str,
                 description: str | None) -> int:
    if role != Role.ADMIN.value and not project:
        print("livia token create: --project is required for member and reader tokens")
        return 2
    state.prepare(settings)
    db = Database(settings.database)
    db.migrate()
    secret = secrets.token_urlsafe(32)
    token = Token(id=str(uuid.uuid4()), project_id=project, role=Role(role),
                  token_hash=tokens.hash_token(secret), description=description,
                  created_at=utcnow())
    with db.write() as conn:
        tokens.records.insert(conn, token)
    db.dispose()
    print(secret)
    return 0
