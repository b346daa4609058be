"""``livia cleanup``: remove everything Livia ever created on this host."""

from __future__ import annotations

import asyncio
import shutil

from livia.domain.settings import Settings


def cleanup(settings: Settings, *, keep_state: bool) -> int:
    from livia.cli.pidfile import stop
    from livia.drivers.network_netns import NetnsNetworkDriver

    if stop(settings):  # it would rebuild what is removed here
        print("stopped livia serve")
    removed = asyncio.run(NetnsNetworkDriver(settings).cleanup())
    for name in removed:
        print(f"removed {name}")
    for directory in (settings.amphorae_dir, settings.instances_dir):
        shutil.rmtree(directory, ignore_errors=True)
    if not keep_state and settings.state_dir.exists():
        shutil.rmtree(settings.state_dir, ignore_errors=True)
        print(f"removed {settings.state_dir}")
    print(f"cleanup done: {len(removed)} host resources with prefix {settings.name_prefix!r}")
    return 0
