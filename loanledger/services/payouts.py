"""From a closed batch to money paid (domain.md §7, §10): 公示, maker-checker, payments.

Batch status: publicity → ready → submitted → approved → paid | partially_paid; a rejection
returns a submitted batch to ready. Every transition is one conditional UPDATE (`WHERE
status = …`), so two clerks or two approvers acting at once give one transition and the
other gets 409 `invalid_state`; the database's maker_checker CHECK refuses an approver
who is the submitter even if this code were bypassed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError
from loanledger.domain.ledger import payment_entry
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import BatchKind, BatchStatus, PayeeType, PaymentStatus
from loanledger.persistence.tables import Bank, Batch, BatchPayee, Enterprise
from loanledger.services import audit, ledger, locks, notices, pools, read
from loanledger.services.errors import Conflict, NotFound

SYSTEM = "system"
PAYOUT_LOCK = "loanledger:payout"
APPROVED = (BatchStatus.APPROVED, BatchStatus.PARTIALLY_PAID)


@dataclass(frozen=True)
class PaymentResult:
    payee_id: str
    status: str  # PAYMENT_RESULTS: paid | failed
    paid_on: dt.date | None = None
    reference: str | None = None


def stored_reference(reference: str | None, reason: str | None) -> str | None:
    """What batch_payees.reference keeps: the bank's reference and, for a failed payment, why
    it failed. The reason has no column of its own: the API's `reference`, the enterprise's
    notice and the statements all read it there (the return file and the payments page join
    them the same way)."""
    parts = [p for p in (reference, reason) if p]
    return " ".join(parts) or None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_batch(db: Session, batch_id: int, *, for_update: bool = False) -> Batch:
    batch = db.get(Batch, batch_id, with_for_update=for_update, populate_existing=True)
    if batch is None:
        raise NotFound(f"batch {batch_id}")
    return batch


def _transition(
    db: Session, batch: Batch, from_status: str, actor: str, action: str, **values
) -> Batch:
    """One conditional UPDATE; losing a race is `invalid_state`, never a second transition."""
    # An UPDATE's result is a CursorResult, though Session.execute is typed as any Result.
    done = cast(
        CursorResult[Any],
        db.execute(
            update(Batch)
            .where(Batch.id == batch.id, Batch.status == from_status)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if done != 1:
        raise Conflict("invalid_state", f"batch {batch.id} is no longer {from_status}", "status")
    after = {
        k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
        for k, v in values.items()
    }
    audit.record(db, actor, action, "batch", str(batch.id), {"status": from_status}, after)
    return get_batch(db, batch.id)


# ------------------------------------------------------------------ 公示
def refresh_publicity(db: Session, today: dt.date, actor: str = SYSTEM) -> int:
    """Batches whose 公示 ended before `today` become `ready` (any request, or the scheduler)."""
    due = list(
        db.scalars(
            select(Batch).where(
                Batch.status == BatchStatus.PUBLICITY, Batch.publicity_ends_on < today
            )
        )
    )
    moved = 0
    for batch in due:
        done = cast(
            CursorResult[Any],
            db.execute(
                update(Batch)
                .where(Batch.id == batch.id, Batch.status == BatchStatus.PUBLICITY)
                .values(status=BatchStatus.READY)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if done:
            moved += 1
            assert batch.publicity_ends_on is not None  # selected by publicity_ends_on < today
            audit.record(
                db,
                actor,
                "batch.publicity_over",
                "batch",
                str(batch.id),
                {"status": BatchStatus.PUBLICITY},
                {
                    "status": BatchStatus.READY,
                    "publicity_ends_on": batch.publicity_ends_on.isoformat(),
                },
            )
    if moved:
        db.expire_all()
    return moved


# ------------------------------------------------------------------ maker-checker
def submit(db: Session, batch_id: int, actor: str, today: dt.date) -> Batch:
    refresh_publicity(db, today)
    batch = get_batch(db, batch_id, for_update=True)
    if batch.status == BatchStatus.PUBLICITY:
        ends_on = batch.publicity_ends_on
        assert (
            ends_on is not None
        )  # a close makes a batch in 公示 with its end date (services.close)
        raise Conflict(
            "publicity_not_over",
            f"公示 of batch {batch.id} runs until {ends_on}; "
            f"it can be submitted from {ends_on + dt.timedelta(days=1)}",
            "status",
        )
    if batch.status != BatchStatus.READY:
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; only a ready batch is submitted",
            "status",
        )
    objections = read.open_objection_count(db, batch.id)
    if objections:
        raise Conflict(
            "open_objections",
            f"batch {batch.id} has {objections} open objection(s); resolve them first",
        )
    submitted = _transition(
        db,
        batch,
        BatchStatus.READY,
        actor,
        "batch.submit",
        status=BatchStatus.SUBMITTED,
        submitted_by=actor,
        submitted_at=_now(),
        submitted_on=today,
    )
    _copy_payees(db, batch.id)
    return submitted


def _copy_payees(db: Session, batch_id: int) -> None:
    """What is paid, and where, is fixed at submission (domain.md §7 v2): each payee's name
    and account as they are now, into its batch_payees row, in one set-based UPDATE. An
    enterprise payee's come from `enterprises`; a bank payee gets the bank's name and no
    account. A rejection keeps the copy (it is what was submitted); a resubmission copies
    again."""
    is_enterprise = BatchPayee.payee_type == PayeeType.ENTERPRISE

    def enterprise(column):
        return (
            select(column)
            .where(Enterprise.uscc == BatchPayee.payee_id, is_enterprise)
            .scalar_subquery()
        )

    bank_name = (
        select(Bank.name)
        .where(Bank.bank_code == BatchPayee.payee_id, BatchPayee.payee_type == PayeeType.BANK)
        .scalar_subquery()
    )
    db.execute(
        update(BatchPayee)
        .where(BatchPayee.batch_id == batch_id)
        .values(
            payee_name=func.coalesce(enterprise(Enterprise.name), bank_name),
            account_holder=enterprise(Enterprise.account_holder),
            account_number=enterprise(Enterprise.account_number),
            account_bank_name=enterprise(Enterprise.account_bank_name),
        )
        .execution_options(synchronize_session=False)
    )


def _check_not_submitter(batch: Batch, actor: str, verb: str) -> None:
    if batch.submitted_by == actor:
        raise Conflict(
            "same_person",
            f"{actor} submitted batch {batch.id} and cannot {verb} it; another approver must",
        )


def approve(db: Session, batch_id: int, actor: str, today: dt.date) -> Batch:
    locks.exclusive(db, PAYOUT_LOCK)  # budget checks of two batches approved at once are serialised
    batch = get_batch(db, batch_id, for_update=True)
    if batch.status != BatchStatus.SUBMITTED:
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; only a submitted batch is approved",
            "status",
        )
    _check_not_submitter(batch, actor, "approve")
    # domain.md §7 (v2): charged to the budget of the year the approval happens in (预算 is
    # spent when it is paid), not the period's: a December batch approved in January is
    # January's year's. The batch keeps that year; its payments count against it.
    budget_year = today.year if batch.kind == BatchKind.SUBSIDY else None
    _check_funds(db, batch, budget_year)
    nothing_to_pay = not db.scalar(
        select(func.count())
        .select_from(BatchPayee)
        .where(BatchPayee.batch_id == batch.id, BatchPayee.payment_status == PaymentStatus.PENDING)
    )
    return _transition(
        db,
        batch,
        BatchStatus.SUBMITTED,
        actor,
        "batch.approve",
        status=BatchStatus.PAID if nothing_to_pay else BatchStatus.APPROVED,
        approved_by=actor,
        approved_at=_now(),
        approved_on=today,
        budget_year=budget_year,
    )


def _check_funds(db: Session, batch: Batch, budget_year: int | None) -> None:
    if budget_year is not None:
        year = budget_year
        left_fen = read.budget_left(db, year)
        if left_fen < batch.total_fen:
            raise Conflict(
                "budget_exceeded",
                f"the {year} subsidy budget has {format_fen(left_fen)} left; "
                f"batch {batch.id} pays {format_fen(batch.total_fen)}",
            )
        return
    # Compensation is paid from the batch's own pool (v2): what it holds, less what the pool's
    # approved batches still owe.
    assert batch.pool_code is not None  # a CHECK: every compensation batch names its pool
    owed_fen = int(
        db.execute(
            select(func.coalesce(func.sum(BatchPayee.pays_fen), 0))
            .join(Batch, Batch.id == BatchPayee.batch_id)
            .where(
                Batch.kind == BatchKind.COMPENSATION,
                Batch.pool_code == batch.pool_code,
                Batch.status.in_(APPROVED),
                BatchPayee.payment_status == PaymentStatus.PENDING,
            )
        ).scalar_one()
    )
    left_fen = pools.pool_cash(db, batch.pool_code) - owed_fen
    if left_fen < batch.total_fen:
        raise Conflict(
            "budget_exceeded",
            f"risk pool {batch.pool_code} has {format_fen(left_fen)} not yet committed; "
            f"batch {batch.id} pays {format_fen(batch.total_fen)}",
        )


def reject(db: Session, batch_id: int, actor: str, reason: str, today: dt.date) -> Batch:
    batch = get_batch(db, batch_id, for_update=True)
    if batch.status != BatchStatus.SUBMITTED:
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; only a submitted batch is rejected",
            "status",
        )
    _check_not_submitter(batch, actor, "reject")
    if not reason or not reason.strip():
        raise DomainError("required", "a rejection needs a reason the clerk can act on", "reason")
    return _transition(
        db,
        batch,
        BatchStatus.SUBMITTED,
        actor,
        "batch.reject",
        status=BatchStatus.READY,
        rejected_reason=reason,
        rejected_by=actor,
        rejected_at=_now(),
        submitted_by=None,
        submitted_at=None,
        submitted_on=None,
    )


# ------------------------------------------------------------------ payments
def record_payments(
    db: Session, batch_id: int, results: list[PaymentResult], actor: str, today: dt.date
) -> Batch:
    """Paid (Dr payable / Cr cash on the payment date) or failed (the payable stays; the next
    batch of the kind with lines for the payee carries it). A result already recorded the
    same way is a no-op, so a clerk's retry changes nothing; a different one is refused."""
    locks.shared(db, locks.CLOSE)  # a close that carries failed payments sees these whole
    batch = get_batch(db, batch_id, for_update=True)
    if batch.status not in (
        *APPROVED,
        BatchStatus.PAID,
    ):  # paid: only a repeat of what was recorded gets through
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; payments are recorded for an approved batch",
            "status",
        )
    _validate(results, today, batch.approved_on)
    payees = {
        p.payee_id: p
        for p in db.scalars(
            select(BatchPayee).where(
                BatchPayee.batch_id == batch.id,
                BatchPayee.payee_id.in_([r.payee_id for r in results]),
            )
        )
    }
    for i, result in enumerate(results):
        payee = payees.get(result.payee_id)
        if payee is None:
            raise DomainError(
                "unknown_target",
                f"{result.payee_id} is not a payee of batch {batch.id}",
                f"payments[{i}].payee_id",
            )
        _apply(db, batch, payee, result, i, actor)
    return _settle_status(db, batch, actor)


@dataclass(frozen=True)
class ResultProblem:
    """One broken rule of one payment result: `reason` names its sentence for the pages
    (web/i18n.RESULTS_REASONS, with `args`), `code` and `message` are the API's."""

    index: int
    field: str  # payee_id | paid_on | reference
    code: str
    reason: str
    message: str
    args: dict[str, str]


def result_problems(
    results: list[PaymentResult], today: dt.date, approved_on: dt.date | None
) -> list[ResultProblem]:
    """Every broken rule of every result, in order: the API answers the first, the payments
    page marks them all at once."""
    problems: list[ResultProblem] = []
    seen: dict[str, int] = {}

    def problem(i: int, field: str, code: str, reason: str, message: str, **args: str) -> None:
        problems.append(ResultProblem(i, field, code, reason, message, args))

    for i, r in enumerate(results):
        if r.payee_id in seen:
            problem(
                i,
                "payee_id",
                "invalid_format",
                "duplicate",
                f"{r.payee_id} is listed twice",
                other=str(seen[r.payee_id] + 1),
            )
        seen.setdefault(r.payee_id, i)
        if r.status == PaymentStatus.PAID and r.paid_on is None:
            problem(i, "paid_on", "required", "paid_needs_date", "a paid payment needs paid_on")
        if r.status == PaymentStatus.PAID and not r.reference:
            problem(
                i,
                "reference",
                "required",
                "paid_needs_reference",
                "a paid payment needs the bank's reference",
            )
        if r.paid_on is not None and r.paid_on > today:
            problem(
                i,
                "paid_on",
                "future_date",
                "future_date",
                f"{r.paid_on} is after the business date {today}",
                date=r.paid_on.isoformat(),
                today=today.isoformat(),
            )
        # Nothing is paid before it is approved: an earlier date would book the cash to a
        # day (and a year) when the batch could not be paid.
        if r.paid_on is not None and approved_on is not None and r.paid_on < approved_on:
            problem(
                i,
                "paid_on",
                "invalid_format",
                "before_approval",
                f"{r.paid_on} is before the batch was approved on {approved_on}",
                date=r.paid_on.isoformat(),
                approved_on=approved_on.isoformat(),
            )
    return problems


def _validate(results: list[PaymentResult], today: dt.date, approved_on: dt.date | None) -> None:
    """api.md: the first business rule broken is the answer."""
    problems = result_problems(results, today, approved_on)
    if problems:
        first = problems[0]
        raise DomainError(first.code, first.message, f"payments[{first.index}].{first.field}")


def _apply(
    db: Session, batch: Batch, payee: BatchPayee, result: PaymentResult, index: int, actor: str
) -> None:
    if payee.payment_status != PaymentStatus.PENDING:
        same = (payee.payment_status, payee.paid_on, payee.reference) == (
            result.status,
            result.paid_on,
            result.reference,
        )
        if same:
            return
        raise Conflict(
            "invalid_state",
            f"{payee.payee_id}: payment is {payee.payment_status}, not pending",
            f"payments[{index}].status",
        )
    before = {"payment_status": PaymentStatus.PENDING}
    payee.payment_status, payee.paid_on, payee.reference = (
        result.status,
        result.paid_on,
        result.reference,
    )
    payee.recorded_by, payee.recorded_at = actor, _now()
    entry_id = None
    if result.status == PaymentStatus.PAID:
        assert result.paid_on is not None  # _validate refused a paid result without paid_on
        entry = payment_entry(
            batch.kind,
            payee.payee_id,
            payee.pays_fen,
            f"{batch.period} {batch.kind} batch {batch.id}: paid {result.reference}",
            pool=batch.pool_code,
        )
        entry_id = ledger.post(db, entry, result.paid_on, period=batch.period, batch_id=batch.id)
    audit.record(
        db,
        actor,
        f"payment.{result.status}",
        "batch_payee",
        f"{batch.id}:{payee.payee_id}",
        before,
        {
            "payment_status": result.status,
            "pays": format_fen(payee.pays_fen),
            "paid_on": result.paid_on.isoformat() if result.paid_on else None,
            "reference": result.reference,
            "entry_id": entry_id,
        },
    )
    notices.payment_recorded(db, batch, payee)  # the enterprise is told, in this transaction


def _settle_status(db: Session, batch: Batch, actor: str) -> Batch:
    db.flush()
    statuses = set(
        db.scalars(
            select(BatchPayee.payment_status).where(
                BatchPayee.batch_id == batch.id, BatchPayee.payment_status != PaymentStatus.NONE
            )
        )
    )
    new_status = (
        BatchStatus.PAID if statuses <= {PaymentStatus.PAID} else BatchStatus.PARTIALLY_PAID
    )
    if new_status == batch.status:
        return batch
    return _transition(db, batch, batch.status, actor, "batch.payments", status=new_status)
