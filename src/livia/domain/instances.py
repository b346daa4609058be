"""Instances: the user's cloud hosts, each a namespace with a port running a command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Instance:
    id: str
    project_id: str
    name: str
    network_id: str
    port_id: str | None
    command: tuple[str, ...]
    status: str
    created_at: datetime
    updated_at: datetime | None
