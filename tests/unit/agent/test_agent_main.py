"""``python -m livia.agent``'s arguments, read without argparse."""

from __future__ import annotations

import pytest

from livia.agent.__main__ import main, parse


@pytest.mark.parametrize(("argv", "expected"), [
    (["--config", "/a/agent.json"], ("/a/agent.json", False)),
    (["--debug", "--config", "/a/agent.json"], ("/a/agent.json", True)),
    (["--config=/a/agent.json", "--debug"], ("/a/agent.json", True)),
    ([], None),
    (["--config"], None),
    (["--debug"], None),
    (["--config", "/a", "--verbose"], None),
])
def test_arguments(argv: list[str], expected: tuple[str, bool] | None) -> None:
    assert parse(argv) == expected


def test_bad_arguments_print_the_usage_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--nope"]) == 2
    assert "--config" in capsys.readouterr().err
