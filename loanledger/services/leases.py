"""Work queues in a table: claiming a job, holding it by its heartbeat, handing it back.

Shared by the import worker (services/import_worker.py, `import_jobs`) and the close jobs
(services/close_jobs.py, `close_jobs`). A queue's table has `id`, `status`
(`pending`/`running`/…), `attempts` (the claimant's token), `heartbeat_at`, `started_at` and
`worker`.

Claiming (`Queue.claim`). The oldest job that is `pending`, or `running` without a heartbeat
for the lease (its worker was killed half-way), is taken in one short transaction:
`running`, `attempts` + 1 (the claimant's token), `heartbeat_at`, `worker`. On PostgreSQL the
candidate is selected `FOR UPDATE SKIP LOCKED`, so workers never wait for each other and
never take the same job; on SQLite (one writer at a time) the claim is an UPDATE guarded by
the status and the `attempts` that were read, which only one claimant can win. A job taken
`max_attempts` times without ending is given up (the queue's `give_up`).

Holding (`Queue.hold`): an UPDATE of the heartbeat guarded by the token; a worker that was
taken for dead (another claimed the job) finds out there, before it writes anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import utcnow

CLAIM_TRIES = 10  # SQLite: a claim lost to another worker looks again


class LostClaim(Exception):
    """Another worker took the job over (this one was taken for dead): let go."""


def holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass(frozen=True)
class Queue:
    """One table of jobs. `give_up(db, job_id)` ends a job claimed too often (uncommitted)."""

    table: Any
    name: str
    give_up: Callable[[Session, int], None]
    logger: str = "loanledger.jobs"

    def takeable(self, now: dt.datetime, lease: dt.timedelta) -> Any:
        job = self.table
        return or_(
            job.status == "pending",
            and_(
                job.status == "running",
                or_(job.heartbeat_at.is_(None), job.heartbeat_at < now - lease),
            ),
        )

    def claim(
        self, db: Session, now: dt.datetime, lease: dt.timedelta, max_attempts: int
    ) -> tuple[int, int] | None:
        """(job id, token) of the job this caller now holds, committed; None when none is left."""
        job = self.table
        for _ in range(CLAIM_TRIES):
            query = (
                select(job.id, job.attempts, job.status, job.started_at)
                .where(self.takeable(now, lease))
                .order_by(job.id)
                .limit(1)
            )
            if is_postgres(db):
                query = query.with_for_update(skip_locked=True)
            found = db.execute(query).first()
            if found is None:
                db.rollback()
                return None
            if found.status == "running" and found.attempts >= max_attempts:
                self.give_up(db, found.id)
                db.commit()
                continue
            won = db.execute(
                update(job)
                .where(
                    job.id == found.id,
                    job.attempts == found.attempts,
                    self.takeable(now, lease),
                )
                .values(
                    status="running",
                    attempts=found.attempts + 1,
                    heartbeat_at=utcnow(),
                    started_at=found.started_at or utcnow(),
                    worker=holder(),
                ),
                execution_options={"synchronize_session": False},
            )
            db.commit()
            if won.rowcount == 1:  # type: ignore[attr-defined]
                if found.status == "running":
                    logging.getLogger(self.logger).warning(
                        "%s %s taken again (attempt %d)", self.name, found.id, found.attempts + 1
                    )
                return found.id, found.attempts + 1
        return None

    def hold(self, db: Session, job_id: int, token: int, **values: Any) -> None:
        """Start a transaction that holds the job: the heartbeat moves (and `values` are
        written), or LostClaim."""
        job = self.table
        held = db.execute(
            update(job)
            .where(job.id == job_id, job.attempts == token, job.status == "running")
            .values(heartbeat_at=utcnow(), **values),
            execution_options={"synchronize_session": False},
        )
        if held.rowcount != 1:  # type: ignore[attr-defined]
            db.rollback()
            raise LostClaim(job_id)

    def release(self, db: Session, job_id: int, token: int) -> None:
        """Hand the job back (`pending`, its progress kept) for the next worker; committed."""
        job = self.table
        db.execute(
            update(job)
            .where(job.id == job_id, job.attempts == token, job.status == "running")
            .values(status="pending", heartbeat_at=None, worker=None),
            execution_options={"synchronize_session": False},
        )
        db.commit()
