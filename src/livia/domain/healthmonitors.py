"""Health monitors: how the amphora checks a pool's members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.status import OperatingStatus, ProvisioningStatus


class MonitorType(StrEnum):
    HTTP = "HTTP"
    HTTPS = "HTTPS"
    PING = "PING"
    TCP = "TCP"
    TLS_HELLO = "TLS-HELLO"
    UDP_CONNECT = "UDP-CONNECT"
    SCTP = "SCTP"


HTTP_TYPES = frozenset({MonitorType.HTTP, MonitorType.HTTPS})


class HttpMethod(StrEnum):
    GET = "GET"
    HEAD = "HEAD"
    POST = "POST"
    PUT = "PUT"
    DELETE = "DELETE"
    TRACE = "TRACE"
    OPTIONS = "OPTIONS"
    CONNECT = "CONNECT"
    PATCH = "PATCH"


@dataclass(frozen=True, slots=True)
class HealthMonitor:
    id: str
    project_id: str
    pool_id: str
    name: str | None
    admin_state_up: bool
    type: MonitorType
    delay: int
    timeout: int
    max_retries: int
    max_retries_down: int
    http_method: HttpMethod | None
    url_path: str | None
    expected_codes: str | None
    http_version: float | None
    domain_name: str | None
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    created_at: datetime
    updated_at: datetime | None
    tags: tuple[str, ...] = ()

    def expected_code_list(self) -> tuple[str, ...]:
        """Expected codes as single status codes: '200,202' and '200-204' both expand."""
        codes = (self.expected_codes or "200").replace(" ", "")
        if "-" in codes:
            low, high = (int(x) for x in codes.split("-"))
            return tuple(str(c) for c in range(low, high + 1))
        return tuple(codes.split(","))
