"""Text the API stores and the renderer writes: one check per kind of value.

Three levels, each a superset of the one before:

- *storable*: every string the API takes. No lone UTF-16 surrogate (a JSON
  ``"\\ud800"`` parses into one; it cannot be encoded as UTF-8, so a stored
  one would break every response that lists it) and no NUL (PostgreSQL's
  text type cannot hold it, SQLite can: the same value must behave the same
  on both).
- *line*: every user string that reaches a configuration file. Storable,
  and no character that could end or split a line there or that has no
  business in a single line of text: controls (C0, DEL, C1 such as U+0085),
  U+2028, U+2029 and the Unicode non-characters.
- field patterns (URL paths, host names, tokens), written by the domain
  module that owns the field and matched with :func:`full_match`, never with
  a ``$``-anchored ``re.match`` (``$`` also matches before a trailing newline).

The API refuses a value with these checks; the renderer runs the very same
functions on what it writes, so nothing the API accepts is refused later.
"""

from __future__ import annotations

import re
import unicodedata

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote

# Characters that are never storable: NUL and the surrogate block.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LINE_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# An HTTP token (RFC 7230 tchar; cookie names per RFC 6265) less ' # $ `, which
# HAProxy's configuration parser gives a meaning to: header and cookie names, which
# HAProxy reads unquoted inside a sample fetch's parentheses.
HTTP_TOKEN = re.compile(r"[!%&*+\-.^_|~0-9A-Za-z]+")


def is_noncharacter(ch: str) -> bool:
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def unstorable(value: str) -> str | None:
    """Why the string cannot be stored (None if it can)."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    ch = found.group()
    if ch == "\x00":
        return "holds a NUL character (\\x00)"
    return f"holds a lone UTF-16 surrogate ({quote(ch)}); text must be valid Unicode"


def line_fault(value: str) -> str | None:
    """Why the string cannot be one line of a configuration file (None if it can)."""
    reason = unstorable(value)
    if reason is not None:
        return reason
    for ch in value:
        if unicodedata.category(ch) in _LINE_BREAKING_CATEGORIES:
            return f"holds a control or line-breaking character ({quote(ch)})"
        if is_noncharacter(ch):
            return f"holds a Unicode non-character ({quote(ch)})"
    return None


def check_line(value: str, what: str) -> str:
    """Return value unchanged, or raise if it cannot be one line of a configuration."""
    reason = line_fault(value)
    if reason is not None:
        raise InvalidInput(f"Invalid input for field/attribute {what}: the value {reason}.")
    return value


def full_match(pattern: re.Pattern[str], value: str) -> bool:
    """The whole value matches (``$`` in ``re.match`` would accept a trailing newline)."""
    return pattern.fullmatch(value) is not None


def is_http_token(value: str | None) -> bool:
    return value is not None and full_match(HTTP_TOKEN, value)


def first_unstorable(data: object) -> tuple[str, str] | None:
    """The first string in a parsed JSON document (keys included) that cannot be stored:
    (where it is, as ``a.b[2].c``, quoted safely; the reason)."""
    found = _first_unstorable(data, "")
    return (quote(found[0], 120), found[1]) if found else None


def _first_unstorable(data: object, where: str) -> tuple[str, str] | None:
    if isinstance(data, str):
        reason = unstorable(data)
        return (where or "body", reason) if reason else None
    if isinstance(data, dict):
        for key, item in data.items():
            inner = f"{where}.{key}" if where else str(key)
            found = _first_unstorable(key, inner) or _first_unstorable(item, inner)
            if found:
                return found
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found = _first_unstorable(item, f"{where}[{index}]")
            if found:
                return found
    return None
