"""User strings in haproxy.cfg can never add a line, a directive or an argument.

The injection graph is rendered beside a twin with plain values: both files
must have the same lines with the same number of arguments, and every user
string must read back exactly, as HAProxy's parser would read it (the e2e
smoke test reads them back from a running HAProxy too).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from conftest import GoldenCheck
from render_checks import haproxy_check
from render_graphs import GraphFactory

from livia.domain.amphorae import AmphoraPaths
from livia.domain.errors import InvalidInput
from livia.domain.healthmonitors import MonitorType
from livia.domain.l7policies import L7Action
from livia.domain.l7rules import CompareType, L7RuleType
from livia.domain.listeners import ListenerProtocol
from livia.domain.loadbalancers import LoadBalancerGraph
from livia.domain.pools import PersistenceType
from livia.render.haproxy import HaproxyOptions, render_haproxy

NASTY = {
    "host": "a b\"c\\d#e${HOME}f%[src]g'h -f i",
    "path": "-f",
    "header": '" || TRUE # deny',
    "cookie": '}{ \\\\ \\" $HOME',
    "regex": r'^/x\d+$ "quoted" #comment',
    "url": 'http://example.com/a b"c\\d#e${HOME}%[src]',
    "prefix": 'https://x.example/ " if TRUE',
    "url_path": '/health check"#x${PATH}',
    "domain": 'ex%[env(HOME)]ample"com',
}
PLAIN = {key: f"plain-{key}" for key in NASTY}
HEADER_KEY = "X-Odd!%&*+.^_|~"


def injection_graph(values: dict[str, str]) -> LoadBalancerGraph:
    f = GraphFactory()
    pool = f.pool()
    listener = f.listener(ListenerProtocol.HTTP, 80, pool)
    f.member(pool, "198.18.1.201", 80)
    f.monitor(
        pool,
        MonitorType.HTTP,
        url_path=values["url_path"],
        domain_name=values["domain"],
        http_version=1.1,
    )
    t, c = L7RuleType, CompareType
    reject = f.policy(listener, L7Action.REJECT, 1)
    f.rule(reject, t.HOST_NAME, c.EQUAL_TO, values["host"])
    f.rule(reject, t.PATH, c.STARTS_WITH, values["path"])
    to_url = f.policy(listener, L7Action.REDIRECT_TO_URL, 2, redirect_url=values["url"])
    f.rule(to_url, t.HEADER, c.CONTAINS, values["header"], key=HEADER_KEY)
    prefix = f.policy(listener, L7Action.REDIRECT_PREFIX, 3, redirect_prefix=values["prefix"])
    f.rule(prefix, t.COOKIE, c.ENDS_WITH, values["cookie"], key="sess~1")
    f.rule(prefix, t.PATH, c.REGEX, values["regex"], invert=True)
    return f.graph()


def haproxy_args(line: str) -> list[str]:
    """Split one config line the way HAProxy 2.x does (quotes, escapes, comments)."""
    args: list[str] = []
    current: list[str] | None = None
    quote = ""
    chars = iter(line)
    for char in chars:
        if quote == "'":  # single quotes: no escapes, no expansion
            if char == "'":
                quote = ""
            else:
                current.append(char)  # type: ignore[union-attr]
            continue
        if char == "\\":
            escaped = next(chars)
            assert escaped in "\\\"$ #'", f"unexpected escape \\{escaped} in {line!r}"
            current = (current or []) + [escaped]
        elif char == '"':
            quote = "" if quote else '"'
            current = current or []
        elif char == "'" and not quote:
            quote = "'"
            current = current or []
        elif char == "$" and quote == '"':
            raise AssertionError(f"unescaped $ would be expanded in {line!r}")
        elif char == "#" and not quote:
            break
        elif char.isspace() and not quote:
            if current is not None:
                args.append("".join(current))
            current = None
        else:
            current = (current or []) + [char]
    assert not quote, f"unbalanced quote in {line!r}"
    if current is not None:
        args.append("".join(current))
    return args


def parsed(text: str) -> list[list[str]]:
    return [args for args in map(haproxy_args, text.splitlines()) if args]


OPTIONS = HaproxyOptions(AmphoraPaths("/var/lib/livia/amphorae/golden"))


def test_injection_attempts_render_harmlessly(
    golden: GoldenCheck, amphora_paths: AmphoraPaths, tmp_path: Path
) -> None:
    graph = injection_graph(NASTY)
    amphora = graph.amphorae[0]
    text = render_haproxy(graph, amphora, OPTIONS)
    golden("injection.haproxy.cfg", text)

    nasty = parsed(text)
    plain = parsed(render_haproxy(injection_graph(PLAIN), amphora, OPTIONS))
    assert [(len(a), a[0]) for a in nasty] == [(len(a), a[0]) for a in plain]
    all_args = {arg for args in nasty for arg in args}
    for key in ("host", "path", "header", "cookie", "regex", "url", "prefix", "url_path"):
        assert NASTY[key] in all_args, f"{key} did not read back as one argument"
    # `hdr` is log-format: '%' is doubled so that no sample expression is evaluated.
    assert NASTY["domain"].replace("%", "%%") in all_args

    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render_haproxy(graph, amphora, HaproxyOptions(amphora_paths)))
    checked = haproxy_check(cfg, amphora.peer_name)
    assert checked.returncode == 0, checked.output


@pytest.mark.parametrize("breaker", ["\n", "\r", "\x00", "\x1b", "\u2028"])
@pytest.mark.parametrize("field", sorted(NASTY))
def test_values_that_could_break_a_line_are_refused(field: str, breaker: str) -> None:
    values = dict(PLAIN)
    values[field] = f"ok{breaker}  server evil 192.0.2.1:80"
    graph = injection_graph(values)
    with pytest.raises(InvalidInput):
        render_haproxy(graph, graph.amphorae[0], OPTIONS)


def test_cookie_names_of_persistence_are_tokens(factory: GraphFactory) -> None:
    pool = factory.pool(persistence=PersistenceType.APP_COOKIE, cookie_name="SID")
    factory.listener(ListenerProtocol.HTTP, 80, pool)
    graph = factory.graph()
    assert "stick match req.cook(SID)" in render_haproxy(graph, graph.amphorae[0], OPTIONS)

    for bad in ("S ID", "SID)", "SID\n", "a#b", ""):
        persistence = replace(pool.session_persistence, cookie_name=bad)  # type: ignore[type-var]
        broken = replace(graph, pools=(replace(pool, session_persistence=persistence),))
        with pytest.raises(InvalidInput):
            render_haproxy(broken, graph.amphorae[0], OPTIONS)
