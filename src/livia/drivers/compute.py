"""The compute port: where amphorae and instances run.

An amphora is a management side (the agent, reachable on lb-mgmt-net) and a
data side (HAProxy, keepalived, the VIP). An instance is one of the user's
hosts: a port on a tenant network and a command.

Implementations: ``compute_netns`` (network namespaces on this host) and
``compute_fake`` (memory only, for tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from livia.drivers.network import PortPlug
from livia.protocol.agent import AgentBootConfig


@dataclass(frozen=True, slots=True)
class AmphoraBoot:
    amphora_id: str
    mgmt_port: PortPlug  # plugged into the management side, addressed, up
    agent: AgentBootConfig
    server_cert_pem: bytes
    server_key_pem: bytes
    client_ca_pem: bytes
    heartbeat_key: bytes


@dataclass(frozen=True, slots=True)
class AmphoraHost:
    """Where an amphora's parts live on the host."""

    compute_id: str
    mgmt_netns: str
    data_netns: str
    base_dir: str


@dataclass(frozen=True, slots=True)
class InstanceBoot:
    instance_id: str
    name: str
    port: PortPlug  # plugged into the instance's namespace as eth0, addressed, up
    command: tuple[str, ...]
    # None: the command runs as root, only its network namespace changed (an admin's
    # instance); else confined as this uid and gid (livia.domain.instances).
    confined_uid: int | None = None


@dataclass(frozen=True, slots=True)
class InstanceHost:
    netns: str
    pid: int | None
    log_path: str


class ComputeDriver(Protocol):
    def amphora_host(self, amphora_id: str) -> AmphoraHost:
        """Names and paths of an amphora, whether or not it exists yet."""
        ...

    async def create_amphora(self, boot: AmphoraBoot) -> AmphoraHost:
        """Create the namespaces, plug the management port, start the agent.

        Idempotent: creating an amphora that exists leaves it as it is and
        starts its agent again only if it is not running.
        """
        ...

    async def delete_amphora(self, amphora_id: str) -> None:
        """Stop every process of the amphora and remove its namespaces and files.

        Idempotent: deleting what is gone succeeds.
        """
        ...

    async def amphora_exists(self, amphora_id: str) -> bool: ...

    async def create_instance(self, boot: InstanceBoot) -> InstanceHost: ...

    async def delete_instance(self, instance_id: str) -> None: ...

    def instance_host(self, instance_id: str) -> InstanceHost: ...
