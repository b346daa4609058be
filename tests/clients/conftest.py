"""Fixtures for the clients' tests: a running ``livia serve --driver fake`` per module.

The openstack CLI and openstacksdk talk to it as they would to Octavia and
Neutron; see ``livia_server.py`` for the process and its helpers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from livia_server import LiviaServer, make_server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent) + os.sep
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.clients)


@pytest.fixture(scope="module")
def livia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiviaServer]:
    """A server shared by the tests of one module."""
    yield from make_server(tmp_path_factory.mktemp("clients"))


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiviaServer]:
    """A server of the test's own, not started: the test starts, kills and restarts it."""
    server = LiviaServer(tmp_path)
    try:
        yield server
    finally:
        server.close()
