"""The text checks the API and the renderer share, and PCRE2 as HAProxy compiles it."""

from __future__ import annotations

import re

import pytest

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.regex import check_haproxy_regex, pcre2_fault
from livia.domain.text import (
    check_line,
    first_unstorable,
    full_match,
    is_http_token,
    line_fault,
    unstorable,
)


@pytest.mark.parametrize("value", ["\ud800", "a\udfffb", "\x00", "ok\x00"])
def test_unstorable(value: str) -> None:
    assert unstorable(value)
    with pytest.raises(InvalidInput) as caught:
        check_line(value, "name")  # unstorable is never one line either
    caught.value.message.encode("utf-8")  # the message itself always encodes


@pytest.mark.parametrize("value", ["", "plain", "caf\u00e9", "\U0001f600", "a\nb", "\x7f"])
def test_storable(value: str) -> None:
    assert unstorable(value) is None


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "\t", "\x1b", "\x7f", "\x85", "\u2028",
                                   "\u2029", "\ufffe", "\uffff", "\ufdd0", "\U0001fffe",
                                   "\ud800", "\x00"])
def test_not_one_line(value: str) -> None:
    assert line_fault(value)
    with pytest.raises(InvalidInput):
        check_line(value, "value")


@pytest.mark.parametrize("value", ["/api", "a b", "caf\u00e9", "\U0001f600", "\u200b", "#$'\""])
def test_one_line(value: str) -> None:
    assert check_line(value, "value") == value


def test_full_match_refuses_a_trailing_newline() -> None:
    pattern = re.compile(r"[a-z]+")
    assert full_match(pattern, "abc")
    assert not full_match(pattern, "abc\n")
    assert re.compile(r"^[a-z]+$").match("abc\n")  # what `$` used to let through
    assert is_http_token("X-Env") and not is_http_token("X-Env\n")
    assert not is_http_token("a'b") and not is_http_token(None)


def test_quote_is_short_and_encodable() -> None:
    shown = quote("\ud800" + "x" * 10_000)
    assert len(shown) < 100 and shown.startswith("\\ud800")
    assert shown.endswith("… (10001 characters)")
    shown.encode("utf-8")
    assert quote("a\nb") == "a\\x0ab"
    assert quote(42) == "42"


def test_first_unstorable_names_where() -> None:
    doc = {"listener": {"insert_headers": {"X-Forwarded-For": "\ud800"}}, "ok": ["a"]}
    assert first_unstorable(doc) == ("listener.insert_headers.X-Forwarded-For",
                                     "holds a lone UTF-16 surrogate (\\ud800); text must be "
                                     "valid Unicode")
    found = first_unstorable({"members": [{"name": "a"}, {"tags": ["\x00"]}]})
    assert found is not None and found[0] == "members[1].tags[0]"
    assert first_unstorable({"k\ud800": 1}) is not None  # keys too
    assert first_unstorable({"a": [1, 2.5, None, True, "\U0001f600"]}) is None


@pytest.mark.parametrize("pattern", ["(?a)x", "(?u)x", "x\\N{DIGIT ONE}", "a(b", "[z-a]",
                                     "a{2,1}", "(?<=a+)b"])
def test_pcre2_refuses(pattern: str) -> None:
    assert pcre2_fault(pattern)
    with pytest.raises(InvalidInput) as caught:
        check_haproxy_regex(pattern, "value")
    assert "PCRE2" in caught.value.message


@pytest.mark.parametrize("pattern", ["^/api/.*$", "\\p{L}+", "(?P<n>a)\\d", "caf\u00e9",
                                     "(?i)x", "a++", "\\Aa\\z"])
def test_pcre2_accepts(pattern: str) -> None:
    assert pcre2_fault(pattern) is None
    assert pcre2_fault(pattern, caseless=True) is None


def test_a_regex_is_one_line_too() -> None:
    with pytest.raises(InvalidInput):
        check_haproxy_regex("a\nb", "value")
