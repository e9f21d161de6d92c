"""The dashboard's to-do list: what a person of a role has waiting, each item one page away.

One function (`todo`) answers for every role, so that the page (and anything else that asks)
shows the same list. An item names what is to be done (`kind`) and what it is about (a batch,
a period, a count); the page words and links it. A clerk submits, records payments, resolves
objections, follows up a bank's refused rows and a close that did not finish; an approver
approves; an auditor has nothing to do but sees how much changed lately; an admin may act as
clerk and approver (domain.vocabulary.role_may_act_as) and also hears of e-mails given up on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from loanledger.domain.vocabulary import (
    BatchStatus,
    ObjectionStatus,
    PaymentStatus,
    PeriodStatus,
    Role,
    role_may_act_as,
)
from loanledger.persistence.tables import (
    AuditEntry,
    Batch,
    BatchPayee,
    CloseJob,
    ImportJob,
    Objection,
    Period,
)
from loanledger.services.read.imports import with_errors
from loanledger.services.read.notices import failed_email_count

RECENT = dt.timedelta(days=7)  # imports with errors and the auditor's changes: this long back


@dataclass(frozen=True)
class TodoItem:
    """`kind`: submit, approve, payments, objections, imports, close_failed, failed_emails,
    recent_changes. `count` is how many (payees to pay, objections, files, entries)."""

    kind: str
    count: int = 1
    batch_id: int | None = None
    batch_kind: str | None = None
    period: str | None = None
    job_id: int | None = None


def todo(db: Session, role: str, now: dt.datetime) -> list[TodoItem]:
    """The items waiting for a person of `role`, most pressing kinds first."""
    items: list[TodoItem] = []
    if role_may_act_as(role, (Role.APPROVER,)):
        items += _batches(db, BatchStatus.SUBMITTED, "approve")
    if role_may_act_as(role, (Role.CLERK,)):
        items += _batches(db, BatchStatus.READY, "submit")
        items += _payments(db)
        items += _counted("objections", _open_objections(db))
        items += _failed_closes(db)
        items += _counted("imports", _imports_with_errors(db, now - RECENT))
    if role == Role.ADMIN:
        items += _counted("failed_emails", failed_email_count(db))
    if role == Role.AUDITOR:
        items.append(TodoItem("recent_changes", _changes_since(db, now - RECENT)))
    return items


def _counted(kind: str, count: int) -> list[TodoItem]:
    return [TodoItem(kind, count)] if count else []


def _batches(db: Session, status: str, kind: str) -> list[TodoItem]:
    rows = db.execute(
        select(Batch.id, Batch.kind, Batch.period).where(Batch.status == status).order_by(Batch.id)
    )
    return [TodoItem(kind, 1, batch_id=i, batch_kind=k, period=p) for i, k, p in rows]


def _payments(db: Session) -> list[TodoItem]:
    """Approved batches with payees still to be paid, and how many each."""
    rows = db.execute(
        select(Batch.id, Batch.kind, Batch.period, func.count())
        .join(BatchPayee, BatchPayee.batch_id == Batch.id)
        .where(
            Batch.status.in_((BatchStatus.APPROVED, BatchStatus.PARTIALLY_PAID)),
            BatchPayee.payment_status == PaymentStatus.PENDING,
        )
        .group_by(Batch.id, Batch.kind, Batch.period)
        .order_by(Batch.id)
    )
    return [TodoItem("payments", n, batch_id=i, batch_kind=k, period=p) for i, k, p, n in rows]


def _open_objections(db: Session) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(Objection)
            .where(Objection.status == ObjectionStatus.OPEN)
        )
        or 0
    )


def _failed_closes(db: Session) -> list[TodoItem]:
    """The newest job of each month still open whose last close job failed."""
    newest = (
        select(CloseJob.period, func.max(CloseJob.id).label("id"))
        .group_by(CloseJob.period)
        .subquery()
    )
    rows = db.execute(
        select(CloseJob.id, CloseJob.period)
        .join(newest, newest.c.id == CloseJob.id)
        .outerjoin(Period, Period.period == CloseJob.period)
        .where(
            CloseJob.status == "failed",
            or_(Period.status.is_(None), Period.status != PeriodStatus.CLOSED),
        )
        .order_by(CloseJob.period)
    )
    return [TodoItem("close_failed", 1, period=p, job_id=i) for i, p in rows]


def _imports_with_errors(db: Session, since: dt.datetime) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(ImportJob)
            .where(ImportJob.created_at >= since, with_errors())
        )
        or 0
    )


def _changes_since(db: Session, since: dt.datetime) -> int:
    return int(
        db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at >= since)) or 0
    )
