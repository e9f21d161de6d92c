"""Reconciliation of one period (api.md `GET /periods/{period}/reconciliation`, its page,
and the scheduler's integrity check).

`reconciliation(db, period)` loads what each check of `domain.reconciliation` needs, one
query per kind of data (never one per row), runs the checks and answers the JSON document:
`{period, ok, checks: [{name, ok, detail}], discrepancies: [...]}`. `services.reconciliation`
renders that same document for a spreadsheet.

Which checks are about the period and which about the whole ledger as it stands is set
out in docs/decisions-payout.md ("Reconciliation").
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from loanledger.domain import reconciliation as rules
from loanledger.domain.dates import period_bounds
from loanledger.domain.ledger import PAYABLE_BASE, payable_account
from loanledger.domain.money import format_fen, parse_yuan
from loanledger.domain.vocabulary import LineKind, LineStatus, PaymentStatus, PeriodStatus
from loanledger.persistence.tables import (
    Batch,
    BatchPayee,
    JournalEntry,
    Line,
    LoanEvent,
    Period,
    Posting,
)
from loanledger.services import pools
from loanledger.services.read.statements import control_total_checks, held_totals

DISCREPANCY_KEYS = (
    "check",
    "entity",
    "batch_id",
    "entry_id",
    "account",
    "payee_id",
    "bank_code",
    "event_id",
    "measure",
    "unit",
    "expected",
    "actual",
    "difference",
)


def reconciliation(db: Session, period: str) -> dict[str, Any]:
    """The reconciliation document of `period` (a valid YYYY-MM; ValueError otherwise)."""
    period_bounds(period)
    checks = [
        _trial_balance(db),
        _batch_totals(db, period),
        _payables(db),
        _pools(db),
        _control_totals(db, period),
        _subsidy_within_interest(db),
    ]
    return {
        "period": period,
        "ok": rules.all_ok(checks),
        "checks": [{"name": c.name, "ok": c.ok, "detail": _detail_wire(c.detail)} for c in checks],
        "discrepancies": [discrepancy_wire(d) for c in checks for d in c.discrepancies],
    }


# ------------------------------------------------------------------ loading, one query per kind
def _trial_balance(db: Session) -> rules.Check:
    total, count = db.execute(
        select(
            func.coalesce(func.sum(Posting.amount_fen), 0),
            func.count(func.distinct(Posting.entry_id)),
        )
    ).one()
    entry_sum = func.sum(Posting.amount_fen)
    unbalanced = db.execute(
        select(Posting.entry_id, entry_sum, JournalEntry.kind, JournalEntry.batch_id)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .group_by(Posting.entry_id, JournalEntry.kind, JournalEntry.batch_id)
        .having(entry_sum != 0)
    ).all()
    return rules.trial_balance_zero(
        int(total),
        [rules.EntrySum(int(e), int(s), kind, batch_id) for e, s, kind, batch_id in unbalanced],
        int(count),
    )


def _batch_totals(db: Session, period: str) -> rules.Check:
    batches = [
        rules.BatchRow(b_id, kind, total, pool_code)
        for b_id, kind, total, pool_code in db.execute(
            select(Batch.id, Batch.kind, Batch.total_fen, Batch.pool_code).where(
                Batch.period == period
            )
        )
    ]
    ids = [b.batch_id for b in batches]
    payees = [
        rules.PayeeRow(*row)
        for row in db.execute(
            select(BatchPayee.batch_id, BatchPayee.payee_id, BatchPayee.pays_fen).where(
                BatchPayee.batch_id.in_(ids)
            )
        )
    ]
    carried_in = case(
        (and_(Line.kind == LineKind.CARRIED, Line.amount_fen > 0), Line.amount_fen), else_=0
    )
    lines = [
        rules.PayeeLines(b_id, payee, int(active), int(carried))
        for b_id, payee, active, carried in db.execute(
            select(Line.batch_id, Line.payee_id, func.sum(Line.amount_fen), func.sum(carried_in))
            .where(Line.batch_id.in_(ids), Line.status == LineStatus.ACTIVE)
            .group_by(Line.batch_id, Line.payee_id)
        )
    ]
    # JournalEntry.batch_id is nullable; the IN list leaves only entries of these batches.
    movements = [
        rules.Movement(cast(int, b_id), account, int(total))
        for b_id, account, total in db.execute(
            select(JournalEntry.batch_id, Posting.account, func.sum(Posting.amount_fen))
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(
                JournalEntry.batch_id.in_(ids),
                ~JournalEntry.kind.startswith("payment"),
                Posting.base_account.in_(tuple(PAYABLE_BASE.values())),
            )
            .group_by(JournalEntry.batch_id, Posting.account)
        )
    ]
    check = rules.batch_totals(batches, payees, lines, movements)
    status = db.scalar(select(Period.status).where(Period.period == period)) or PeriodStatus.OPEN
    return rules.Check(check.name, {"period_status": status, **check.detail}, check.discrepancies)


def _payables(db: Session) -> rules.Check:
    balances = {
        account: int(total)
        for account, total in db.execute(
            select(Posting.account, func.sum(Posting.amount_fen))
            .where(Posting.base_account.in_(tuple(PAYABLE_BASE.values())))
            .group_by(Posting.account)
        )
    }
    unpaid = or_(
        BatchPayee.payment_status == PaymentStatus.PENDING,
        and_(
            BatchPayee.payment_status == PaymentStatus.FAILED,
            BatchPayee.carried_to_batch_id.is_(None),
        ),
    )
    outstanding = {
        payable_account(kind, payee, pool=pool): int(total)
        for kind, pool, payee, total in db.execute(
            select(Batch.kind, Batch.pool_code, BatchPayee.payee_id, func.sum(BatchPayee.pays_fen))
            .join(Batch, Batch.id == BatchPayee.batch_id)
            .where(unpaid)
            .group_by(Batch.kind, Batch.pool_code, BatchPayee.payee_id)
        )
    }
    return rules.payables(balances, outstanding)


def _pools(db: Session) -> rules.Check:
    """Each pool's cash against what it owes (pools are few: two sums each)."""
    return rules.pool_covers_owed(
        {
            code: (pools.pool_cash(db, code), pools.pool_owed(db, code))
            for code in pools.pool_codes(db)
        }
    )


def _control_totals(db: Session, period: str) -> rules.Check:
    figures = []
    for check in control_total_checks(db, period):
        declared, held = check["detail"]["declared"], check["detail"]["held"]
        figures.append(
            rules.BankFigures(
                check["name"].split(":", 1)[1],
                declared["interest_records"],
                parse_yuan(declared["interest_total"]),
                held["interest_records"],
                parse_yuan(held["interest_total"]),
            )
        )
    declared_banks = {f.bank_code for f in figures}
    undeclared = [
        bank
        for bank, (count, _fen) in held_totals(db, period).items()
        if count and bank not in declared_banks
    ]
    return rules.control_totals(figures, undeclared)


def _subsidy_within_interest(db: Session) -> rules.Check:
    lined = func.sum(Line.amount_fen)
    interest = select(LoanEvent.id).where(LoanEvent.type == "interest")
    over = db.execute(
        select(LoanEvent.id, LoanEvent.bank_code, LoanEvent.event_id, LoanEvent.interest_fen, lined)
        .join(Line, Line.event_pk == LoanEvent.id)
        .where(LoanEvent.type == "interest", Line.status == LineStatus.ACTIVE)
        .group_by(LoanEvent.id, LoanEvent.bank_code, LoanEvent.event_id, LoanEvent.interest_fen)
        .having(lined > func.coalesce(LoanEvent.interest_fen, 0))
    ).all()
    checked = db.scalar(
        select(func.count(func.distinct(Line.event_pk))).where(Line.event_pk.in_(interest))
    )
    return rules.subsidy_within_interest(
        [
            rules.RecordLines(pk, bank, event_id, int(fen or 0), int(total))
            for pk, bank, event_id, fen, total in over
        ],
        int(checked or 0),
    )


# ------------------------------------------------------------------ the wire
def _detail_wire(detail: dict[str, Any]) -> dict[str, Any]:
    """Amounts (keys ending `_fen`) as yuan strings, under the key without the suffix."""
    return {
        (key[:-4] if key.endswith("_fen") else key): (
            format_fen(value) if key.endswith("_fen") else value
        )
        for key, value in detail.items()
    }


def discrepancy_wire(d: rules.Discrepancy) -> dict[str, Any]:
    number = format_fen if d.unit == "money" else str
    return {
        "check": d.check,
        "entity": d.entity,
        "batch_id": d.batch_id,
        "entry_id": d.entry_id,
        "account": d.account,
        "payee_id": d.payee_id,
        "bank_code": d.bank_code,
        "event_id": d.event_id,
        "measure": d.measure,
        "unit": "yuan" if d.unit == "money" else "count",
        "expected": number(d.expected),
        "actual": number(d.actual),
        "difference": number(d.difference),
    }
