"""HttpsAgentClient against the agent's own TLS server on loopback.

The server answers from a scripted route table, so these tests exercise the
transport: mutual TLS, the amphora id check, connection reuse, and how
answers and failures become domain errors.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from livia.agent.api import Response, json_response
from livia.agent.server import AgentServer, server_context
from livia.domain.errors import PermanentError, TemporaryError
from livia.drivers.agent_client import AgentEndpoint
from livia.drivers.agent_client_https import HttpsAgentClient
from livia.drivers.certificates import LocalCA
from livia.protocol.agent import AgentRuntimeConfig, PlugVip

AMP = "7a1b2c3d-0000-4000-8000-00000000abcd"
OTHER = "7a1b2c3d-0000-4000-8000-00000000ffff"
INFO = {"amphora_id": AMP, "api_version": "v1", "haproxy_version": "2.6",
        "keepalived_version": "2.2.7", "haproxy_running": False, "keepalived_running": False}


@dataclass
class ScriptedRoutes:
    answers: dict[tuple[str, str], Response] = field(default_factory=dict)
    seen: list[tuple[str, str, bytes, int]] = field(default_factory=list)

    def handle(self, method: str, path: str, body: bytes) -> Response:
        self.seen.append((method, path, body, 0))
        return self.answers.get((method, path), json_response(200, {"result": "ok"}))


@dataclass
class Pki:
    ca: LocalCA
    directory: Path

    def server_files(self, amphora_id: str) -> tuple[str, str]:
        issued = self.ca.issue_server(amphora_id)
        cert, key = self.directory / f"{amphora_id}.pem", self.directory / f"{amphora_id}.key"
        cert.write_bytes(issued.cert_pem)
        key.write_bytes(issued.key_pem)
        return str(cert), str(key)

    def client(self, **kwargs: float) -> HttpsAgentClient:
        cert, key = self.ca.client_cert_paths()
        return HttpsAgentClient(str(self.ca.ca_path), str(cert), str(key), **kwargs)


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return Pki(LocalCA.load_or_create(tmp_path / "pki"), tmp_path)


@dataclass
class RunningServer:
    server: AgentServer
    routes: ScriptedRoutes
    connections: list[int]

    @property
    def endpoint(self) -> AgentEndpoint:
        return AgentEndpoint(AMP, "127.0.0.1", self.server.server_address[1])


def _start(pki: Pki, cert_for: str, port: int = 0) -> RunningServer:
    cert, key = pki.server_files(cert_for)
    routes = ScriptedRoutes({("GET", "/v1/info"): json_response(200, INFO)})
    server = AgentServer(("127.0.0.1", port), routes, server_context(cert, key,
                                                                     str(pki.ca.ca_path)))
    connections: list[int] = []
    accept = server.get_request

    def counted() -> tuple[socket.socket, tuple[str, int]]:
        request = accept()
        connections.append(request[1][1])
        return request

    server.get_request = counted  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return RunningServer(server, routes, connections)


@pytest.fixture
def agent(pki: Pki) -> Iterator[RunningServer]:
    running = _start(pki, AMP)
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()


def _run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_info_over_mutual_tls_reuses_one_connection(pki: Pki, agent: RunningServer) -> None:
    async def go() -> list[str]:
        client = pki.client()
        try:
            return [(await client.info(agent.endpoint)).amphora_id for _ in range(3)]
        finally:
            await client.close()
    assert _run(go()) == [AMP, AMP, AMP]
    assert len(agent.connections) == 1


def test_a_certificate_for_another_amphora_is_refused(pki: Pki) -> None:
    impostor = _start(pki, OTHER)
    try:
        async def go() -> None:
            client = pki.client()
            try:
                await client.info(impostor.endpoint)
            finally:
                await client.close()
        with pytest.raises(PermanentError, match="certificate"):
            _run(go())
        assert impostor.routes.seen == []
    finally:
        impostor.server.shutdown()
        impostor.server.server_close()


def test_a_client_without_certificate_is_refused_at_tls(pki: Pki, agent: RunningServer) -> None:
    context = ssl.create_default_context(cafile=str(pki.ca.ca_path))
    context.check_hostname = False
    answer = b""
    with socket.create_connection(("127.0.0.1", agent.endpoint.port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=AMP) as tls:
                tls.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = tls.recv(1024)
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            pass
    assert b"HTTP/1.1" not in answer
    assert agent.routes.seen == []


def test_config_uploads_are_text_and_documents_are_json(pki: Pki, agent: RunningServer) -> None:
    async def go() -> None:
        client = pki.client()
        try:
            await client.put_haproxy(agent.endpoint, "global\n")
            await client.plug_vip(agent.endpoint, PlugVip("aa:bb:cc:dd:ee:ff", "10.0.0.5", 24,
                                                          None, "10.0.0.10"))
            await client.put_runtime_config(agent.endpoint,
                                            AgentRuntimeConfig(1.0, ("198.18.0.1:5555",)))
        finally:
            await client.close()
    _run(go())
    (m1, p1, b1, _), (m2, p2, b2, _), (m3, p3, b3, _) = agent.routes.seen
    assert (m1, p1, b1) == ("PUT", "/v1/haproxy", b"global\n")
    assert (m2, p2) == ("POST", "/v1/plug/vip")
    assert json.loads(b2)["vrrp_ip"] == "10.0.0.5"
    assert (m3, p3, json.loads(b3)["health_targets"]) == ("PUT", "/v1/config",
                                                          ["198.18.0.1:5555"])


@pytest.mark.parametrize(("status", "error"), [(400, PermanentError), (409, PermanentError),
                                               (500, TemporaryError), (503, TemporaryError)])
def test_agent_answers_map_onto_domain_errors(pki: Pki, agent: RunningServer, status: int,
                                              error: type[Exception]) -> None:
    agent.routes.answers[("PUT", "/v1/haproxy")] = json_response(
        status, {"error": "invalid haproxy configuration", "details": "line 3: unknown 'x'"})

    async def go() -> None:
        client = pki.client()
        try:
            await client.put_haproxy(agent.endpoint, "x\n")
        finally:
            await client.close()
    with pytest.raises(error, match="line 3: unknown 'x'"):
        _run(go())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_nobody_listening_is_temporary_and_wait_ready_gives_up(pki: Pki) -> None:
    endpoint = AgentEndpoint(AMP, "127.0.0.1", _free_port())

    async def go() -> float:
        client = pki.client(connect_timeout=1.0, request_timeout=1.0)
        try:
            with pytest.raises(TemporaryError):
                await client.info(endpoint)
            started = time.monotonic()
            with pytest.raises(TemporaryError, match="not ready"):
                await client.wait_ready(endpoint, 0.3)
            return time.monotonic() - started
        finally:
            await client.close()
    assert 0.3 <= _run(go()) < 3.0  # type: ignore[operator]


def test_wait_ready_returns_as_soon_as_the_agent_answers(pki: Pki) -> None:
    port = _free_port()
    started: list[RunningServer] = []
    timer = threading.Timer(0.2, lambda: started.append(_start(pki, AMP, port)))
    timer.start()

    async def go() -> float:
        client = pki.client()
        try:
            t0 = time.monotonic()
            info = await client.wait_ready(AgentEndpoint(AMP, "127.0.0.1", port), 5.0)
            assert info.amphora_id == AMP
            return time.monotonic() - t0
        finally:
            await client.close()
    try:
        elapsed = _run(go())
        assert 0.15 < elapsed < 3.0  # type: ignore[operator]
    finally:
        timer.join()
        for running in started:
            running.server.shutdown()
            running.server.server_close()
