"""Settings: built once by the command line and passed in; never a global."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path

from livia.domain import limits
from livia.domain.quotas import Resource
from livia.domain.status import Topology


@dataclass(frozen=True)
class Settings:
    state_dir: Path = Path("/var/lib/livia")
    database_url: str = ""
    api_host: str = "127.0.0.1"
    api_port: int = 9876
    driver: str = "netns"
    no_auth: bool = False
    # Instances are an admin's tool; with this, projects may have (confined) ones too.
    project_instances: bool = False
    # Every host resource Livia creates (namespaces, bridges, veths, nft tables)
    # starts with this prefix, so that `livia cleanup` can find them all.
    name_prefix: str = "lv"
    # lb-mgmt-net: the controller's address on it is the first host of the CIDR.
    mgmt_cidr: str = "198.18.0.0/20"
    agent_port: int = 9443
    health_port: int = 5555
    heartbeat_interval: float = 1.0
    heartbeat_timeout: float = 5.0
    health_check_interval: float = 0.5
    # Stop failing over when more than this share of amphorae is stale at once.
    failover_threshold: float = 0.5
    failover_threshold_min: int = 3
    default_topology: Topology = Topology.ACTIVE_STANDBY
    vrrp_advert_int: float = 0.1
    vrrp_check_interval: float = 0.1
    vrrp_fail_count: int = 2
    vrrp_rise_count: int = 2
    vrrp_garp_refresh: int = 5
    vrrp_garp_refresh_repeat: int = 2
    # The reconciler also polls the database for work it was not told about.
    reconcile_poll_interval: float = 0.2
    lease_seconds: float = 30.0
    agent_connect_timeout: float = 10.0
    agent_request_timeout: float = 60.0
    amphora_boot_timeout: float = 30.0
    pagination_max_limit: int = 1000
    # The API's HTTP server (see livia.domain.limits for why these values).
    max_request_body_bytes: int = limits.MAX_REQUEST_BODY_BYTES
    http_header_timeout: float = limits.HEADER_TIMEOUT
    http_body_timeout: float = limits.BODY_TIMEOUT
    api_base_url: str | None = None
    # Keystone-shaped identity: how long an issued token lives, the catalog's region.
    token_lifetime: float = 3600.0
    # Quotas every project has unless an admin sets its own (-1: unlimited, as Octavia's).
    default_quota_loadbalancer: int = -1
    default_quota_listener: int = -1
    default_quota_pool: int = -1
    default_quota_member: int = -1
    default_quota_healthmonitor: int = -1
    default_quota_l7policy: int = -1
    default_quota_l7rule: int = -1
    region: str = "RegionOne"
    # This amphora host's name: what an availability zone profile's "hosts" may list.
    host_name: str = field(default_factory=socket.gethostname)
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_request_body_bytes < 1:
            raise ValueError("max_request_body_bytes must be at least 1")
        if self.token_lifetime <= 0:
            raise ValueError("the token lifetime must be positive")
        if self.http_header_timeout <= 0 or self.http_body_timeout <= 0:
            raise ValueError("the HTTP header and body timeouts must be positive")

    @property
    def quota_defaults(self) -> dict[Resource, int]:
        return {r: getattr(self, f"default_quota_{r.value}") for r in Resource}

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'livia.db'}"

    @property
    def mgmt_network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.mgmt_cidr)

    @property
    def controller_ip(self) -> str:
        """The host's address on lb-mgmt-net: agents' heartbeats go here."""
        return str(next(self.mgmt_network.hosts()))

    @property
    def amphora_hosts(self) -> frozenset[str]:
        """The hosts that can run amphorae: this one today."""
        return frozenset({self.host_name})

    @property
    def amphorae_dir(self) -> Path:
        return self.state_dir / "amphorae"

    @property
    def instances_dir(self) -> Path:
        return self.state_dir / "instances"

    @property
    def pki_dir(self) -> Path:
        return self.state_dir / "pki"
