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


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def view(obj: Any, *, hide: Iterable[str] = (), blank: Iterable[str] = ("name", "description")
         ) -> dict[str, Any]:
    """``obj`` as a dict without ``hide``; ``blank`` fields read "" instead of null."""
    hidden = set(hide)
    out = {
        f.name: plain(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if f.name not in hidden
    }
    for name in blank:
        if name in out and out[name] is None:
            out[name] = ""
    if "project_id" in out:
        out["tenant_id"] = out["project_id"]
    return out


def id_refs(ids: Iterable[str]) -> list[dict[str, str]]:
    return [{"id": i} for i in ids]
