"""The outbox's sender (issue 13): e-mails the notices queued by services/notices.py through
the SMTP server of the settings. The scheduler runs `send_pending` every minute.

A row is claimed before it is sent, in a transaction of its own: its `next_attempt_at` moves
LEASE ahead by a guarded UPDATE (`WHERE status = 'pending' AND next_attempt_at <= now`), so
a second sender (another scheduler, a run that overlaps) finds it not due and leaves it; on
PostgreSQL the candidates are read FOR UPDATE SKIP LOCKED, so two senders do not even wait
on each other's rows. The message is sent outside any transaction, then marked sent, or
failed with a retry after a backoff (domain.notices.BACKOFF), or failed_permanently after
MAX_ATTEMPTS.

At least once, not exactly once, at one edge: a sender killed after the server accepted a
message and before it was marked sent leaves the row pending; when its lease runs out it is
sent again. The second copy has the same Message-ID (derived from the notice's key), which
is what a mail system uses to drop duplicates. In the normal path a notice is sent once.

No SMTP host in the settings: nothing is sent, the rows stay pending (parked) and the
notices are in the portal; once a host is set they go out (docs/decisions-notices.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from loanledger.domain import notices as text
from loanledger.domain.vocabulary import OutboxStatus
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import Notice, OutboxMessage
from loanledger.services import audit
from loanledger.services.unit_of_work import unit_of_work

log = logging.getLogger("loanledger.mail")
ACTOR = "scheduler"
LEASE = dt.timedelta(minutes=10)  # longer than CLAIM_AT_ONCE sends at the SMTP timeout
CLAIM_AT_ONCE = 50
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or an error
    sender: str = "loanledger@localhost"
    starttls: bool = False
    timeout_seconds: float = 10.0

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class Outgoing:
    outbox_id: int
    attempts: int  # before this one
    to_address: str
    key: str
    title: str
    body: str


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed_permanently: int = 0


def send_pending(
    sessions: Callable[[], Session], smtp: SmtpSettings, now: dt.datetime
) -> SendReport:
    """Send every e-mail due at `now` (the wall clock, UTC), CLAIM_AT_ONCE at a time."""
    if not smtp.host:
        return SendReport()  # parked: the notices are in the portal
    sent = retrying = failed = 0
    while batch := _claim(sessions, now):
        for message in batch:
            outcome = _send_one(sessions, smtp, message, now)
            sent += outcome == OutboxStatus.SENT
            retrying += outcome == OutboxStatus.PENDING
            failed += outcome == OutboxStatus.FAILED_PERMANENTLY
        if len(batch) < CLAIM_AT_ONCE:
            break
    return SendReport(sent, retrying, failed)


def _claim(sessions: Callable[[], Session], now: dt.datetime) -> list[Outgoing]:
    with unit_of_work(sessions) as db:
        due = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(CLAIM_AT_ONCE)
        )
        if is_postgres(db):
            due = due.with_for_update(skip_locked=True)
        mine = [outbox_id for outbox_id in db.scalars(due).all() if _lease(db, outbox_id, now)]
        if not mine:
            return []
        rows = db.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.attempts,
                OutboxMessage.to_address,
                Notice.key,
                Notice.title,
                Notice.body,
            )
            .join(Notice, Notice.id == OutboxMessage.notice_id)
            .where(OutboxMessage.id.in_(mine))
            .order_by(OutboxMessage.id)
        ).all()
        return [Outgoing(*row) for row in rows]


def _lease(db: Session, outbox_id: int, now: dt.datetime) -> bool:
    return _guarded(
        db,
        outbox_id,
        OutboxMessage.next_attempt_at <= now,
        next_attempt_at=now + LEASE,
    )


def _guarded(db: Session, outbox_id: int, *where: Any, **values: Any) -> bool:
    done = cast(
        CursorResult[Any],
        db.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == outbox_id,
                OutboxMessage.status == OutboxStatus.PENDING,
                *where,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    return done == 1


def email_of(message: Outgoing, smtp: SmtpSettings, now: dt.datetime) -> EmailMessage:
    email = EmailMessage()
    email["From"] = smtp.sender
    email["To"] = message.to_address
    email["Subject"] = message.title
    email["Date"] = format_datetime(now)
    email["Message-ID"] = text.message_id(message.key, smtp.domain)
    email.set_content(message.body, charset="utf-8")
    return email


def _deliver(smtp: SmtpSettings, email: EmailMessage) -> None:
    assert smtp.host  # send_pending returns before any send without a host
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.user:
            server.login(smtp.user, smtp.password or "")
        server.send_message(email)


def _send_one(
    sessions: Callable[[], Session], smtp: SmtpSettings, message: Outgoing, now: dt.datetime
) -> str:
    email = email_of(message, smtp, now)
    try:
        _deliver(smtp, email)
    except (smtplib.SMTPException, OSError) as exc:  # refused, unreachable, timed out
        return _failed(sessions, message, _error_text(exc), now)
    with unit_of_work(sessions) as db:
        marked = _guarded(
            db,
            message.outbox_id,
            status=OutboxStatus.SENT,
            attempts=message.attempts + 1,
            sent_at=now,
            message_id=email["Message-ID"],
            last_error=None,
        )
        if not marked:  # our lease ran out and another sender had it: the at-least-once edge
            log.warning("outbox %s was sent twice (same Message-ID)", message.outbox_id)
            return OutboxStatus.SENT
        audit.record(
            db,
            ACTOR,
            "notice.emailed",
            "outbox",
            str(message.outbox_id),
            {"status": OutboxStatus.PENDING},
            {"status": OutboxStatus.SENT, "message_id": email["Message-ID"]},
        )
    return OutboxStatus.SENT


def _error_text(exc: BaseException) -> str:
    """What went wrong, for the bureau: the exception and the server's words (smtplib never
    puts the password in them), cut short."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


def _failed(
    sessions: Callable[[], Session], message: Outgoing, error: str, now: dt.datetime
) -> str:
    attempts = message.attempts + 1
    retry = text.retry_at(attempts, now)
    with unit_of_work(sessions) as db:
        if retry is not None:
            _guarded(
                db, message.outbox_id, attempts=attempts, next_attempt_at=retry, last_error=error
            )
            log.warning(
                "e-mail of outbox %s failed (attempt %d), retried at %s: %s",
                message.outbox_id,
                attempts,
                retry.isoformat(),
                error,
            )
            return OutboxStatus.PENDING
        _guarded(
            db,
            message.outbox_id,
            status=OutboxStatus.FAILED_PERMANENTLY,
            attempts=attempts,
            last_error=error,
        )
        audit.record(
            db,
            ACTOR,
            "notice.email_failed",
            "outbox",
            str(message.outbox_id),
            {"status": OutboxStatus.PENDING},
            {"status": OutboxStatus.FAILED_PERMANENTLY, "attempts": attempts, "error": error},
        )
    log.error(
        "e-mail of outbox %s to %s failed %d times; given up: %s",
        message.outbox_id,
        message.to_address,
        attempts,
        error,
    )
    return OutboxStatus.FAILED_PERMANENTLY
