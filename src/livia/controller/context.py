"""What the controller works with: the database, the drivers and its own memory."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from livia.domain.settings import Settings
from livia.drivers.agent_client import AgentClient
from livia.drivers.certificates import LocalCA
from livia.drivers.compute import ComputeDriver
from livia.drivers.network import NetworkDriver
from livia.store.database import Connection, Database

T = TypeVar("T")


@dataclass
class Applied:
    """What the controller last pushed to each amphora, so unchanged configs are not re-sent.

    Memory only: after a restart everything is pushed once more, which the
    agents accept as a no-op.
    """

    digests: dict[tuple[str, str], str] = field(default_factory=dict)
    # The amphora row's updated_at when its digests were taken: a newer row (e.g. after
    # ``PUT /v2/octavia/amphorae/{id}/config``) makes everything be sent again.
    versions: dict[str, datetime | None] = field(default_factory=dict)

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def is_current(self, amphora_id: str, kind: str, text: str) -> bool:
        return self.digests.get((amphora_id, kind)) == self.digest(text)

    def remember(self, amphora_id: str, kind: str, text: str) -> None:
        self.digests[(amphora_id, kind)] = self.digest(text)

    def forget(self, amphora_id: str) -> None:
        for key in [k for k in self.digests if k[0] == amphora_id]:
            del self.digests[key]
        self.versions.pop(amphora_id, None)

    def track(self, amphora_id: str, updated_at: datetime | None) -> None:
        """Forget what was sent to an amphora whose row changed since it was sent."""
        if amphora_id in self.versions and self.versions[amphora_id] != updated_at:
            self.forget(amphora_id)
        self.versions[amphora_id] = updated_at


@dataclass
class Controller:
    db: Database
    settings: Settings
    compute: ComputeDriver
    network: NetworkDriver
    agents: AgentClient
    ca: LocalCA
    heartbeat_key: bytes
    owner: str  # this controller's name in leases
    applied: Applied = field(default_factory=Applied)
    mgmt_network_id: str | None = None
    mgmt_subnet_id: str | None = None

    async def read(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.db.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with self.db.write() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)


async def gather_all(aws: list[Awaitable[T]]) -> list[T]:
    """Run all, wait for all, then raise the first failure (none is left running)."""
    results = await asyncio.gather(*aws, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results  # type: ignore[return-value]
