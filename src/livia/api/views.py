"""Domain objects as API dictionaries.

The dataclasses already carry the API's field names, so a view is the
dataclass as plain data minus internal fields, with Octavia's conventions:
an unset name or description reads ``""``, timestamps are ISO 8601 without
fractions, enums are their values.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pydantic_core
from fastapi import Response
from pydantic import BaseModel

_SCALARS = frozenset((str, int, bool, float, type(None)))
_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def plain(value: Any) -> Any:
    if type(value) in _SCALARS:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def view(obj: Any, *, hide: Iterable[str] = (), blank: Iterable[str] = ("name", "description")
         ) -> dict[str, Any]:
    """``obj`` as a dict without ``hide``; ``blank`` fields read "" instead of null."""
    hidden = set(hide)
    scalars = _SCALARS
    out = {}
    for name in _field_names(type(obj)):
        if name in hidden:
            continue
        value = getattr(obj, name)
        # Most fields are plain strings, numbers or None: no call for those (a list
        # of 1,000 load balancers converts ~25,000 values).
        out[name] = value if type(value) in scalars else plain(value)
    for name in blank:
        if name in out and out[name] is None:
            out[name] = ""
    if "project_id" in out:
        out["tenant_id"] = out["project_id"]
    return out


def id_refs(ids: Iterable[str]) -> list[dict[str, str]]:
    return [{"id": i} for i in ids]


def all_in_model_order(model: type[BaseModel], objs: list[dict[str, Any]]
                       ) -> list[dict[str, Any]]:
    """Each of ``objs`` with its keys in the order ``model`` would write them: the
    declared fields first, then the extra ones (what validating into the model would
    give). The order is worked out once per set of keys."""
    orders: dict[tuple[str, ...], tuple[str, ...]] = {}
    out = []
    for obj in objs:
        keys = tuple(obj)
        order = orders.get(keys)
        if order is None:
            order = orders[keys] = _model_order(model, keys)
        out.append({k: obj[k] for k in order})
    return out


def _model_order(model: type[BaseModel], keys: tuple[str, ...]) -> tuple[str, ...]:
    declared = model.model_fields
    present = set(keys)
    return (*(k for k in declared if k in present), *(k for k in keys if k not in declared))


def json_response(content: dict[str, Any]) -> Response:
    """A ready JSON answer, encoded as FastAPI encodes a response model (pydantic's
    encoder), for large lists whose items are already plain data of the documented
    shape: FastAPI then skips validating every item against the response model."""
    return Response(content=pydantic_core.to_json(content), media_type="application/json")
