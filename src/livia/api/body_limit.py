"""The request-body cap: a body over the limit is answered 413 before it is read.

An ASGI middleware outside routing, so it applies before authentication and
before FastAPI reads a body to validate it:

- a ``Content-Length`` over the cap is answered at once; the app is not called;
- a chunked (or under-declared) body is counted as it arrives, and the 413
  goes out as soon as the count passes the cap; the app then sees the client
  as gone (``http.disconnect``) and whatever it answers is dropped.

The 413 carries ``Connection: close`` (``livia.api.errors.fault``), so the
server closes the connection instead of reading the rest of the body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from livia.api import errors
from livia.domain.errors import RequestTooLarge


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def too_large(max_bytes: int) -> RequestTooLarge:
    return RequestTooLarge(f"Request body is larger than this API accepts ({max_bytes} bytes).")


class _Counted:
    """One request: counts what ``receive`` delivers; answers 413 once it passes the cap."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, max_bytes: int) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.max_bytes = max_bytes
        self.seen = 0
        self.started = False
        self.refused = False

    async def receive(self) -> Message:
        if self.refused:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.max_bytes:
                self.refused = True
                if not self.started:
                    await errors.respond(self.scope, self._send, too_large(self.max_bytes))
                return {"type": "http.disconnect"}
        return message

    async def send(self, message: Message) -> None:
        if self.refused:
            return  # the 413 (or a cut-off response) has been sent; the app's answer is moot
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class BodyLimit:
    """ASGI middleware: request bodies of at most ``max_bytes`` bytes."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await errors.respond(scope, send, too_large(self.max_bytes))
            return
        counted = _Counted(scope, receive, send, self.max_bytes)
        await self.app(scope, counted.receive, counted.send)
