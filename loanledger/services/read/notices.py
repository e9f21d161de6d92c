"""An enterprise's notices (站内信), newest first, and the e-mails the bureau should know of."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanledger.domain.vocabulary import OutboxStatus
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import Notice, OutboxMessage
from loanledger.services.read.paging import Page, decode_cursor, encode_cursor
from loanledger.services.read.sorting import NumberedPage, numbered_page


@dataclass(frozen=True)
class NoticeCounts:
    total: int
    unread: int


def _of(uscc: str):
    """The enterprise's notices as rows with their e-mail's status (None: no e-mail)."""
    return (
        select(Notice.__table__, OutboxMessage.status.label("email_status"))
        .outerjoin(OutboxMessage, OutboxMessage.notice_id == Notice.id)
        .where(Notice.uscc == uscc)
    )


def notice(db: Session, uscc: str, notice_id: int) -> Any | None:
    """One notice of the enterprise (another's is None, as if it did not exist)."""
    return db.execute(_of(uscc).where(Notice.id == notice_id)).one_or_none()


def notices(db: Session, uscc: str, *, limit: int, cursor: str | None) -> Page:
    """A page of the enterprise's notices, newest first. Keyset on the id, descending:
    the cursor carries the last id shown."""
    stmt = _of(uscc).order_by(Notice.id.desc())
    if cursor is not None:
        (before,) = decode_cursor(cursor, [int])
        stmt = stmt.where(Notice.id < before)
    rows = list(db.execute(stmt.limit(limit + 1)).all())
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor([rows[-1].id]))
    return Page(rows, None)


def notices_numbered(db: Session, uscc: str, page: int, *, size: int) -> NumberedPage:
    """Page `page` (from 1) of the enterprise's notices, newest first (the portal)."""
    return numbered_page(db, _of(uscc), [Notice.id.desc()], page, size)


def notice_counts(db: Session, uscc: str) -> NoticeCounts:
    total, unread = db.execute(
        select(func.count(), func.count().filter(Notice.read_at.is_(None))).where(
            Notice.uscc == uscc
        )
    ).one()
    return NoticeCounts(int(total), int(unread))


def failed_email_count(db: Session) -> int:
    """E-mails given up on (failed_permanently): the bureau tells those enterprises itself."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.FAILED_PERMANENTLY)
        )
        or 0
    )


def notice_wire(row: Any) -> dict[str, Any]:
    return {
        "notice_id": row.id,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "created_at": as_utc(row.created_at).isoformat(),
        "read_at": as_utc(row.read_at).isoformat() if row.read_at else None,
        "email_status": getattr(row, "email_status", None),
    }
