"""Keyset pages: the lists the API pages through with `?limit=` and an opaque `?cursor=`.

A page is `WHERE (k1, k2, …) > (cursor) ORDER BY k1, k2, … LIMIT n + 1`: stable while rows
are inserted, no OFFSET scans. The cursor is base64url of the JSON list of the last item's
sort key; clients treat it as opaque and only send it back. A cursor that does not decode
to the list's key is refused as `invalid_format` on `cursor`.

Sort columns must be NOT NULL and together unique (end with the primary key).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError
from loanledger.wire.strict_json import loads_strict


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


# ------------------------------------------------------------------ cursors
def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in key], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def _bad_cursor() -> DomainError:
    return DomainError("invalid_format", "the cursor is not one this list issued", "cursor")


def _coerce(value: Any, python_type: type) -> Any:
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is int:
        # Sort keys are BIGINT columns: a larger number cannot be one, and would reach the
        # driver (OverflowError on SQLite, a 500) if it were let through.
        if type(value) is not int or not -(2**63) <= value < 2**63:
            raise TypeError(value)
        return value
    if not isinstance(value, python_type):
        raise TypeError(value)
    return value


def decode_cursor(cursor: str, types: Sequence[type]) -> tuple[Any, ...]:
    """The sort key a cursor carries, typed like the sort columns; `invalid_format` otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = loads_strict(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError(values)
        return tuple(_coerce(v, t) for v, t in zip(values, types, strict=True))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise _bad_cursor() from None


def after(columns: Sequence[Any], key: Sequence[Any]):
    """(c1, c2, …) > (v1, v2, …), spelled out so every engine can use its indexes."""
    return or_(
        *(
            and_(*(columns[j] == key[j] for j in range(i)), columns[i] > key[i])
            for i in range(len(columns))
        )
    )


# ------------------------------------------------------------------ the page
def keyset_page(
    db: Session,
    stmt: Select,
    order_by: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    keep: Callable[[list[Any]], list[Any]] | None = None,
) -> Page:
    """One page of the rows of `stmt` (a SELECT of a table: read-only rows) in `order_by`
    order (ascending columns of that table).

    `keep`, when given, filters each fetched chunk in Python (for conditions SQL cannot
    express); scanning goes on until the page is full or the rows run out.
    """
    assert limit >= 1 and order_by
    types = [column.type.python_type for column in order_by]
    if cursor is not None:
        stmt = stmt.where(after(order_by, decode_cursor(cursor, types)))
    stmt = stmt.order_by(*order_by)

    def key(row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, column.key) for column in order_by)

    chunk = limit + 1
    items: list[Any] = []
    scanned_to: tuple[Any, ...] | None = None
    while True:
        query = stmt if scanned_to is None else stmt.where(after(order_by, scanned_to))
        rows = list(db.execute(query.limit(chunk)).all())
        items.extend(rows if keep is None else keep(rows))
        if len(items) > limit or len(rows) < chunk:
            break
        scanned_to = key(rows[-1])
    if len(items) > limit:
        items = items[:limit]
        return Page(items, encode_cursor(key(items[-1])))
    return Page(items, None)


def list_page(
    items: Sequence[Any],
    key: Callable[[Any], tuple[Any, ...]],
    types: Sequence[type],
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """The same page over a list already in memory and in `key` order (a short list)."""
    if cursor is not None:
        start = decode_cursor(cursor, types)
        items = [item for item in items if key(item) > start]
    page = list(items[:limit])
    return Page(page, encode_cursor(key(page[-1])) if len(items) > limit else None)
