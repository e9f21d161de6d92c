"""Objections: the list (with the line each is about; in numbered, sorted pages for the
objections page), a page of them, how many of a batch's are open, the open ones by line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from loanledger.domain.vocabulary import ObjectionStatus
from loanledger.persistence.tables import Line, Objection
from loanledger.services.read.loans import enterprise_matching, enterprise_name
from loanledger.services.read.paging import Page, keyset_page
from loanledger.services.read.sorting import NumberedPage, Sort, Sorts, numbered_page

LIST_LIMIT = 1000  # an enterprise's newest this many (its portal; no enterprise has as many)


class ObjectionLine(NamedTuple):
    objection: Row
    line: Row


def _objections_of(status: str | None, uscc: str | None, batch_id: int | None):
    stmt = select(Objection.__table__)
    for column, value in (
        (Objection.status, status),
        (Objection.uscc, uscc),
        (Objection.batch_id, batch_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    return stmt


def objections(
    db: Session, status: str | None = None, uscc: str | None = None, batch_id: int | None = None
) -> list[ObjectionLine]:
    """Objections newest first (at most LIST_LIMIT), each with its line."""
    rows = db.execute(
        _objections_of(status, uscc, batch_id).order_by(Objection.id.desc()).limit(LIST_LIMIT)
    ).all()
    return _with_lines(db, rows)


def _with_lines(db: Session, rows) -> list[ObjectionLine]:
    ids = sorted({o.line_id for o in rows})
    lines = (
        {line.id: line for line in db.execute(select(Line.__table__).where(Line.id.in_(ids)))}
        if ids
        else {}
    )
    return [ObjectionLine(o, lines[o.line_id]) for o in rows]


OBJECTION_SORTS = Sorts(
    {
        "id": Objection.id,
        "batch": Objection.batch_id,
        "enterprise": enterprise_name(Objection.uscc),
        "amount": select(Line.amount_fen).where(Line.id == Objection.line_id).scalar_subquery(),
        "created_at": Objection.created_at,
        "status": Objection.status,
    },
    Sort("id", descending=True),
    [Objection.id],
)


def objections_numbered(
    db: Session,
    page: int,
    sort: Sort = OBJECTION_SORTS.default,
    *,
    status: str | None = None,
    enterprise: str | None = None,
    batch_id: int | None = None,
    size: int,
) -> NumberedPage:
    """Page `page` of the objections with `status` to a batch's lines, by an enterprise
    matching `enterprise` (a piece of its name or USCC), in `sort` order (newest first unless
    asked), each with its line: the objections page, and a batch page's newest."""
    stmt = _objections_of(status, None, batch_id)
    if enterprise:
        stmt = stmt.where(enterprise_matching(Objection.uscc, enterprise))
    found = numbered_page(db, stmt, OBJECTION_SORTS.order_by(sort), page, size)
    return NumberedPage(
        _with_lines(db, found.items), found.count, found.pages, found.page, found.size
    )


def objections_page(
    db: Session,
    status: str | None = None,
    uscc: str | None = None,
    batch_id: int | None = None,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of objections (rows), oldest first."""
    return keyset_page(
        db, _objections_of(status, uscc, batch_id), [Objection.id], limit=limit, cursor=cursor
    )


def open_objection_count(db: Session, batch_id: int) -> int:
    """How many objections to the batch's lines are still open (submit waits for none)."""
    return int(
        db.execute(
            select(func.count())
            .select_from(Objection)
            .where(Objection.batch_id == batch_id, Objection.status == ObjectionStatus.OPEN)
        ).scalar_one()
    )


def open_objections_by_line(db: Session, line_ids: Iterable[int]) -> dict[int, Row]:
    ids = sorted(set(line_ids))
    if not ids:
        return {}
    rows = db.execute(
        select(Objection.__table__).where(
            Objection.line_id.in_(ids), Objection.status == ObjectionStatus.OPEN
        )
    )
    return {o.line_id: o for o in rows}
