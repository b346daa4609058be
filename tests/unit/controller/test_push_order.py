"""configs.push_all: the pushes to the two amphorae of a pair.

Both keepalived start BACKUP with nopreempt and the first whose election ends takes
the VIP. A new pair is pushed all at once: the BACKUP's keepalived gets
``vrrp_startup_delay`` so the MASTER wins whatever the start order. A replaced
BACKUP gets no delay (its MASTER runs; it may be needed at once).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, cast

from livia.controller.configs import push_all
from livia.controller.context import Controller
from livia.domain.settings import Settings
from livia.domain.status import AmphoraRole
from livia.drivers.agent_client import AgentClient, AgentEndpoint
from livia.drivers.compute_fake import FakeComputeDriver
from livia.protocol.agent import AgentRuntimeConfig

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from render_graphs import GraphFactory  # type: ignore[import-not-found]


class SlowAgents:
    """Records (event, kind, amphora id); every push takes a little while."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []
        self.keepalived: dict[str, str] = {}

    async def _put(self, kind: str, agent: AgentEndpoint) -> None:
        self.events.append(("start", kind, agent.amphora_id))
        await asyncio.sleep(0.01)
        self.events.append(("end", kind, agent.amphora_id))

    async def put_runtime_config(self, agent: AgentEndpoint, config: AgentRuntimeConfig) -> None:
        await self._put("runtime", agent)

    async def put_firewall(self, agent: AgentEndpoint, text: str) -> None:
        await self._put("firewall", agent)

    async def put_haproxy(self, agent: AgentEndpoint, text: str) -> None:
        await self._put("haproxy", agent)

    async def put_keepalived(self, agent: AgentEndpoint, text: str) -> None:
        self.keepalived[agent.amphora_id] = text
        await self._put("keepalived", agent)


def _controller(tmp_path: Path, agents: SlowAgents) -> Controller:
    settings = Settings(state_dir=tmp_path)
    return Controller(db=cast(Any, None), settings=settings,
                      compute=FakeComputeDriver(settings), network=cast(Any, None),
                      agents=cast(AgentClient, agents), ca=cast(Any, None),
                      heartbeat_key=b"k" * 32, owner="test")


def test_new_pair_is_pushed_at_once_and_the_backup_starts_vrrp_late(tmp_path: Path) -> None:
    agents = SlowAgents()
    ctl = _controller(tmp_path, agents)
    graph = GraphFactory().graph()
    master = next(a.id for a in graph.amphorae if a.role is AmphoraRole.MASTER)
    backup = next(a.id for a in graph.amphorae if a.role is AmphoraRole.BACKUP)
    asyncio.run(push_all(ctl, graph))
    at = {event: i for i, event in enumerate(agents.events)}
    assert at[("start", "keepalived", backup)] < at[("end", "keepalived", master)]
    assert at[("end", "haproxy", master)] < at[("start", "keepalived", master)]
    assert at[("end", "haproxy", backup)] < at[("start", "keepalived", backup)]
    assert sum(1 for e in agents.events if e[0] == "start") == 8  # 4 kinds, each once
    assert "vrrp_startup_delay 1\n" in agents.keepalived[backup]
    assert "vrrp_startup_delay" not in agents.keepalived[master]
    agents.events.clear()
    asyncio.run(push_all(ctl, graph))  # what was remembered is the text without the delay
    assert agents.events == []


def test_replaced_backup_starts_vrrp_at_once(tmp_path: Path) -> None:
    agents = SlowAgents()
    ctl = _controller(tmp_path, agents)
    graph = GraphFactory().graph()
    asyncio.run(push_all(ctl, graph))
    backup = next(a.id for a in graph.amphorae if a.role is AmphoraRole.BACKUP)
    ctl.applied.forget(backup)  # what teardown does; its successor is new to the controller
    agents.keepalived.clear()
    asyncio.run(push_all(ctl, graph))
    assert "vrrp_startup_delay" not in agents.keepalived[backup]


def test_pair_already_running_is_pushed_together(tmp_path: Path) -> None:
    agents = SlowAgents()
    ctl = _controller(tmp_path, agents)
    factory = GraphFactory()
    asyncio.run(push_all(ctl, factory.graph()))
    agents.events.clear()
    factory.listener()
    asyncio.run(push_all(ctl, factory.graph()))
    starts = [e for e in agents.events if e[0] == "start"]
    assert sorted(e[1] for e in starts) == ["haproxy", "haproxy"]  # only what changed
    assert agents.events[: len(starts)] == starts  # all started before any ended


def test_firewall_and_haproxy_do_not_wait_for_each_other(tmp_path: Path) -> None:
    agents = SlowAgents()
    ctl = _controller(tmp_path, agents)
    graph = GraphFactory().graph()
    asyncio.run(push_all(ctl, graph))
    at = {event: i for i, event in enumerate(agents.events)}
    for amp in graph.amphorae:
        assert at[("start", "haproxy", amp.id)] < at[("end", "firewall", amp.id)]
        assert at[("start", "firewall", amp.id)] < at[("end", "haproxy", amp.id)]
        assert at[("end", "firewall", amp.id)] < at[("start", "keepalived", amp.id)]
