"""The month's close jobs (services/close_jobs.py)."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import CLOSE_JOB_OPEN, CloseJob, User


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


def actor_name(db: Session, actor: str) -> str:
    """A person as pages name them: `user:clerk` → the user's display name (else username)."""
    username = actor.removeprefix("user:")
    found = db.execute(
        select(User.display_name, User.username).where(User.username == username)
    ).one_or_none()
    if found is None:
        return username
    return found.display_name or found.username
