"""``livia httpd``: what the demo's instances run — each answers with its own name.

``GET /`` answers ``<name>``; ``GET /api`` answers 200 with a small JSON
document (what the seed's HTTP health monitor asks for). Keep-alive is on.
"""

from __future__ import annotations

import contextlib
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _handler(name: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.startswith("/api"):
                body = json.dumps({"name": name, "path": self.path}).encode() + b"\n"
                kind = "application/json"
            else:
                body = f"{name}\n".encode()
                kind = "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Served-By", name)
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def run(name: str, bind: str, port: int) -> int:
    server = ThreadingHTTPServer((bind, port), _handler(name))
    server.daemon_threads = True
    print(f"{name} serving HTTP on {bind}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
