"""A bank's control totals (the latest per period) and the lines of its statement."""

from __future__ import annotations

from sqlalchemy import Row, and_, exists, select
from sqlalchemy.orm import Session, aliased

from loanledger.persistence.tables import ControlTotal, Line
from loanledger.services.read.paging import Page, keyset_page


def _latest_control_totals(bank_code: str | None, period: str | None):
    newer = aliased(ControlTotal)
    stmt = select(ControlTotal.__table__).where(
        ~exists().where(
            and_(
                newer.bank_code == ControlTotal.bank_code,
                newer.period == ControlTotal.period,
                newer.id > ControlTotal.id,
            )
        )
    )
    if bank_code is not None:
        stmt = stmt.where(ControlTotal.bank_code == bank_code)
    if period is not None:
        stmt = stmt.where(ControlTotal.period == period)
    return stmt


def latest_control_totals(db: Session, period: str) -> list[Row]:
    """The latest submission of each bank for the period, by bank."""
    return list(
        db.execute(_latest_control_totals(None, period).order_by(ControlTotal.bank_code)).all()
    )


def control_totals(
    db: Session,
    bank_code: str | None = None,
    period: str | None = None,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of the latest submission per bank and period (rows), by period and bank."""
    return keyset_page(
        db,
        _latest_control_totals(bank_code, period),
        [ControlTotal.period, ControlTotal.bank_code, ControlTotal.id],
        limit=limit,
        cursor=cursor,
    )


def statement_lines(
    db: Session, bank_code: str, period: str, *, limit: int, cursor: str | None
) -> Page:
    """A page of the bank's lines of the period (rows), in line order."""
    return keyset_page(
        db,
        select(Line.__table__).where(Line.bank_code == bank_code, Line.period == period),
        [Line.id],
        limit=limit,
        cursor=cursor,
    )
