"""Loans: the list (filtered by status in SQL), one loan by its key, a loan's lines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    bindparam,
    exists,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from loanledger.domain.policy import Policy
from loanledger.domain.vocabulary import LoanStatus, words
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import Line, Loan, LoanEvent
from loanledger.services.policy_book import PolicyBook
from loanledger.services.read.paging import Page, keyset_page

LOAN_STATUSES = words(LoanStatus)


def loans(
    db: Session,
    today: dt.date,
    *,
    bank_code: str | None = None,
    uscc: str | None = None,
    status: str | None = None,
    contract_no: str | None = None,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of loans (rows) in registration order: of one bank, of one enterprise, whose
    contract number starts with `contract_no` (in any case), and with the status the loan view shows on
    `today` (every filter is part of the SELECT)."""
    stmt = select(Loan.__table__)
    if bank_code is not None:
        stmt = stmt.where(Loan.bank_code == bank_code)
    if uscc is not None:
        stmt = stmt.where(Loan.uscc == uscc)
    if contract_no:
        stmt = stmt.where(Loan.contract_no.ilike(like_escaped(contract_no) + "%", escape="\\"))
    if status is not None:
        stmt = stmt.where(loan_status_is(db, status, today))
    return keyset_page(db, stmt, [Loan.id], limit=limit, cursor=cursor)


def like_escaped(text: str) -> str:
    """`text` as a LIKE pattern that matches it literally (% and _ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# A signed GET's statements are built once (building and keying a select costs more than
# running it on a warm connection); the values are bound at each call.
_LOAN = select(Loan.__table__).where(
    Loan.bank_code == bindparam("bank_code"), Loan.contract_no == bindparam("contract_no")
)
_LOAN_LINES = (
    select(Line.__table__)
    .where(Line.bank_code == bindparam("bank_code"), Line.contract_no == bindparam("contract_no"))
    .order_by(Line.id)
)


def loan(db: Session, bank_code: str, contract_no: str) -> Row | None:
    return db.execute(_LOAN, {"bank_code": bank_code, "contract_no": contract_no}).one_or_none()


def loan_lines(db: Session, bank_code: str, contract_no: str) -> list[Row]:
    """Every line about the loan (subsidy and compensation, any payee), oldest first."""
    return list(db.execute(_LOAN_LINES, {"bank_code": bank_code, "contract_no": contract_no}).all())


# ------------------------------------------------------------------ status in SQL
def loan_status_is(db: Session, status: str, today: dt.date):
    """The loan view's status as a condition on `loans`: settled when a live settlement
    exists; else npl when its NPL date (policy in force on `today`) is on or before `today`;
    else active. The same rule as `views.loan_view`, which a test holds them to."""
    _version, policy = PolicyBook.load(db).on(today)
    settled, npl = _has_live("settlement"), _has_live("delinquency", _npl_by(db, policy, today))
    conditions: dict[str, ColumnElement[bool]] = {
        LoanStatus.SETTLED: settled,
        LoanStatus.NPL: and_(~settled, npl),
        LoanStatus.ACTIVE: and_(~settled, ~npl),
    }
    return conditions[status]


def _has_live(kind: str, *conditions):
    """The loan has an event of `kind` that no void of the loan targets (LoanData.live)."""
    event, void = aliased(LoanEvent), aliased(LoanEvent)
    voided = exists().where(
        void.loan_id == event.loan_id, void.type == "void", void.target_event_id == event.event_id
    )
    return exists().where(
        event.loan_id == Loan.id,
        event.type == kind,
        ~voided,
        *(condition(event) for condition in conditions),
    )


def _npl_by(db: Session, policy: Policy, today: dt.date):
    """A delinquency that puts the NPL date on or before `today` (timeline.npl_date): its
    as_of − (days_past_due − npl_dpd) ≤ today, or an NPL classification as of ≤ today."""
    classes = list(policy.npl_classifications)

    def condition(event):
        by_days = and_(
            event.days_past_due >= policy.npl_dpd,
            _days_between(db, today, event.on_date) <= event.days_past_due - policy.npl_dpd,
        )
        by_class = (
            and_(event.classification.in_(classes), event.on_date <= today) if classes else false()
        )
        return or_(by_days, by_class)

    return condition


def _days_between(db: Session, start: dt.date, end_column):
    """end − start in days, in the engine's own date arithmetic."""
    if is_postgres(db):
        return end_column - literal(start)
    return func.julianday(end_column) - func.julianday(literal(start))
