"""Listeners: a protocol and port on the VIP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from livia.domain.status import OperatingStatus, ProvisioningStatus


class ListenerProtocol(StrEnum):
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"
    TERMINATED_HTTPS = "TERMINATED_HTTPS"
    UDP = "UDP"
    SCTP = "SCTP"
    PROMETHEUS = "PROMETHEUS"


# Protocols whose listeners share the TCP port space of a load balancer.
TCP_FAMILY = frozenset(
    {
        ListenerProtocol.TCP,
        ListenerProtocol.HTTP,
        ListenerProtocol.HTTPS,
        ListenerProtocol.TERMINATED_HTTPS,
        ListenerProtocol.PROMETHEUS,
    }
)

# What this provider can serve. UDP and SCTP need keepalived's LVS (IPVS), which
# the kernels Livia runs on may lack; TERMINATED_HTTPS needs a certificate store.
SUPPORTED_PROTOCOLS = frozenset(
    {ListenerProtocol.TCP, ListenerProtocol.HTTP, ListenerProtocol.HTTPS,
     ListenerProtocol.PROMETHEUS}
)

HTTP_MODE_PROTOCOLS = frozenset(
    {ListenerProtocol.HTTP, ListenerProtocol.TERMINATED_HTTPS, ListenerProtocol.PROMETHEUS}
)

INSERT_HEADERS = ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto",
                  "X-Forwarded-IP", "X-Client-IP", "X-Real-IP")
TLS_INSERT_HEADERS = ("X-SSL-Client-Verify", "X-SSL-Client-Has-Cert", "X-SSL-Client-DN",
                      "X-SSL-Client-CN", "X-SSL-Issuer", "X-SSL-Client-SHA1",
                      "X-SSL-Client-Not-Before", "X-SSL-Client-Not-After")

DEFAULT_TIMEOUTS = {
    "timeout_client_data": 50000,
    "timeout_member_connect": 5000,
    "timeout_member_data": 50000,
    "timeout_tcp_inspect": 0,
}
MAX_TIMEOUT = 24 * 60 * 60 * 1000


@dataclass(frozen=True, slots=True)
class Listener:
    id: str
    project_id: str
    loadbalancer_id: str
    name: str | None
    description: str | None
    admin_state_up: bool
    protocol: ListenerProtocol
    protocol_port: int
    connection_limit: int
    default_pool_id: str | None
    timeout_client_data: int
    timeout_member_connect: int
    timeout_member_data: int
    timeout_tcp_inspect: int
    provisioning_status: ProvisioningStatus
    operating_status: OperatingStatus
    created_at: datetime
    updated_at: datetime | None
    insert_headers: dict[str, str] = field(default_factory=dict)
    allowed_cidrs: tuple[str, ...] = ()
    default_tls_container_ref: str | None = None
    sni_container_refs: tuple[str, ...] = ()
    client_authentication: str = "NONE"
    client_ca_tls_container_ref: str | None = None
    client_crl_container_ref: str | None = None
    tls_ciphers: str | None = None
    tls_versions: tuple[str, ...] = ()
    alpn_protocols: tuple[str, ...] = ()
    hsts_max_age: int | None = None
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    tags: tuple[str, ...] = ()

    def header_enabled(self, header: str) -> bool:
        """Octavia's rule: a header is inserted when its value lower-cases to 'true'."""
        return str(self.insert_headers.get(header, "")).lower() == "true"
