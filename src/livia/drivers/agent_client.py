"""The controller's side of the amphora agent API (``livia.protocol.agent``).

Implementations: ``agent_client_https`` (mutual TLS, the agent's certificate
must name the amphora it was asked for) and ``agent_client_fake`` (records
what it was sent, for tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from livia.protocol.agent import AgentInfo, AgentRuntimeConfig, PlugNetwork, PlugVip


@dataclass(frozen=True, slots=True)
class AgentEndpoint:
    amphora_id: str
    address: str
    port: int


class AgentClient(Protocol):
    async def info(self, agent: AgentEndpoint) -> AgentInfo: ...

    async def wait_ready(self, agent: AgentEndpoint, timeout: float) -> AgentInfo:
        """Poll ``info`` until the agent answers; TemporaryError after ``timeout``."""
        ...

    async def plug_vip(self, agent: AgentEndpoint, plug: PlugVip) -> None: ...

    async def plug_network(self, agent: AgentEndpoint, plug: PlugNetwork) -> None: ...

    async def put_haproxy(self, agent: AgentEndpoint, config: str) -> None:
        """Upload and apply haproxy.cfg; PermanentError if the agent rejects it."""
        ...

    async def put_keepalived(self, agent: AgentEndpoint, config: str) -> None: ...

    async def stop_keepalived(self, agent: AgentEndpoint) -> None:
        """Stop VRRP gracefully (priority 0: the peer takes the VIP at once)."""
        ...

    async def put_firewall(self, agent: AgentEndpoint, ruleset: str) -> None: ...

    async def put_runtime_config(
        self, agent: AgentEndpoint, config: AgentRuntimeConfig,
    ) -> None: ...

    async def close(self) -> None: ...
