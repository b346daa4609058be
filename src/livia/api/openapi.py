"""``/openapi.json``: every operation with the error responses it really gives, and the limits.

FastAPI documents a 422 for each operation with a body or parameters; Livia
answers validation errors with a 400 (``livia.api.errors``), so the schema is
rewritten once, when first asked for:

- every error response has Octavia's fault body (``Fault``), the identity
  routes' Keystone's (``KeystoneError``);
- 413 everywhere (the body cap applies before routing), 401 and 403 where a
  token is needed, 400/403/404/409 on writes, 400 on lists (their query), 404 where a
  path names an object, 408 where a body is read (the server's body timeout);
  a router or route adds others with ``documented()``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from livia.api.errors import is_identity
from livia.domain import limits

FAULT = "Fault"
KEYSTONE_ERROR = "KeystoneError"
WRITES = ("post", "put", "patch", "delete")

DESCRIPTIONS = {
    400: "Bad input: a value, a combination of values or a missing field; the message names "
         "it and quotes at most a short prefix of the value.",
    401: "No token, or one Livia does not know.",
    403: "The token's role may not do this (readers only read; some calls are admin-only).",
    404: "No such object, or one the caller may not see.",
    408: "The request body did not arrive within the server's body timeout (`livia serve "
         "--http-body-timeout`); the connection is closed.",
    409: "The object, or the load balancer it belongs to, is PENDING_*; or an equal object "
         "exists; or another object still uses it.",
    501: "The provider does not support a requested option (a flavor or availability zone "
         "profile's key or value).",
}
TOO_LARGE = ("The request body is over the API's cap of {} bytes (`livia serve "
             "--max-request-body-size`). Answered before the body is read, with "
             "`Connection: close`.")


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Extra error responses for a router or route (``responses=``)."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}


def _fault_schema() -> dict[str, Any]:
    return {
        "title": FAULT, "type": "object",
        "description": "Every error answer: Octavia's fault body.",
        "required": ["faultcode", "faultstring", "debuginfo"],
        "properties": {
            "faultcode": {"type": "string", "enum": ["Client", "Server"]},
            "faultstring": {"type": "string", "maxLength": limits.MESSAGE_LENGTH + 32},
            "debuginfo": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }


def _keystone_error_schema() -> dict[str, Any]:
    return {
        "title": KEYSTONE_ERROR, "type": "object",
        "description": "Every error answer of the identity routes: Keystone's error body.",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "title", "message"],
                                 "properties": {
                                     "code": {"type": "integer"},
                                     "title": {"type": "string"},
                                     "message": {"type": "string",
                                                 "maxLength": limits.MESSAGE_LENGTH + 32}}}},
    }


def _statuses(method: str, operation: dict[str, Any], identity: bool = False) -> set[int]:
    out = {413}
    if identity:  # Keystone's routes: bad input, bad credentials, policy, not found, in use
        out |= {400, 401, 403, 404, 409}
    if operation.get("security"):
        out |= {401, 403}  # 403: the token's roles do not allow it (or it has none)
        if method in WRITES:
            out |= {400, 403, 404, 409}
        elif "_list_" in operation.get("operationId", ""):
            out.add(400)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        out.add(404)
    if "requestBody" in operation:
        out.add(408)
    return out


def _document(operation: dict[str, Any], statuses: set[int], descriptions: dict[int, str],
              body: str = FAULT) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    wanted = {str(s) for s in statuses} | {c for c in responses if c.startswith(("4", "5"))}
    for code in sorted(wanted):
        entry = responses.setdefault(code, {})
        entry["description"] = descriptions.get(int(code), entry.get("description", ""))
        entry["content"] = {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{body}"}}}


def install(app: FastAPI, max_body_bytes: int) -> None:
    descriptions = {**DESCRIPTIONS, 413: TOO_LARGE.format(max_body_bytes)}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            components[FAULT] = _fault_schema()
            components[KEYSTONE_ERROR] = _keystone_error_schema()
            for path, operations in schema.get("paths", {}).items():
                body = KEYSTONE_ERROR if is_identity(path) else FAULT
                for method, operation in operations.items():
                    statuses = _statuses(method, operation, body == KEYSTONE_ERROR)
                    _document(operation, statuses, descriptions, body)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
