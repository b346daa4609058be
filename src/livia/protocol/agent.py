"""The amphora agent's wire contract, version 1.

The controller speaks HTTPS with mutual TLS to the agent in each amphora.
Every path starts with ``/v1``; documents are JSON except configuration
uploads, which are the configuration text itself (``text/plain``).

======  ==================  ================================================
method  path                what it does
======  ==================  ================================================
GET     /v1/info            AgentInfo
PUT     /v1/haproxy         validate, swap and (re)load haproxy.cfg
GET     /v1/haproxy         the running haproxy.cfg
PUT     /v1/keepalived      validate, swap and (re)load keepalived.conf
DELETE  /v1/keepalived      stop keepalived (it hands the VIP over first)
PUT     /v1/firewall        validate and apply an nftables ruleset atomically
POST    /v1/plug/vip        configure the VIP-side interface (PlugVip)
POST    /v1/plug/network    configure a member-network interface (PlugNetwork)
PUT     /v1/config          change runtime settings (AgentRuntimeConfig)
======  ==================  ================================================

Errors are ``{"error": <short>, "details": <text>}`` with a 4xx/5xx status;
a rejected configuration is a 400 whose details carry the validator's output.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

API_VERSION = "v1"
PREFIX = "/v1"


@dataclass(frozen=True, slots=True)
class PlugVip:
    mac_address: str
    vrrp_ip: str
    prefixlen: int
    gateway: str | None
    vip_address: str
    mtu: int = 1500
    host_routes: tuple[dict[str, str], ...] = ()
    # SINGLE topology: no keepalived, so the amphora puts the VIP on eth1 itself.
    hold_vip: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlugVip:
        return cls(
            mac_address=str(data["mac_address"]),
            vrrp_ip=str(data["vrrp_ip"]),
            prefixlen=int(data["prefixlen"]),
            gateway=data.get("gateway"),
            vip_address=str(data["vip_address"]),
            mtu=int(data.get("mtu", 1500)),
            host_routes=tuple(data.get("host_routes", ())),
            hold_vip=bool(data.get("hold_vip", False)),
        )


@dataclass(frozen=True, slots=True)
class PlugNetwork:
    mac_address: str
    addresses: tuple[str, ...]  # "ip/prefixlen"
    mtu: int = 1500

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlugNetwork:
        return cls(
            mac_address=str(data["mac_address"]),
            addresses=tuple(str(a) for a in data["addresses"]),
            mtu=int(data.get("mtu", 1500)),
        )


@dataclass(frozen=True, slots=True)
class AgentInfo:
    amphora_id: str
    api_version: str
    haproxy_version: str
    keepalived_version: str
    haproxy_running: bool
    keepalived_running: bool
    haproxy_config_sha256: str | None = None
    keepalived_config_sha256: str | None = None
    firewall_sha256: str | None = None
    interfaces: dict[str, str] = field(default_factory=dict)  # ifname -> mac
    # Entries per HAProxy stick table (``show table``): how far HAProxy's peers have
    # taught a new amphora what its peer knows.
    stick_entries: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentInfo:
        return cls(
            amphora_id=str(data["amphora_id"]),
            api_version=str(data["api_version"]),
            haproxy_version=str(data.get("haproxy_version", "")),
            keepalived_version=str(data.get("keepalived_version", "")),
            haproxy_running=bool(data.get("haproxy_running")),
            keepalived_running=bool(data.get("keepalived_running")),
            haproxy_config_sha256=data.get("haproxy_config_sha256"),
            keepalived_config_sha256=data.get("keepalived_config_sha256"),
            firewall_sha256=data.get("firewall_sha256"),
            interfaces=dict(data.get("interfaces", {})),
            stick_entries={str(k): int(v) for k, v in data.get("stick_entries", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class AgentRuntimeConfig:
    heartbeat_interval: float
    health_targets: tuple[str, ...]  # "ip:port"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentRuntimeConfig:
        return cls(
            heartbeat_interval=float(data["heartbeat_interval"]),
            health_targets=tuple(str(t) for t in data["health_targets"]),
        )


@dataclass(frozen=True, slots=True)
class AgentBootConfig:
    """What an amphora agent is started with (written to ``agent.json`` beside it)."""

    amphora_id: str
    base_dir: str  # the amphora's files: certs, configs, sockets, pid files
    data_netns: str  # where HAProxy, keepalived and the VIP interface live
    listen_address: str  # the agent's address on lb-mgmt-net
    listen_port: int
    server_cert: str
    server_key: str
    client_ca: str
    heartbeat_key_file: str
    runtime: AgentRuntimeConfig

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentBootConfig:
        return cls(
            amphora_id=str(data["amphora_id"]),
            base_dir=str(data["base_dir"]),
            data_netns=str(data["data_netns"]),
            listen_address=str(data["listen_address"]),
            listen_port=int(data["listen_port"]),
            server_cert=str(data["server_cert"]),
            server_key=str(data["server_key"]),
            client_ca=str(data["client_ca"]),
            heartbeat_key_file=str(data["heartbeat_key_file"]),
            runtime=AgentRuntimeConfig.from_dict(data["runtime"]),
        )
