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
from render_checks import GoldenCheck, haproxy_check
from render_graphs import GraphFactory
from render_scenarios import NASTY, PLAIN, injection_graph

from livia.domain.amphorae import AmphoraPaths
from livia.domain.errors import InvalidInput
from livia.domain.listeners import ListenerProtocol
from livia.domain.pools import PersistenceType
from livia.render.haproxy import HaproxyOptions, render_haproxy


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
