"""Import jobs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import ImportJob


def import_job(db: Session, import_id: int) -> Row | None:
    return db.execute(select(ImportJob.__table__).where(ImportJob.id == import_id)).one_or_none()


def imports_with_errors(db: Session, since: dt.datetime, limit: int = 100) -> list[Row]:
    """Files received since `since` that were refused as a whole or had rows refused, newest
    first (the dashboard's to-do counts the same, services/read/todo.py)."""
    return list(
        db.execute(
            select(ImportJob.__table__)
            .where(ImportJob.created_at >= since, has_errors())
            .order_by(ImportJob.id.desc())
            .limit(limit)
        )
    )


def has_errors():
    """An import refused as a whole, or with refused rows."""
    return or_(ImportJob.status == "failed", ImportJob.rejected > 0)
