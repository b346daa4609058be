"""The API's limits: how much one request may carry, and how much of a value a message quotes.

Each is a fact the request schemas, the body cap, the HTTP server and the
documentation all read from here.

Lengths follow Octavia's API types (``octavia/api/v2/types``) and Neutron's
attribute maps; counts Octavia and Neutron leave unlimited are capped so that
no accepted request can make a load balancer or a list unwieldy.
"""

from __future__ import annotations

# -- lengths (characters) -----------------------------------------------------------------
NAME_LENGTH = 255  # name, description: StringType(max_length=255)
PROJECT_ID_LENGTH = 255  # the column; Octavia takes 36, Keystone ids are 32 hex digits
TAG_LENGTH = 255  # Octavia ArrayType(StringType(max_length=255)), Neutron MAX_TAG_LEN
CONTAINER_REF_LENGTH = 255  # *_tls_container_ref, sni_container_refs items
HEADER_VALUE_LENGTH = 255  # listener insert_headers: DictType(str, StringType(max_length=255))
HEADER_NAME_LENGTH = 64  # the longest header Octavia knows is 24 characters
TLS_CIPHERS_LENGTH = 2048
TLS_VERSION_LENGTH = 32  # tls_versions items: StringType(max_length=32)
ALPN_PROTOCOL_LENGTH = 255  # RFC 7301: a protocol id is 1-255 bytes
URL_LENGTH = 2048  # url_path, redirect_url, redirect_prefix: the columns
EXPECTED_CODES_LENGTH = 64
DOMAIN_NAME_LENGTH = 255
L7_VALUE_LENGTH = 255  # l7rule key and value
PROVIDER_LENGTH = 64
SHORT_TEXT_LENGTH = 255  # every other free-text field (device_owner, dns_name, ...)
ID_LENGTH = 45  # a UUID in any form Python parses ("urn:uuid:" + 36)
ADDRESS_LENGTH = 64  # an IP address or CIDR, IPv6 with a zone included

# -- counts -------------------------------------------------------------------------------
MAX_TAGS = 50  # per object (Nova's limit; Octavia and Neutron set none)
MAX_BATCH_MEMBERS = 1000  # members in one PUT /v2/lbaas/pools/{id}/members
# Listeners, pools, members, health monitors, L7 policies and rules in one
# fully populated load balancer create, counted together.
MAX_GRAPH_OBJECTS = 1000
MAX_LIST_ITEMS = 100  # allowed_cidrs, sni_container_refs, security_groups, ...
MAX_SHORT_LIST = 10  # tls_versions, alpn_protocols, allowed_address_pairs
MAX_DNS_NAMESERVERS = 5  # Neutron's max_dns_nameservers
MAX_HOST_ROUTES = 20  # Neutron's max_subnet_host_routes
MAX_FIXED_IPS = 10
MAX_ALLOCATION_POOLS = 20

# -- one request --------------------------------------------------------------------------
# Keystone's max_request_body_size is 112 KiB; Livia takes more so that a
# batch of MAX_BATCH_MEMBERS members (~300 bytes each) or a fully populated
# load balancer create of MAX_GRAPH_OBJECTS objects fits.
MAX_REQUEST_BODY_BYTES = 1024 * 1024
# The HTTP server: request headers must be complete this long after the first
# byte (or after the connection opened), the body this long after the headers.
HEADER_TIMEOUT = 5.0
BODY_TIMEOUT = 30.0

# -- messages -----------------------------------------------------------------------------
QUOTE_LENGTH = 64  # an error message quotes at most this much of a bad value
MESSAGE_LENGTH = 2048  # and is never longer than this


def quote(value: object, limit: int = QUOTE_LENGTH) -> str:
    """``value`` as text for an error message: at most ``limit`` characters of it, then
    "… (N characters)"; anything not printable (a newline, a control, a lone surrogate)
    written as its escape, so a message built from it is always one line of valid UTF-8."""
    text = value if isinstance(value, str) else repr(value)
    shown = "".join(ch if ch.isprintable() else _escape(ch) for ch in text[:limit])
    if len(text) <= limit:
        return shown
    return f"{shown}… ({len(text)} characters)"


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
