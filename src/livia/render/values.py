"""Checking and quoting the values that reach a configuration file.

Only ids, addresses, numbers and a few user strings ever reach a rendered
file. Ids, addresses, paths and names are checked against what they may
contain; user strings are quoted for HAProxy so that they can never add a
line, a directive or an argument. Anything that cannot be rendered safely
raises :class:`InvalidInput`.
"""

from __future__ import annotations

import ipaddress
import re

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.text import check_line, is_http_token

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
# Paths are chosen by the operator, not by users; keep them plain so that no
# format needs quoting for them.
_PATH = re.compile(r"/[A-Za-z0-9_./@+-]*\Z")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def checked_id(value: str, what: str = "id") -> str:
    if not _ID.match(value):
        raise InvalidInput(f"{what} {value!r} is not a valid identifier")
    return value


def checked_path(value: str, what: str = "path") -> str:
    if not _PATH.match(value) or "/../" in f"{value}/":
        raise InvalidInput(f"{what} {value!r} is not a plain absolute path")
    return value


def checked_token(value: str | None, what: str) -> str:
    """A header or cookie name, which HAProxy reads unquoted inside a fetch's parentheses."""
    if value is None or not is_http_token(value):
        raise InvalidInput(f"{what} '{quote(value or '')}' is not a valid HTTP token")
    return value


def checked_ip(value: str | None, what: str) -> IpAddress:
    if value is None:
        raise InvalidInput(f"{what} is missing")
    try:
        return ipaddress.ip_address(value)
    except ValueError as exc:
        raise InvalidInput(f"{what} {value!r} is not an IP address") from exc


def checked_network(value: str, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise InvalidInput(f"{what} {value!r} is not an IP prefix") from exc


def checked_port(value: int, what: str) -> int:
    if not 1 <= value <= 65535:
        raise InvalidInput(f"{what} {value} is not a TCP/UDP port")
    return value


def host_port(address: str | None, port: int, what: str) -> str:
    """``ip:port`` for HAProxy, with IPv6 addresses in brackets."""
    ip = checked_ip(address, what)
    checked_port(port, f"{what} port")
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def haproxy_address(address: str | None, what: str) -> str:
    """A bare address for HAProxy (``addr`` of a server): IPv6 in brackets."""
    ip = checked_ip(address, what)
    return f"[{ip}]" if ip.version == 6 else str(ip)


def haproxy_quoted(value: str, what: str) -> str:
    """One HAProxy argument that reads back as exactly ``value``.

    Inside double quotes HAProxy 2.x takes backslash escapes and expands
    ``${VAR}``; escaping the backslash, the quote and the dollar leaves every
    other character (space, '#', single quote) literal.
    """
    check_line(value, what)  # the API's own check of a rendered value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def haproxy_logformat_quoted(value: str, what: str) -> str:
    """Like :func:`haproxy_quoted`, for arguments HAProxy evaluates as log-format.

    '%' starts a sample expression there (``%[env(X)]``); '%%' is a literal '%'.
    """
    return haproxy_quoted(value.replace("%", "%%"), what)
