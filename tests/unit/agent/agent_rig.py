"""An agent assembled over fakes in a temporary base directory (``rig`` fixture in conftest)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from agent_fakes import FakeCli, FakeProcesses, FakeRunner

from livia.agent.app import AssembledAgent, assemble
from livia.agent.config import load_boot_config
from livia.domain.amphorae import AmphoraPaths
from livia.protocol.agent import AgentBootConfig, AgentRuntimeConfig

AMPHORA_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
HEARTBEAT_KEY = b"unit-test-heartbeat-key"


@dataclass
class AgentRig:
    agent: AssembledAgent
    paths: AmphoraPaths
    runner: FakeRunner
    processes: FakeProcesses
    cli: FakeCli
    config_path: Path

    def put(self, route: str, text: str, method: str = "PUT") -> tuple[int, dict[str, str]]:
        response = self.agent.api.handle(method, f"/v1/{route}", text.encode())
        return response.status, json.loads(response.body)


def write_boot_config(base: Path, runtime: AgentRuntimeConfig) -> Path:
    paths = AmphoraPaths(str(base))
    Path(paths.heartbeat_key).parent.mkdir(parents=True, exist_ok=True)
    Path(paths.heartbeat_key).write_bytes(HEARTBEAT_KEY)
    boot = AgentBootConfig(
        amphora_id=AMPHORA_ID, base_dir=str(base), data_netns="lvt-data",
        listen_address="127.0.0.1", listen_port=0, server_cert=paths.server_cert,
        server_key=paths.server_key, client_ca=paths.client_ca,
        heartbeat_key_file=paths.heartbeat_key, runtime=runtime)
    Path(paths.agent_config).write_text(json.dumps(boot.to_dict()))
    return Path(paths.agent_config)


def build_rig(base: Path, runtime: AgentRuntimeConfig | None = None) -> AgentRig:
    config_path = base / "agent.json"
    if not config_path.exists():
        write_boot_config(base, runtime or AgentRuntimeConfig(1.0, ()))
    paths = AmphoraPaths(str(base))
    processes = FakeProcesses()
    runner = FakeRunner(paths, processes)
    cli = FakeCli(paths, processes)
    agent = assemble(load_boot_config(str(config_path)), str(config_path), runner, processes,
                     cli)
    return AgentRig(agent, paths, runner, processes, cli, config_path)

