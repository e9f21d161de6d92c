"""Closing a period (domain.md §7): once, whatever happens.

The whole close is one transaction under an exclusive lock (a PostgreSQL advisory lock;
SQLite's BEGIN IMMEDIATE), so a second request waits and then finds the period closed
and answers the same, and a process killed half-way leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import SQLColumnExpression, case, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from loanledger.domain.dates import next_period, period_bounds
from loanledger.domain.ledger import (
    RECEIVABLE_BASE,
    Posting,
    batch_line_postings,
    carried_in_postings,
    receivable_account,
    receivable_move_postings,
)
from loanledger.domain.payees import PayeeTotal, payee_total
from loanledger.domain.vocabulary import (
    BatchKind,
    BatchStatus,
    LineKind,
    LineStatus,
    PayeeType,
    PaymentStatus,
    PeriodStatus,
)
from loanledger.domain.workdays import publicity_end
from loanledger.observability import metrics
from loanledger.persistence.db import copy_rows, is_postgres, write_rows
from loanledger.persistence.tables import Batch, BatchPayee, DirtyMark, Line, Period, RecordState
from loanledger.services import collector, ledger, locks, notices, registry, workcalendar
from loanledger.services.audit import record
from loanledger.services.close_compensation import compensation_lines
from loanledger.services.close_subsidy import LineDraft, SubsidyResult, subsidy_lines
from loanledger.services.errors import Conflict
from loanledger.services.facts import in_sets
from loanledger.services.pipeline import read_only_session, writing_behind
from loanledger.services.policy_book import PolicyBook
from loanledger.services.read import first_closed_period, last_closed_period, period_view

Progress = Callable[[int, int], None]  # (loans priced so far, loans to price)


def close_period(
    db: Session,
    period: str,
    actor: str,
    today: dt.date,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """`progress`, when given, is told after each chunk of enterprises how many loans are
    priced (the close job shows it, services/close_jobs.py); it may raise to end the close,
    which then leaves nothing behind."""
    with collector.paused():
        return _close(db, period, actor, today, full, progress)


def check_closable(db: Session, period: str, today: dt.date) -> None:
    """Conflict unless `period` may be closed on `today` (over, and the next in order); a
    closed period passes (its close answers the same again)."""
    row = db.get(Period, period)
    if row is None or row.status != PeriodStatus.CLOSED:
        _check_order(db, period, today)


def _close(
    db: Session, period: str, actor: str, today: dt.date, full: bool, progress: Progress | None
) -> dict[str, Any]:
    started = time.perf_counter()
    locks.exclusive(db, locks.CLOSE)
    row = db.get(Period, period)
    if row is not None and row.status == PeriodStatus.CLOSED:
        return period_view(db, period)
    _check_order(db, period, today)
    _first_day, last_day = period_bounds(period)
    book = PolicyBook.load(db)
    _version, policy_today = book.on(today)
    is_workday = workcalendar.is_workday_rule(db)

    def batch_lines(kind: str, pool_code: str | None = None) -> _BatchLines:
        publicity_days = policy_today.publicity_working_days
        return _BatchLines(db, period, kind, today, publicity_days, is_workday, pool_code)

    subsidy_batch = batch_lines(BatchKind.SUBSIDY)

    if row is None:  # before the first line: a batch names its period
        row = Period(period=period, status=PeriodStatus.OPEN)
        db.add(row)
        db.flush()

    def store(lines: list[LineDraft], inserts: list[dict], updates: list[dict]) -> None:
        _store_states(db, inserts, updates)
        subsidy_batch.write(lines)

    # Streamed: each chunk of enterprises writes its states and lines, then is dropped.
    subsidy = _subsidy_streamed(db, last_day, book, full, store, progress)
    subsidy_count = subsidy_batch.count
    compensation = compensation_lines(db, period, last_day, book)
    if subsidy_count:
        batch = _make_batch(db, period, BatchKind.SUBSIDY, [], last_day, subsidy_batch)
        notices.batch_in_publicity(db, batch)  # its enterprises are told, in this transaction
    for pool_code, drafts in compensation.lines.items():  # v2: a batch per pool, in code order
        lines = batch_lines(BatchKind.COMPENSATION, pool_code)
        _make_batch(db, period, BatchKind.COMPENSATION, drafts, last_day, lines)
    db.execute(delete(DirtyMark).where(DirtyMark.id <= subsidy.consumed_mark_id))
    row.status, row.closed_at = PeriodStatus.CLOSED, dt.datetime.now(dt.UTC)
    row.closed_by, row.business_date = actor, today
    line_total = subsidy_count + compensation.line_count
    record(
        db,
        actor,
        "period.close",
        "period",
        period,
        {"status": PeriodStatus.OPEN},
        {
            "status": PeriodStatus.CLOSED,
            "lines": line_total,
            "records_computed": subsidy.records_computed,
            "claims_created": len(compensation.new_claims),
        },
    )
    db.flush()
    metrics.observe_close(time.perf_counter() - started, line_total)
    return period_view(db, period)


def _subsidy_streamed(
    db: Session, last_day: dt.date, book: PolicyBook, full: bool, store, progress
) -> SubsidyResult:
    """On PostgreSQL the chunks are read and computed on a second connection while a thread
    writes the previous chunk in this transaction (services.pipeline); SQLite has one writer
    and one core's worth of work, so it computes and writes in turn."""
    lpr_table = registry.lpr_table(db)
    if not is_postgres(db):
        return subsidy_lines(
            db, last_day, book, lpr_table, full=full, sink=store, progress=progress
        )
    with read_only_session(db) as read_db, writing_behind(store) as write:
        return subsidy_lines(
            read_db, last_day, book, lpr_table, full=full, sink=write, progress=progress
        )


def _check_order(db: Session, period: str, today: dt.date) -> None:
    _first, last_day = period_bounds(period)
    if today <= last_day:
        raise Conflict(
            "period_not_over",
            f"{period} ends on {last_day}; the business date is {today}",
            "period",
        )
    first, last = first_closed_period(db), last_closed_period(db)
    if first is None or last is None:  # none closed yet
        return
    if period < first:
        raise Conflict("period_before_first_close", f"the first closed period is {first}", "period")
    if period != next_period(last):
        raise Conflict("previous_period_open", f"close {next_period(last)} first", "period")


STATE_COLUMNS = (
    "event_pk",
    "loan_id",
    "uscc",
    "year",
    "computed_fen",
    "capped_fen",
    "owed_fen",
    "granted_fen",
    "line_count",
    "reasons",
    "policy_version",
)
LINE_COLUMNS = (
    "batch_id",
    "period",
    "record_key",
    "kind",
    "payee_type",
    "payee_id",
    "bank_code",
    "contract_no",
    "event_id",
    "event_pk",
    "claim_id",
    "period_start",
    "period_end",
    "interest_fen",
    "computed_fen",
    "capped_fen",
    "amount_fen",
    "reasons",
    "policy_version",
    "status",
    "breakdown",
)
PAYEE_COLUMNS = (
    "batch_id",
    "payee_type",
    "payee_id",
    "total_fen",
    "pays_fen",
    "carried_out_fen",
    "payment_status",
)
ROWS_AT_ONCE = 20_000  # rows buffered before a COPY / executemany while streaming an aggregate


def _store_states(db: Session, inserts: list[dict], updates: list[dict]) -> None:
    if inserts:
        if is_postgres(db):
            copy_rows(
                db,
                "record_states",
                STATE_COLUMNS,
                (
                    tuple(json.dumps(r[c]) if c == "reasons" else r[c] for c in STATE_COLUMNS)
                    for r in inserts
                ),
            )
        else:
            db.execute(insert(RecordState.__table__), inserts)
    if updates:
        db.execute(update(RecordState), updates)


# ------------------------------------------------------------------ batches
class _BatchLines:
    """A batch's lines, written as they come: the batch row is made with the first line,
    its totals are set when the batch is finished (`_make_batch`)."""

    def __init__(
        self,
        db: Session,
        period: str,
        kind: str,
        today: dt.date,
        publicity_days: int,
        is_workday,
        pool_code: str | None = None,
    ):
        self.db, self.period, self.kind, self.pool_code = db, period, kind, pool_code
        self.today, self.publicity_days, self.is_workday = today, publicity_days, is_workday
        self.batch: Batch | None = None
        self.count = 0

    def write(self, drafts: list[LineDraft]) -> None:
        if not drafts:
            return
        db = self.db
        if self.batch is None:
            subsidy = self.kind == BatchKind.SUBSIDY
            self.batch = Batch(
                period=self.period,
                kind=self.kind,
                pool_code=self.pool_code,  # v2: a compensation batch is one pool's
                status=BatchStatus.PUBLICITY if subsidy else BatchStatus.READY,
                total_fen=0,
                line_count=0,
                payee_count=0,
                publicity_ends_on=publicity_end(self.today, self.publicity_days, self.is_workday)
                if subsidy
                else None,
            )
            db.add(self.batch)
            db.flush()
        batch_id = self.batch.id
        if is_postgres(db):
            copy_rows(
                db, "lines", LINE_COLUMNS, (_line_tuple(batch_id, self.period, d) for d in drafts)
            )
        else:
            db.execute(
                insert(Line.__table__), [_line_row(batch_id, self.period, d) for d in drafts]
            )
        self.count += len(drafts)


def _make_batch(
    db: Session,
    period: str,
    kind: str,
    drafts: list[LineDraft],
    last_day: dt.date,
    lines: _BatchLines,
) -> Batch:
    """Finish a batch: its remaining lines, the carried and failed lines of its payees, one row
    per payee (streamed from the lines, in payee order) and one ledger entry."""
    lines.write(drafts)
    batch = lines.batch
    assert batch is not None
    failed = _failed_payments(db, kind, batch.id, batch.pool_code)
    carried = _carried_lines(db, kind, batch.id, batch.pool_code)
    if failed:
        db.execute(
            update(BatchPayee)
            .where(BatchPayee.id.in_([p.id for p in failed]))
            .values(carried_to_batch_id=batch.id)
        )
    lines.write(carried + [_failed_line(p) for p in failed])
    batch.line_count = lines.count
    _post_batch(db, batch, last_day)
    return batch


class _PayeeRows:
    """A batch's payee rows, written as they are summed (in payee order), with their totals."""

    def __init__(self, db: Session, batch_id: int):
        self.db, self.batch_id = db, batch_id
        self.total_fen = self.count = 0
        self.rows: list[tuple] = []

    def add(self, payee_id: str, payee_type: str, t: PayeeTotal) -> None:
        self.total_fen += t.pays_fen
        self.count += 1
        self.rows.append(
            (
                self.batch_id,
                payee_type,
                payee_id,
                t.total_fen,
                t.pays_fen,
                t.carried_out_fen,
                PaymentStatus.PENDING if t.pays_fen > 0 else PaymentStatus.NONE,
            )
        )
        if len(self.rows) >= ROWS_AT_ONCE:
            self.flush()

    def flush(self) -> None:
        write_rows(self.db, BatchPayee.__table__, PAYEE_COLUMNS, self.rows)
        self.rows = []


def _payee_totals(
    db: Session, batch_id: int, *, ordered: bool = False, carried: bool = False
) -> Iterator[tuple]:
    """(payee_id, payee_type, Σ amount[, Σ carried amount]) per payee of a batch, streamed from its lines."""
    columns: list[SQLColumnExpression[Any]] = [
        Line.payee_id,
        func.min(Line.payee_type),
        func.sum(Line.amount_fen),
    ]
    if carried:
        columns.append(func.sum(case((Line.kind == LineKind.CARRIED, Line.amount_fen), else_=0)))
    query = select(*columns).where(Line.batch_id == batch_id).group_by(Line.payee_id)
    if ordered:  # Python's order (code points), whatever the database's collation
        query = query.order_by(Line.payee_id.collate("C") if is_postgres(db) else Line.payee_id)
    for row in db.execute(query.execution_options(yield_per=ROWS_AT_ONCE)):
        yield (row[0], row[1], *(int(v) for v in row[2:]))


def _payees_with_lines(db: Session, batch_id: int, payee_ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for where in in_sets(db, Line.payee_id, sorted(payee_ids)):
        out.update(
            db.execute(
                select(Line.payee_id, func.max(Line.payee_type))
                .where(Line.batch_id == batch_id, where)
                .group_by(Line.payee_id)
            ).all()
        )
    return out


def _carried_lines(db: Session, kind: str, batch_id: int, pool: str | None) -> list[LineDraft]:
    """A receivable from an earlier batch is netted in the next batch of the same kind (and,
    for compensation, the same pool: v2) that has lines for the payee."""
    prefix = receivable_account(kind, "", pool=pool)  # '1201:' or '1202:{pool}:'
    owing = {
        account[len(prefix) :]: balance_fen
        for account, balance_fen in ledger.balances_like(db, RECEIVABLE_BASE[kind]).items()
        if balance_fen > 0 and account.startswith(prefix)
    }
    payees = _payees_with_lines(db, batch_id, list(owing))
    out = []
    for payee, payee_type in sorted(payees.items()):
        out.append(
            LineDraft(
                # unique in the period: two pools' batches may each carry the same bank's
                record_key=f"k:{kind}:{payee}" if pool is None else f"k:{kind}:{pool}:{payee}",
                kind=LineKind.CARRIED,
                payee_type=payee_type,
                payee_id=payee,
                amount_fen=-owing[payee],
                bank_code=payee if payee_type == PayeeType.BANK else None,
                reasons=[],
            )
        )
    return out


def _failed_payments(db: Session, kind: str, batch_id: int, pool: str | None) -> list[BatchPayee]:
    """Failed payments of earlier batches of the kind (and pool), not yet carried, for payees
    with lines now."""
    same_pool = Batch.pool_code.is_(None) if pool is None else Batch.pool_code == pool
    return list(
        db.scalars(
            select(BatchPayee)
            .join(Batch, Batch.id == BatchPayee.batch_id)
            .where(
                Batch.kind == kind,
                same_pool,
                BatchPayee.payment_status == PaymentStatus.FAILED,
                BatchPayee.carried_to_batch_id.is_(None),
                BatchPayee.batch_id != batch_id,
                exists().where(Line.batch_id == batch_id, Line.payee_id == BatchPayee.payee_id),
            )
            .order_by(BatchPayee.id)
        )
    )


def _failed_line(failed: BatchPayee) -> LineDraft:
    """A positive carried line: paid again in this batch. It posts nothing, because the failed
    payment never cleared the payable the earlier batch posted."""
    return LineDraft(
        record_key=f"f:{failed.id}",
        kind=LineKind.CARRIED,
        payee_type=failed.payee_type,
        payee_id=failed.payee_id,
        amount_fen=failed.pays_fen,
        bank_code=failed.payee_id if failed.payee_type == PayeeType.BANK else None,
        reasons=[],
    )


def _line_row(batch_id: int, period: str, d: LineDraft) -> dict[str, Any]:
    return {
        "batch_id": batch_id,
        "period": period,
        "record_key": d.record_key,
        "kind": d.kind,
        "payee_type": d.payee_type,
        "payee_id": d.payee_id,
        "bank_code": d.bank_code,
        "contract_no": d.contract_no,
        "event_id": d.event_id,
        "event_pk": d.event_pk,
        "claim_id": d.claim_id,
        "period_start": d.period_start,
        "period_end": d.period_end,
        "interest_fen": d.interest_fen,
        "computed_fen": d.computed_fen,
        "capped_fen": d.capped_fen,
        "amount_fen": d.amount_fen,
        "reasons": d.reasons,
        "policy_version": d.policy_version,
        "status": LineStatus.ACTIVE,
        "breakdown": d.breakdown,
    }


def _line_tuple(batch_id: int, period: str, d: LineDraft) -> tuple:
    """The same row in LINE_COLUMNS order for COPY, JSON as SQLAlchemy's JSON type writes it."""
    return (
        batch_id,
        period,
        d.record_key,
        d.kind,
        d.payee_type,
        d.payee_id,
        d.bank_code,
        d.contract_no,
        d.event_id,
        d.event_pk,
        d.claim_id,
        d.period_start,
        d.period_end,
        d.interest_fen,
        d.computed_fen,
        d.capped_fen,
        d.amount_fen,
        json.dumps(d.reasons),
        d.policy_version,
        LineStatus.ACTIVE,
        json.dumps(d.breakdown),
    )  # None is JSON null, as the JSON type (none_as_null=False) writes it


def _post_batch(db: Session, batch: Batch, last_day: dt.date) -> None:
    """One pass over the batch's lines summed per payee, in payee order, writes the payee rows
    and the batch's one balanced entry: each payee's postings of §10 merged by account (its own
    accounts as the payee is read, the shared ones at the end)."""
    payees = _PayeeRows(db, batch.id)

    def postings() -> Iterator[Posting]:
        shared: dict[str, int] = {}
        for payee, payee_type, total_fen, carried_fen in _payee_totals(
            db, batch.id, ordered=True, carried=True
        ):
            t = payee_total([total_fen])
            payees.add(payee, payee_type, t)
            own: dict[str, int] = {}
            line_fen, pool = total_fen - carried_fen, batch.pool_code
            payee_postings = (
                batch_line_postings(batch.kind, payee, line_fen, pool=pool) if line_fen else []
            )
            payee_postings += carried_in_postings(batch.kind, payee, carried_fen, pool=pool)
            if t.carried_out_fen < 0:
                moved_fen = -t.carried_out_fen
                payee_postings += receivable_move_postings(batch.kind, payee, moved_fen, pool=pool)
            for p in payee_postings:
                target = own if p.account.endswith(f":{payee}") else shared
                target[p.account] = target.get(p.account, 0) + p.amount_fen
            yield from (Posting(a, v) for a, v in own.items() if v)
        payees.flush()
        yield from (Posting(a, v) for a, v in shared.items() if v)

    ledger.post_stream(
        db,
        f"close:{batch.kind}",
        f"{batch.period} {batch.kind} batch {batch.id}",
        postings(),
        last_day,
        period=batch.period,
        batch_id=batch.id,
    )
    batch.total_fen, batch.payee_count = payees.total_fen, payees.count
    db.flush()
