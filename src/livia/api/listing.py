"""List requests: filters, tag filters, sorting, field selection and page links.

Query parameters, as Octavia and Neutron take them:

- ``limit``, ``marker``, ``page_reverse`` — one page; links ``next``/``previous``
  in ``<collection>_links`` carry every other parameter along (Octavia drops
  the filters; we keep them, so following a link stays in the filtered set);
- ``sort=k1:asc,k2:desc`` or ``sort_key``/``sort_dir`` (repeatable);
- ``fields=a&fields=b`` or ``fields=a,b`` — only those fields in each object;
- ``tags``, ``tags-any``, ``not-tags``, ``not-tags-any`` — comma-separated or repeated;
- any other parameter naming an attribute filters on it (repeat for "any of").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.store.records import ListQuery

RESERVED = {"limit", "marker", "page_reverse", "sort", "sort_key", "sort_dir", "fields",
            "tags", "tags-any", "not-tags", "not-tags-any", "cascade"}

# API names that are stored under another name.
ALIASES = {"tenant_id": "project_id"}


def _split(values: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        out.extend(x for x in (p.strip() for p in v.split(",")) if x)
    return tuple(out)


def _bool(value: str, name: str) -> bool:
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise InvalidInput(f"Invalid input for field/attribute {name}. Value: '{quote(value)}'.")


def _sort(params: QueryParams) -> tuple[tuple[str, str], ...]:
    keys: list[tuple[str, str]] = []
    for item in _split(params.getlist("sort")):
        key, _, direction = item.partition(":")
        keys.append((ALIASES.get(key, key), (direction or "asc").lower()))
    sort_keys = params.getlist("sort_key")
    sort_dirs = params.getlist("sort_dir")
    for i, key in enumerate(sort_keys):
        direction = sort_dirs[i] if i < len(sort_dirs) else (sort_dirs[-1] if sort_dirs else "asc")
        keys.append((ALIASES.get(key, key), direction.lower()))
    return tuple(keys)


def _limit(params: QueryParams, max_limit: int) -> int:
    raw = params.get("limit")
    if raw is None:
        return max_limit
    try:
        limit = int(raw)
    except ValueError as exc:
        raise InvalidInput(f"Invalid input for field/attribute limit. Value: '{quote(raw)}'."
                           ) from exc
    if limit < 0:
        raise InvalidInput(f"Limit must be positive: {raw}")
    return min(limit, max_limit) if limit else max_limit


def list_query(
    params: QueryParams,
    *,
    project_scope: str | None,
    max_limit: int,
    renames: Mapping[str, str] | None = None,
) -> ListQuery:
    """Translate query parameters; ``renames`` maps API names to column names."""
    names = {**ALIASES, **(renames or {})}
    filters: dict[str, list[str]] = {}
    for key in params:
        if key in RESERVED:
            continue
        filters[names.get(key, key)] = params.getlist(key)
    reverse_raw = params.get("page_reverse")
    return ListQuery(
        filters=filters,
        tags=_split(params.getlist("tags")),
        tags_any=_split(params.getlist("tags-any")),
        not_tags=_split(params.getlist("not-tags")),
        not_tags_any=_split(params.getlist("not-tags-any")),
        sort=tuple((names.get(k, k), d) for k, d in _sort(params)),
        limit=_limit(params, max_limit),
        marker=params.get("marker"),
        page_reverse=_bool(reverse_raw, "page_reverse") if reverse_raw else False,
        project_id=project_scope,
    )


def selected_fields(params: QueryParams) -> tuple[str, ...]:
    return _split(params.getlist("fields"))


def select(obj: dict[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    if not fields:
        return obj
    return {k: v for k, v in obj.items() if k in fields}


def links(
    base_url: str,
    path: str,
    params: QueryParams,
    items: Sequence[Mapping[str, Any]],
    *,
    has_more: bool,
    query: ListQuery,
) -> list[dict[str, str]]:
    """``next`` when another page follows, ``previous`` when this page began at a marker."""
    if not items or query.limit is None:
        return []
    kept = [(k, v) for k, v in params.multi_items() if k not in ("marker", "page_reverse")]
    out = []
    forward_more = has_more if not query.page_reverse else query.marker is not None
    backward_more = query.marker is not None if not query.page_reverse else has_more
    if forward_more:
        out.append({"rel": "next", "href": _href(base_url, path, kept, items[-1]["id"], False)})
    if backward_more:
        out.append({"rel": "previous", "href": _href(base_url, path, kept, items[0]["id"], True)})
    return out


def _href(base_url: str, path: str, kept: list[tuple[str, str]], marker: str,
          reverse: bool) -> str:
    params = [*kept, ("marker", marker)]
    if reverse:
        params.append(("page_reverse", "True"))
    return f"{base_url}{path}?{urlencode(params)}"
