"""Rows in, dataclasses out: the generic half of every repository.

``Records(table, cls)`` reads and writes one table whose column names are the
dataclass's field names. Conversions are driven by the dataclass's type hints:
enums come back as enums, JSON lists as tuples, nested dataclasses as
dataclasses. Tags live in their own table and are attached on the way out.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Connection,
    CursorResult,
    DateTime,
    Float,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    update,
)

from livia.domain.errors import InvalidInput
from livia.domain.limits import quote
from livia.store import tables

T = TypeVar("T")


def utcnow() -> datetime:
    """Naive UTC, second precision: what every timestamp column holds."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


Convert = Callable[[Any], Any]


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _tuple_of(inner: Convert | None) -> Convert:
    if inner is None:
        return tuple
    return lambda value: tuple(None if v is None else inner(v) for v in value)


def _converter(tp: Any) -> Convert | None:
    """How a non-null stored value becomes a ``tp``; None: it already is one."""
    tp = _strip_optional(tp)
    origin = typing.get_origin(tp)
    if origin is tuple:
        return _tuple_of(_converter(typing.get_args(tp)[0]))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        nested: type[Any] = tp
        return lambda value: from_mapping(nested, value)
    if origin is dict:
        return dict
    return None


_PLANS: dict[type, tuple[tuple[str, Convert | None], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, Convert | None], ...]:
    """Each field of ``cls`` with its converter, worked out once from the type hints."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = tuple((f.name, _converter(hints[f.name]))
                     for f in dataclasses.fields(cls))
        _PLANS[cls] = plan
    return plan


def from_mapping(cls: type[T], data: Mapping[str, Any], **extra: Any) -> T:
    """Build ``cls`` from a row or JSON object, converting by type hints."""
    kwargs: dict[str, Any] = {}
    for name, convert in _plan(cls):
        if name in extra:
            kwargs[name] = extra[name]
        elif name in data:
            value = data[name]
            kwargs[name] = value if convert is None or value is None else convert(value)
    return cls(**kwargs)


def from_rows(cls: type[T], keys: Sequence[str], rows: Iterable[Sequence[Any]],
              extra: Callable[[Sequence[Any]], Mapping[str, Any]] | None = None) -> list[T]:
    """``from_mapping`` for many rows of one result (columns ``keys``), without a
    mapping per row: the columns that are fields are found once."""
    index = {k: i for i, k in enumerate(keys)}
    columns = [(name, index[name], convert) for name, convert in _plan(cls) if name in index]
    out = []
    for row in rows:
        kwargs = {name: row[i] if convert is None or row[i] is None else convert(row[i])
                  for name, i, convert in columns}
        if extra is not None:
            kwargs.update(extra(row))
        out.append(cls(**kwargs))
    return out


def to_json(value: Any) -> Any:
    """A dataclass, enum or tuple as plain JSON-able data (the inverse of ``from_mapping``)."""
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """A list request: filters, tag filters, sort and one page."""

    filters: Mapping[str, Sequence[str]] = dataclasses.field(default_factory=dict)
    tags: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    not_tags: tuple[str, ...] = ()
    not_tags_any: tuple[str, ...] = ()
    sort: tuple[tuple[str, str], ...] = ()
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    project_id: str | None = None  # None: every project (admin)


@dataclasses.dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    has_more: bool  # there is another page in the direction of travel


def _coerce(column: Any, raw: str) -> Any:
    kind = column.type
    try:
        if isinstance(kind, Boolean):
            lowered = raw.lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(raw)
            return lowered in ("true", "1", "yes")
        if isinstance(kind, Integer):
            return int(raw)
        if isinstance(kind, Float):
            return float(raw)
        if isinstance(kind, DateTime):
            return datetime.fromisoformat(raw.rstrip("Z"))
    except ValueError as exc:
        raise InvalidInput(f"Invalid filter value {quote(repr(raw))} for {column.name}."
                           ) from exc
    return raw


_TAGS_OF = select(tables.tags.c.resource_id, tables.tags.c.tag).where(
    tables.tags.c.resource_id.in_(bindparam("ids", expanding=True)))


class Records(Generic[T]):
    def __init__(self, table: Table, cls: type[T], *, tagged: bool = True) -> None:
        self.table = table
        self.cls = cls
        self.tagged = tagged
        self.fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        self._by_id: dict[bool, Select[Any]] = {}

    # -- reading ---------------------------------------------------------
    def _build(self, conn: Connection, rows: CursorResult[Any]) -> list[T]:
        keys = list(rows.keys())
        fetched = rows.all()
        if not self.tagged:
            return from_rows(self.cls, keys, fetched)
        at = keys.index("id")
        tag_map = self._tags(conn, [r[at] for r in fetched])
        return from_rows(self.cls, keys, fetched,
                         lambda r: {"tags": tuple(sorted(tag_map.get(r[at], ())))})

    def _tags(self, conn: Connection, ids: list[str]) -> dict[str, list[str]]:
        if not ids:
            return {}
        found: dict[str, list[str]] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = ids[chunk_start : chunk_start + 500]
            rows = conn.execute(_TAGS_OF, {"ids": chunk})
            for rid, tag in rows:
                found.setdefault(rid, []).append(tag)
        return found

    def get(self, conn: Connection, object_id: str, *, for_update: bool = False) -> T | None:
        # Built once per table (only the bound id changes): building a statement
        # costs more than running it for one row.
        stmt = self._by_id.get(for_update)
        if stmt is None:
            stmt = select(self.table).where(self.table.c.id == bindparam("object_id"))
            stmt = self._by_id[for_update] = stmt.with_for_update() if for_update else stmt
        rows = self._build(conn, conn.execute(stmt, {"object_id": object_id}))
        return rows[0] if rows else None

    def where(self, conn: Connection, *conditions: ColumnElement[bool]) -> list[T]:
        stmt = select(self.table).where(*conditions)
        if "created_at" in self.table.c:
            stmt = stmt.order_by(self.table.c.created_at, self.table.c.id)
        return self._build(conn, conn.execute(stmt))

    def count(self, conn: Connection, *conditions: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(self.table).where(*conditions)
        return int(conn.execute(stmt).scalar_one())

    def page(
        self, conn: Connection, query: ListQuery, *conditions: ColumnElement[bool]
    ) -> Page[T]:
        stmt = select(self.table).where(*conditions, *self._filters(query))
        sort = self._sort_keys(query)
        reverse = query.page_reverse
        if query.marker is not None:
            # The marker must be a row the caller could list: another project's id is
            # "not found" too (else its existence and sort position would show).
            marker = conn.execute(
                select(self.table).where(self.table.c.id == query.marker, *conditions,
                                         *self._scope(query))
            ).first()
            if marker is None:
                raise InvalidInput(f"Marker {quote(query.marker)} not found.")
            stmt = stmt.where(self._after(marker._mapping, sort, reverse))
        order = []
        for key, direction in sort:
            col = self.table.c[key]
            ascending = (direction == "asc") != reverse
            order.append(col.asc() if ascending else col.desc())
        stmt = stmt.order_by(*order)
        if query.limit is not None:
            stmt = stmt.limit(query.limit + 1)
        items = self._build(conn, conn.execute(stmt))
        has_more = query.limit is not None and len(items) > query.limit
        if has_more:
            items = items[: query.limit]
        if reverse:
            items.reverse()
        return Page(items=items, has_more=has_more)

    def _sort_keys(self, query: ListQuery) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        for key, direction in query.sort:
            if key not in self.table.c or key not in self.fields:
                raise InvalidInput(f"Invalid sort key {quote(repr(key))}.")
            if direction not in ("asc", "desc"):
                raise InvalidInput(f"Invalid sort direction {quote(repr(direction))}.")
            keys.append((key, direction))
        if not keys:
            keys = [("created_at", "asc")] if "created_at" in self.table.c else []
        if "id" not in (k for k, _ in keys):
            keys.append(("id", keys[-1][1] if keys else "asc"))
        return keys

    def _after(
        self, marker: Any, sort: list[tuple[str, str]], reverse: bool
    ) -> ColumnElement[bool]:
        """Rows strictly after the marker row in the (possibly reversed) sort order."""
        clauses = []
        for i, (key, direction) in enumerate(sort):
            col = self.table.c[key]
            ascending = (direction == "asc") != reverse
            value = marker[key]
            equal_before = [self.table.c[k] == marker[k] for k, _ in sort[:i]]
            step: ColumnElement[bool]
            if value is None:
                # NULLs sort first ascending on SQLite and last on PostgreSQL;
                # treat them as "smallest" and step over them explicitly.
                step = col.is_not(None) if ascending else false()
            else:
                step = col > value if ascending else or_(col < value, col.is_(None))
            clauses.append(and_(*equal_before, step))
        return or_(*clauses)

    def _filters(self, query: ListQuery) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        for key, values in query.filters.items():
            if key not in self.table.c or key not in self.fields:
                continue
            col = self.table.c[key]
            if isinstance(col.type, JSON):
                continue
            coerced = [_coerce(col, v) for v in values]
            out.append(col.in_(coerced) if len(coerced) > 1 else col == coerced[0])
        out.extend(self._scope(query))
        if self.tagged:
            out.extend(self._tag_filters(query))
        return out

    def _scope(self, query: ListQuery) -> list[ColumnElement[bool]]:
        if query.project_id is not None and "project_id" in self.table.c:
            return [self.table.c.project_id == query.project_id]
        return []

    def _has_tag(self, tag: str) -> ColumnElement[bool]:
        t = tables.tags
        return exists().where(and_(t.c.resource_id == self.table.c.id, t.c.tag == tag))

    def _tag_filters(self, query: ListQuery) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = [self._has_tag(t) for t in query.tags]
        if query.tags_any:
            out.append(or_(*(self._has_tag(t) for t in query.tags_any)))
        if query.not_tags:
            out.append(~and_(*(self._has_tag(t) for t in query.not_tags)))
        out.extend(~self._has_tag(t) for t in query.not_tags_any)
        return out

    # -- writing ---------------------------------------------------------
    def insert(self, conn: Connection, obj: T) -> None:
        row = {
            k: v for k, v in to_json(obj).items() if k in self.table.c
        }
        conn.execute(insert(self.table).values(**row))
        if self.tagged:
            self._add_tags(conn, row["id"], getattr(obj, "tags", ()))

    def update(self, conn: Connection, object_id: str, **values: Any) -> None:
        tags = values.pop("tags", None)
        row = {k: to_json(v) for k, v in values.items()}
        if row:
            if "updated_at" in self.table.c and "updated_at" not in row:
                row["updated_at"] = utcnow()
            conn.execute(update(self.table).where(self.table.c.id == object_id).values(**row))
        if tags is not None and self.tagged:
            self.set_tags(conn, object_id, tags)

    def update_where(self, conn: Connection, condition: ColumnElement[bool], **values: Any) -> int:
        row = {k: to_json(v) for k, v in values.items()}
        if "updated_at" in self.table.c and "updated_at" not in row:
            row["updated_at"] = utcnow()
        result = conn.execute(update(self.table).where(condition).values(**row))
        return int(result.rowcount)

    def delete(self, conn: Connection, object_id: str) -> None:
        if self.tagged:
            conn.execute(delete(tables.tags).where(tables.tags.c.resource_id == object_id))
        conn.execute(delete(self.table).where(self.table.c.id == object_id))

    def set_tags(self, conn: Connection, object_id: str, tags: Iterable[str]) -> None:
        conn.execute(delete(tables.tags).where(tables.tags.c.resource_id == object_id))
        self._add_tags(conn, object_id, tags)

    def _add_tags(self, conn: Connection, object_id: str, tags: Iterable[str]) -> None:
        """Tags of a new object (ids are fresh UUIDs: it has none yet)."""
        unique = sorted(set(tags))
        if unique:
            conn.execute(
                insert(tables.tags), [{"resource_id": object_id, "tag": t} for t in unique]
            )

    def select(self) -> Select[Any]:
        return select(self.table)
