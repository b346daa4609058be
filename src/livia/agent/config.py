"""agent.json: the boot configuration, and the runtime part PUT /v1/config rewrites."""

from __future__ import annotations

import json
import threading

from livia.agent.configfile import write_atomic
from livia.protocol.agent import AgentBootConfig, AgentRuntimeConfig


def load_boot_config(path: str) -> AgentBootConfig:
    with open(path) as f:
        return AgentBootConfig.from_dict(json.load(f))


class ConfigStore:
    """Rewrites agent.json with a new runtime section, keeping everything else."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()

    def save_runtime(self, runtime: AgentRuntimeConfig) -> None:
        with self._lock:
            with open(self._path) as f:
                data = json.load(f)
            data["runtime"] = runtime.to_dict()
            text = json.dumps(data, indent=2, sort_keys=True) + "\n"
            write_atomic(self._path, text.encode(), 0o600)
