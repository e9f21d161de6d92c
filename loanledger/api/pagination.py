"""Keyset pagination for every list: `?limit=` (1–1000, default 100) and an opaque `?cursor=`.

A page is `WHERE (k1, k2, …) > (cursor) ORDER BY k1, k2, … LIMIT n + 1`: stable while rows
are inserted, no OFFSET scans. The cursor is base64url of the JSON list of the last item's
sort key; clients treat it as opaque and only send it back.

    class LoanQuery(PageQuery):
        status = fields.String()

    @blp.arguments(LoanQuery, location="query")
    @blp.response(200, page_of(LoanSchema))
    def get(self, query):
        page = paginate(db, select(Loan).where(…), [Loan.bank_code, Loan.contract_no],
                        limit=query["limit"], cursor=query["cursor"])
        return {"items": [view(loan) for loan in page.items], "next_cursor": page.next_cursor}

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

from marshmallow import fields, validate
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from loanledger.api.errors import ApiError
from loanledger.wire.fields import Schema

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_CURSOR_CHARS = 1024


class PageQuery(Schema):
    """Query string of a list; subclass it to add filters."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"page size, 1–{MAX_LIMIT}"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=MAX_CURSOR_CHARS),
        metadata={"description": "`next_cursor` of the previous page"},
    )


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


_PAGE_SCHEMAS: dict[type, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """`{"items": [item], "next_cursor": null|"…"}` for a response, one class per item schema."""
    if item_schema not in _PAGE_SCHEMAS:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _PAGE_SCHEMAS[item_schema] = type(name, (Schema,), {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next_cursor": fields.String(allow_none=True, required=True),
        })
    return _PAGE_SCHEMAS[item_schema]


# ------------------------------------------------------------------ cursors
def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in key], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def _bad_cursor() -> ApiError:
    return ApiError(422, "invalid_format", "the cursor is not one this list issued", "cursor")


def _coerce(value: Any, python_type: type) -> Any:
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is int:
        if type(value) is not int:
            raise TypeError(value)
        return value
    if not isinstance(value, python_type):
        raise TypeError(value)
    return value


def decode_cursor(cursor: str, types: Sequence[type]) -> tuple[Any, ...]:
    """The sort key a cursor carries, typed like the sort columns; 422 on anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode())
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError(values)
        return tuple(_coerce(v, t) for v, t in zip(values, types))
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise _bad_cursor() from None


def after(columns: Sequence[Any], key: Sequence[Any]):
    """(c1, c2, …) > (v1, v2, …), spelled out so every engine can use its indexes."""
    return or_(*(
        and_(*(columns[j] == key[j] for j in range(i)), columns[i] > key[i])
        for i in range(len(columns))
    ))


# ------------------------------------------------------------------ the page
def paginate(
    db: Session,
    stmt: Select,
    order_by: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    keep: Callable[[list[Any]], list[Any]] | None = None,
) -> Page:
    """One page of `db.scalars(stmt)` in `order_by` order (ascending mapped attributes).

    `keep`, when given, filters each fetched chunk in Python (for conditions SQL cannot
    express); scanning goes on until the page is full or the rows run out.
    """
    assert 1 <= limit <= MAX_LIMIT and order_by
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
        rows = list(db.scalars(query.limit(chunk)))
        items.extend(rows if keep is None else keep(rows))
        if len(items) > limit or len(rows) < chunk:
            break
        scanned_to = key(rows[-1])
    if len(items) > limit:
        items = items[:limit]
        return Page(items, encode_cursor(key(items[-1])))
    return Page(items, None)
