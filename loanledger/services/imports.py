"""File imports (POST /imports): a bank's CSV or XLSX of loans or events, through bulk intake.

An upload is spooled to a temporary file while its SHA-256 is computed (`spool`), then read
in two passes, so no more than one chunk of rows is ever held in memory:

1. `spreadsheets.stage` reads the file and writes every non-empty row as the wire dict a JSON
   body would carry, one JSON line per row, to a temporary file; a file wrong as a whole is
   refused before anything is written (`FileRefused`).
2. `run` sends the staged rows in chunks of at most 5,000 through `bulk.ingest_loans` /
   `bulk.ingest_events` (atomic=False) and keeps every rejected row's errors with the row
   number a spreadsheet shows and the column (field name) concerned.

An import's life is `pending` → `running` → `done` (or `failed` when refused as a whole).
`receive` (POST /imports) runs a small file at once, inside the request and its transaction
(at most INLINE_MAX_BYTES, and staged within INLINE_MAX_ROWS rows and INLINE_MAX_SECONDS:
never long enough to outlive a server worker's timeout), so the client sees `done` or
`failed` in the answer. Anything bigger is stored in `import_files` and left `pending` for
the worker (`services/import_worker.py`), which runs the same two passes and commits chunk
by chunk; the client polls GET /imports/{id} (docs/decisions-imports.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import ImportFile, ImportJob, ImportRowError, utcnow
from loanledger.services import bulk, spreadsheets
from loanledger.services.audit import record
from loanledger.services.spreadsheets import (
    KINDS,
    ROW_PATH,
    Budget,
    FileRefused,
    OverBudget,
    Staged,
    column_of,
    stage,
)

CHUNK_ROWS = bulk.MAX_ITEMS
MAX_STORED_ERRORS = 100_000  # per import; error_count still counts them all
MAX_SHOWN_ERRORS = 1000  # in GET /imports/{id}
SPOOL_CHUNK_BYTES = 64 * 1024
# A file the request runs itself; anything more waits for the worker. 2,000 rows take about
# a second or two of intake; the read is cut off well inside gunicorn's 120 s timeout.
INLINE_MAX_BYTES = 256 * 1024
INLINE_MAX_ROWS = 2_000
INLINE_MAX_SECONDS = 5.0


# ===================================================================== spooling
@dataclass
class Spooled:
    file: IO[bytes]
    sha256: str
    size_bytes: int


@contextlib.contextmanager
def spool(stream: IO[bytes]) -> Iterator[Spooled]:
    """Copy an upload into a temporary file in chunks, hashing as it goes."""
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as target:
        while chunk := stream.read(SPOOL_CHUNK_BYTES):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
        target.seek(0)
        yield Spooled(target, digest.hexdigest(), size)


def clean_filename(given: str | None) -> str:
    """An upload's own name, as given: no directories, no control characters, ≤ 255
    characters ("upload" when nothing is left)."""
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    return name[:255] or "upload"


# ===================================================================== pass 2: run
def _chunks(lines: IO[str], size: int, skip: int = 0) -> Iterator[list[list[Any]]]:
    chunk: list[list[Any]] = []
    for line in itertools.islice(lines, skip, None):
        chunk.append(json.loads(line))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(
    db: Session,
    job: ImportJob,
    staged: Staged,
    today: dt.date,
    checkpoint: Callable[[], None] | None = None,
) -> None:
    """Pass 2: the staged rows through bulk intake, chunk by chunk, counting and keeping errors.

    Starts after the `job.lines_done` staged rows already counted (a job the worker resumes)
    and calls `checkpoint` after each chunk (the worker commits there)."""
    ingest = bulk.ingest_loans if job.kind == "loans" else bulk.ingest_events
    for chunk in _chunks(staged.lines, CHUNK_ROWS, job.lines_done):
        items: list[dict[str, Any]] = []
        numbers: list[int] = []
        errors: list[dict[str, Any]] = []
        for number, item, row_errors in chunk:
            if row_errors:
                job.rejected += 1
                errors.extend({"row": number, **error} for error in row_errors)
            else:
                items.append(item)
                numbers.append(number)
        if items:
            outcome = ingest(db, job.bank_code, items, today, atomic=False, path=ROW_PATH)
            job.accepted += outcome.accepted
            job.duplicates += outcome.duplicates
            job.rejected += outcome.rejected
            errors.extend(
                {
                    "row": numbers[result["index"]],
                    "column": column_of(job.kind, error.get("field")),
                    "code": error["code"],
                    "message": error["message"],
                }
                for result in outcome.results
                for error in result.get("errors", ())
            )
        errors.sort(key=lambda error: error["row"])  # stable: a row's errors keep their order
        _keep_errors(db, job, errors)
        job.lines_done += len(chunk)
        if checkpoint is not None:
            checkpoint()


def _keep_errors(db: Session, job: ImportJob, errors: list[dict[str, Any]]) -> None:
    room = max(0, MAX_STORED_ERRORS - job.error_count)
    if errors[:room]:
        db.execute(
            insert(ImportRowError.__table__),
            [
                {
                    "import_id": job.id,
                    "row": e["row"],
                    "column_name": e["column"],
                    "code": e["code"],
                    "message": e["message"][:2000],
                }
                for e in errors[:room]
            ],
        )
    job.error_count += len(errors)


# ===================================================================== the use case
def find_import(db: Session, bank_code: str, sha256: str) -> ImportJob | None:
    """The earlier import of the same file by the same bank (refused files do not count)."""
    return db.scalar(
        select(ImportJob).where(ImportJob.bank_code == bank_code, ImportJob.file_key == sha256)
    )


def start(
    db: Session,
    bank_code: str,
    kind: str,
    upload: Spooled,
    filename: str,
    actor: str,
    today: dt.date | None = None,
) -> tuple[ImportJob, bool]:
    """(job, created): a new `pending` import, or the earlier import of the same file.
    `today`: the business date the file is judged by, wherever and whenever it runs."""
    assert kind in KINDS
    earlier = find_import(db, bank_code, upload.sha256)
    if earlier is not None:
        return earlier, False
    job = ImportJob(
        bank_code=bank_code,
        kind=kind,
        filename=filename,
        sha256=upload.sha256,
        file_key=upload.sha256,
        size_bytes=upload.size_bytes,
        status="pending",
        rows=0,
        accepted=0,
        duplicates=0,
        rejected=0,
        error_count=0,
        created_by=actor,
        created_at=utcnow(),
        received_on=today,
        attempts=0,
        lines_done=0,
    )
    try:
        with db.begin_nested():
            db.add(job)
            db.flush()
    except IntegrityError:  # the same file, sent twice at once: the other one won
        earlier = find_import(db, bank_code, upload.sha256)
        if earlier is None:
            raise
        return earlier, False
    return job, True


def receive(
    db: Session,
    bank_code: str,
    kind: str,
    upload: Spooled,
    filename: str,
    actor: str,
    today: dt.date,
) -> tuple[ImportJob, bool]:
    """POST /imports: (job, created). The earlier import of the same file; or a new one, run
    at once when it is small (`done`, or FileRefused with the job `failed`), else stored and
    left `pending` for the worker."""
    job, created = start(db, bank_code, kind, upload, filename, actor, today)
    if not created:
        return job, False
    if upload.size_bytes <= INLINE_MAX_BYTES:
        try:
            process(db, job, upload.file, today, Budget(INLINE_MAX_ROWS, INLINE_MAX_SECONDS))
            return job, True
        except OverBudget:
            pass  # more than a request should read: the worker's
    upload.file.seek(0)
    db.add(ImportFile(import_id=job.id, content=upload.file.read()))
    db.flush()
    return job, True


def process(
    db: Session, job: ImportJob, source: IO[bytes], today: dt.date, budget: Budget | None = None
) -> ImportJob:
    """pending → running → done, in the caller's transaction. A file refused as a whole:
    `failed`, its errors kept on the job, and FileRefused raised naming the job (nothing else
    was written: rows are staged before any intake). OverBudget (the job left untouched)
    when the file is more than `budget`."""
    assert job.status == "pending"
    started = utcnow()
    try:
        staged = stage(source, job.kind, budget)
    except FileRefused as refused:
        job.started_at = started
        fail(db, job, refused)
        raise
    job.status, job.started_at = "running", started
    with staged.lines:
        describe(job, staged)
        run(db, job, staged, today)
    finish(db, job)
    return job


def describe(job: ImportJob, staged: Staged) -> None:
    """What staging learnt of the file, on the job."""
    job.file_format, job.encoding, job.header_row = (
        staged.file_format,
        staged.encoding,
        staged.header_row,
    )
    job.rows = staged.rows


def fail(db: Session, job: ImportJob, refused: FileRefused) -> None:
    """The file refused as a whole: `failed` with its reasons (the same file may be sent
    again: no key); `refused` is made to name the job."""
    job.status, job.file_key, job.finished_at = "failed", None, utcnow()
    _keep_errors(db, job, [{"row": None, **error} for error in refused.errors])
    _forget_file(db, job)
    db.flush()
    refused.members["import_id"] = job.id


def finish(db: Session, job: ImportJob) -> None:
    """Every row counted: `done`, audited once, the stored upload deleted."""
    job.status, job.finished_at = "done", utcnow()
    _forget_file(db, job)
    db.flush()
    record(
        db,
        job.created_by,
        "import.done",
        "import",
        str(job.id),
        None,
        {
            "kind": job.kind,
            "filename": job.filename,
            "sha256": job.sha256,
            "rows": job.rows,
            "accepted": job.accepted,
            "duplicates": job.duplicates,
            "rejected": job.rejected,
        },
    )


def _forget_file(db: Session, job: ImportJob) -> None:
    db.execute(delete(ImportFile).where(ImportFile.import_id == job.id))


# ===================================================================== reading it back
def errors_of(db: Session, job: ImportJob, limit: int | None = None) -> list[dict[str, Any]]:
    stmt = (
        select(ImportRowError).where(ImportRowError.import_id == job.id).order_by(ImportRowError.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        {"row": e.row, "column": e.column_name, "code": e.code, "message": e.message}
        for e in db.scalars(stmt)
    ]


def errors_csv(db: Session, job: ImportJob) -> bytes:
    """row,column,code,message — UTF-8 with a BOM, so that Excel reads it as UTF-8."""
    return spreadsheets.error_rows_csv(errors_of(db, job))


def view(db: Session, job: ImportJob) -> dict[str, Any]:
    def stamp(value: dt.datetime | None) -> str | None:
        return as_utc(value).isoformat() if value is not None else None

    return {
        "import_id": job.id,
        "kind": job.kind,
        "filename": job.filename,
        "sha256": job.sha256,
        "size_bytes": job.size_bytes,
        "format": job.file_format,
        "encoding": job.encoding,
        "status": job.status,
        "header_row": job.header_row,
        "rows": job.rows,
        "accepted": job.accepted,
        "duplicates": job.duplicates,
        "rejected": job.rejected,
        "error_count": job.error_count,
        "errors": errors_of(db, job, MAX_SHOWN_ERRORS),
        "created_at": stamp(job.created_at),
        "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at),
    }
