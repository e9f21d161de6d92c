"""The staff tables' sorting and numbered pages (services/read/sorting.py): only a whitelisted
column and direction reach SQL, NULLs sort last both ways, a page past the end is the last."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from loanledger.domain.errors import DomainError
from loanledger.services.read.sorting import Sort, Sorts, list_numbered, page_count

T = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))
SORTS = Sorts({"id": T.c.id, "name": T.c.name}, Sort("name"), [T.c.id])


def sql(sort: Sort) -> str:
    return str(select(T).order_by(*SORTS.order_by(sort)).compile())


def test_nothing_asked_is_the_default_and_a_direction_alone_keeps_its_column():
    assert SORTS.asked(None, None) == Sort("name")
    assert SORTS.asked("", "") == Sort("name")
    assert SORTS.asked(None, "desc") == Sort("name", descending=True)
    assert SORTS.asked("id", "asc") == Sort("id") and SORTS.asked("id", None) == Sort("id")


@pytest.mark.parametrize(
    "key, direction",
    [("secret", None), ("name; DROP TABLE t", "asc"), ("id", "down"), ("ID", "asc")],
)
def test_a_column_or_direction_off_the_list_is_refused(key, direction):
    with pytest.raises(DomainError) as refused:
        SORTS.asked(key, direction)
    assert (refused.value.code, refused.value.field) == ("invalid_sort", "sort")


def test_the_order_puts_nulls_last_and_breaks_ties_the_same_way():
    assert sql(Sort("name")).endswith("ORDER BY t.name ASC NULLS LAST, t.id ASC")
    assert sql(Sort("name", True)).endswith("ORDER BY t.name DESC NULLS LAST, t.id DESC")
    assert Sort("name", True).direction == "desc" and Sort("id").direction == "asc"


def test_a_list_in_pages_counts_every_page_and_clamps_the_page_asked():
    items = list(range(7))
    assert page_count(0, 3) == 1 and page_count(7, 3) == 3 and page_count(6, 3) == 2
    third = list_numbered(items, 3, 3)
    assert (third.items, third.count, third.pages, third.page) == ([6], 7, 3, 3)
    assert list_numbered(items, 99, 3).page == 3 and list_numbered(items, 0, 3).items == [0, 1, 2]
    empty = list_numbered([], 1, 3)
    assert (empty.items, empty.count, empty.pages, empty.page) == ([], 0, 1, 1)
