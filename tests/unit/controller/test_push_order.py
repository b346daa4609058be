"""configs.push_all: the order of the pushes to the two amphorae of a new pair.

The MASTER's keepalived must start before the BACKUP's (both start BACKUP with
nopreempt; the first to run takes the VIP), but nothing else of the BACKUP has
to wait for the MASTER: its firewall and HAProxy go out at the same time.
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
        await self._put("keepalived", agent)


def _controller(tmp_path: Path, agents: SlowAgents) -> Controller:
    settings = Settings(state_dir=tmp_path)
    return Controller(db=cast(Any, None), settings=settings,
                      compute=FakeComputeDriver(settings), network=cast(Any, None),
                      agents=cast(AgentClient, agents), ca=cast(Any, None),
                      heartbeat_key=b"k" * 32, owner="test")


def test_new_pair_backup_haproxy_goes_with_the_master_and_its_vrrp_after(
        tmp_path: Path) -> None:
    agents = SlowAgents()
    ctl = _controller(tmp_path, agents)
    graph = GraphFactory().graph()
    master = next(a.id for a in graph.amphorae if a.role is AmphoraRole.MASTER)
    backup = next(a.id for a in graph.amphorae if a.role is AmphoraRole.BACKUP)
    asyncio.run(push_all(ctl, graph))
    at = {event: i for i, event in enumerate(agents.events)}
    assert at[("start", "haproxy", backup)] < at[("end", "keepalived", master)]
    assert at[("end", "keepalived", master)] < at[("start", "keepalived", backup)]
    assert sum(1 for e in agents.events if e[0] == "start") == 8  # 4 kinds, each once


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
