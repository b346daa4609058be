"""End-to-end fixtures: a real Livia (netns driver) per test module, cleaned up whatever happens."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from dataplane import delete_lb
from livia_host import LiviaHost


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def livia(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[LiviaHost]:
    """One server per module; a module's LIVIA_SERVE_ARGS are added to ``livia serve``."""
    if os.geteuid() != 0:
        pytest.fail("end-to-end tests need root (namespaces, bridges, nftables)")
    # Not under pytest's 0700 temporary root: HAProxy's workers run as nobody and
    # must traverse the state directory to run the PING monitor's wrapper.
    base = Path(tempfile.mkdtemp(prefix="lvt-e2e-"))
    base.chmod(0o711)
    host = LiviaHost(base, extra_args=getattr(request.module, "LIVIA_SERVE_ARGS", ()))
    try:
        host.start()
        yield host
    finally:
        try:
            host.close()
        finally:
            if host.log_path.exists():  # keep the server's log with pytest's
                shutil.copy(host.log_path, tmp_path_factory.mktemp("e2e"))
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def lbs(livia: LiviaHost) -> Iterator[list[str]]:
    """Load balancers a test created: deleted after it, whatever happened."""
    created: list[str] = []
    yield created
    for lb_id in created:
        delete_lb(livia, lb_id)
