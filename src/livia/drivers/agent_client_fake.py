"""An AgentClient that keeps what it is sent, per amphora, for functional tests.

Every call is recorded in ``calls`` (method name, amphora id); the latest
configurations and plugs are kept in ``amphorae[<id>]``. ``fail_next`` makes
the next matching call(s) raise a Temporary or Permanent error, as a real
agent would when it is unreachable or rejects a configuration;
``set_unreachable`` makes every call to an amphora fail temporarily until
cleared.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from livia.domain.errors import DriverError, PermanentError, TemporaryError
from livia.drivers.agent_client import AgentEndpoint
from livia.protocol.agent import API_VERSION, AgentInfo, AgentRuntimeConfig, PlugNetwork, PlugVip

FailureKind = Literal["temporary", "permanent"]


@dataclass
class FakeAmphora:
    """What one amphora's agent has received."""

    haproxy: str | None = None
    keepalived: str | None = None
    firewall: str | None = None
    vip: PlugVip | None = None
    networks: dict[str, PlugNetwork] = field(default_factory=dict)  # by MAC
    runtime: AgentRuntimeConfig | None = None
    haproxy_history: list[str] = field(default_factory=list)
    keepalived_stopped: bool = False


@dataclass
class _Failure:
    kind: FailureKind
    method: str | None
    amphora_id: str | None
    times: int
    message: str


def _sha(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode()).hexdigest()


class FakeAgentClient:
    def __init__(self) -> None:
        self.amphorae: dict[str, FakeAmphora] = {}
        self.calls: list[tuple[str, str]] = []
        self.unreachable: set[str] = set()
        self._failures: list[_Failure] = []
        self.closed = False

    def amphora(self, amphora_id: str) -> FakeAmphora:
        return self.amphorae.setdefault(amphora_id, FakeAmphora())

    def fail_next(self, kind: FailureKind = "temporary", *, method: str | None = None,
                  amphora_id: str | None = None, times: int = 1,
                  message: str = "injected failure") -> None:
        """The next ``times`` calls matching ``method``/``amphora_id`` (None: any) fail."""
        self._failures.append(_Failure(kind, method, amphora_id, times, message))

    def forget(self, amphora_id: str) -> None:
        """The amphora was deleted: drop what its agent had received."""
        self.amphorae.pop(amphora_id, None)

    def set_unreachable(self, amphora_id: str, unreachable: bool = True) -> None:
        if unreachable:
            self.unreachable.add(amphora_id)
        else:
            self.unreachable.discard(amphora_id)

    def _enter(self, method: str, agent: AgentEndpoint) -> FakeAmphora:
        self.calls.append((method, agent.amphora_id))
        if agent.amphora_id in self.unreachable:
            raise TemporaryError(f"{method}: amphora {agent.amphora_id} is unreachable")
        for failure in self._failures:
            if failure.method in (None, method) and failure.amphora_id in (None, agent.amphora_id):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                raise self._error(failure, method, agent)
        return self.amphora(agent.amphora_id)

    @staticmethod
    def _error(failure: _Failure, method: str, agent: AgentEndpoint) -> DriverError:
        text = f"{method} on amphora {agent.amphora_id}: {failure.message}"
        return TemporaryError(text) if failure.kind == "temporary" else PermanentError(text)

    async def info(self, agent: AgentEndpoint) -> AgentInfo:
        amp = self._enter("info", agent)
        interfaces = {"eth1": amp.vip.mac_address} if amp.vip else {}
        interfaces.update({f"eth{n}": mac for n, mac in enumerate(amp.networks, start=2)})
        return AgentInfo(
            amphora_id=agent.amphora_id, api_version=API_VERSION,
            haproxy_version="fake", keepalived_version="fake",
            haproxy_running=amp.haproxy is not None,
            keepalived_running=amp.keepalived is not None and not amp.keepalived_stopped,
            haproxy_config_sha256=_sha(amp.haproxy),
            keepalived_config_sha256=_sha(amp.keepalived),
            firewall_sha256=_sha(amp.firewall), interfaces=interfaces)

    async def wait_ready(self, agent: AgentEndpoint, timeout: float) -> AgentInfo:
        self._enter("wait_ready", agent)
        return await self.info(agent)

    async def plug_vip(self, agent: AgentEndpoint, plug: PlugVip) -> None:
        self._enter("plug_vip", agent).vip = plug

    async def plug_network(self, agent: AgentEndpoint, plug: PlugNetwork) -> None:
        self._enter("plug_network", agent).networks[plug.mac_address.lower()] = plug

    async def put_haproxy(self, agent: AgentEndpoint, config: str) -> None:
        amp = self._enter("put_haproxy", agent)
        amp.haproxy = config
        amp.haproxy_history.append(config)

    async def put_keepalived(self, agent: AgentEndpoint, config: str) -> None:
        amp = self._enter("put_keepalived", agent)
        amp.keepalived, amp.keepalived_stopped = config, False

    async def stop_keepalived(self, agent: AgentEndpoint) -> None:
        self._enter("stop_keepalived", agent).keepalived_stopped = True

    async def put_firewall(self, agent: AgentEndpoint, ruleset: str) -> None:
        self._enter("put_firewall", agent).firewall = ruleset

    async def put_runtime_config(self, agent: AgentEndpoint, config: AgentRuntimeConfig) -> None:
        self._enter("put_runtime_config", agent).runtime = config

    async def close(self) -> None:
        self.closed = True
