"""The month's close jobs (services/close_jobs.py)."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import CLOSE_JOB_OPEN, CloseJob


def close_job(db: Session, job_id: int) -> Row | None:
    return db.execute(select(CloseJob.__table__).where(CloseJob.id == job_id)).one_or_none()


def open_close_job(db: Session, period: str) -> Row | None:
    """The period's pending or running close job (at most one: a unique index)."""
    return db.execute(
        select(CloseJob.__table__).where(
            CloseJob.period == period, CloseJob.status.in_(CLOSE_JOB_OPEN)
        )
    ).one_or_none()


def open_close_jobs(db: Session) -> list[Row]:
    """Every pending or running close job, oldest first (the dashboard links to them)."""
    return list(
        db.execute(
            select(CloseJob.__table__)
            .where(CloseJob.status.in_(CLOSE_JOB_OPEN))
            .order_by(CloseJob.id)
        )
    )
