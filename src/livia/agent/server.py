"""The agent's HTTPS server: mutual TLS, one thread per connection, keep-alive.

The TLS handshake happens in the connection's own thread (not in the
accepting one), so a client that stalls it delays nobody else. Only clients
whose certificate the controller's CA signed get past it.

HTTP/1.1 is spoken here directly (request line, headers, a Content-Length
body; keep-alive unless the client asks to close) instead of through
``http.server``: that module pulls in ``http.client``, ``email``, ``html``
and ``mimetypes``, about 1.8 MiB per agent process, for nothing the agent API
uses. Chunked request bodies are refused (411); ``Expect: 100-continue`` is
honoured.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import time
from http import HTTPStatus
from typing import Any, BinaryIO, Protocol

from livia.agent.api import Response, json_response

log = logging.getLogger("livia.agent.server")

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0
MAX_BODY = 16 * 1024 * 1024
MAX_LINE = 65536
MAX_HEADERS = 100
METHODS = frozenset({"GET", "PUT", "POST", "DELETE"})
SERVER = "livia-agent"


class Routes(Protocol):
    def handle(self, method: str, path: str, body: bytes) -> Response: ...


class BadRequest(Exception):
    """The request cannot be read; answered with ``status``, then the connection closes."""

    def __init__(self, status: int, details: str, error: str = "bad request") -> None:
        super().__init__(details)
        self.status = status
        self.error = error
        self.details = details


def server_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile=client_ca)
    return context


class Request:
    """One parsed request head: method, path, version and headers (lower-case names)."""

    def __init__(self, method: str, path: str, version: str, headers: dict[str, str]) -> None:
        self.method = method
        self.path = path
        self.version = version
        self.headers = headers

    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"

    def content_length(self) -> int:
        if "transfer-encoding" in self.headers:
            raise BadRequest(411, "only Content-Length bodies are accepted")
        try:
            length = int(self.headers.get("content-length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            raise BadRequest(413 if length > MAX_BODY else 400, str(length), "bad Content-Length")
        return length


def read_line(rfile: BinaryIO) -> str | None:
    """One CRLF-terminated line without its end; None at the end of the stream."""
    line = rfile.readline(MAX_LINE + 1)
    if not line:
        return None
    if len(line) > MAX_LINE:
        raise BadRequest(414, "line too long")
    return line.decode("latin-1").rstrip("\r\n")


def read_head(rfile: BinaryIO) -> Request | None:
    """The next request's head; None when the client closed the connection between requests."""
    line = read_line(rfile)
    while line == "":  # blank lines before a request are allowed (RFC 9112 §2.2)
        line = read_line(rfile)
    if line is None:
        return None
    words = line.split()
    if len(words) != 3 or not words[2].startswith("HTTP/1."):
        raise BadRequest(400, f"bad request line {line[:100]!r}")
    headers: dict[str, str] = {}
    while True:
        field = read_line(rfile)
        if field is None:
            raise BadRequest(400, "the connection closed inside the request head")
        if not field:
            break
        name, colon, value = field.partition(":")
        if not colon or len(headers) >= MAX_HEADERS:
            raise BadRequest(400, "bad or too many header fields")
        headers[name.strip().lower()] = value.strip()
    return Request(words[0], words[1], words[2], headers)


def response_head(status: int, content_type: str, length: int, close: bool) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}", f"Server: {SERVER}",
             "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
             f"Content-Type: {content_type}", f"Content-Length: {length}"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class AgentServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: Routes, context: ssl.SSLContext) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.api = api
        self.context = context
        super().__init__(address, socketserver.BaseRequestHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.warning("TLS refused for %s: %s", client_address[0], exc)
            return
        try:
            tls.settimeout(IDLE_TIMEOUT)
            with tls.makefile("rb") as rfile:
                self._converse(tls, rfile, str(client_address[0]))
        except (TimeoutError, OSError) as exc:
            log.debug("connection from %s ended: %s", client_address[0], exc)
        finally:
            tls.close()

    def _converse(self, tls: ssl.SSLSocket, rfile: BinaryIO, peer: str) -> None:
        """Serve requests on one connection until it closes or one of them asks to."""
        while True:
            try:
                request = read_head(rfile)
                if request is None:
                    return
                close = not request.keep_alive()
                length = request.content_length()
            except BadRequest as bad:
                self._send(tls, peer, "-", "-", time.monotonic(), json_response(
                    bad.status, {"error": bad.error, "details": bad.details}), close=True)
                return
            if request.headers.get("expect", "").lower() == "100-continue" and length:
                tls.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            started = time.monotonic()
            body = rfile.read(length) if length else b""
            if len(body) < length:
                return
            self._send(tls, peer, request.method, request.path, started,
                       self._answer(request, body), close)
            if close:
                return

    def _answer(self, request: Request, body: bytes) -> Response:
        if request.method not in METHODS:
            return json_response(501, {"error": "method not implemented",
                                       "details": request.method})
        try:
            return self.api.handle(request.method, request.path, body)
        except Exception as exc:
            log.exception("%s %s: unexpected failure", request.method, request.path)
            return json_response(500, {"error": "agent failure", "details": repr(exc)})

    def _send(self, tls: ssl.SSLSocket, peer: str, method: str, path: str, started: float,
              response: Response, close: bool) -> None:
        head = response_head(response.status, response.content_type, len(response.body), close)
        tls.sendall(head + response.body)
        elapsed = (time.monotonic() - started) * 1000
        log.info("%s %s %d %.1fms from %s%s", method, path, response.status, elapsed, peer,
                 _reason(response))


def _reason(response: Response) -> str:
    if response.status < 400 or not response.content_type.startswith("application/json"):
        return ""
    return " " + response.body.decode(errors="replace")[:500]
