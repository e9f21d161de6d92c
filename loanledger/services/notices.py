"""Notices to enterprises (站内信) and their e-mails' queue (issue 13; api.md `GET /me/notices`).

Each writer is called inside the transaction of the change it tells of (the close that puts a
batch in 公示, a payment recorded, an objection resolved), so a notice exists exactly when
the change does. A notice's key (domain.notices) is UNIQUE and written with INSERT … ON
CONFLICT DO NOTHING: the same change told twice (a job run again, a payment repeated) adds
nothing. A notice of an enterprise with an e-mail address gets one outbox row in the same
transaction, whatever the SMTP settings: services/mailer.py sends it when a server is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from loanledger.domain import notices as text
from loanledger.domain.notices import NoticeText
from loanledger.domain.vocabulary import (
    BatchKind,
    FilingStatus,
    OutboxStatus,
    PayeeType,
    PaymentStatus,
)
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import (
    Batch,
    BatchPayee,
    Enterprise,
    Filing,
    Line,
    Notice,
    Objection,
    OutboxMessage,
    Timestamp,
)
from loanledger.services import audit, registry
from loanledger.services.errors import NotFound

CHUNK = 1000  # notices written per statement


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def write(db: Session, notices: Sequence[tuple[str, NoticeText]]) -> list[int]:
    """Store (uscc, text) notices not stored yet and queue the e-mail of each new one whose
    enterprise has an address; the ids of the new notices."""
    dialect: Any = postgresql if is_postgres(db) else sqlite
    now = _now()
    new_ids: list[int] = []
    for start in range(0, len(notices), CHUNK):
        rows = [
            {
                "uscc": uscc,
                "kind": str(n.kind),
                "key": n.key,
                "title": n.title,
                "body": n.body,
                "created_at": now,
            }
            for uscc, n in notices[start : start + CHUNK]
        ]
        stmt = (
            dialect.insert(Notice.__table__)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Notice.__table__.c.id)
        )
        new_ids.extend(db.execute(stmt, rows).scalars())
    _queue(db, new_ids, now)
    return new_ids


def _queue(db: Session, notice_ids: list[int], now: dt.datetime) -> None:
    """One outbox row per new notice of an enterprise with an address (copied: the address the
    notice was written for is the one it goes to)."""
    for start in range(0, len(notice_ids), CHUNK):
        chunk = notice_ids[start : start + CHUNK]
        recipients = select(
            Notice.id,
            Enterprise.email,
            literal(OutboxStatus.PENDING.value),
            literal(0),
            literal(now, Timestamp),
            literal(now, Timestamp),
        ).where(Notice.id.in_(chunk), Enterprise.uscc == Notice.uscc, Enterprise.email.is_not(None))
        db.execute(
            insert(OutboxMessage.__table__).from_select(
                ["notice_id", "to_address", "status", "attempts", "next_attempt_at", "created_at"],
                recipients,
            )
        )


# ------------------------------------------------------------------ the changes told
def batch_in_publicity(db: Session, batch: Batch) -> list[int]:
    """Every enterprise payee of a subsidy batch that entered 公示: its total there."""
    if batch.kind != BatchKind.SUBSIDY or batch.publicity_ends_on is None:
        return []
    ends_on = batch.publicity_ends_on
    rows = db.execute(
        select(BatchPayee.payee_id, BatchPayee.total_fen, Enterprise.name)
        .join(Enterprise, Enterprise.uscc == BatchPayee.payee_id)
        .where(BatchPayee.batch_id == batch.id, BatchPayee.payee_type == PayeeType.ENTERPRISE)
        .order_by(BatchPayee.payee_id)
    ).all()
    return write(
        db,
        [
            (uscc, text.publicity(batch.id, uscc, name, batch.period, total_fen, ends_on))
            for uscc, total_fen, name in rows
        ],
    )


def payment_recorded(db: Session, batch: Batch, payee: BatchPayee) -> list[int]:
    """An enterprise's payment recorded as paid or failed (a bank payee gets no notice)."""
    if payee.payee_type != PayeeType.ENTERPRISE:
        return []
    name = db.scalar(select(Enterprise.name).where(Enterprise.uscc == payee.payee_id)) or ""
    if payee.payment_status == PaymentStatus.PAID:
        assert payee.paid_on is not None  # payouts refuses a paid result without paid_on
        notice = text.paid(
            batch.id,
            payee.payee_id,
            name,
            batch.period,
            payee.pays_fen,
            payee.paid_on,
            payee.reference,
        )
    else:
        notice = text.payment_failed(
            batch.id, payee.payee_id, name, batch.period, payee.pays_fen, payee.reference
        )
    return write(db, [(payee.payee_id, notice)])


def objection_resolved(db: Session, objection: Objection) -> list[int]:
    line = db.get_one(Line, objection.line_id)
    batch = db.get_one(Batch, objection.batch_id)
    name = db.scalar(select(Enterprise.name).where(Enterprise.uscc == objection.uscc)) or ""
    notice = text.objection_resolved(
        objection.id,
        name,
        batch.period,
        line.id,
        line.amount_fen,
        objection.status,
        objection.resolution_note or "",
    )
    return write(db, [(objection.uscc, notice)])


def filings_lapsing_soon(db: Session, today: dt.date) -> list[str]:
    """A notice for each active filing that will lapse within LAPSE_WARNING_DAYS days (the
    lapse rule of everywhere, domain.notices.lapses_soon); once per filing, by its key.
    The filing numbers newly told."""
    lapse_days = registry.policy_in_force(db, today)[1].filing_lapse_days
    filings = list(
        db.scalars(
            select(Filing).where(
                Filing.revoked_on.is_(None),
                Filing.completed_on.is_(None),
                # lapsing after today and at most LAPSE_WARNING_DAYS from it (lapse_date)
                Filing.approved_on > today - dt.timedelta(days=lapse_days + 1),
                Filing.approved_on
                <= today + dt.timedelta(days=text.LAPSE_WARNING_DAYS - lapse_days - 1),
            )
        )
    )
    if not filings:
        return []
    statuses = registry.filing_statuses(db, filings, today)
    starts = registry.earliest_starts(db, [f.filing_no for f in filings])
    names = dict(
        db.execute(
            select(Enterprise.uscc, Enterprise.name).where(
                Enterprise.uscc.in_({f.uscc for f in filings})
            )
        ).all()
    )
    due = [
        f
        for f in filings
        if statuses[f.filing_no] == FilingStatus.ACTIVE
        and text.lapses_soon(f.approved_on, _dates(starts.get(f.filing_no)), lapse_days, today)
    ]
    notices = [
        (
            f.uscc,
            text.filing_lapse_soon(
                f.filing_no, names.get(f.uscc, ""), f.project_name, f.approved_on, lapse_days
            ),
        )
        for f in sorted(due, key=lambda f: f.filing_no)
    ]
    new_ids = set(write(db, notices))
    if not new_ids:
        return []
    keys = db.scalars(select(Notice.key).where(Notice.id.in_(new_ids)).order_by(Notice.key))
    return [key.removeprefix("lapse_soon:") for key in keys]


def _dates(start: dt.date | None) -> Iterable[dt.date]:
    return [] if start is None else [start]


# ------------------------------------------------------------------ the enterprise reads them
def mark_read(db: Session, uscc: str, notice_id: int, actor: str) -> Notice:
    """The enterprise has read its notice (a repeat changes nothing); another enterprise's
    notice is not found."""
    notice = db.get(Notice, notice_id)
    if notice is None or notice.uscc != uscc:
        raise NotFound(f"notice {notice_id}")
    if notice.read_at is None:
        read_at = _now()
        db.execute(
            update(Notice)
            .where(Notice.id == notice_id, Notice.read_at.is_(None))
            .values(read_at=read_at)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            db,
            actor,
            "notice.read",
            "notice",
            str(notice_id),
            {"read_at": None},
            {"read_at": read_at.isoformat()},
        )
        db.refresh(notice)
    return notice
