"""Loans: the list, one loan by its key, a loan's lines."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import Line, Loan
from loanledger.services.read.paging import Page, keyset_page


def loans(db: Session, today: dt.date, *, bank_code: str | None = None, uscc: str | None = None,
          limit: int, cursor: str | None) -> Page:
    """A page of loans (rows) in registration order: of one bank, of one enterprise."""
    stmt = select(Loan.__table__)
    if bank_code is not None:
        stmt = stmt.where(Loan.bank_code == bank_code)
    if uscc is not None:
        stmt = stmt.where(Loan.uscc == uscc)
    return keyset_page(db, stmt, [Loan.id], limit=limit, cursor=cursor)


def loan(db: Session, bank_code: str, contract_no: str) -> Row | None:
    return db.execute(select(Loan.__table__).where(Loan.bank_code == bank_code,
                                                   Loan.contract_no == contract_no)).one_or_none()


def loan_lines(db: Session, bank_code: str, contract_no: str) -> list[Row]:
    """Every line about the loan (subsidy and compensation, any payee), oldest first."""
    return list(db.execute(select(Line.__table__).where(Line.bank_code == bank_code, Line.contract_no == contract_no)
                           .order_by(Line.id)).all())

