"""API tokens and the caller context they resolve to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    READER = "reader"


@dataclass(frozen=True, slots=True)
class Token:
    id: str
    project_id: str | None
    role: Role
    token_hash: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the project they act in and what their role lets them do."""

    project_id: str | None
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.MEMBER)

    def sees(self, project_id: str | None) -> bool:
        return self.is_admin or (project_id is not None and project_id == self.project_id)
