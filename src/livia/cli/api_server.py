"""The API's HTTP server: uvicorn with h11, plus request header and body timeouts.

uvicorn closes a connection that is idle between requests after
``timeout_keep_alive``, but nothing else: a client that opens a connection
and sends nothing, or sends its request headers one byte at a time, or stops
halfway through its body, holds the connection forever. ``TimedH11Protocol``
(uvicorn's h11 protocol with two timers, passed as ``http=`` in
``uvicorn.Config``) closes them:

- headers: a request's line and headers must be complete within
  ``header_timeout`` seconds of its first byte (of the connection opening, for
  the first request). A partial request gets ``408 Request Timeout``; a
  connection that sent nothing is closed silently, as an idle keep-alive one is.
- body: the body must be complete within ``body_timeout`` seconds of the headers.
  If the app has not answered yet, the client gets a 408 and the app sees the
  client as gone.

A request h11 cannot parse gets its 400 in Octavia's shape too.

A request whose headers and body have arrived is never timed: the app may
take as long as it needs to answer, and keep-alive between requests works as
before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from livia.api import errors
from livia.domain.settings import Settings

STATUS_LINE = b"HTTP/1.1 408 Request Timeout\r\n"


def _fault(status: int, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of an answer the server gives itself, in Octavia's shape."""
    body = bytes(errors.fault(status, message).body)
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    return headers, body


def _timeout_fault(what: str, seconds: float) -> tuple[list[tuple[bytes, bytes]], bytes]:
    return _fault(408, f"The request {what} did not arrive within {seconds:g} s.")


class TimedH11Protocol(H11Protocol):
    header_timeout: float = 5.0
    body_timeout: float = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    # -- uvicorn's protocol, with the timers kept up to date -------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel(header=True, body=True)
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._watch()

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot parse, or whose headers outgrow its buffer: 400, a fault body."""
        self._answer(400, b"Bad Request", _fault(400, f"{msg} The request line and headers "
                                                       "must be valid HTTP/1.1, and not "
                                                       "oversized."))
        self.transport.close()

    def _answer(self, status: int, reason: bytes,
                fault: tuple[list[tuple[bytes, bytes]], bytes]) -> None:
        """Send the server's own answer to the request h11 is reading (if h11 lets it)."""
        headers, body = fault
        with contextlib.suppress(h11.LocalProtocolError):
            for event in (h11.Response(status_code=status, headers=headers, reason=reason),
                          h11.Data(data=body), h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))

    # -- the timers ---------------------------------------------------------------------------
    def _watch(self) -> None:
        """Arm or cancel the timers for where the client is in its request."""
        if self.transport.is_closing():
            self._cancel(header=True, body=True)
            return
        state = self.conn.their_state
        if state is not h11.IDLE:
            self._cancel(header=True)
        elif self._header_timer is None and self.conn.trailing_data[0]:
            # The first bytes of a request on a kept-alive connection.
            self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)
        if state is not h11.SEND_BODY:
            self._cancel(body=True)
        elif self._body_timer is None:
            self._body_timer = self.loop.call_later(self.body_timeout, self._body_late)

    def _cancel(self, *, header: bool = False, body: bool = False) -> None:
        if header and self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        if body and self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:
            headers, body = _timeout_fault("headers", self.header_timeout)
            lines = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            self.transport.write(STATUS_LINE + lines + b"\r\n" + body)
        self.transport.close()

    def _body_late(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_started:
            # From now on the app's receive() says the client is gone and its send() is
            # dropped: the 408 is the answer.
            cycle.disconnected = True
            cycle.message_event.set()
            self._answer(408, b"Request Timeout", _timeout_fault("body", self.body_timeout))
        self.transport.close()


def protocol_class(settings: Settings) -> type[TimedH11Protocol]:
    class Configured(TimedH11Protocol):
        header_timeout = settings.http_header_timeout
        body_timeout = settings.http_body_timeout

    return Configured


class ApiServer(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` stops everything together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def api_server(app: Any, settings: Settings) -> ApiServer:
    """The server ``livia serve`` runs: h11 with the timeouts of ``settings``."""
    config = uvicorn.Config(app, host=settings.api_host, port=settings.api_port,
                            http=protocol_class(settings), log_level="warning",
                            lifespan="off")
    return ApiServer(config)
