"""Listeners: a protocol and port on the VIP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.status import OperatingStatus, ProvisioningStatus
from livia.domain.text import full_match


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


TLS_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
ALPN_PROTOCOLS = ("h2", "http/1.1", "http/1.0")
# An OpenSSL cipher list as Octavia takes it.
TLS_CIPHERS = re.compile(r"[A-Za-z0-9\-+!:@=_.]*")
CLIENT_AUTH = ("NONE", "OPTIONAL", "MANDATORY")


def check(listener: Listener) -> None:
    """Octavia's rules for a listener's fields, on the listener as it will be stored."""
    if listener.protocol not in SUPPORTED_PROTOCOLS:
        raise InvalidInput(
            f"Protocol {listener.protocol} is not supported by the amphora provider of "
            "this deployment: UDP and SCTP need IPVS in the kernel and TERMINATED_HTTPS "
            "needs a certificate store."
        )
    if listener.insert_headers:
        allowed = INSERT_HEADERS if listener.protocol in HTTP_MODE_PROTOCOLS else ()
        if listener.protocol is ListenerProtocol.PROMETHEUS:
            allowed = ()
        bad = sorted(h for h in listener.insert_headers if h not in allowed)
        if bad:
            raise InvalidInput(
                f"{quote(str(bad))} is not a valid option for {listener.protocol} protocol "
                "listener."
            )
    tls_fields = {
        "default_tls_container_ref": listener.default_tls_container_ref,
        "sni_container_refs": listener.sni_container_refs,
        "client_ca_tls_container_ref": listener.client_ca_tls_container_ref,
        "client_crl_container_ref": listener.client_crl_container_ref,
        "hsts_max_age": listener.hsts_max_age,
    }
    used = sorted(k for k, v in tls_fields.items() if v)
    if used and listener.protocol is not ListenerProtocol.TERMINATED_HTTPS:
        raise InvalidInput(
            f"Certificate and TLS options ({', '.join(used)}) are only valid for "
            "TERMINATED_HTTPS listeners."
        )
    if listener.client_authentication not in CLIENT_AUTH:
        raise InvalidInput(f"Invalid client_authentication {listener.client_authentication}.")
    if (listener.hsts_include_subdomains or listener.hsts_preload) and (
        listener.hsts_max_age is None
    ):
        raise InvalidInput("HSTS options need hsts_max_age.")
    check_tls_options(listener.tls_versions, listener.alpn_protocols, listener.tls_ciphers)
    if listener.connection_limit < -1:
        raise InvalidInput("connection_limit must be -1 (unlimited) or more.")


def check_tls_options(versions: tuple[str, ...] | list[str], alpn: tuple[str, ...] | list[str],
                      ciphers: str | None) -> None:
    """TLS versions, ALPN protocols and a cipher list, of a listener or of a pool."""
    for v in versions:
        if v not in TLS_VERSIONS:
            raise InvalidInput(f"Invalid TLS version '{quote(v)}'; valid: "
                               f"{', '.join(TLS_VERSIONS)}.")
    for a in alpn:
        if a not in ALPN_PROTOCOLS:
            raise InvalidInput(f"Invalid ALPN protocol '{quote(a)}'; valid: "
                               f"{', '.join(ALPN_PROTOCOLS)}.")
    if ciphers is not None and not full_match(TLS_CIPHERS, ciphers):
        raise InvalidInput(f"Invalid input for field/attribute tls_ciphers. Value: "
                           f"'{quote(ciphers)}'. Value should be an OpenSSL cipher list "
                           "(letters, digits and - + ! : @ = _ .).")
