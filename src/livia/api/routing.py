"""The routers of every resource module, with the checks that every request gets.

Every string a request carries (JSON body, query parameters, path segments)
must be storable text (:func:`livia.domain.text.unstorable`): no lone UTF-16
surrogate, no NUL. Anything else is a 400 here, before any route sees it, so
no such value is ever stored, listed, rendered, or sent to PostgreSQL (which
refuses NUL where SQLite takes it).

In a body both can only arrive as JSON escapes (``\\ud800``, ``\\u0000``): raw
surrogate bytes are not UTF-8 and a raw NUL is not JSON, both already
refused by the JSON parser. So a body is parsed a second time only when its
bytes hold such an escape: a valid surrogate pair (an emoji) costs one more
parse; every other body costs one regex scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.domain.text import first_unstorable, unstorable

_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def refuse_unstorable(request: Request, body: bytes) -> None:
    for source in (request.path_params, request.query_params):
        for key, value in source.items():
            reason = unstorable(key) or unstorable(str(value))
            if reason is not None:
                raise InvalidInput(f"Invalid input for parameter {quote(key)}: the value "
                                   f"{reason}.")
    if not body or not _SUSPECT_ESCAPE.search(body):
        return
    try:
        data = json.loads(body)
    except ValueError:
        return  # not JSON: the route's own parsing answers for it
    found = first_unstorable(data)
    if found is not None:
        where, reason = found
        raise InvalidInput(f"Invalid input for field/attribute {where}: the value {reason}.")


class CheckedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def checked(request: Request) -> Response:
            refuse_unstorable(request, await request.body())
            return await handle(request)

        return checked


def router(tag: str | None = None, **options: Any) -> APIRouter:
    """A resource module's router (``options`` as APIRouter takes them)."""
    return APIRouter(tags=[tag] if tag else None, route_class=CheckedRoute, **options)
