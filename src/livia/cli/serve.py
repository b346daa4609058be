"""``livia serve``: the API, the controller and the health manager on one event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import suppress

from livia.api.app import create_app
from livia.api.context import ApiServices
from livia.cli import pidfile, state
from livia.cli.api_server import api_server
from livia.cli.identity import bootstrap
from livia.controller.bootstrap import prepare, process_owner
from livia.controller.context import Controller
from livia.controller.reconciler import Reconciler
from livia.domain.settings import Settings
from livia.drivers.agent_client import AgentClient
from livia.drivers.certificates import LocalCA
from livia.drivers.compute import ComputeDriver
from livia.drivers.network import NetworkDriver
from livia.health.manager import HealthManager
from livia.store import tokens
from livia.store.database import Database

log = logging.getLogger("livia")


def build_drivers(settings: Settings, ca: LocalCA
                  ) -> tuple[ComputeDriver, NetworkDriver, AgentClient]:
    if settings.driver == "fake":
        from livia.drivers.agent_client_fake import FakeAgentClient
        from livia.drivers.compute_fake import FakeComputeDriver
        from livia.drivers.network_fake import FakeNetworkDriver

        fake_network = FakeNetworkDriver(settings)
        return FakeComputeDriver(settings, fake_network), fake_network, FakeAgentClient()
    from livia.drivers.agent_client_https import HttpsAgentClient
    from livia.drivers.compute_netns import NetnsComputeDriver
    from livia.drivers.network_netns import NetnsNetworkDriver

    network = NetnsNetworkDriver(settings)
    cert, key = ca.client_cert_paths()
    agents = HttpsAgentClient(str(ca.ca_path), str(cert), str(key),
                              connect_timeout=settings.agent_connect_timeout,
                              request_timeout=settings.agent_request_timeout)
    return NetnsComputeDriver(settings, network), network, agents


def controller(settings: Settings, db: Database) -> Controller:
    ca = LocalCA.load_or_create(settings.pki_dir)
    compute, network, agents = build_drivers(settings, ca)
    return Controller(db=db, settings=settings, compute=compute, network=network,
                      agents=agents, ca=ca, heartbeat_key=state.heartbeat_key(settings),
                      owner=process_owner())


def health_bind(settings: Settings) -> tuple[str, int]:
    host = "127.0.0.1" if settings.driver == "fake" else settings.controller_ip
    return host, settings.health_port


def announce_admin_token(settings: Settings) -> str:
    token, created = state.admin_token(settings)
    if created:
        where = settings.state_dir / state.ADMIN_TOKEN_FILE
        print(f"Generated the admin token (stored in {where}, mode 0600; shown only now):"
              f"\n\n    {token}\n", flush=True)
    return token


async def serve(settings: Settings) -> None:
    state.prepare(settings)
    pidfile.claim(settings)
    try:
        await _serve(settings)
    finally:
        pidfile.release(settings)


async def _serve(settings: Settings) -> None:
    db = Database(settings.database)
    db.migrate()
    token = announce_admin_token(settings)
    if bootstrap(settings, db):
        where = ("LIVIA_ADMIN_PASSWORD" if os.environ.get("LIVIA_ADMIN_PASSWORD")
                 else settings.state_dir / state.ADMIN_PASSWORD_FILE)
        print(f"Identity: user admin (domain Default) with the admin role on project admin; "
              f"its password is in {where}", flush=True)
    ctl = controller(settings, db)
    await prepare(ctl)
    reconciler = Reconciler(ctl)
    health = HealthManager(db=db, settings=settings, key=ctl.heartbeat_key,
                           detect_stale=settings.driver != "fake")
    app = create_app(ApiServices(db=db, settings=settings,
                                 admin_token_hash=tokens.hash_token(token),
                                 wake=reconciler.wake))
    server = api_server(app, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    tasks = [
        asyncio.create_task(server.serve(), name="api"),
        asyncio.create_task(reconciler.run(stop), name="controller"),
        asyncio.create_task(health.run(stop, health_bind(settings)), name="health"),
    ]
    log.info("Livia serving on http://%s:%d (driver %s, database %s)", settings.api_host,
             settings.api_port, settings.driver, settings.database.split("@")[-1])
    print(f"Livia is serving on http://{settings.api_host}:{settings.api_port}", flush=True)
    done, _ = await asyncio.wait([*tasks, asyncio.create_task(stop.wait())],
                                 return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    server.should_exit = True
    for task in done:
        if task.get_name() in ("api", "controller", "health") and task.exception():
            log.error("%s stopped: %r", task.get_name(), task.exception())
    with suppress(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=30)
    await ctl.agents.close()
    db.dispose()
    log.info("Livia stopped; the amphorae keep serving")
