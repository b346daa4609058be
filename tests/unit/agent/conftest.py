"""Fixtures of the agent's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from agent_rig import AgentRig, build_rig


@pytest.fixture
def rig(tmp_path: Path) -> AgentRig:
    return build_rig(tmp_path)
