"""The staff pages' tables: sorted by a column the reader picks (`?sort=col&dir=asc|desc`) from
the table's own whitelist, and shown in numbered pages with their count ("共 N 条，第 x/y 页").

A table declares its `Sorts` once (its read module): each sortable column's key and the SQL
expression it orders by, the default, and the unique columns that break ties so that a row
never moves between pages. `sorts.asked(col, dir)` turns the request's words into a `Sort`
(refusing a column or direction not on the list); `numbered_page` counts, orders and slices.
NULLs sort last both ways on both engines (SQLite puts them first by default, PostgreSQL last).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError

DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class Sort:
    """A whitelisted column key and its direction."""

    key: str
    descending: bool = False

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"


@dataclass(frozen=True)
class Sorts:
    """One table's sortable columns: key → SQL expression (a column or a scalar subquery)."""

    columns: Mapping[str, Any]
    default: Sort
    tiebreak: Sequence[Any]  # together unique: the order is total, pages never overlap

    def asked(self, key: str | None, direction: str | None) -> Sort:
        """The sort the request asks for; none asked is the default; a key or direction not on
        the list is refused (`invalid_sort`), never handed to SQL."""
        if not key and not direction:
            return self.default
        key = key or self.default.key
        if key not in self.columns or (direction or "asc") not in DIRECTIONS:
            raise DomainError("invalid_sort", "not a sortable column or direction", "sort")
        return Sort(key, direction == "desc")

    def order_by(self, sort: Sort) -> list[Any]:
        column = self.columns[sort.key]
        first = (column.desc() if sort.descending else column.asc()).nulls_last()
        return [first, *(c.desc() if sort.descending else c.asc() for c in self.tiebreak)]


@dataclass(frozen=True)
class NumberedPage:
    items: list[Any]
    count: int  # of every page
    pages: int
    page: int = 1  # the page shown (from 1; a page past the end shows the last)
    size: int = 50


def page_count(count: int, size: int) -> int:
    return max(1, -(-count // size))


def numbered_page(
    db: Session, stmt: Select, order_by: Sequence[Any], page: int, size: int
) -> NumberedPage:
    """Page `page` (from 1) of the rows of `stmt`, `size` a page, in `order_by` order, with
    how many rows and pages there are in all."""
    count = int(db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    pages = page_count(count, size)
    page = min(max(page, 1), pages)
    rows = db.execute(stmt.order_by(*order_by).limit(size).offset((page - 1) * size)).all()
    return NumberedPage(list(rows), count, pages, page, size)


def list_numbered(items: Sequence[Any], page: int, size: int) -> NumberedPage:
    """The same page of a list already filtered and in order (a list computed in Python)."""
    pages = page_count(len(items), size)
    page = min(max(page, 1), pages)
    return NumberedPage(list(items[(page - 1) * size : page * size]), len(items), pages, page, size)
