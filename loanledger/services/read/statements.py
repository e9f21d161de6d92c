"""A bank's control totals and its statement.

A control total is the bank's own count and sum of its `interest` events with `paid_on` in
a period. LoanLedger holds the same figures from the events it received: live `interest`
events (not voided: no `void` event of the bank targets their `event_id`). Every submission
is kept; the latest for a bank and period is the one compared (docs/decisions-bank-surface.md).

A statement is what LoanLedger says it owes and paid for one bank in one period: the bank's
lines of the period's batches, the payments of those lines' payees, and the control total.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Row, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from loanledger.domain.dates import period_bounds
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import PayeeType, PeriodStatus
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import (
    Batch,
    BatchPayee,
    ControlTotal,
    Line,
    LoanEvent,
    Period,
)
from loanledger.services.read.paging import Page, keyset_page
from loanledger.services.read.views import line_wire


# ------------------------------------------------------------------ control totals
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


def held_totals(
    db: Session, period: str, bank_codes: list[str] | None = None
) -> dict[str, tuple[int, int]]:
    """{bank_code: (count, sum of interest in fen)} of the live interest events paid in the
    period, as LoanLedger holds them. Banks with none are absent (read them as (0, 0))."""
    first, last = period_bounds(period)
    void = aliased(LoanEvent)
    voided = exists().where(
        and_(
            void.bank_code == LoanEvent.bank_code,
            void.type == "void",
            void.target_event_id == LoanEvent.event_id,
        )
    )
    stmt = (
        select(
            LoanEvent.bank_code, func.count(), func.coalesce(func.sum(LoanEvent.interest_fen), 0)
        )
        .where(
            LoanEvent.type == "interest",
            LoanEvent.on_date >= first,
            LoanEvent.on_date <= last,
            ~voided,
        )
        .group_by(LoanEvent.bank_code)
    )
    if bank_codes is not None:
        stmt = stmt.where(LoanEvent.bank_code.in_(bank_codes))
    # COALESCE(…, 0) is never NULL, though typed after its nullable column.
    return {bank: (int(count), int(cast(int, total))) for bank, count, total in db.execute(stmt)}


def _revisions(db: Session, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    if not pairs:
        return {}
    banks = sorted({bank for bank, _ in pairs})
    periods = sorted({period for _, period in pairs})
    rows = db.execute(
        select(ControlTotal.bank_code, ControlTotal.period, func.count())
        .where(ControlTotal.bank_code.in_(banks), ControlTotal.period.in_(periods))
        .group_by(ControlTotal.bank_code, ControlTotal.period)
    )
    return {(bank, period): int(n) for bank, period, n in rows}


def _control_total_wire(
    row: ControlTotal | Row, held: tuple[int, int], revisions: int
) -> dict[str, Any]:
    held_count, held_fen = held
    return {
        "bank_code": row.bank_code,
        "period": row.period,
        "interest_records": row.interest_records,
        "interest_total": format_fen(row.interest_total_fen),
        "submitted_at": as_utc(row.submitted_at).isoformat(),
        "submitted_by": row.submitted_by,
        "revisions": revisions,
        "held": {"interest_records": held_count, "interest_total": format_fen(held_fen)},
        "matches": (row.interest_records, row.interest_total_fen) == (held_count, held_fen),
    }


def control_totals_wire(db: Session, rows: Sequence[ControlTotal | Row]) -> list[dict[str, Any]]:
    """Control totals as the API shows them, each beside the figures LoanLedger holds.
    `rows`: control_totals rows, or the ControlTotal a submission just wrote."""
    held: dict[tuple[str, str], tuple[int, int]] = {}
    for period in sorted({row.period for row in rows}):
        banks = sorted({row.bank_code for row in rows if row.period == period})
        for bank, figures in held_totals(db, period, banks).items():
            held[(bank, period)] = figures
    revisions = _revisions(db, {(row.bank_code, row.period) for row in rows})
    return [
        _control_total_wire(
            row,
            held.get((row.bank_code, row.period), (0, 0)),
            revisions.get((row.bank_code, row.period), 1),
        )
        for row in rows
    ]


def control_total_checks(db: Session, period: str) -> list[dict[str, Any]]:
    """For reconciliation: per bank that submitted a control total for the period, its
    latest figures against LoanLedger's. `ok` when both the count and the sum agree."""
    rows = latest_control_totals(db, period)
    return [
        {
            "name": f"control_total:{wire['bank_code']}",
            "ok": wire["matches"],
            "detail": {
                "declared": {
                    "interest_records": wire["interest_records"],
                    "interest_total": wire["interest_total"],
                },
                "held": wire["held"],
            },
        }
        for wire in control_totals_wire(db, rows)
    ]


# ------------------------------------------------------------------ statements
def _batch_wire(db: Session, batch: Row, bank_code: str) -> dict[str, Any]:
    """The batch, the bank's own payee row (compensation) in full, and the payment state of
    the payees of the bank's lines (enterprises: status only; their totals mix banks)."""
    payee_ids = (
        select(Line.payee_id)
        .where(Line.batch_id == batch.id, Line.bank_code == bank_code)
        .distinct()
    )
    payees = db.execute(
        select(BatchPayee.__table__)
        .where(BatchPayee.batch_id == batch.id, BatchPayee.payee_id.in_(payee_ids))
        .order_by(BatchPayee.payee_type, BatchPayee.payee_id)
    ).all()
    own = next(
        (p for p in payees if p.payee_type == PayeeType.BANK and p.payee_id == bank_code), None
    )
    return {
        "batch_id": batch.id,
        "kind": batch.kind,
        "status": batch.status,
        "publicity_ends_on": batch.publicity_ends_on.isoformat()
        if batch.publicity_ends_on
        else None,
        "bank_payee": None
        if own is None
        else {
            "payee_id": own.payee_id,
            "total": format_fen(own.total_fen),
            "pays": format_fen(own.pays_fen),
            "carried_out": format_fen(own.carried_out_fen),
            "payment_status": own.payment_status,
            "paid_on": own.paid_on.isoformat() if own.paid_on else None,
            "reference": own.reference,
        },
        "payments": [
            {
                "payee_type": p.payee_type,
                "payee_id": p.payee_id,
                "payment_status": p.payment_status,
                "paid_on": p.paid_on.isoformat() if p.paid_on else None,
                "reference": p.reference,
            }
            for p in payees
        ],
    }


def _latest_control_total(db: Session, bank_code: str, period: str) -> Row | None:
    return db.execute(
        select(ControlTotal.__table__)
        .where(ControlTotal.bank_code == bank_code, ControlTotal.period == period)
        .order_by(ControlTotal.id.desc())
        .limit(1)
    ).first()


def statement_header(db: Session, bank_code: str, period: str) -> dict[str, Any]:
    """Everything of the bank's statement of the period but its lines (`statement_lines`,
    in pages): the totals by kind, the batches and their payments, the control total."""
    status = db.scalar(select(Period.status).where(Period.period == period))
    batch_ids = (
        select(Line.batch_id).where(Line.bank_code == bank_code, Line.period == period).distinct()
    )
    batches = db.execute(
        select(Batch.__table__).where(Batch.id.in_(batch_ids)).order_by(Batch.id)
    ).all()
    totals = db.execute(
        select(Line.kind, func.count(), func.coalesce(func.sum(Line.amount_fen), 0))
        .where(Line.bank_code == bank_code, Line.period == period)
        .group_by(Line.kind)
        .order_by(Line.kind)
    ).all()
    declared = _latest_control_total(db, bank_code, period)
    held = held_totals(db, period, [bank_code]).get(bank_code, (0, 0))
    return {
        "period": period,
        "bank_code": bank_code,
        "period_status": status or PeriodStatus.OPEN,
        "totals": [
            {"kind": kind, "line_count": int(n), "amount": format_fen(int(amount))}
            for kind, n, amount in totals
        ],
        "batches": [_batch_wire(db, batch, bank_code) for batch in batches],
        "control_total": {
            "declared": None
            if declared is None
            else {
                "interest_records": declared.interest_records,
                "interest_total": format_fen(declared.interest_total_fen),
                "submitted_at": as_utc(declared.submitted_at).isoformat(),
            },
            "held": {"interest_records": held[0], "interest_total": format_fen(held[1])},
            "matches": None
            if declared is None
            else (declared.interest_records, declared.interest_total_fen) == held,
        },
    }


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


def statement_line_wire(line: Row, batch_kinds: dict[int, str]) -> dict[str, Any]:
    out = line_wire(line)
    out["batch_kind"] = batch_kinds.get(line.batch_id)
    return out
