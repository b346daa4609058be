"""The agent server's own HTTP/1.1 handling, byte for byte over mutual TLS on loopback.

Keep-alive, ``Connection: close``, bodies by Content-Length, ``Expect:
100-continue``, and the answers to requests it cannot read.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from livia.agent.api import Response, json_response
from livia.agent.server import AgentServer, server_context
from livia.drivers.certificates import LocalCA

AMP = "7a1b2c3d-0000-4000-8000-00000000abcd"


@dataclass
class EchoRoutes:
    seen: list[tuple[str, str, bytes]] = field(default_factory=list)

    def handle(self, method: str, path: str, body: bytes) -> Response:
        self.seen.append((method, path, body))
        if path == "/boom":
            raise RuntimeError("boom")
        return json_response(200, {"method": method, "path": path, "length": len(body)})


@dataclass
class Running:
    server: AgentServer
    routes: EchoRoutes
    client: ssl.SSLContext

    def connect(self) -> ssl.SSLSocket:
        raw = socket.create_connection(("127.0.0.1", self.server.server_address[1]), timeout=5)
        return self.client.wrap_socket(raw, server_hostname=AMP)


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    ca = LocalCA.load_or_create(tmp_path / "pki")
    issued = ca.issue_server(AMP)
    (tmp_path / "s.pem").write_bytes(issued.cert_pem)
    (tmp_path / "s.key").write_bytes(issued.key_pem)
    cert, key = ca.client_cert_paths()
    client = ssl.create_default_context(cafile=str(tmp_path / "pki" / "ca.pem"))
    client.load_cert_chain(str(cert), str(key))
    routes = EchoRoutes()
    server = AgentServer(("127.0.0.1", 0), routes, server_context(
        str(tmp_path / "s.pem"), str(tmp_path / "s.key"), str(tmp_path / "pki" / "ca.pem")))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Running(server, routes, client)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def read_response(conn: ssl.SSLSocket) -> tuple[int, dict[str, str], bytes]:
    """One response: status, headers (lower-case names) and a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {n.strip().lower(): v.strip() for n, _, v in (x.partition(":") for x in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = conn.recv(65536)
        assert chunk
        rest += chunk
    assert len(rest) == length, "bytes after the body"
    return int(lines[0].split()[1]), headers, rest


def closed(conn: ssl.SSLSocket) -> bool:
    try:
        return conn.recv(1) == b""
    except (ssl.SSLError, OSError):
        return True


def test_two_requests_on_one_connection_then_close(running: Running) -> None:
    with running.connect() as conn:
        conn.sendall(b"PUT /v1/haproxy HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
        status, headers, body = read_response(conn)
        assert (status, json.loads(body)["length"]) == (200, 5)
        assert headers["content-type"] == "application/json" and "connection" not in headers
        conn.sendall(b"GET /v1/info HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        status, headers, _ = read_response(conn)
        assert status == 200 and headers["connection"] == "close"
        assert closed(conn)
    assert running.routes.seen == [("PUT", "/v1/haproxy", b"hello"), ("GET", "/v1/info", b"")]


def test_expect_100_continue_gets_an_interim_answer(running: Running) -> None:
    with running.connect() as conn:
        conn.sendall(b"PUT /v1/x HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        interim = b""
        while not interim.endswith(b"\r\n\r\n"):
            interim += conn.recv(1)
        assert interim.startswith(b"HTTP/1.1 100 ")
        conn.sendall(b"abc")
        assert read_response(conn)[0] == 200
    assert running.routes.seen == [("PUT", "/v1/x", b"abc")]


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"PUT /v1/x HTTP/1.1\r\nContent-Length: nope\r\n\r\n", 400),
    (b"PUT /v1/x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", 413),
    (b"PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
    (b"garbage\r\n\r\n", 400),
    (b"GET /v1/x HTTP/1.1\r\nno colon here\r\n\r\n", 400),
])
def test_unreadable_requests_are_answered_and_the_connection_closed(
        running: Running, request_bytes: bytes, status: int) -> None:
    with running.connect() as conn:
        conn.sendall(request_bytes)
        got, headers, body = read_response(conn)
        assert (got, headers["connection"]) == (status, "close")
        assert "error" in json.loads(body)
        assert closed(conn)
    assert running.routes.seen == []


def test_unknown_method_and_handler_failure_keep_the_connection(running: Running) -> None:
    with running.connect() as conn:
        conn.sendall(b"PATCH /v1/x HTTP/1.1\r\n\r\n")
        assert read_response(conn)[0] == 501
        conn.sendall(b"GET /boom HTTP/1.1\r\n\r\n")
        status, _, body = read_response(conn)
        assert status == 500 and "boom" in json.loads(body)["details"]
        conn.sendall(b"GET /v1/info HTTP/1.1\r\n\r\n")
        assert read_response(conn)[0] == 200


def test_http_1_0_closes_unless_keep_alive(running: Running) -> None:
    with running.connect() as conn:
        conn.sendall(b"GET /v1/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        assert read_response(conn)[0] == 200
        conn.sendall(b"GET /v1/b HTTP/1.0\r\n\r\n")
        assert read_response(conn)[1]["connection"] == "close"
        assert closed(conn)
