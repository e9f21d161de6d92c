"""The loan view, lines and claims as the API shows them (wire form)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from loanledger.domain.money import format_fen, format_rate
from loanledger.domain.timeline import balance_segments, npl_date, value_on
from loanledger.domain.vocabulary import ClaimStatus, LineKind, LoanStatus, PaymentStatus
from loanledger.persistence.tables import BatchPayee, Claim, Line, Loan, RecordState
from loanledger.services.facts import (
    LoanData,
    load_contract_enterprise_loans,
    load_enterprise_loans,
)
from loanledger.services.intake import event_to_wire
from loanledger.services.policy_book import PolicyBook
from loanledger.services.read.loans import loan_lines
from loanledger.services.subsidy_facts import SubsidyFacts


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _fen(v: int | None) -> str | None:
    return None if v is None else format_fen(v)


def line_wire(line: Row) -> dict[str, Any]:
    return {
        "line_id": line.id,
        "batch_id": line.batch_id,
        "period": line.period,
        "kind": line.kind,
        "payee_type": line.payee_type,
        "payee_id": line.payee_id,
        "bank_code": line.bank_code,
        "contract_no": line.contract_no,
        "event_id": line.event_id,
        "period_start": _iso(line.period_start),
        "period_end": _iso(line.period_end),
        "interest": _fen(line.interest_fen),
        "computed": _fen(line.computed_fen),
        "capped": _fen(line.capped_fen),
        "amount": format_fen(line.amount_fen),
        "reasons": list(line.reasons or []),
        "policy_version": line.policy_version,
        "status": line.status,
    }


def claim_wire(db: Session, claim: Row) -> dict[str, Any]:
    paid_fen = _claim_paid(db, claim)
    shortfall_fen = claim.compensation_fen - claim.lined_fen
    status = (
        ClaimStatus.PAID
        if paid_fen >= claim.compensation_fen
        else ClaimStatus.LINED
        if shortfall_fen == 0
        else ClaimStatus.SHORTFALL
    )
    return {
        "claim_id": claim.id,
        "period": claim.period,
        "pool_code": claim.pool_code,
        "bank_code": claim.bank_code,
        "contract_no": claim.contract_no,
        "npl_date": _iso(claim.npl_date),
        "loss_base": format_fen(claim.loss_base_fen),
        "ratio": claim.ratio,
        "compensation": format_fen(claim.compensation_fen),
        "lined": format_fen(claim.lined_fen),
        "paid": format_fen(paid_fen),
        "shortfall": format_fen(shortfall_fen),
        "status": status,
    }


def _claim_paid(db: Session, claim: Row) -> int:
    """Claim and shortfall lines in batches whose payee row for the bank was paid."""
    total = db.scalar(
        select(func.coalesce(func.sum(Line.amount_fen), 0))
        .join(
            BatchPayee,
            (BatchPayee.batch_id == Line.batch_id) & (BatchPayee.payee_id == Line.payee_id),
        )
        .where(
            Line.claim_id == claim.id,
            Line.kind.in_((LineKind.CLAIM, LineKind.SHORTFALL)),
            BatchPayee.payment_status == PaymentStatus.PAID,
        )
    )
    return int(total or 0)


def _enterprise_loans(db: Session, loan: Loan | Row) -> dict[int, LoanData]:
    """Every loan of the loan's enterprise with its events, in two queries: the view's own
    loan is among them (its events, status and balance), and the eligibility needs them all,
    because W0 and a filing's lapse depend on them."""
    return load_enterprise_loans(db, loan.uscc)


def _eligibility(
    db: Session, loans: dict[int, LoanData], loan_id: int, book: PolicyBook, today: dt.date
) -> dict[str, Any]:
    """As of the business date, with the close's facts and rules (services.subsidy_facts)."""
    facts = SubsidyFacts(db, loans, book, as_of=today)
    eligible, reasons = facts.eligibility(loans[loan_id], today)
    return {"eligible": eligible, "reasons": list(reasons)}


# Built once: the loan view runs on every signed GET of a loan.
_GRANTED = select(func.coalesce(func.sum(RecordState.granted_fen), 0)).where(
    RecordState.loan_id == bindparam("loan_id")
)
_CLAIMS = select(Claim.__table__).where(Claim.loan_id == bindparam("loan_id"))


def bank_loan_view(
    db: Session, bank_code: str, contract_no: str, today: dt.date
) -> dict[str, Any] | None:
    """loan_view of the bank's contract, or None when the bank has no such loan: the loan is
    found among its enterprise's loans, which the view loads anyway (a query fewer than
    reading it first; a bank's signed GET)."""
    loans = load_contract_enterprise_loans(db, bank_code, contract_no)
    for data in loans.values():
        if data.loan.bank_code == bank_code and data.loan.contract_no == contract_no:
            return loan_view(db, data.loan, today, loans=loans)
    return None


def loan_view(
    db: Session,
    loan: Loan | Row,
    today: dt.date,
    book: PolicyBook | None = None,
    *,
    loans: dict[int, LoanData] | None = None,
) -> dict[str, Any]:
    """`loans`: the loan's enterprise's loans, when already loaded (load_enterprise_loans)."""
    book = book or PolicyBook.load(db)
    loans = loans if loans is not None else _enterprise_loans(db, loan)
    data = loans[loan.id]
    _version, policy = book.on(today)
    npl_on = npl_date(data.delinquencies(), policy.npl_dpd, policy.npl_classifications)
    settled_on = data.settlement_date()
    status = (
        LoanStatus.SETTLED
        if settled_on
        else LoanStatus.NPL
        if npl_on and npl_on <= today
        else LoanStatus.ACTIVE
    )
    granted = db.scalar(_GRANTED, {"loan_id": loan.id})
    lines = loan_lines(db, loan.bank_code, loan.contract_no)
    claims = db.execute(_CLAIMS, {"loan_id": loan.id}).all()
    return {
        "contract_no": loan.contract_no,
        "bank_code": loan.bank_code,
        "product_code": loan.product_code,
        "uscc": loan.uscc,
        "filing_no": loan.filing_no,
        "principal": format_fen(loan.principal_fen),
        "annual_rate": format_rate(loan.annual_rate_e4),
        "start_date": _iso(loan.start_date),
        "maturity_date": _iso(loan.maturity_date),
        "original_maturity_date": _iso(loan.original_maturity_date),
        "repayment_method": loan.repayment_method,
        "interest_settlement": loan.interest_settlement,
        "status": status,
        "balance": format_fen(
            value_on(balance_segments(data.disbursements(), data.repayments()), today)
        ),
        "npl_date": _iso(npl_on),
        "coverage": loan.coverage,
        "risk_pool": loan.risk_pool,
        "eligibility": _eligibility(db, loans, loan.id, book, today),
        "subsidy_granted": format_fen(int(granted or 0)),
        "events": [event_to_wire(e, data.voided_ids) for e in data.events],
        "lines": [line_wire(line) for line in lines],
        "claims": [claim_wire(db, c) for c in claims],
    }


def loan_summary(loan: Row) -> dict[str, Any]:
    return {
        "contract_no": loan.contract_no,
        "bank_code": loan.bank_code,
        "product_code": loan.product_code,
        "uscc": loan.uscc,
        "filing_no": loan.filing_no,
        "principal": format_fen(loan.principal_fen),
        "annual_rate": format_rate(loan.annual_rate_e4),
        "start_date": _iso(loan.start_date),
        "maturity_date": _iso(loan.maturity_date),
        "coverage": loan.coverage,
        "risk_pool": loan.risk_pool,
    }
