"""Amphorae: the HAProxy + keepalived units that serve a load balancer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from livia.domain.status import AmphoraRole, AmphoraStatus


@dataclass(frozen=True, slots=True)
class Amphora:
    id: str
    loadbalancer_id: str | None
    compute_id: str | None
    lb_network_ip: str | None
    vrrp_ip: str | None
    ha_ip: str | None
    vrrp_port_id: str | None
    ha_port_id: str | None
    mgmt_port_id: str | None
    role: AmphoraRole | None
    status: AmphoraStatus
    vrrp_interface: str | None
    vrrp_id: int | None
    vrrp_priority: int | None
    cert_expiration: datetime | None
    cert_busy: bool
    created_at: datetime
    updated_at: datetime | None
    image_id: str | None = None
    compute_flavor: str | None = None
    cached_zone: str | None = None
    failover_reason: str | None = None

    @property
    def peer_name(self) -> str:
        """The name HAProxy's `peers` section and `-L` know this amphora by."""
        return peer_name(self.id)


def peer_name(amphora_id: str) -> str:
    """HAProxy's peer name of an amphora (its agent has only the id)."""
    return "amp" + amphora_id.replace("-", "")[:16]


@dataclass(frozen=True, slots=True)
class AmphoraHealth:
    amphora_id: str
    last_update: datetime
    seq: int
    busy: bool


@dataclass(frozen=True, slots=True)
class AmphoraPaths:
    """The files of one amphora, under its base directory.

    The controller renders configurations that name these paths and the agent
    creates them, so both sides take them from here.
    """

    base_dir: str

    def _at(self, name: str) -> str:
        return f"{self.base_dir}/{name}"

    @property
    def agent_config(self) -> str:
        return self._at("agent.json")

    @property
    def agent_log(self) -> str:
        return self._at("agent.log")

    @property
    def agent_pid(self) -> str:
        return self._at("agent.pid")

    @property
    def agent_state(self) -> str:
        """The agent's own memory: last heartbeat seq and carried-over counters."""
        return self._at("agent-state.json")

    @property
    def server_cert(self) -> str:
        return self._at("certs/server.pem")

    @property
    def server_key(self) -> str:
        return self._at("certs/server.key")

    @property
    def client_ca(self) -> str:
        return self._at("certs/client_ca.pem")

    @property
    def heartbeat_key(self) -> str:
        return self._at("certs/heartbeat.key")

    @property
    def haproxy_cfg(self) -> str:
        return self._at("haproxy/haproxy.cfg")

    @property
    def haproxy_state(self) -> str:
        return self._at("haproxy/servers-state")

    @property
    def haproxy_stats_socket(self) -> str:
        return self._at("haproxy/stats.sock")

    @property
    def haproxy_master_socket(self) -> str:
        return self._at("haproxy/master.sock")

    @property
    def haproxy_pid(self) -> str:
        return self._at("haproxy/haproxy.pid")

    @property
    def haproxy_log(self) -> str:
        return self._at("haproxy/haproxy.log")

    @property
    def ping_wrapper(self) -> str:
        return self._at("haproxy/ping-wrapper.sh")

    @property
    def keepalived_conf(self) -> str:
        return self._at("keepalived/keepalived.conf")

    @property
    def keepalived_pid(self) -> str:
        return self._at("keepalived/keepalived.pid")

    @property
    def keepalived_vrrp_pid(self) -> str:
        return self._at("keepalived/vrrp.pid")

    @property
    def keepalived_checker_pid(self) -> str:
        return self._at("keepalived/checker.pid")

    @property
    def keepalived_log(self) -> str:
        return self._at("keepalived/keepalived.log")

    @property
    def keepalived_check_script(self) -> str:
        return self._at("keepalived/check_haproxy.sh")

    @property
    def keepalived_notify_script(self) -> str:
        return self._at("keepalived/notify.sh")

    @property
    def vrrp_state_file(self) -> str:
        """Written by keepalived's notify script: MASTER, BACKUP or FAULT."""
        return self._at("keepalived/state")

    @property
    def firewall_rules(self) -> str:
        return self._at("firewall.nft")
