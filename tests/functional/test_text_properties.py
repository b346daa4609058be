"""Property: for any text in any free-text field, the API answers 4xx, or the change
converges (never ERROR after a 2xx) into configurations the real daemons accept.

Hypothesis draws a field and a value (any Unicode, lone surrogates and controls
included, often behind a prefix that makes it look legitimate); the test sends it
as JSON text, and on a 2xx waits for the load balancer, checks nothing went to
ERROR, and runs ``haproxy -c``, ``keepalived -t`` and ``nft -c`` on what the
controller pushed to each amphora. Bounded: a fixed number of examples and no
example database (nothing is written to the checkout).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lbaas_stack import Stack, expect, paths_of

from livia.domain.amphorae import AmphoraPaths

# LIVIA_PROPERTY_EXAMPLES=5000 for a deeper search than make test makes.
EXAMPLES = int(os.environ.get("LIVIA_PROPERTY_EXAMPLES", "120"))
TEXT = st.text(st.characters(codec=None, categories=None), max_size=40)
# Characters that mean something to HAProxy's parser, to regexes, or to a line.
AWKWARD = st.text(st.sampled_from(list("\\\"'#$%{}[]()*+?.^|/ :;,=&~`@!\t\n\r\x00\x7f\x85"
                                       "\u2028\u2029\ufffe\ud800\udc00é€\U0001f600aZ09-_")),
                  max_size=30)


def _value(prefixes: tuple[str, ...]) -> st.SearchStrategy[str]:
    tail = st.one_of(TEXT, AWKWARD)
    return st.one_of(tail, st.builds(lambda p, t: p + t, st.sampled_from(prefixes), tail))


@st.composite
def changes(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """(object kind, field, the update body) for one drawn free-text value."""
    kind, field, prefixes = draw(st.sampled_from(FIELDS))
    value = draw(_value(prefixes))
    body: dict[str, Any]
    if field == "tags":
        body = {"tags": [value]}
    elif field == "insert_headers":
        body = {"insert_headers": {draw(st.sampled_from(HEADERS)): value}}
    elif field in ("tls_versions", "alpn_protocols"):
        body = {field: [value]}
    elif field == "cookie_name":
        body = {"session_persistence": {"type": "APP_COOKIE", "cookie_name": value}}
    elif field == "domain_name":
        body = {"http_version": 1.1, "domain_name": value}
    elif field in ("redirect_url", "redirect_prefix"):
        action = "REDIRECT_TO_URL" if field == "redirect_url" else "REDIRECT_PREFIX"
        body = {"action": action, field: value}
    elif kind == "rule":
        body = draw(_rule(field, value))
    else:
        body = {field: value}
    return kind, field, body


def _rule(field: str, value: str) -> st.SearchStrategy[dict[str, Any]]:
    compare = st.sampled_from(["REGEX", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "EQUAL_TO"])
    if field == "key":
        return st.builds(lambda kind, c: {"type": kind, "compare_type": c, "key": value,
                                          "value": "x"},
                         st.sampled_from(["HEADER", "COOKIE"]), compare)
    kinds = st.sampled_from(["PATH", "HOST_NAME", "HEADER", "COOKIE", "FILE_TYPE",
                             "SSL_VERIFY_RESULT", "SSL_DN_FIELD"])

    def body(kind: str, c: str) -> dict[str, Any]:
        out: dict[str, Any] = {"type": kind, "compare_type": c, "value": value, "key": None}
        if kind in ("HEADER", "COOKIE"):
            out["key"] = "X-Key"
        elif kind == "SSL_DN_FIELD":
            out["key"] = "CN"
        return out

    return st.builds(body, kinds, compare)


HEADERS = ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto")
FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("loadbalancer", "name", ("lb-",)), ("loadbalancer", "description", ("",)),
    ("loadbalancer", "tags", ("t",)),
    ("listener", "name", ("web",)), ("listener", "description", ("",)),
    ("listener", "insert_headers", ("true", "false")), ("listener", "tags", ("",)),
    ("pool", "name", ("p",)), ("pool", "description", ("",)),
    ("pool", "cookie_name", ("SESSION", "sid")), ("pool", "tls_ciphers", ("ECDHE-",)),
    ("pool", "tls_versions", ("TLSv1.",)), ("pool", "alpn_protocols", ("h", "http/")),
    ("pool", "tags", ("",)),
    ("member", "name", ("web1",)), ("member", "tags", ("",)),
    ("monitor", "name", ("hm",)), ("monitor", "url_path", ("/", "/health?x=")),
    ("monitor", "expected_codes", ("200", "200-", "200,")),
    ("monitor", "domain_name", ("example.com", "a.")), ("monitor", "tags", ("",)),
    ("policy", "name", ("",)), ("policy", "description", ("",)),
    ("policy", "redirect_url", ("http://", "https://example.com/")),
    ("policy", "redirect_prefix", ("https://", "http://example.com")), ("policy", "tags", ("",)),
    ("rule", "value", ("/", "/api", "^/", "example.com", "0")), ("rule", "key", ("X-",)),
    ("rule", "tags", ("",)),
]
ENVELOPES = {"loadbalancer": "loadbalancer", "listener": "listener", "pool": "pool",
             "member": "member", "monitor": "healthmonitor", "policy": "l7policy",
             "rule": "rule"}


@pytest.fixture
def short_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lvtp-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def validation_netns() -> Iterator[str]:
    """A throwaway namespace with an eth1, where keepalived -t and nft -c look."""
    name = f"lvt-prop-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        subprocess.run(["ip", "-n", name, "link", "add", "eth1", "type", "veth", "peer",
                        "name", "lvtpeer"], check=True, timeout=10)
        subprocess.run(["ip", "-n", name, "link", "set", "eth1", "up"], check=True,
                       timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)


def _prepare(base: Path) -> None:
    """What the validators look for in an amphora's directory."""
    paths = AmphoraPaths(str(base))
    for directory in ("haproxy", "keepalived"):
        (base / directory).mkdir(parents=True, exist_ok=True)
    Path(paths.haproxy_state).write_text("1\n")
    for script in (paths.keepalived_check_script, paths.keepalived_notify_script,
                   paths.ping_wrapper):
        Path(script).write_text("#!/bin/sh\nexit 0\n")
        Path(script).chmod(0o700)


def _run(args: list[str]) -> tuple[int, str]:
    done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    return done.returncode, done.stdout + done.stderr


def _check_configs(stack: Stack, netns: str, tmp: Path) -> None:
    """Each amphora's pushed configurations through the daemons' checks, with the state
    dir moved to ``tmp`` (short enough for HAProxy's 97-byte socket paths)."""
    state_dir = str(stack.settings.state_dir)
    for amp_id, amp in stack.agents.amphorae.items():
        base = Path(stack.compute.amphora_host(amp_id).base_dir.replace(state_dir, str(tmp)))
        _prepare(base)
        for kind, text, command in (
            ("haproxy", amp.haproxy, ["haproxy", "-c", "-L", _a_peer(amp.haproxy), "-f"]),
            ("keepalived", amp.keepalived, ["ip", "netns", "exec", netns, "keepalived",
                                            "-t", "-f"]),
            ("firewall", amp.firewall, ["ip", "netns", "exec", netns, "nft", "-c", "-f"]),
        ):
            if text is None:
                continue
            path = tmp / f"{amp_id}.{kind}"
            path.write_text(text.replace(state_dir, str(tmp)))
            code, output = _run([*command, str(path)])
            assert code == 0, f"{kind} refused the configuration: {output}\n{text}"


def _a_peer(config: str | None) -> str:
    """A local peer name for ``-L`` (any of the peers section's will do for a check)."""
    for line in (config or "").splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == "peer":
            return words[1]
    return "none"


def _site(stack: Stack) -> dict[str, str]:
    tree = stack.one_of_each()
    paths = paths_of(tree)
    return {"lb": tree["loadbalancer"]["id"], **{kind: paths[key] for kind, key in (
        ("loadbalancer", "loadbalancer"), ("listener", "listener"), ("pool", "pool"),
        ("member", "member"), ("monitor", "healthmonitor"), ("policy", "l7policy"),
        ("rule", "rule"))}}


def _never_error(stack: Stack, site: dict[str, str]) -> None:
    for kind, envelope in ENVELOPES.items():
        shown = expect(stack.api.get(site[kind]), 200)[envelope]
        assert shown["provisioning_status"] == "ACTIVE", (kind, shown)


@pytest.mark.parametrize("stack", ["sqlite", pytest.param("postgres",
                                                          marks=pytest.mark.postgres)],
                         indirect=True)
def test_any_text_is_refused_or_runs(stack: Stack, validation_netns: str,
                                     short_dir: Path) -> None:
    site = _site(stack)
    _check_configs(stack, validation_netns, short_dir)
    attempt: Callable[[tuple[str, str, dict[str, Any]]], None]
    seen: dict[int, int] = {}

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(changes())
    def attempt(change: tuple[str, str, dict[str, Any]]) -> None:
        kind, field, body = change
        text = json.dumps({ENVELOPES[kind]: body})  # lone surrogates become \\udXXX escapes
        r = stack.api.request("PUT", site[kind], content=text.encode("ascii"))
        assert r.status_code < 500, (field, body, r.text)
        seen[r.status_code // 100] = seen.get(r.status_code // 100, 0) + 1
        r.content.decode("utf-8")
        if r.status_code >= 300:
            assert r.json()["faultstring"], r.text
            return
        stack.wait_for(site["lb"])
        _never_error(stack, site)
        _check_configs(stack, validation_netns, short_dir)

    attempt()
    print(f"answers by class: {seen}")
    assert seen.get(2, 0) > EXAMPLES // 10, seen  # the search reached the renderer often
