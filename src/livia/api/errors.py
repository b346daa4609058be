"""The one place where errors become HTTP responses.

Every error body has Octavia's shape::

    {"faultcode": "Client" | "Server", "faultstring": "<what went wrong>", "debuginfo": null}

Bad input is always a 4xx with a sentence a user can act on; an unexpected
failure is logged with its traceback and answered with a 500 that reveals
nothing of it.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Scope, Send

from livia.domain.errors import (
    Conflict,
    DriverError,
    Forbidden,
    InvalidInput,
    LiviaError,
    NotAuthenticated,
    NotFound,
    QuotaExceeded,
    RequestTooLarge,
    Unsupported,
)
from livia.domain.limits import MESSAGE_LENGTH, quote

log = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[LiviaError], int], ...] = (
    (InvalidInput, 400),
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (QuotaExceeded, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RequestTooLarge, 413),
    (Unsupported, 501),
    (DriverError, 500),
)


def status_of(error: LiviaError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 500


def printable(message: str) -> str:
    """``message`` as it can always be sent: at most MESSAGE_LENGTH characters, valid UTF-8.

    ``quote`` writes what is not printable as its escape: a lone UTF-16 surrogate
    (JSON ``"\\ud800"``), which cannot be encoded as UTF-8, becomes ``\\ud800``.
    """
    return quote(message, MESSAGE_LENGTH)


IDENTITY_PREFIXES = ("/v3", "/identity")
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Request Entity Too Large",
          500: "Internal Server Error", 501: "Not Implemented"}


def is_identity(path: str) -> bool:
    """Keystone's routes answer errors in Keystone's shape."""
    return any(path == p or path.startswith(p + "/") for p in IDENTITY_PREFIXES)


def fault(status: int, message: str, path: str = "") -> JSONResponse:
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Keystone uri=''"
    if status == 413:
        headers["Connection"] = "close"  # the rest of the body is not read
    if is_identity(path):
        return JSONResponse(status_code=status, headers=headers or None, content={
            "error": {"code": status, "title": TITLES.get(status, "Error"),
                      "message": printable(message)}})
    return JSONResponse(
        status_code=status,
        content={
            "faultcode": "Client" if status < 500 else "Server",
            "faultstring": printable(message),
            "debuginfo": None,
        },
        headers=headers or None,
    )


async def respond(scope: Scope, send: Send, error: LiviaError) -> None:
    """Answer ``error`` from ASGI middleware, outside FastAPI's exception handlers."""

    async def no_body() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await fault(status_of(error), error.message, scope.get("path", ""))(scope, no_body, send)


def _location(loc: tuple[Any, ...]) -> str:
    """The field a validation error is about: ``tags`` for ``tags[3]``, ``insert_headers``
    for one of its keys (as Octavia names them), the innermost field otherwise."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    if len(parts) >= 3 and parts[-1] == "[key]":
        parts = parts[:-2]
    names = [quote(str(p)) for p in parts if not isinstance(p, int)]
    return names[-1] if names else "body"


def describe_validation(exc: RequestValidationError) -> str:
    first = exc.errors()[0]
    kind = first.get("type", "")
    loc = tuple(first.get("loc", ()))
    if kind in ("model_attributes_type", "dict_type") and len(loc) <= 1:
        return "Invalid request body: a JSON object is required."
    if kind == "json_invalid":
        return "Invalid JSON body: " + str(first.get("ctx", {}).get("error", "malformed"))
    if kind == "missing":
        if len(loc) <= 1 or (len(loc) == 2 and loc[0] == "body"):
            return "Missing request body or its top-level object."
        return f"Mandatory field missing: {_location(loc)}"
    if kind == "extra_forbidden":
        where = quote(str(loc[-2])) if len(loc) > 1 else "body"
        return f"Unknown attribute for argument {where}: {quote(str(loc[-1]))}"
    field = _location(loc)
    value = quote(first.get("input"))
    message = str(first.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return f"Invalid input for field/attribute {field}. Value: '{value}'. {message}"


def install(app: FastAPI) -> None:
    @app.exception_handler(LiviaError)
    async def _livia(request: Request, exc: LiviaError) -> JSONResponse:
        status = status_of(exc)
        if status >= 500:
            log.error("request failed: %s", exc.message)
        return fault(status, exc.message, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return fault(400, describe_validation(exc), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return fault(404, "The resource could not be found: "
                         + quote(request.url.path, 255), request.url.path)
        if exc.status_code == 405:
            return fault(405, f"The method {request.method} is not allowed for this resource.",
                         request.url.path)
        return fault(exc.status_code, str(exc.detail), request.url.path)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # The body did not arrive (the client went away, or the body cap or the body
        # timeout cut it off): nobody reads this answer.
        log.info("client gone before its request body arrived: %s %s", request.method,
                 request.url.path)
        return fault(400, "The request body did not arrive.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return fault(500, "An unexpected error occurred; the server log has the details.")
