"""Compensation lines of one close (domain.md §5), in the order the rules give:
new claims, then recovery shares of every claimed loan, then claim and shortfall lines
as large as the pool's cash allows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from loanledger.domain.compensation import claim_compensation, pool_grant, recovery_shares
from loanledger.domain.ledger import COMPENSATION_PAYABLE, POOL_CASH, RECOVERY_RECEIVABLE
from loanledger.domain.money import format_ratio
from loanledger.domain.timeline import balance_segments, npl_date, value_on
from loanledger.domain.vocabulary import Coverage, LineKind, PayeeType
from loanledger.persistence.tables import Claim, Loan, LoanEvent, RecoveryShare
from loanledger.services import ledger
from loanledger.services.close_subsidy import LineDraft
from loanledger.services.facts import LoanData, load_loans
from loanledger.services.policy_book import PolicyBook


@dataclass
class CompensationResult:
    lines: list[LineDraft]
    new_claims: list[Claim]


def compensation_lines(
    db: Session, period: str, last_day: dt.date, book: PolicyBook
) -> CompensationResult:
    new_claims = _new_claims(db, period, last_day, book)
    claims = db.scalars(
        select(Claim).order_by(Claim.npl_date, Claim.bank_code, Claim.contract_no)
    ).all()
    lines = _recovery_share_lines(db, claims, last_day)
    owed = _owed_by_bank(db)
    for line in lines:
        owed[line.payee_id] = owed.get(line.payee_id, 0) + line.amount_fen
    cash_fen = ledger.balance(db, POOL_CASH)
    for claim in claims:
        wanted_fen = claim.compensation_fen - claim.lined_fen
        if wanted_fen <= 0:
            continue
        granted_fen = pool_grant(wanted_fen, cash_fen, owed, claim.bank_code)
        if granted_fen <= 0:
            continue
        first = claim.period == period and claim.lined_fen == 0
        lines.append(
            LineDraft(
                record_key=f"{'c' if first else 's'}:{claim.id}",
                kind=LineKind.CLAIM if first else LineKind.SHORTFALL,
                payee_type=PayeeType.BANK,
                payee_id=claim.bank_code,
                amount_fen=granted_fen,
                bank_code=claim.bank_code,
                contract_no=claim.contract_no,
                claim_id=claim.id,
                reasons=[],
            )
        )
        owed[claim.bank_code] = owed.get(claim.bank_code, 0) + granted_fen
        claim.lined_fen += granted_fen
    return CompensationResult(lines, new_claims)


def _new_claims(db: Session, period: str, last_day: dt.date, book: PolicyBook) -> list[Claim]:
    candidates = db.scalars(
        select(Loan.id).where(
            Loan.coverage == Coverage.COVERED,
            ~exists().where(Claim.loan_id == Loan.id),
            exists().where(LoanEvent.loan_id == Loan.id, LoanEvent.type == "delinquency"),
        )
    ).all()
    _version, policy_now = book.on(last_day)
    created = []
    for data in load_loans(db, candidates).values():
        npl_on = npl_date(data.delinquencies(), policy_now.npl_dpd, policy_now.npl_classifications)
        if npl_on is None or npl_on > last_day:
            continue
        loss_base_fen = value_on(
            balance_segments(data.disbursements(), data.repayments()), last_day
        )
        if loss_base_fen <= 0:
            continue
        version, policy = book.on(npl_on)
        ratio, compensation_fen = claim_compensation(loss_base_fen, data.loan.principal_fen, policy)
        claim = Claim(
            pool_code="SZD",
            period=period,
            loan_id=data.loan.id,
            bank_code=data.loan.bank_code,
            contract_no=data.loan.contract_no,
            npl_date=npl_on,
            loss_base_fen=loss_base_fen,
            ratio=format_ratio(ratio),
            compensation_fen=compensation_fen,
            lined_fen=0,
            policy_version=version,
        )
        db.add(claim)
        created.append(claim)
    db.flush()
    return created


def _recovery_share_lines(
    db: Session, claims: Sequence[Claim], last_day: dt.date
) -> list[LineDraft]:
    by_loan = {c.loan_id: c for c in claims}
    with_recoveries = (
        db.scalars(
            select(LoanEvent.loan_id)
            .where(LoanEvent.type == "recovery", LoanEvent.loan_id.in_(list(by_loan)))
            .distinct()
        ).all()
        if by_loan
        else []
    )
    loans = load_loans(db, with_recoveries)
    lined = (
        {
            r.event_pk: r
            for r in db.scalars(
                select(RecoveryShare).where(
                    RecoveryShare.claim_id.in_([by_loan[i].id for i in with_recoveries])
                )
            )
        }
        if with_recoveries
        else {}
    )
    lines = []
    for loan_id in sorted(
        loans, key=lambda i: (by_loan[i].npl_date, by_loan[i].bank_code, by_loan[i].contract_no)
    ):
        lines.extend(_shares_of(db, by_loan[loan_id], loans[loan_id], lined, last_day))
    return lines


def _shares_of(
    db: Session, claim: Claim, data: LoanData, lined: dict, last_day: dt.date
) -> list[LineDraft]:
    recoveries = sorted(
        (e for e in data.events if e.type == "recovery" and e.on_date <= last_day),
        key=lambda e: (e.on_date, e.id),
    )
    live = [e for e in recoveries if e.event_id not in data.voided_ids]
    owed = dict(
        zip(
            (e.id for e in live),
            recovery_shares(
                [e.amount_fen for e in live], claim.compensation_fen, claim.loss_base_fen
            ),
            strict=True,
        )
    )
    out = []
    for event in recoveries:
        state = lined.get(event.id)
        before_fen = state.lined_fen if state else 0
        delta_fen = owed.get(event.id, 0) - before_fen
        if delta_fen == 0:
            continue
        if state is None:
            db.add(RecoveryShare(event_pk=event.id, claim_id=claim.id, lined_fen=delta_fen))
        else:
            state.lined_fen += delta_fen
        out.append(
            LineDraft(
                record_key=f"r:{event.id}",
                kind=LineKind.RECOVERY_SHARE,
                payee_type=PayeeType.BANK,
                payee_id=claim.bank_code,
                amount_fen=-delta_fen,
                bank_code=claim.bank_code,
                contract_no=claim.contract_no,
                event_id=event.event_id,
                event_pk=event.id,
                claim_id=claim.id,
                reasons=["voided"] if event.event_id in data.voided_ids else [],
            )
        )
    return out


def _owed_by_bank(db: Session) -> dict[str, int]:
    """What the pool owes each bank: lines so far net of shares, less what was paid
    (credit balance of 2002:bank less debit balance of 1202:bank)."""
    owed: dict[str, int] = {}
    for base in (COMPENSATION_PAYABLE, RECOVERY_RECEIVABLE):
        for account, balance_fen in ledger.balances_like(db, base).items():
            bank = account.split(":", 1)[1]
            owed[bank] = owed.get(bank, 0) - balance_fen
    return owed
