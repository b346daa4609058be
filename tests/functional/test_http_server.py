"""The API's HTTP server as ``livia serve`` runs it: body cap, header and body timeouts.

A real uvicorn server (``livia.cli.api_server.api_server``, the one ``serve``
builds) on 127.0.0.1 and a free port, serving the app over the fake drivers'
settings and a SQLite database, in a background thread. The clients are raw
sockets, so that a test can send headers one byte at a time or stop halfway
through a body. Every socket has a timeout and every loop a bound; the server
stops at the end of the module whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from livia.api.app import create_app
from livia.api.context import ApiServices
from livia.cli.api_server import api_server
from livia.cli.main import _parser, settings_from
from livia.domain.settings import Settings
from livia.store import tokens
from livia.store.database import Database

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.5
MAX_BODY = 64 * 1024
ADMIN = "lvt-http-admin"
SOCKET_TIMEOUT = 10.0


@dataclass(frozen=True)
class Server:
    port: int

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=SOCKET_TIMEOUT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("http-server")
    settings = Settings(state_dir=Path(state), driver="fake", api_port=_free_port(),
                        http_header_timeout=HEADER_TIMEOUT, http_body_timeout=BODY_TIMEOUT,
                        max_request_body_bytes=MAX_BODY)
    db = Database(settings.database)
    db.migrate()
    app = create_app(ApiServices(db=db, settings=settings,
                                 admin_token_hash=tokens.hash_token(ADMIN)))
    uv = api_server(app, settings)
    thread = threading.Thread(target=uv.run, name="lvt-http-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not uv.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert uv.started, "the API server did not start within 10 s"
        yield Server(settings.api_port)
    finally:
        uv.should_exit = True
        thread.join(timeout=15)
        db.dispose()
        assert not thread.is_alive(), "the API server did not stop within 15 s"


def read_until_closed(conn: socket.socket, bound: float = SOCKET_TIMEOUT) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and how long that took."""
    start = time.monotonic()
    data = b""
    while time.monotonic() - start < bound:
        try:
            chunk = conn.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    else:
        raise AssertionError(f"the server did not close the connection within {bound} s")
    return data, time.monotonic() - start


def status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if body else {}


def test_a_silent_client_is_closed_after_the_header_timeout(server: Server) -> None:
    with server.connect() as conn:
        data, took = read_until_closed(conn)
    assert data == b""
    assert HEADER_TIMEOUT - 0.2 <= took <= HEADER_TIMEOUT + 2


def test_a_client_trickling_its_headers_gets_408_and_is_closed(server: Server) -> None:
    request = b"GET /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: x\r\n"
    start = time.monotonic()
    with server.connect() as conn:
        for byte in request[:40]:  # at most 40 bytes, 0.1 s apart: 4 s, far past the timeout
            try:
                conn.send(bytes([byte]))
            except OSError:
                break  # closed by the server, as it should be
            time.sleep(0.1)
        data, _ = read_until_closed(conn)
    took = time.monotonic() - start
    status, body = status_and_body(data)
    assert status == 408
    assert body["faultcode"] == "Client" and "headers" in str(body["faultstring"])
    assert took <= HEADER_TIMEOUT + 2


def test_a_stalled_body_gets_408_and_is_closed(server: Server) -> None:
    with server.connect() as conn:
        conn.sendall(b"POST /v2.0/networks HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"X-Auth-Token: " + ADMIN.encode() + b"\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"net")
        data, took = read_until_closed(conn)
    status, body = status_and_body(data)
    assert status == 408 and "body" in str(body["faultstring"])
    assert BODY_TIMEOUT - 0.2 <= took <= BODY_TIMEOUT + 2


def test_keep_alive_and_slow_but_timely_clients_are_unaffected(server: Server) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=SOCKET_TIMEOUT,
                      headers={"X-Auth-Token": ADMIN}) as client:
        for _ in range(3):  # one connection, idle 0.6 s between requests: 1.8 s in all
            assert client.get("/v2.0/networks").status_code == 200
            time.sleep(0.6)
        created = client.post("/v2.0/networks", json={"network": {"name": "lvt-keep"}})
        assert created.status_code == 201
    with server.connect() as conn:  # headers in two halves, 0.5 s apart: within the timeout
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(HEADER_TIMEOUT / 2)
        conn.sendall(b"Connection: close\r\n\r\n")
        data, _ = read_until_closed(conn)
    assert status_and_body(data)[0] == 200


def test_a_declared_oversized_body_is_refused_before_it_is_sent(server: Server) -> None:
    """No token, 200 MB announced: 413 at once (not 401 after reading it), then closed."""
    with server.connect() as conn:
        conn.sendall(b"POST /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n")
        data, took = read_until_closed(conn)
    status, body = status_and_body(data)
    assert status == 413 and body["faultcode"] == "Client"
    assert str(MAX_BODY) in str(body["faultstring"])
    assert b"connection: close" in data.lower()
    assert took < 1.0


def test_a_chunked_body_is_cut_off_once_it_passes_the_cap(server: Server) -> None:
    chunk = b"a" * 16384
    sent = 0
    with server.connect() as conn:
        conn.sendall(b"POST /v2/lbaas/loadbalancers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(64):  # at most 1 MiB, 16 times the cap
            try:
                conn.sendall(b"4000\r\n" + chunk + b"\r\n")
            except OSError:
                break
            sent += len(chunk)
            time.sleep(0.01)
        data, _ = read_until_closed(conn)
    assert status_and_body(data)[0] == 413
    assert sent < 8 * MAX_BODY, f"the server kept reading: {sent} bytes sent"


def test_bodies_within_the_cap_go_on_to_authentication(server: Server) -> None:
    body = json.dumps({"network": {"name": "x" * 100, "tags": ["t"] * 10}}).encode()
    assert len(body) < MAX_BODY
    response = httpx.post(f"http://127.0.0.1:{server.port}/v2.0/networks", content=body,
                          headers={"Content-Type": "application/json"},
                          timeout=SOCKET_TIMEOUT)
    assert response.status_code == 401


def test_oversized_or_malformed_headers_get_a_fault_400(server: Server) -> None:
    for request in (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
                    b"NOT HTTP AT ALL\r\n\r\n"):
        with server.connect() as conn:
            with contextlib.suppress(OSError):  # the server may close before all is sent
                conn.sendall(request)
            data, _ = read_until_closed(conn)
        status, body = status_and_body(data)
        assert status == 400 and body["faultcode"] == "Client", data[:300]


def test_the_limits_are_serve_flags() -> None:
    args = _parser().parse_args(["serve", "--max-request-body-size", "2048",
                                 "--http-header-timeout", "2.5",
                                 "--http-body-timeout", "7"])
    settings = settings_from(args)
    assert (settings.max_request_body_bytes, settings.http_header_timeout,
            settings.http_body_timeout) == (2048, 2.5, 7.0)
