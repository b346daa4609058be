"""The agent's HTTPS server: mutual TLS, one thread per connection, keep-alive.

The TLS handshake happens in the connection's own thread (not in the
accepting one), so a client that stalls it delays nobody else. Only clients
whose certificate the controller's CA signed get past it.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from livia.agent.api import Response, json_response

log = logging.getLogger("livia.agent.server")

HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0
MAX_BODY = 16 * 1024 * 1024


class Routes(Protocol):
    def handle(self, method: str, path: str, body: bytes) -> Response: ...


def server_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile=client_ca)
    return context


class AgentHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "livia-agent"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    server: AgentServer

    def do_GET(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        started = time.monotonic()
        response = self._response()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
        elapsed = (time.monotonic() - started) * 1000
        log.info("%s %s %d %.1fms from %s%s", self.command, self.path, response.status,
                 elapsed, self.client_address[0], _reason(response))

    def _response(self) -> Response:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            return json_response(413 if length > MAX_BODY else 400,
                                 {"error": "bad Content-Length", "details": str(length)})
        body = self.rfile.read(length) if length else b""
        try:
            return self.server.api.handle(self.command, self.path, body)
        except Exception as exc:
            log.exception("%s %s: unexpected failure", self.command, self.path)
            return json_response(500, {"error": "agent failure", "details": repr(exc)})

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


def _reason(response: Response) -> str:
    if response.status < 400 or not response.content_type.startswith("application/json"):
        return ""
    return " " + response.body.decode(errors="replace")[:500]


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], api: Routes, context: ssl.SSLContext) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.api = api
        self.context = context
        super().__init__(address, AgentHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.warning("TLS refused for %s: %s", client_address[0], exc)
            return
        try:
            AgentHandler(tls, client_address, self)
        finally:
            tls.close()
