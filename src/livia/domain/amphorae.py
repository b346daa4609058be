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
        return "amp" + self.id.replace("-", "")[:16]


@dataclass(frozen=True, slots=True)
class AmphoraHealth:
    amphora_id: str
    last_update: datetime
    seq: int
    busy: bool
