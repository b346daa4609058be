"""End-to-end fixtures: a real Livia (netns driver) per test module, cleaned up whatever happens."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from livia_host import LiviaHost  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def livia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiviaHost]:
    if os.geteuid() != 0:
        pytest.fail("end-to-end tests need root (namespaces, bridges, nftables)")
    host = LiviaHost(tmp_path_factory.mktemp("e2e"))
    try:
        host.start()
        yield host
    finally:
        host.close()
