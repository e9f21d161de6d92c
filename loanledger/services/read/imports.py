"""Import jobs."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import ImportJob


def import_job(db: Session, import_id: int) -> Row | None:
    return db.execute(select(ImportJob.__table__).where(ImportJob.id == import_id)).one_or_none()
