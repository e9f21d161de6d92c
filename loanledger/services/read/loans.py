"""Loans: the list (filtered by status in SQL; in keyset pages for the API, in numbered and
sorted pages for the staff's list), one loan by its key, a loan's lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypedDict, Unpack

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
from loanledger.domain.vocabulary import (
    BatchKind,
    LineKind,
    LineStatus,
    LoanStatus,
    PaymentStatus,
    words,
)
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import Bank, Batch, BatchPayee, Enterprise, Line, Loan, LoanEvent
from loanledger.services.policy_book import PolicyBook
from loanledger.services.read.paging import Page, keyset_page
from loanledger.services.read.sorting import NumberedPage, Sort, Sorts, numbered_page

LOAN_STATUSES = words(LoanStatus)


class LoanFilters(TypedDict, total=False):
    """Which loans a list shows (every filter is part of the SELECT): of one bank, of one
    enterprise, with the status the loan view shows on the day, whose contract number starts
    with `contract_no` (in any case), whose enterprise has `enterprise` in its name or USCC."""

    bank_code: str | None
    uscc: str | None
    status: str | None
    contract_no: str | None
    enterprise: str | None


def loans(
    db: Session,
    today: dt.date,
    *,
    limit: int,
    cursor: str | None,
    **filters: Unpack[LoanFilters],
) -> Page:
    """A page of the loans (rows) passing `filters` on `today`, in registration order."""
    return keyset_page(db, _loans_of(db, today, **filters), [Loan.id], limit=limit, cursor=cursor)


def _loans_of(
    db: Session,
    today: dt.date,
    bank_code: str | None = None,
    uscc: str | None = None,
    status: str | None = None,
    contract_no: str | None = None,
    enterprise: str | None = None,
):
    stmt = select(Loan.__table__)
    if bank_code is not None:
        stmt = stmt.where(Loan.bank_code == bank_code)
    if uscc is not None:
        stmt = stmt.where(Loan.uscc == uscc)
    if contract_no:
        stmt = stmt.where(Loan.contract_no.ilike(like_escaped(contract_no) + "%", escape="\\"))
    if enterprise:
        stmt = stmt.where(enterprise_matching(Loan.uscc, enterprise))
    if status is not None:
        stmt = stmt.where(loan_status_is(db, status, today))
    return stmt


def enterprise_matching(uscc_column, q: str) -> ColumnElement[bool]:
    """The enterprise in `uscc_column` has `q` in its name or USCC, in any case."""
    pattern = "%" + like_escaped(q) + "%"
    return or_(
        uscc_column.ilike(pattern, escape="\\"),
        uscc_column.in_(select(Enterprise.uscc).where(Enterprise.name.ilike(pattern, escape="\\"))),
    )


def enterprise_name(uscc_column):
    """The enterprise's name as a column to sort by."""
    return select(Enterprise.name).where(Enterprise.uscc == uscc_column).scalar_subquery()


LOAN_SORTS = Sorts(
    {
        "contract_no": Loan.contract_no,
        "bank": select(Bank.name).where(Bank.bank_code == Loan.bank_code).scalar_subquery(),
        "enterprise": enterprise_name(Loan.uscc),
        "principal": Loan.principal_fen,
        "rate": Loan.annual_rate_e4,
        "start_date": Loan.start_date,
        "maturity_date": Loan.maturity_date,
        "filing_no": Loan.filing_no,
        "registered": Loan.id,
    },
    Sort("registered"),
    [Loan.id],
)


def loans_numbered(
    db: Session,
    today: dt.date,
    page: int,
    sort: Sort = LOAN_SORTS.default,
    *,
    size: int,
    **filters: Unpack[LoanFilters],
) -> NumberedPage:
    """Page `page` of the loans passing `filters`, in `sort` order: the staff's loan list."""
    stmt = _loans_of(db, today, **filters)
    return numbered_page(db, stmt, LOAN_SORTS.order_by(sort), page, size)


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


MAX_CARRIES = 120  # a failed payment carried on month after month: ten years, then unpaid


def subsidy_paid(db: Session, loans: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(bank_code, contract_no) → the subsidy actually paid for the loan (已发放贴息): its
    active subsidy lines (carried lines aside) whose payee's payment in their batch was
    recorded paid, or, when it failed, was paid in the batch it was carried to. What a close
    granted but no one has paid yet is not counted (that is `subsidy_granted`)."""
    wanted = set(loans)
    if not wanted:
        return {}
    rows = db.execute(
        select(Line.bank_code, Line.contract_no, Line.batch_id, Line.payee_id, Line.amount_fen)
        .join(Batch, Batch.id == Line.batch_id)
        .where(
            Batch.kind == BatchKind.SUBSIDY,
            Line.status == LineStatus.ACTIVE,
            Line.kind != LineKind.CARRIED,
            Line.contract_no.in_(sorted({contract for _bank, contract in wanted})),
        )
    ).all()
    lines = [r for r in rows if (r.bank_code, r.contract_no) in wanted]
    payees = {
        (p.batch_id, p.payee_id): p
        for p in db.execute(
            select(
                BatchPayee.batch_id,
                BatchPayee.payee_id,
                BatchPayee.payment_status,
                BatchPayee.carried_to_batch_id,
            ).where(BatchPayee.payee_id.in_(sorted({r.payee_id for r in lines})))
        )
    }

    def paid(batch_id: int, payee_id: str) -> bool:
        for _ in range(MAX_CARRIES):
            payee = payees.get((batch_id, payee_id))
            if payee is None:
                return False
            if payee.payment_status == PaymentStatus.PAID:
                return True
            if payee.payment_status != PaymentStatus.FAILED or payee.carried_to_batch_id is None:
                return False
            batch_id = payee.carried_to_batch_id
        return False

    out = dict.fromkeys(wanted, 0)
    for line in lines:
        if paid(line.batch_id, line.payee_id):
            out[(line.bank_code, line.contract_no)] += line.amount_fen
    return out


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
