"""API tokens (`livia token create`); they resolve to a `livia.domain.policy.Caller`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livia.domain.policy import Caller, Role

__all__ = ["Caller", "Role", "Token"]


@dataclass(frozen=True, slots=True)
class Token:
    id: str
    project_id: str | None
    role: Role
    token_hash: str
    description: str | None
    created_at: datetime
