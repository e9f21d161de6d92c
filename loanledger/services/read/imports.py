"""Import jobs: one by id (the API, which decides who may see it), and a bank's own — its
history newest first, one of its imports, the errors of an import row by row, and what its
home page counts. Every read of a bank's imports takes the bank: another bank's import is
not found, whatever its id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import ImportJob, ImportRowError, Loan
from loanledger.services.read.paging import Page, decode_cursor, encode_cursor

PENDING_STATUSES = ("pending", "running")


def import_job(db: Session, import_id: int) -> Row | None:
    return db.execute(select(ImportJob.__table__).where(ImportJob.id == import_id)).one_or_none()


def bank_import(db: Session, bank_code: str, import_id: int) -> Row | None:
    """The bank's import `import_id`; None for an unknown id and for another bank's."""
    return db.execute(
        select(ImportJob.__table__).where(
            ImportJob.id == import_id, ImportJob.bank_code == bank_code
        )
    ).one_or_none()


def bank_imports(db: Session, bank_code: str, *, limit: int, cursor: str | None) -> Page:
    """A page of the bank's imports, newest first (keyset on the id, descending: the cursor
    is the last id shown)."""
    stmt = select(ImportJob.__table__).where(ImportJob.bank_code == bank_code)
    if cursor is not None:
        (last_id,) = decode_cursor(cursor, [int])
        stmt = stmt.where(ImportJob.id < last_id)
    rows = list(db.execute(stmt.order_by(ImportJob.id.desc()).limit(limit + 1)).all())
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor([rows[-1].id]))
    return Page(rows, None)


def has_errors(job: Row) -> bool:
    return job.status == "failed" or job.error_count > 0


@dataclass(frozen=True)
class BankHome:
    loans: int
    recent: list[Row]  # the newest imports
    to_do: list[Row]  # imports with errors not yet followed by a clean import of their kind
    in_progress: int  # pending or running


def bank_home(db: Session, bank_code: str, *, recent: int, scanned: int = 200) -> BankHome:
    """What a bank's home page shows. An import with errors (refused, or rows rejected) is
    to do until a later import of the same kind ends without any: the bank fixed the file
    and sent it again. Only the newest `scanned` imports are looked at."""
    loans = db.scalar(select(func.count()).select_from(Loan).where(Loan.bank_code == bank_code))
    newest = bank_imports(db, bank_code, limit=scanned, cursor=None).items
    clean_since: set[str] = set()
    to_do = []
    for job in newest:  # newest first: a clean import hides the older errors of its kind
        if job.status == "done" and job.error_count == 0:
            clean_since.add(job.kind)
        elif has_errors(job) and job.kind not in clean_since:
            to_do.append(job)
    return BankHome(
        loans=loans or 0,
        recent=newest[:recent],
        to_do=to_do,
        in_progress=sum(1 for job in newest if job.status in PENDING_STATUSES),
    )


@dataclass
class RowErrors:
    """A file row's errors together (row None: the file as a whole)."""

    row: int | None
    errors: list[Row] = field(default_factory=list)


def import_errors_by_row(db: Session, import_id: int, *, limit: int) -> list[RowErrors]:
    """The first `limit` errors of an import (in the order kept: by row), grouped by row:
    one entry per row of the file, its errors in the order the import found them."""
    errors = db.execute(
        select(ImportRowError.__table__)
        .where(ImportRowError.import_id == import_id)
        .order_by(ImportRowError.id)
        .limit(limit)
    ).all()
    grouped: dict[int | None, RowErrors] = {}
    for error in errors:
        grouped.setdefault(error.row, RowErrors(error.row)).errors.append(error)
    return list(grouped.values())


def imports_with_errors(db: Session, since: dt.datetime, limit: int = 100) -> list[Row]:
    """Files received since `since` that were refused as a whole or had rows refused, newest
    first (the dashboard's to-do counts the same, services/read/todo.py)."""
    return list(
        db.execute(
            select(ImportJob.__table__)
            .where(ImportJob.created_at >= since, with_errors())
            .order_by(ImportJob.id.desc())
            .limit(limit)
        )
    )


def with_errors() -> ColumnElement[bool]:
    """has_errors in SQL: an import refused as a whole, or with refused rows."""
    return or_(ImportJob.status == "failed", ImportJob.error_count > 0)
