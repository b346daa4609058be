"""API tokens, stored as SHA-256 hashes only."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection

from livia.domain.tokens import Token
from livia.store import tables
from livia.store.records import Records

records = Records(tables.tokens, Token, tagged=False)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def find(conn: Connection, secret: str) -> Token | None:
    found = records.where(conn, tables.tokens.c.token_hash == hash_token(secret))
    return found[0] if found else None
