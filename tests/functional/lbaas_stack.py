"""The pieces of the functional harness (the fixtures in ``conftest.py`` put them together).

- a throwaway PostgreSQL 15 cluster (``PostgresServer``) and a fresh database per test;
- the controller's reconciler on its own event loop in a background thread;
- ``Api``: TestClient calls with an ``X-Auth-Token``; ``expect``/``fault`` read responses;
- ``Stack``: everything of one test, with builders and ``wait_for``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from livia.controller.context import Controller
from livia.controller.reconciler import Reconciler
from livia.domain.settings import Settings
from livia.drivers.agent_client_fake import FakeAgentClient
from livia.drivers.compute_fake import FakeComputeDriver
from livia.drivers.network_fake import FakeNetworkDriver
from livia.store import tables
from livia.store.database import Database, one_shot_engine

PG_BIN = Path("/usr/lib/postgresql/15/bin")
LBAAS = "/v2/lbaas"
WAIT_TIMEOUT = 10.0
POLL = 0.02

# -- PostgreSQL ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostgresServer:
    port: int
    root: Path

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        engine = one_shot_engine(self.url("postgres"))
        try:
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(sql))
        finally:
            engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def as_postgres(*args: str, cwd: Path) -> None:
    result = subprocess.run(["runuser", "-u", "postgres", "--", *args], cwd=cwd,
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}")


def start_postgres(root: Path, port: int) -> None:
    data = root / "data"
    as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--no-sync", "--no-instructions", cwd=root)
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    as_postgres(str(PG_BIN / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
                 "-l", str(root / "postgres.log"), "-o", options, cwd=root)


@contextlib.contextmanager
def postgres_database(server: PostgresServer) -> Iterator[str]:
    """A fresh, already migrated database (a copy of the session's template)."""
    name = "lvt_" + secrets.token_hex(6)
    server.admin(f"CREATE DATABASE {name} TEMPLATE livia_test")
    try:
        yield server.url(name)
    finally:
        server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# -- the controller in a thread ---------------------------------------------------------------


class ReconcilerThread:
    """The reconciler on its own event loop in a background thread; stoppable and restartable."""

    def __init__(self, ctl: Controller) -> None:
        self.ctl = ctl
        self.reconciler: Reconciler | None = None
        self.thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        assert self.thread is None, "already running"
        reconciler = Reconciler(self.ctl)
        ready = threading.Event()

        async def main() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop_event = asyncio.Event()
            ready.set()
            await reconciler.run(self.stop_event)

        def target() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # noqa: BLE001 - re-raised by check() and stop()
                self.error = exc
                ready.set()

        self.reconciler = reconciler
        self.thread = threading.Thread(target=target, name="lvt-reconciler", daemon=True)
        self.thread.start()
        assert ready.wait(10), "the reconciler thread did not start"

    def stop(self) -> None:
        if self.thread is None:
            return
        if self.loop is not None and self.stop_event is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(timeout=30)
        alive = self.thread.is_alive()
        self.thread, self.loop, self.stop_event, self.reconciler = None, None, None, None
        assert not alive, "the reconciler thread did not stop within 30 s"
        self.check()

    def wake(self) -> None:
        if self.reconciler is not None:
            self.reconciler.wake()

    def check(self) -> None:
        if self.error is not None:
            raise AssertionError(f"the reconciler thread died: {self.error!r}") from self.error


# -- the API client ----------------------------------------------------------------------------

_DEFAULT: Any = object()


class Api:
    """TestClient calls with a token: the default one unless ``token=`` says otherwise
    (``token=None`` sends none)."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token

    def request(self, method: str, path: str, *, json: Any = _DEFAULT, token: Any = _DEFAULT,
                params: Any = None, content: bytes | None = None) -> httpx.Response:
        token = self.token if token is _DEFAULT else token
        headers = {"X-Auth-Token": token} if token is not None else {}
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if json is not _DEFAULT:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
            headers["Content-Type"] = "application/json"
        return self.client.request(method, path, **kwargs)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.request("DELETE", path, **kw)


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON body of a response that must have ``status`` (the body explains a mismatch)."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} -> {response.status_code}, "
        f"expected {status}: {response.text}")
    if not response.content:
        return {}
    body: dict[str, Any] = response.json()
    return body


def fault(response: httpx.Response, status: int) -> str:
    """The faultstring of an error response with ``status`` (never a 500 by accident)."""
    body = expect(response, status)
    assert set(body) == {"faultcode", "faultstring", "debuginfo"}, body
    assert body["faultcode"] == ("Client" if status < 500 else "Server")
    assert isinstance(body["faultstring"], str) and body["faultstring"]
    message: str = body["faultstring"]
    return message


# -- the stack ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    admin: str
    member_a: str
    reader_a: str
    member_b: str


@dataclass
class Stack:
    """API + controller + fake drivers on one database; helpers to build trees quickly."""

    api: Api
    db: Database
    settings: Settings
    ctl: Controller
    compute: FakeComputeDriver
    network: FakeNetworkDriver
    agents: FakeAgentClient
    runner: ReconcilerThread
    tokens: Tokens
    project_a: str
    project_b: str
    kind: str
    _subnets: dict[str, str] = field(default_factory=dict)

    # -- controller ------------------------------------------------------------------------
    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The controller stops (after finishing what it is doing) and resumes afterwards."""
        self.runner.stop()
        try:
            yield
        finally:
            self.runner.start()

    def last_error(self, lb_id: str) -> str | None:
        lb = tables.loadbalancers
        with self.db.read() as conn:
            value = conn.execute(select(lb.c.last_error).where(lb.c.id == lb_id)).scalar()
        return None if value is None else str(value)

    def wait_for(self, lb_id: str, status: str = "ACTIVE", timeout: float = WAIT_TIMEOUT
                 ) -> dict[str, Any]:
        """Poll the load balancer until its provisioning_status is ``status``."""
        deadline = time.monotonic() + timeout
        seen = None
        while time.monotonic() < deadline:
            self.runner.check()
            r = self.api.get(f"{LBAAS}/loadbalancers/{lb_id}", token=self.tokens.admin)
            if status == "DELETED" and r.status_code == 404:
                return {}
            lb: dict[str, Any] = expect(r, 200)["loadbalancer"]
            seen = lb["provisioning_status"]
            if seen == status:
                return lb
            if seen == "ERROR":
                raise AssertionError(f"load balancer {lb_id} went to ERROR waiting for {status}: "
                                     f"{self.last_error(lb_id)}")
            time.sleep(POLL)
        raise AssertionError(f"load balancer {lb_id} still {seen} after {timeout} s "
                             f"(waiting for {status})")

    def wait_until(self, predicate: Any, what: str, timeout: float = WAIT_TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.runner.check()
            value = predicate()
            if value:
                return value
            time.sleep(POLL)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}")

    # -- builders --------------------------------------------------------------------------
    def vip_subnet(self, token: str | None = None) -> str:
        """A tenant network with a /24 subnet in the token's project (one per project)."""
        token = token or self.tokens.member_a
        if token in self._subnets:
            return self._subnets[token]
        n = len(self._subnets) + 1
        net = expect(self.api.post("/v2.0/networks", json={"network": {"name": f"lvt-net{n}"}},
                                   token=token), 201)["network"]
        sub = expect(self.api.post("/v2.0/subnets", json={"subnet": {
            "network_id": net["id"], "cidr": f"10.{90 + n}.0.0/24", "ip_version": 4,
            "name": f"lvt-sub{n}"}}, token=token), 201)["subnet"]
        self._subnets[token] = sub["id"]
        return str(sub["id"])

    def create_lb(self, token: str | None = None, wait: bool = True, **fields: Any
                  ) -> dict[str, Any]:
        token = token or self.tokens.member_a
        body = {"vip_subnet_id": self.vip_subnet(token), **fields}
        lb: dict[str, Any] = expect(self.api.post(f"{LBAAS}/loadbalancers",
                                                  json={"loadbalancer": body}, token=token),
                                    201)["loadbalancer"]
        return self.wait_for(lb["id"]) if wait else lb

    def _child(self, lb_id: str, path: str, key: str, body: dict[str, Any], token: str | None,
               wait: bool) -> dict[str, Any]:
        obj: dict[str, Any] = expect(self.api.post(path, json={key: body},
                                                   token=token or self.tokens.member_a),
                                     201)[key]
        if wait:
            self.wait_for(lb_id)
        return obj

    def create_listener(self, lb_id: str, protocol: str = "HTTP", port: int = 80,
                        token: str | None = None, wait: bool = True, **fields: Any
                        ) -> dict[str, Any]:
        body = {"loadbalancer_id": lb_id, "protocol": protocol, "protocol_port": port, **fields}
        return self._child(lb_id, f"{LBAAS}/listeners", "listener", body, token, wait)

    def create_pool(self, lb_id: str, protocol: str = "HTTP", algorithm: str = "ROUND_ROBIN",
                    token: str | None = None, wait: bool = True, **fields: Any
                    ) -> dict[str, Any]:
        body = {"protocol": protocol, "lb_algorithm": algorithm, **fields}
        if "listener_id" not in fields:
            body.setdefault("loadbalancer_id", lb_id)
        return self._child(lb_id, f"{LBAAS}/pools", "pool", body, token, wait)

    def create_member(self, lb_id: str, pool_id: str, address: str = "10.91.0.50",
                      port: int = 8080, token: str | None = None, wait: bool = True,
                      **fields: Any) -> dict[str, Any]:
        body = {"address": address, "protocol_port": port, **fields}
        return self._child(lb_id, f"{LBAAS}/pools/{pool_id}/members", "member", body, token,
                           wait)

    def create_monitor(self, lb_id: str, pool_id: str, type: str = "HTTP",
                       token: str | None = None, wait: bool = True, **fields: Any
                       ) -> dict[str, Any]:
        body = {"pool_id": pool_id, "type": type, "delay": 5, "timeout": 3, "max_retries": 3,
                **fields}
        return self._child(lb_id, f"{LBAAS}/healthmonitors", "healthmonitor", body, token,
                           wait)

    def create_policy(self, lb_id: str, listener_id: str, action: str = "REJECT",
                      token: str | None = None, wait: bool = True, **fields: Any
                      ) -> dict[str, Any]:
        body = {"listener_id": listener_id, "action": action, **fields}
        return self._child(lb_id, f"{LBAAS}/l7policies", "l7policy", body, token, wait)

    def create_rule(self, lb_id: str, policy_id: str, type: str = "PATH",
                    compare_type: str = "STARTS_WITH", value: str = "/api",
                    token: str | None = None, wait: bool = True, **fields: Any
                    ) -> dict[str, Any]:
        body = {"type": type, "compare_type": compare_type, "value": value, **fields}
        return self._child(lb_id, f"{LBAAS}/l7policies/{policy_id}/rules", "rule", body,
                           token, wait)

    def one_of_each(self) -> dict[str, dict[str, Any]]:
        """A load balancer in project A with one object of each kind under it, ACTIVE;
        the objects by kind (loadbalancer, listener, pool, member, healthmonitor,
        l7policy, rule)."""
        lb = self.create_lb()
        listener = self.create_listener(lb["id"])
        pool = self.create_pool(lb["id"], listener_id=listener["id"])
        member = self.create_member(lb["id"], pool["id"])
        monitor = self.create_monitor(lb["id"], pool["id"])
        policy = self.create_policy(lb["id"], listener["id"])
        rule = self.create_rule(lb["id"], policy["id"])
        return {"loadbalancer": lb, "listener": listener, "pool": pool, "member": member,
                "healthmonitor": monitor, "l7policy": policy, "rule": rule}


def paths_of(tree: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The API path of each object of :meth:`Stack.one_of_each`, by kind."""
    pool_id, policy_id = tree["pool"]["id"], tree["l7policy"]["id"]
    return {
        "loadbalancer": f"{LBAAS}/loadbalancers/{tree['loadbalancer']['id']}",
        "listener": f"{LBAAS}/listeners/{tree['listener']['id']}",
        "pool": f"{LBAAS}/pools/{pool_id}",
        "member": f"{LBAAS}/pools/{pool_id}/members/{tree['member']['id']}",
        "healthmonitor": f"{LBAAS}/healthmonitors/{tree['healthmonitor']['id']}",
        "l7policy": f"{LBAAS}/l7policies/{policy_id}",
        "rule": f"{LBAAS}/l7policies/{policy_id}/rules/{tree['rule']['id']}",
    }
