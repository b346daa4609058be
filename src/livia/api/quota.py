"""The quota check every create makes (single, fully populated, batch): one function.

It runs after the request's rows are written, in the same transaction: it
locks the project's quota row, counts the project's objects of each kind
the request made, and refuses the whole request (403, Octavia's message)
when one kind is over its limit, so the rollback leaves nothing behind.
Concurrent creates wait on the lock and count each other's committed rows.
"""

from __future__ import annotations

from livia.domain.errors import QuotaExceeded
from livia.domain.quotas import UNLIMITED, Resource, message
from livia.domain.settings import Settings
from livia.store import quotas
from livia.store.database import Connection


def enforce(conn: Connection, settings: Settings, project_id: str, *resources: Resource
            ) -> None:
    quota = quotas.lock(conn, project_id)
    for resource in dict.fromkeys(resources):
        limit = quota.limit(resource, settings.quota_defaults)
        if limit != UNLIMITED and quotas.in_use(conn, project_id, resource) > limit:
            raise QuotaExceeded(message(resource))
