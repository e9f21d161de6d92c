"""The import worker: runs the imports POST /imports left `pending` (services/imports.py).

It runs in `loanledger worker` (as many as wanted, on any machine that reaches the
database) and in the scheduler process (`jobs.Jobs.imports`, every few seconds), so that
`make run` needs no other process.

Claiming (`claim`, services/leases.py, shared with the close jobs). The oldest job that is `pending`, or `running` without a heartbeat for
LEASE (its worker was killed half-way), is taken in one short transaction: `running`,
`attempts` + 1 (the claimant's token), `heartbeat_at`, `worker`. On PostgreSQL the candidate
is selected `FOR UPDATE SKIP LOCKED`, so workers never wait for each other and never take
the same job; on SQLite (one writer at a time) the claim is an UPDATE guarded by the status
and the `attempts` that were read, which only one claimant can win.

Running (`_run`). The stored bytes are read and staged (pass 1, as a request does it), outside
any transaction but for a heartbeat every BEAT while it reads (`_beating`). Pass 2 then commits chunk by chunk (imports.CHUNK_ROWS rows): each chunk's
loans or events, its row errors, the counts and `lines_done` in one transaction, which first
moves the heartbeat by an UPDATE guarded by the token (`_hold`). That UPDATE locks the job row
for the transaction on PostgreSQL (and SQLite's BEGIN IMMEDIATE holds every writer off), so a
worker that lost its claim finds out before it writes anything, and a worker holding the row
is never claimed from. The last transaction marks the job done, audits it and deletes the
stored bytes (`imports.finish`); a file refused as a whole ends `failed` with its reasons,
as in a request (`imports.fail`).

Why a job taken again ends as an uninterrupted run would. A killed worker leaves only whole
chunks committed, and `lines_done` is how many staged rows they covered, committed with
exactly their counts and errors. Staging is deterministic (the same bytes give the same lines
in the same order), and the business date is the job's own (`received_on`), so the next
claimant stages the file again, skips those rows and goes on with the next chunk: the counts,
the errors and their order end the same, and `import.done` is audited once. Were a chunk ever
sent twice all the same, bulk intake is idempotent (a stored loan or event comes back as a
duplicate), so no loan or event is ever written twice.

A job claimed MAX_ATTEMPTS times without ending (a worker dying on it each time) ends `failed`
(`interrupted`): the rows of its committed chunks stay, and the file may be sent again (those
rows then come back as duplicates). A worker told to stop (SIGTERM: `stop` is set) ends its
chunk and puts the job back to `pending`, progress kept, for the next worker.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import ImportFile, ImportJob, utcnow
from loanledger.services import clock, imports, leases
from loanledger.services.spreadsheets import FileRefused, stage

log = logging.getLogger("loanledger.imports")
SessionFactory = Callable[[], Session]

LEASE = dt.timedelta(minutes=10)  # a chunk takes seconds; while reading, a beat every BEAT
BEAT = dt.timedelta(seconds=30)
# A workbook's reading bound here (a request's is spreadsheets.MAX_READ_SECONDS, 120 s, under
# gunicorn's timeout): 200,000 XLSX rows took 40 s on a quiet 2-core machine, and over 300 s
# on the same machine under a load average of 10. The bounds on rows, columns and shared
# strings stop a hostile workbook long before; this one only ends a runaway read.
READ_SECONDS = 30 * 60.0
MAX_ATTEMPTS = 3


class Stopped(Exception):
    """The worker was told to stop between two chunks."""


LostClaim = leases.LostClaim
holder = leases.holder


# ===================================================================== claiming
def claim(
    db: Session, now: dt.datetime | None = None, lease: dt.timedelta = LEASE
) -> tuple[int, int] | None:
    """(job id, token) of the job this caller now holds, committed; None when none is left."""
    return QUEUE.claim(db, now or utcnow(), lease, MAX_ATTEMPTS)


def _give_up(db: Session, job_id: int) -> None:
    job = db.get_one(ImportJob, job_id)
    imports.fail(
        db,
        job,
        FileRefused(
            "interrupted",
            f"the import stopped {job.attempts} times before it ended; the first "
            f"{job.lines_done} rows were imported: send the file again (rows already "
            "imported come back as duplicates)",
        ),
    )
    log.error("import %s failed after %d attempts", job_id, job.attempts)


def _hold(db: Session, job_id: int, token: int) -> None:
    """Start a transaction that holds the job: the heartbeat moves, or LostClaim."""
    QUEUE.hold(db, job_id, token)


def _beating(db: Session, job_id: int, token: int) -> Callable[[], None]:
    """A heartbeat for a long read (no transaction is open then): at most one every BEAT,
    each its own short transaction; LostClaim ends the read of a job taken over."""
    last = time.monotonic()

    def beat() -> None:
        nonlocal last
        if time.monotonic() - last >= BEAT.total_seconds():
            _hold(db, job_id, token)
            db.commit()
            last = time.monotonic()

    return beat


def _release(db: Session, job_id: int, token: int) -> None:
    QUEUE.release(db, job_id, token)


QUEUE = leases.Queue(ImportJob, "import", _give_up, "loanledger.imports")


# ===================================================================== running
def _run(db: Session, job_id: int, token: int, stop: threading.Event | None) -> str:
    """The claimed job to its end (see the module doc): done, failed or released."""
    job = db.get_one(ImportJob, job_id)
    content = db.scalar(select(ImportFile.content).where(ImportFile.import_id == job_id))
    today = job.received_on or clock.today(db)
    db.commit()  # hold no transaction while staging (SQLite: every one is a writer's)
    if content is None:
        raise RuntimeError(f"import {job_id} has no stored file")
    with tempfile.TemporaryFile() as source:
        source.write(content)
        del content
        source.seek(0)
        try:
            staged = stage(
                source, job.kind, read_seconds=READ_SECONDS, tick=_beating(db, job_id, token)
            )
        except FileRefused as refused:
            _hold(db, job_id, token)
            imports.fail(db, job, refused)
            db.commit()
            return "failed"

    def checkpoint() -> None:
        db.commit()
        if stop is not None and stop.is_set():
            raise Stopped()
        _hold(db, job_id, token)

    with staged.lines:
        _hold(db, job_id, token)
        imports.describe(job, staged)
        try:
            imports.run(db, job, staged, today, checkpoint)
        except Stopped:
            _release(db, job_id, token)
            return "released"
    imports.finish(db, job)
    db.commit()
    return "done"


def take_next_job(
    sessions: SessionFactory,
    *,
    now: dt.datetime | None = None,
    lease: dt.timedelta = LEASE,
    stop: threading.Event | None = None,
) -> int | None:
    """Claim one import and run it: its id, or None when none was waiting. A job that breaks
    on something unexpected is logged and left `running`: taken again after the lease."""
    with sessions() as db:
        claimed = claim(db, now, lease)
        if claimed is None:
            return None
        job_id, token = claimed
        try:
            outcome = _run(db, job_id, token, stop)
        except LostClaim:
            log.warning("import %s: taken over by another worker, let go", job_id)
            return job_id
        except Exception:
            db.rollback()
            log.exception("import %s broke off; it is taken again after the lease", job_id)
            return job_id
    log.info("import %s %s", job_id, outcome, extra={"import_id": job_id, "outcome": outcome})
    return job_id


def drain(sessions: SessionFactory, stop: threading.Event | None = None) -> list[int]:
    """Every import waiting, one after the other, until none is left or `stop` is set."""
    taken: list[int] = []
    while stop is None or not stop.is_set():
        job_id = take_next_job(sessions, stop=stop)
        if job_id is None:
            break
        taken.append(job_id)
    return taken
