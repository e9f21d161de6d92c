"""The month's close as a job: the page asks for it (`request_close`), a worker runs it.

A close of a large book takes longer than a web request may (gunicorn's 120 s), so the
clerk's button only enqueues a `close_jobs` row and the page follows it. The worker is the
scheduler process (`jobs.Jobs.close_jobs`, every few seconds) or `loanledger worker`; they
claim a job like an import (services/leases.py: FOR UPDATE SKIP LOCKED on PostgreSQL, a
guarded UPDATE on SQLite, a lease on the heartbeat, a token per claim).

Running. `services.close.close_period` is the one close: one transaction under the close
lock, so a worker killed half-way leaves nothing behind and the job, `running` with a stale
heartbeat, is taken again after LEASE and closes from the start. Its progress callback
reports the loans priced so far; on PostgreSQL a thread beside the close (`_Beats`, its own
connection) writes them with the heartbeat every TICK, and the page shows them. SQLite has
one writer, held by the close, so there nothing can be written until the close commits: the
job shows `running` and then `done`, and no claimant can take it meanwhile either (its claim
would have to write). The job is marked `done` in the close's own transaction, by an UPDATE
guarded by the token: a worker taken for dead rolls its close back instead of committing it.

Failures. A refusal of the close (the month is not over, the previous month is open) ends the
job `failed` with the refusal's code and message (the page shows its words) and is audited.
Anything unexpected is written to `error`, the job goes back to `pending` and is tried again
on the next poll, MAX_ATTEMPTS times in all, then it ends `failed` (`close_interrupted`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.domain.errors import Refusal
from loanledger.domain.vocabulary import PeriodStatus
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import CloseJob, Period, utcnow
from loanledger.services import leases, read
from loanledger.services.audit import record
from loanledger.services.close import check_closable, close_period
from loanledger.services.errors import Conflict

log = logging.getLogger("loanledger.jobs")
SessionFactory = Callable[[], Session]

LEASE = dt.timedelta(minutes=10)  # PostgreSQL beats every TICK; SQLite cannot be taken over
TICK = 1.0  # seconds between two progress writes (PostgreSQL)
MAX_ATTEMPTS = 3
ERROR_CHARS = 2000


# ===================================================================== asking for a close
def request_close(db: Session, period: str, actor: str, today: dt.date) -> int:
    """The id of the period's open close job: the one already waiting or running (a second
    click shows it), else a new one. Refused at once when the period may not be closed today
    (the worker would only fail it) or is closed already."""
    waiting = read.open_close_job(db, period)
    if waiting is not None:
        return int(waiting.id)
    closed = db.get(Period, period)
    if closed is not None and closed.status == PeriodStatus.CLOSED:
        raise Conflict("period_closed", f"{period} is closed already", "period")
    check_closable(db, period, today)
    job = CloseJob(
        period=period, requested_by=actor, requested_on=today, status="pending", created_at=utcnow()
    )
    try:
        with db.begin_nested():  # two clicks at once: the unique index lets one in
            db.add(job)
            db.flush()
    except IntegrityError:
        waiting = read.open_close_job(db, period)
        if waiting is None:
            raise
        return int(waiting.id)
    record(db, actor, "close_job.request", "close_job", str(job.id), None, {"period": period})
    return job.id


# ===================================================================== claiming
def _give_up(db: Session, job_id: int) -> None:
    job = db.get_one(CloseJob, job_id)
    _fail(
        db,
        job,
        "close_interrupted",
        f"the close stopped {job.attempts} times before it ended; nothing of it was kept",
    )
    log.error("close job %s failed after %d attempts", job_id, job.attempts)


QUEUE = leases.Queue(CloseJob, "close job", _give_up)
LostClaim = leases.LostClaim


def claim(
    db: Session, now: dt.datetime | None = None, lease: dt.timedelta = LEASE
) -> tuple[int, int] | None:
    """(job id, token) of the close job this caller now holds, committed; None when none."""
    return QUEUE.claim(db, now or utcnow(), lease, MAX_ATTEMPTS)


def _fail(db: Session, job: CloseJob, code: str, message: str) -> None:
    job.status, job.finished_at, job.heartbeat_at = "failed", utcnow(), None
    job.error_code, job.error = code, message[:ERROR_CHARS]
    record(
        db,
        job.requested_by,  # as imports audit theirs: the close was this person's
        "close_job.failed",
        "close_job",
        str(job.id),
        {"status": "running"},
        {"status": "failed", "period": job.period, "error_code": code},
    )


# ===================================================================== running
class _Beats:
    """The close's progress and heartbeat, written beside it on PostgreSQL (see the module
    doc). `progress` is the close's callback: it keeps the counts and ends the close
    (LostClaim) once the beating thread found the job taken over."""

    def __init__(self, sessions: SessionFactory, job_id: int, token: int, *, beside: bool):
        self.sessions, self.job_id, self.token = sessions, job_id, token
        self.done = self.total = 0
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True) if beside else None

    def __enter__(self) -> _Beats:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join()

    def progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.lost:
            raise LostClaim(self.job_id)

    def _beat(self) -> None:
        written = None
        while not self._stop.wait(TICK):
            counts = (self.done, self.total)
            try:
                with self.sessions() as db:
                    QUEUE.hold(
                        db, self.job_id, self.token, loans_done=counts[0], loans_total=counts[1]
                    )
                    db.commit()
                written = counts
            except LostClaim:
                self.lost = True
                return
            except Exception:  # a beat missed is no reason to end the close
                log.warning(
                    "close job %s: a heartbeat failed (%s)", self.job_id, written, exc_info=True
                )


def _run(sessions: SessionFactory, db: Session, job_id: int, token: int) -> str:
    job = db.get_one(CloseJob, job_id)
    period, actor, today = job.period, job.requested_by, job.requested_on
    db.commit()
    with _Beats(sessions, job_id, token, beside=is_postgres(db)) as beats:
        try:
            close_period(db, period, actor, today, progress=beats.progress)
        except Refusal as refused:
            db.rollback()
            beats.stop()
            QUEUE.hold(db, job_id, token)
            _fail(db, db.get_one(CloseJob, job_id), refused.code or "refused", refused.message)
            db.commit()
            return "failed"
        beats.stop()  # before the guarded UPDATE below: the thread must not wait on its lock
        QUEUE.hold(
            db,
            job_id,
            token,
            status="done",
            finished_at=utcnow(),
            loans_done=beats.done,
            loans_total=beats.total,
            error_code=None,
            error=None,
        )
        db.commit()
    return "done"


def _broke(db: Session, job_id: int, token: int, error: Exception) -> None:
    """Note what broke; back to `pending` for the next poll, or `failed` at the last try."""
    db.rollback()
    text = f"{type(error).__name__}: {error}"[:ERROR_CHARS]
    try:
        if token >= MAX_ATTEMPTS:
            QUEUE.hold(db, job_id, token)
            job = db.get_one(CloseJob, job_id)
            _fail(db, job, "close_interrupted", f"the close broke off {token} times; last: {text}")
            db.commit()
            return
        QUEUE.hold(db, job_id, token, error_code="close_retrying", error=text)
        db.commit()
        QUEUE.release(db, job_id, token)
    except LostClaim:
        pass


def _take(
    sessions: SessionFactory, now: dt.datetime | None, lease: dt.timedelta
) -> tuple[int, str] | None:
    with sessions() as db:
        claimed = claim(db, now, lease)
        if claimed is None:
            return None
        job_id, token = claimed
        started = time.monotonic()
        try:
            outcome = _run(sessions, db, job_id, token)
        except LostClaim:
            db.rollback()
            log.warning("close job %s: taken over by another worker, let go", job_id)
            return job_id, "lost"
        except Exception as error:
            log.exception("close job %s broke off (attempt %d)", job_id, token)
            _broke(db, job_id, token, error)
            return job_id, "broke"
    log.info(
        "close job %s %s in %.1f s",
        job_id,
        outcome,
        time.monotonic() - started,
        extra={"close_job_id": job_id, "outcome": outcome},
    )
    return job_id, outcome


def drain(
    sessions: SessionFactory,
    stop: threading.Event | None = None,
    *,
    now: dt.datetime | None = None,
    lease: dt.timedelta = LEASE,
) -> list[int]:
    """Every close job waiting, one after the other (the ids taken); a job that broke off is
    tried again on the next call (the next poll), not at once. `now` and `lease`: tests."""
    taken: list[int] = []
    while stop is None or not stop.is_set():
        took = _take(sessions, now, lease)
        if took is None:
            break
        taken.append(took[0])
        if took[1] == "broke":
            break
    return taken
