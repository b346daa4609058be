"""amphorae.wait_stick_tables: a replaced amphora gets its peer's stick tables before
the next step of a failover hands the VIP over."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from livia.controller import amphorae as amp_steps
from livia.controller.context import Controller
from livia.domain.errors import TemporaryError
from livia.domain.settings import Settings
from livia.domain.status import AmphoraRole
from livia.drivers.agent_client import AgentClient, AgentEndpoint
from livia.drivers.compute_fake import FakeComputeDriver
from livia.protocol.agent import AgentInfo

sys.path.insert(0, str(Path(__file__).parents[1] / "render"))
from render_graphs import GraphFactory  # type: ignore[import-not-found]


class TableAgents:
    """``info`` answers with the next stick-table figures scripted for that amphora."""

    def __init__(self, script: dict[str, list[dict[str, int]]]) -> None:
        self.script = {amp: iter(steps) for amp, steps in script.items()}
        self.last: dict[str, dict[str, int]] = {}
        self.calls: list[str] = []

    async def info(self, agent: AgentEndpoint) -> AgentInfo:
        self.calls.append(agent.amphora_id)
        entries = next(self.script[agent.amphora_id], self.last.get(agent.amphora_id, {}))
        if entries is None:
            raise TemporaryError("agent silent")
        self.last[agent.amphora_id] = entries
        return AgentInfo(amphora_id=agent.amphora_id, api_version="v1", haproxy_version="",
                         keepalived_version="", haproxy_running=True,
                         keepalived_running=True, stick_entries=entries)


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(amp_steps, "STICK_SYNC_POLL", 0.001)
    monkeypatch.setattr(amp_steps, "STICK_SYNC_TIMEOUT", 0.05)
    yield


def _run(tmp_path: Path, script: dict[str, list[Any]]) -> TableAgents:
    graph = GraphFactory().graph()
    ids = {a.role: a.id for a in graph.amphorae}
    agents = TableAgents({ids[role]: steps for role, steps in script.items()})
    settings = Settings(state_dir=tmp_path)
    ctl = Controller(db=cast(Any, None), settings=settings, compute=FakeComputeDriver(settings),
                     network=cast(Any, None), agents=cast(AgentClient, agents),
                     ca=cast(Any, None), heartbeat_key=b"k" * 32, owner="test")
    new = next(a for a in graph.amphorae if a.role is AmphoraRole.BACKUP)
    asyncio.run(amp_steps.wait_stick_tables(ctl, graph, new))
    return agents


def test_waits_until_the_new_amphora_has_its_peers_entries(tmp_path: Path, fast: None) -> None:
    agents = _run(tmp_path, {
        AmphoraRole.MASTER: [{"be": 3, "other": 0}],
        AmphoraRole.BACKUP: [{}, {"be": 1, "other": 0}, {"be": 3, "other": 0}, {"be": 9}],
    })
    assert len(agents.calls) == 6  # three rounds of (peer, new): behind, behind, in sync


def test_no_tables_no_wait(tmp_path: Path, fast: None) -> None:
    agents = _run(tmp_path, {AmphoraRole.MASTER: [{}], AmphoraRole.BACKUP: [{}]})
    assert len(agents.calls) == 2


def test_gives_up_after_the_timeout(tmp_path: Path, fast: None) -> None:
    agents = _run(tmp_path, {AmphoraRole.MASTER: [{"be": 2}], AmphoraRole.BACKUP: [{"be": 1}]})
    assert 4 <= len(agents.calls) < 200  # it polled, then let the failover go on


def test_a_silent_agent_does_not_hold_the_failover(tmp_path: Path, fast: None) -> None:
    agents = _run(tmp_path, {AmphoraRole.MASTER: [None], AmphoraRole.BACKUP: [{}]})
    assert len(agents.calls) == 2
