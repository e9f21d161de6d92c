"""Reference data in lists: products, enterprises (in pages, or matching a search), filings
(filtered by status on a date), LPR, budget years."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import Enterprise, Filing, LprRate, Product
from loanledger.services import registry
from loanledger.services.read.paging import Page, keyset_page, list_page

SEARCH_LIMIT = 500


def products(db: Session, bank_code: str | None = None, *, limit: int, cursor: str | None) -> Page:
    stmt = select(Product.__table__)
    if bank_code is not None:
        stmt = stmt.where(Product.bank_code == bank_code)
    return keyset_page(db, stmt, [Product.product_code], limit=limit, cursor=cursor)


def enterprise(db: Session, uscc: str) -> Row | None:
    return db.execute(select(Enterprise.__table__).where(Enterprise.uscc == uscc)).one_or_none()


def enterprises(db: Session, *, limit: int, cursor: str | None) -> Page:
    return keyset_page(
        db, select(Enterprise.__table__), [Enterprise.uscc], limit=limit, cursor=cursor
    )


def enterprises_matching(db: Session, q: str | None, limit: int = SEARCH_LIMIT) -> list[Row]:
    """Enterprises whose name or USCC contains `q` (all when None), by name."""
    stmt = select(Enterprise.__table__).order_by(Enterprise.name, Enterprise.uscc)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Enterprise.name.like(pattern, escape="\\"),
                Enterprise.uscc.like(pattern, escape="\\"),
            )
        )
    return list(db.execute(stmt.limit(limit)).all())


def filings(
    db: Session,
    today: dt.date,
    uscc: str | None = None,
    status: str | None = None,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of filings (rows) by filing_no: of one enterprise, with a status on `today`
    (computed per chunk: it depends on the loans' first disbursements and the policy)."""
    stmt = select(Filing.__table__)
    if uscc is not None:
        stmt = stmt.where(Filing.uscc == uscc)
    keep = None
    if status is not None:
        policy = registry.policy_in_force(db, today)[1]

        def keep(rows: list[Row]) -> list[Row]:
            statuses = registry.filing_statuses(db, rows, today, policy)
            return [f for f in rows if statuses[f.filing_no] == status]

    return keyset_page(db, stmt, [Filing.filing_no], limit=limit, cursor=cursor, keep=keep)


def lpr_rates(db: Session, *, limit: int, cursor: str | None) -> Page:
    return keyset_page(
        db, select(LprRate.__table__), [LprRate.published_on], limit=limit, cursor=cursor
    )


def budget_years(db: Session, *, limit: int, cursor: str | None) -> Page:
    """A page of `registry.budget_years` (appropriated, paid, approved unpaid, left) by year."""
    return list_page(
        registry.budget_years(db), lambda y: (y.year,), [int], limit=limit, cursor=cursor
    )
