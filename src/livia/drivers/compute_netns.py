"""Amphorae and instances as network namespaces on this host, their processes detached.

An amphora is two namespaces (``P-amp-<id>-mgmt`` with the agent and ``eth0`` on
lb-mgmt-net, ``P-amp-<id>-data`` for the VIP side) and a directory
``<state_dir>/amphorae/<id>`` (0711) laid out as :class:`AmphoraPaths` says. The
agent runs as ``nsenter --net=/run/netns/<mgmt> <agent command> --config
<agent.json>`` in its own session, its output appended to ``agent.log``; its pid
goes to ``agent.pid``. It is "running" when that pid is alive and its command
line names the config file. The management namespace has ``ip_nonlocal_bind``
set, so the agent is started while ``eth0`` is being plugged (its imports take
longer) and may bind its address before the address is there.

An instance is ``P-inst-<id>`` with ``eth0`` and a command started the same way,
its output in ``<state_dir>/instances/<id>/output.log`` and its pid in ``pid``
beside it. An admin's command runs as root; a project's runs confined
(:mod:`livia.drivers.confinement`) in a namespace whose sysctls let it serve on
low ports.

Names are :class:`~livia.drivers.network_netns.HostNames`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import shutil
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path

from livia.domain import instances
from livia.domain.amphorae import AmphoraPaths
from livia.domain.errors import PermanentError
from livia.domain.settings import Settings
from livia.drivers import confinement, host
from livia.drivers.compute import AmphoraBoot, AmphoraHost, InstanceBoot, InstanceHost
from livia.drivers.network import NetworkDriver
from livia.drivers.network_netns import HostNames

MGMT_IFNAME = "eth0"
INSTANCE_IFNAME = "eth0"


def write_private(path: str | Path, data: bytes) -> None:
    """Write a file readable by root only, replacing any earlier one atomically."""
    target = Path(path)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(temporary, target)


def _private_dir(path: Path, mode: int = 0o700) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(mode)


async def _all(*steps: Awaitable[None]) -> None:
    """Run the steps together; once all have ended, raise the first failure."""
    for result in await asyncio.gather(*steps, return_exceptions=True):
        if isinstance(result, BaseException):
            raise result


async def _remove_tree(path: Path) -> None:
    await asyncio.to_thread(shutil.rmtree, path, True)
    if path.exists():
        raise PermanentError(f"could not remove {path}")


class NetnsComputeDriver:
    """The ComputeDriver on this host's namespaces (needs root).

    ``agent_command`` replaces ``<python> -OO -m livia.agent`` (tests start a stand-in);
    ``--config <agent.json>`` is always appended. ``-OO`` drops docstrings and
    asserts from the agent's modules: about 0.5 MiB less per agent process.
    """

    def __init__(
        self,
        settings: Settings,
        network: NetworkDriver,
        python: str = sys.executable,
        agent_command: Sequence[str] | None = None,
    ) -> None:
        self._settings = settings
        self._network = network
        self.names = HostNames(settings.name_prefix)
        self._agent_command = tuple(agent_command or (python, "-OO", "-m", "livia.agent"))
        self._processes = host.DetachedProcesses()

    # --- amphorae ----------------------------------------------------------------------

    def amphora_host(self, amphora_id: str) -> AmphoraHost:
        mgmt = self.names.amphora_mgmt_netns(amphora_id)
        return AmphoraHost(
            compute_id=mgmt,
            mgmt_netns=mgmt,
            data_netns=self.names.amphora_data_netns(amphora_id),
            base_dir=str(self._settings.amphorae_dir / amphora_id),
        )

    async def create_amphora(self, boot: AmphoraBoot) -> AmphoraHost:
        amphora = self.amphora_host(boot.amphora_id)
        if boot.agent.base_dir != amphora.base_dir:
            raise PermanentError(
                f"amphora {boot.amphora_id}: agent base_dir {boot.agent.base_dir} "
                f"is not {amphora.base_dir}"
            )
        await host.add_namespaces([amphora.mgmt_netns, amphora.data_netns])
        # The agent may bind its address before the port that carries it is plugged...
        await _all(asyncio.to_thread(_write_amphora_files, boot, AmphoraPaths(amphora.base_dir)),
                   host.sysctl(amphora.mgmt_netns, {"net.ipv4.ip_nonlocal_bind": "1"}))
        port = dataclasses.replace(boot.mgmt_port, netns=amphora.mgmt_netns, ifname=MGMT_IFNAME)
        # ...so it starts (~0.1 s of imports) while the port is plugged.
        await _all(self._network.plug_port(port), self._start_agent(amphora))
        return amphora

    def _running_agent(self, amphora: AmphoraHost) -> int | None:
        paths = AmphoraPaths(amphora.base_dir)
        pid = host.read_pid(paths.agent_pid)
        if pid is None or not host.pid_alive(pid):
            return None
        return pid if paths.agent_config in host.cmdline(pid) else None

    async def _start_agent(self, amphora: AmphoraHost) -> None:
        if self._running_agent(amphora) is not None:
            return
        paths = AmphoraPaths(amphora.base_dir)
        pid = await self._processes.start(
            [*self._agent_command, "--config", paths.agent_config],
            netns=amphora.mgmt_netns,
            log_path=Path(paths.agent_log),
            cwd=Path(amphora.base_dir),
        )
        write_private(paths.agent_pid, f"{pid}\n".encode())

    async def delete_amphora(self, amphora_id: str) -> None:
        amphora = self.amphora_host(amphora_id)
        agent = self._running_agent(amphora)
        await host.remove_namespaces(
            [amphora.mgmt_netns, amphora.data_netns], extra_pids=[agent] if agent else []
        )
        await _remove_tree(Path(amphora.base_dir))
        self._processes.reap()

    async def amphora_exists(self, amphora_id: str) -> bool:
        amphora = self.amphora_host(amphora_id)
        return host.netns_exists(amphora.mgmt_netns) and host.netns_exists(amphora.data_netns)

    # --- instances ---------------------------------------------------------------------

    def _instance_dir(self, instance_id: str) -> Path:
        return self._settings.instances_dir / HostNames.checked_id(instance_id)

    def instance_host(self, instance_id: str) -> InstanceHost:
        netns = self.names.instance_netns(instance_id)
        directory = self._instance_dir(instance_id)
        pid = host.read_pid(directory / "pid")
        running = pid is not None and host.pid_alive(pid) and host.pid_in_netns(pid, netns)
        return InstanceHost(
            netns=netns, pid=pid if running else None, log_path=str(directory / "output.log")
        )

    async def create_instance(self, boot: InstanceBoot) -> InstanceHost:
        instance = self.instance_host(boot.instance_id)
        directory = self._instance_dir(boot.instance_id)
        await host.add_namespaces([instance.netns])
        _private_dir(directory)
        port = dataclasses.replace(boot.port, netns=instance.netns, ifname=INSTANCE_IFNAME)
        await self._network.plug_port(port)
        if boot.command and instance.pid is None:
            argv, env = await self._instance_argv(boot, instance.netns)
            pid = await self._processes.start(
                argv, netns=instance.netns, log_path=Path(instance.log_path), cwd=directory,
                env=env,
            )
            write_private(directory / "pid", f"{pid}\n".encode())
        return self.instance_host(boot.instance_id)

    async def _instance_argv(self, boot: InstanceBoot, netns: str
                             ) -> tuple[list[str], dict[str, str] | None]:
        """An admin's command as it is; a project's confined, with its own environment."""
        if boot.confined_uid is None:
            return list(boot.command), None
        await host.sysctl(netns, dict(instances.SYSCTLS))
        hidden = (str(self._settings.state_dir), *instances.HIDDEN_DIRS)
        argv = confinement.argv(boot.command, uid=boot.confined_uid, hidden=hidden)
        return argv, dict(instances.ENVIRONMENT)

    async def delete_instance(self, instance_id: str) -> None:
        instance = self.instance_host(instance_id)
        await host.remove_namespaces(
            [instance.netns], extra_pids=[instance.pid] if instance.pid else []
        )
        await _remove_tree(self._instance_dir(instance_id))
        self._processes.reap()


def _write_amphora_files(boot: AmphoraBoot, paths: AmphoraPaths) -> None:
    # 0711: HAProxy's unprivileged workers run haproxy/ping-wrapper.sh below it
    # (PING monitors); the secrets in it are 0600 and certs/ is 0700.
    _private_dir(Path(paths.base_dir), 0o711)
    write_private(paths.server_cert, boot.server_cert_pem)
    write_private(paths.server_key, boot.server_key_pem)
    write_private(paths.client_ca, boot.client_ca_pem)
    write_private(paths.heartbeat_key, boot.heartbeat_key)
    config = json.dumps(boot.agent.to_dict(), indent=2, sort_keys=True) + "\n"
    write_private(paths.agent_config, config.encode())
