"""Health monitors: how the amphora checks a pool's members."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.text import full_match, line_fault


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


_EXPECTED_CODES = re.compile(r"([0-9]{3}( *, *[0-9]{3})*)|([0-9]{3}-[0-9]{3})")
# A request target as HTTP sends it: ASCII, no space, no fragment.
_URL_PATH = re.compile(r"/[^\s?#]*(\?[^\s#]*)?")
_DOMAIN = re.compile(
    r"(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
HTTP_DEFAULTS = {"http_method": HttpMethod.GET, "url_path": "/", "expected_codes": "200"}
UDP_ONLY_TYPES = frozenset({MonitorType.UDP_CONNECT, MonitorType.SCTP})


def check(monitor: HealthMonitor, pool_protocol: str) -> None:
    """Octavia's rules for a monitor, on the monitor as it will be stored."""
    if monitor.type in UDP_ONLY_TYPES:
        raise InvalidInput(
            f"The {monitor.type} type is only valid for UDP and SCTP pools, which this "
            "provider does not support."
        )
    if monitor.type not in HTTP_TYPES:
        given = [f for f in ("http_method", "url_path", "expected_codes", "http_version",
                             "domain_name") if getattr(monitor, f) is not None]
        if given:
            raise InvalidInput(
                f"{', '.join(given)} is not a valid option for health monitors of type "
                f"{monitor.type}"
            )
    if monitor.expected_codes is not None and not _expected_codes_valid(monitor.expected_codes):
        raise InvalidInput(
            f"Invalid input for field/attribute expected_codes. Value: "
            f"'{quote(monitor.expected_codes)}'. Value should match the pattern "
            "200, 200,202 or 200-204"
        )
    if monitor.url_path is not None and not _url_path_valid(monitor.url_path):
        raise InvalidInput(
            f"Invalid input for field/attribute url_path. Value: '{quote(monitor.url_path)}'."
            " Value should be a path starting with '/', in ASCII, without whitespace or "
            "control characters."
        )
    if monitor.domain_name is not None:
        if not full_match(_DOMAIN, monitor.domain_name):
            raise InvalidInput(
                f"Invalid input for field/attribute domain_name. Value: "
                f"'{quote(monitor.domain_name)}'. Value should be a valid host name."
            )
        if monitor.http_version != 1.1:
            raise InvalidInput(
                "http_version 1.1 is required to send domain_name in health checks."
            )
    if monitor.http_version is not None and monitor.http_version not in (1.0, 1.1):
        raise InvalidInput("http_version must be 1.0 or 1.1.")
    if not 1 <= monitor.max_retries <= 10 or not 1 <= monitor.max_retries_down <= 10:
        raise InvalidInput("max_retries and max_retries_down must be between 1 and 10.")
    if monitor.delay < 0 or monitor.timeout < 0:
        raise InvalidInput("delay and timeout must be 0 or more.")
    del pool_protocol  # every supported pool protocol takes every supported monitor type


def _url_path_valid(value: str) -> bool:
    return value.isascii() and line_fault(value) is None and full_match(_URL_PATH, value)


def _expected_codes_valid(value: str) -> bool:
    if not value.isascii() or not full_match(_EXPECTED_CODES, value):
        return False
    if "-" in value:
        low, high = (int(x) for x in value.split("-"))
        return low <= high
    return True
