"""Closing a period (domain.md §7): once, whatever happens.

The whole close is one transaction under an exclusive lock (a PostgreSQL advisory lock;
SQLite's BEGIN IMMEDIATE), so a second request waits and then finds the period closed
and answers the same, and a process killed half-way leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from loanledger.domain.dates import next_period, period_bounds
from loanledger.domain.ledger import (
    JournalEntry as Entry, batch_line_postings, carried_in_postings, merge_postings, receivable_move_postings,
)
from loanledger.domain.money import format_fen
from loanledger.domain.payees import payee_total
from loanledger.domain.workdays import publicity_end
from loanledger.observability import metrics
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import Batch, BatchPayee, DirtyMark, Line, Period, RecordState
from loanledger.services import ledger, locks, registry, workcalendar
from loanledger.services.audit import record
from loanledger.services.close_compensation import compensation_lines
from loanledger.services.close_subsidy import LineDraft, subsidy_lines
from loanledger.services.errors import Conflict
from loanledger.services.policy_book import PolicyBook

RECEIVABLE_BASE = {"subsidy": "1201", "compensation": "1202"}


def close_period(db: Session, period: str, actor: str, today: dt.date, *, full: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    locks.exclusive(db, locks.CLOSE)
    row = db.get(Period, period)
    if row is not None and row.status == "closed":
        return period_view(db, period)
    _check_order(db, period, today)
    first_day, last_day = period_bounds(period)
    book = PolicyBook.load(db)
    subsidy = subsidy_lines(db, last_day, book, registry.lpr_table(db), full=full)
    _store_states(db, subsidy.state_inserts, subsidy.state_updates)
    if row is None:
        row = Period(period=period, status="open")
        db.add(row)
        db.flush()
    compensation = compensation_lines(db, period, last_day, book)
    _version, policy_today = book.on(today)
    drafts = subsidy.lines + compensation.lines
    for kind in ("subsidy", "compensation"):
        kind_drafts = [d for d in drafts if d.batch_kind == kind]
        if kind_drafts:
            _make_batch(db, period, kind, kind_drafts, last_day, today, policy_today.publicity_working_days,
                        workcalendar.is_workday_rule(db))
    db.execute(delete(DirtyMark).where(DirtyMark.id <= subsidy.consumed_mark_id))
    row.status, row.closed_at, row.closed_by, row.business_date = "closed", dt.datetime.now(dt.timezone.utc), actor, today
    record(db, actor, "period.close", "period", period, {"status": "open"},
           {"status": "closed", "lines": len(drafts), "records_computed": subsidy.records_computed,
            "claims_created": len(compensation.new_claims)})
    db.flush()
    metrics.observe_close(time.perf_counter() - started, len(drafts))
    return period_view(db, period)


def _check_order(db: Session, period: str, today: dt.date) -> None:
    _first, last_day = period_bounds(period)
    if today <= last_day:
        raise Conflict("period_not_over", f"{period} ends on {last_day}; the business date is {today}", "period")
    closed = list(db.scalars(select(Period.period).where(Period.status == "closed").order_by(Period.period)))
    if not closed:
        return
    if period < closed[0]:
        raise Conflict("period_before_first_close", f"the first closed period is {closed[0]}", "period")
    if period != next_period(closed[-1]):
        raise Conflict("previous_period_open", f"close {next_period(closed[-1])} first", "period")


def _store_states(db: Session, inserts: list[dict], updates: list[dict]) -> None:
    if inserts:
        db.execute(insert(RecordState.__table__), inserts)
    if updates:
        db.execute(update(RecordState), updates)


# ------------------------------------------------------------------ batches
def _make_batch(db: Session, period: str, kind: str, drafts: list[LineDraft], last_day: dt.date,
                today: dt.date, publicity_days: int, is_workday) -> Batch:
    failed = _failed_payments(db, kind, {d.payee_id for d in drafts})
    drafts = drafts + _carried_lines(db, kind, drafts) + [_failed_line(kind, p) for p in failed]
    by_payee: dict[str, list[LineDraft]] = defaultdict(list)
    for draft in drafts:
        by_payee[draft.payee_id].append(draft)
    totals = {payee: payee_total([d.amount_fen for d in lines]) for payee, lines in by_payee.items()}
    batch = Batch(
        period=period, kind=kind, status="publicity" if kind == "subsidy" else "ready",
        total_fen=sum(t.pays_fen for t in totals.values()), line_count=len(drafts), payee_count=len(totals),
        publicity_ends_on=publicity_end(today, publicity_days, is_workday) if kind == "subsidy" else None,
    )
    db.add(batch)
    db.flush()
    if failed:
        db.execute(update(BatchPayee).where(BatchPayee.id.in_([p.id for p in failed]))
                   .values(carried_to_batch_id=batch.id))
    db.execute(insert(Line.__table__), [_line_row(batch, period, d) for d in drafts])
    db.execute(insert(BatchPayee.__table__), [
        {"batch_id": batch.id, "payee_type": by_payee[p][0].payee_type, "payee_id": p, "total_fen": t.total_fen,
         "pays_fen": t.pays_fen, "carried_out_fen": t.carried_out_fen,
         "payment_status": "pending" if t.pays_fen > 0 else "none"}
        for p, t in sorted(totals.items())
    ])
    _post_batch(db, batch, drafts, totals, last_day)
    return batch


def _carried_lines(db: Session, kind: str, drafts: list[LineDraft]) -> list[LineDraft]:
    """A receivable from an earlier batch is netted in the next batch that has lines for the payee."""
    receivables = ledger.balances_like(db, RECEIVABLE_BASE[kind])
    payees = {d.payee_id: d.payee_type for d in drafts}
    out = []
    for payee, payee_type in sorted(payees.items()):
        balance_fen = receivables.get(f"{RECEIVABLE_BASE[kind]}:{payee}", 0)
        if balance_fen > 0:
            out.append(LineDraft(batch_kind=kind, record_key=f"k:{kind}:{payee}", kind="carried",
                                 payee_type=payee_type, payee_id=payee, amount_fen=-balance_fen,
                                 bank_code=payee if payee_type == "bank" else None, reasons=[]))
    return out


def _failed_payments(db: Session, kind: str, payee_ids: set[str]) -> list[BatchPayee]:
    """Failed payments of earlier batches of the kind, not yet carried, for payees with lines now."""
    if not payee_ids:
        return []
    return list(db.scalars(
        select(BatchPayee).join(Batch, Batch.id == BatchPayee.batch_id)
        .where(Batch.kind == kind, BatchPayee.payment_status == "failed", BatchPayee.carried_to_batch_id.is_(None),
               BatchPayee.payee_id.in_(sorted(payee_ids)))
        .order_by(BatchPayee.id)))


def _failed_line(kind: str, failed: BatchPayee) -> LineDraft:
    """A positive carried line: paid again in this batch. It posts nothing, because the failed
    payment never cleared the payable the earlier batch posted."""
    return LineDraft(batch_kind=kind, record_key=f"f:{failed.id}", kind="carried", payee_type=failed.payee_type,
                     payee_id=failed.payee_id, amount_fen=failed.pays_fen,
                     bank_code=failed.payee_id if failed.payee_type == "bank" else None, reasons=[])


def _line_row(batch: Batch, period: str, d: LineDraft) -> dict[str, Any]:
    return {
        "batch_id": batch.id, "period": period, "record_key": d.record_key, "kind": d.kind,
        "payee_type": d.payee_type, "payee_id": d.payee_id, "bank_code": d.bank_code, "contract_no": d.contract_no,
        "event_id": d.event_id, "event_pk": d.event_pk, "claim_id": d.claim_id, "period_start": d.period_start,
        "period_end": d.period_end, "interest_fen": d.interest_fen, "computed_fen": d.computed_fen,
        "capped_fen": d.capped_fen, "amount_fen": d.amount_fen, "reasons": d.reasons,
        "policy_version": d.policy_version, "status": "active", "breakdown": d.breakdown,
    }


def _post_batch(db: Session, batch: Batch, drafts: list[LineDraft], totals, last_day: dt.date) -> None:
    """One balanced entry per batch: each payee's lines summed, then the postings of §10."""
    line_fen: dict[str, int] = defaultdict(int)
    carried_fen: dict[str, int] = defaultdict(int)
    for d in drafts:
        (carried_fen if d.kind == "carried" else line_fen)[d.payee_id] += d.amount_fen
    postings = []
    for payee, amount_fen in line_fen.items():
        if amount_fen:
            postings.extend(batch_line_postings(batch.kind, payee, amount_fen))
    for payee, amount_fen in carried_fen.items():
        postings.extend(carried_in_postings(batch.kind, payee, amount_fen))
    for payee, total in totals.items():
        if total.carried_out_fen < 0:
            postings.extend(receivable_move_postings(batch.kind, payee, -total.carried_out_fen))
    merged = merge_postings(postings)
    if merged:
        entry = Entry(kind=f"close:{batch.kind}", memo=f"{batch.period} {batch.kind} batch {batch.id}",
                      postings=merged)
        ledger.post(db, entry, last_day, period=batch.period, batch_id=batch.id)


# ------------------------------------------------------------------ views
def batch_summary(batch: Batch) -> dict[str, Any]:
    return {
        "batch_id": batch.id, "period": batch.period, "kind": batch.kind, "status": batch.status,
        "total": format_fen(batch.total_fen), "payee_count": batch.payee_count, "line_count": batch.line_count,
        "publicity_ends_on": batch.publicity_ends_on.isoformat() if batch.publicity_ends_on else None,
    }


def period_view(db: Session, period: str) -> dict[str, Any]:
    row = db.get(Period, period)
    batches = db.scalars(select(Batch).where(Batch.period == period).order_by(Batch.kind.desc())).all()
    totals = {b.kind: b.total_fen for b in batches}
    return {
        "period": period,
        "status": row.status if row else "open",
        "closed_at": as_utc(row.closed_at).isoformat() if row and row.closed_at else None,
        "subsidy_total": format_fen(totals.get("subsidy", 0)),
        "compensation_total": format_fen(totals.get("compensation", 0)),
        "batches": [batch_summary(b) for b in batches],
    }
