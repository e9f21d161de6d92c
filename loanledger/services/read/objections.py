"""Objections: the list (with the line each is about), a page of them, how many of a batch's
are open, the open ones by line."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from loanledger.domain.vocabulary import ObjectionStatus
from loanledger.persistence.tables import Line, Objection
from loanledger.services.read.paging import Page, keyset_page

LIST_LIMIT = 1000  # the objections page shows the newest this many


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
    ids = sorted({o.line_id for o in rows})
    lines = (
        {line.id: line for line in db.execute(select(Line.__table__).where(Line.id.in_(ids)))}
        if ids
        else {}
    )
    return [ObjectionLine(o, lines[o.line_id]) for o in rows]


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
