"""Fixtures of the renderer tests: graph builders, golden files, validation namespace."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from render_checks import GoldenCheck, prepare_amphora_dir
from render_graphs import GraphFactory

from livia.domain.amphorae import AmphoraPaths

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("LIVIA_UPDATE_GOLDEN") == "1"


@pytest.fixture
def factory() -> GraphFactory:
    return GraphFactory()


@pytest.fixture
def golden() -> GoldenCheck:
    """golden(name, text): compare with golden/<name>, or rewrite it under LIVIA_UPDATE_GOLDEN=1."""

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if UPDATE_GOLDEN:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            return
        assert path.exists(), f"no golden file {path}; run with LIVIA_UPDATE_GOLDEN=1"
        assert text == path.read_text(), f"{name} differs from its golden file"

    return check


@pytest.fixture
def amphora_paths(tmp_path: Path) -> AmphoraPaths:
    return prepare_amphora_dir(tmp_path / "amp")


@pytest.fixture(scope="session")
def validation_netns() -> Iterator[str]:
    """A throwaway namespace with an eth1, for keepalived -t and nft."""
    name = f"lvt-render-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        subprocess.run(
            ["ip", "-n", name, "link", "add", "eth1", "type", "veth", "peer", "name", "lvtpeer"],
            check=True,
            timeout=10,
        )
        subprocess.run(["ip", "-n", name, "link", "set", "eth1", "up"], check=True, timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)
