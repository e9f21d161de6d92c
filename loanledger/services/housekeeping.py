"""What the scheduler does, as plain functions over a session (issue 5; domain.md §7). Each
job's work is one unit of work (services/unit_of_work.py), a close one per period.

Each job is idempotent: run twice, or by two processes, or again after a kill, it ends in
the same state. A job lock (`job_lock`: an advisory lock on PostgreSQL, a leased lock row on
SQLite) only decides who works; the close has its own lock and answers a repeat with the
same result.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from loanledger.domain.dates import next_period, period_bounds
from loanledger.domain.vocabulary import FilingStatus
from loanledger.persistence.db import as_utc, is_postgres
from loanledger.persistence.tables import AuditEntry, Filing, IntegrityCheck, LoanEvent, Lock
from loanledger.services import audit, dirty, locks, mailer, notices, read, registry, retention
from loanledger.services.close import close_period
from loanledger.services.unit_of_work import unit_of_work

log = logging.getLogger("loanledger.jobs")
ACTOR = "scheduler"
SessionFactory = Callable[[], Session]


LEASE = dt.timedelta(minutes=15)  # a SQLite lock row older than this belongs to a dead process


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@contextlib.contextmanager
def job_lock(sessions: SessionFactory, name: str) -> Iterator[bool]:
    """Whether this process may run job `name` now; held until the block ends.

    PostgreSQL: a transaction-level advisory lock on a session kept open for the block (a
    killed process's lock goes with its connection). SQLite: a row in `locks`, committed at
    once (SQLite has one writer; an open transaction would block the job's own work), taken
    when free or when its lease ran out, and cleared at the end.

    Not a unit of work, on purpose: the guard's session is not the job's. On PostgreSQL its
    transaction stays open for the whole job (that is what holds the lock) and is never
    committed; on SQLite the lock row is committed before the job and cleared after it,
    whatever the job's own transactions did."""
    with sessions() as guard:
        if is_postgres(guard):
            yield locks.try_exclusive(guard, f"job:{name}")
            return
        now = dt.datetime.now(dt.UTC)
        row = guard.get(Lock, f"job:{name}")
        if (
            row is not None
            and row.holder
            and row.acquired_at
            and as_utc(row.acquired_at) > now - LEASE
        ):
            yield False
            return
        guard.merge(Lock(name=f"job:{name}", holder=_holder(), acquired_at=now))
        guard.commit()
        try:
            yield True
        finally:
            guard.rollback()
            guard.execute(
                update(Lock)
                .where(Lock.name == f"job:{name}", Lock.holder == _holder())
                .values(holder=None, acquired_at=None)
            )
            guard.commit()


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def close_due_on(period: str, close_day: int) -> dt.date:
    """Period P closes on `close_day` of the month after it."""
    _first, last = period_bounds(period)
    return last + dt.timedelta(days=close_day)


def due_periods(db: Session, today: dt.date) -> list[str]:
    """Every period whose close is due and not done, oldest first: after the last closed
    period, or, if none was ever closed, from the month of the earliest event."""
    last_closed = read.last_closed_period(db)
    if last_closed:
        period = next_period(last_closed)
    else:
        earliest = db.scalar(select(func.min(LoanEvent.on_date)))
        if earliest is None:
            return []
        period = period_of(earliest)
    due: list[str] = []
    while True:
        close_day = registry.policy_in_force(db, period_bounds(period)[1])[1].close_day
        if close_due_on(period, close_day) > today:
            return due
        due.append(period)
        period = next_period(period)


def run_closes(sessions: SessionFactory, today: dt.date) -> list[str]:
    """Catch up every due close, one transaction each, oldest first. A close already done by
    another process (or an earlier, killed run that committed) is answered the same, so a
    repeat closes nothing twice."""
    with job_lock(sessions, "closes") as mine:
        if not mine:
            log.info("closes: another scheduler is working")
            return []
        with sessions() as db:
            periods = due_periods(db, today)
        closed = []
        for period in periods:
            with unit_of_work(sessions) as db:  # the close takes its own lock in this transaction
                started = dt.datetime.now(dt.UTC)
                view = close_period(db, period, ACTOR, today)
            closed.append(period)
            seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
            log.info(
                "closed %s in %.1f s",
                period,
                seconds,
                extra={
                    "period": period,
                    "subsidy_total": view["subsidy_total"],
                    "compensation_total": view["compensation_total"],
                    "seconds": seconds,
                },
            )
    return closed


def run_publicity(sessions: SessionFactory, today: dt.date) -> int:
    from loanledger.services import payouts

    with job_lock(sessions, "publicity") as mine, unit_of_work(sessions) as db:
        if not mine:
            return 0
        moved = payouts.refresh_publicity(db, today, ACTOR)
    if moved:
        log.info("公示 over: %d batch(es) ready", moved)
    return moved


def run_filing_lapse(sessions: SessionFactory, today: dt.date) -> list[str]:
    """Record each filing that has lapsed (no loan contract starting within the policy's days
    of its approval, domain.facts.filing_lapsed) once in the audit trail, and mark it so the
    next close looks at its loans again."""
    with job_lock(sessions, "filing_lapse") as mine, unit_of_work(sessions) as db:
        if not mine:
            return []
        filings = list(db.scalars(select(Filing).where(Filing.revoked_on.is_(None))))
        statuses = registry.filing_statuses(db, filings, today) if filings else {}
        recorded = set(
            db.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "filing.lapsed"))
        )
        lapsed = sorted(
            no
            for no, status in statuses.items()
            if status == FilingStatus.LAPSED and no not in recorded
        )
        for filing_no in lapsed:
            audit.record(
                db,
                ACTOR,
                "filing.lapsed",
                "filing",
                filing_no,
                {"status": FilingStatus.ACTIVE},
                {"status": FilingStatus.LAPSED, "as_of": today.isoformat()},
            )
            dirty.mark(db, "filing", filing_no)
    if lapsed:
        log.info("filings lapsed: %s", ", ".join(lapsed))
    return lapsed


def run_filing_lapse_soon(sessions: SessionFactory, today: dt.date) -> list[str]:
    """Tell each enterprise, once, of a filing of its that will lapse within 30 days
    (services.notices.filings_lapsing_soon); the filing numbers told this run."""
    with job_lock(sessions, "filing_lapse_soon") as mine, unit_of_work(sessions) as db:
        if not mine:
            return []
        told = notices.filings_lapsing_soon(db, today)
    if told:
        log.info("filings lapsing within 30 days, enterprises told: %s", ", ".join(told))
    return told


def run_mail(sessions: SessionFactory, smtp: mailer.SmtpSettings, now: dt.datetime) -> int:
    """Send the e-mails due (services.mailer); how many were sent. Two senders at once are
    safe (each row is claimed), the lock only spares the second one the work."""
    with job_lock(sessions, "mail") as mine:
        if not mine:
            return 0
        report = mailer.send_pending(sessions, smtp, now)
    if report.sent or report.retrying or report.failed_permanently:
        log.info(
            "e-mails: %d sent, %d to retry, %d given up",
            report.sent,
            report.retrying,
            report.failed_permanently,
        )
    return report.sent


def run_purge(sessions: SessionFactory, now: dt.datetime, **ttl: int) -> dict[str, int]:
    with job_lock(sessions, "purge") as mine, unit_of_work(sessions) as db:
        if not mine:
            return {}
        counts = retention.purge_expired(db, now, **ttl)
    log.info("purged %s", counts)
    return counts


def integrity(db: Session) -> dict[str, Any]:
    """The trial balance sums to zero, and the latest closed period reconciles."""
    balance = read.trial_balance(db, level="base")
    total = balance.total_debit_fen - balance.total_credit_fen
    checks: dict[str, Any] = {"trial_balance_zero": total == 0, "trial_balance_fen": total}
    last_closed = read.last_closed_period(db)
    if last_closed:
        report = read.reconciliation(db, last_closed)
        checks["reconciliation"] = {
            "period": last_closed,
            "ok": report["ok"],
            "failed": [c["name"] for c in report["checks"] if not c["ok"]],
        }
    checks["ok"] = checks["trial_balance_zero"] and checks.get("reconciliation", {"ok": True})["ok"]
    return checks


def run_integrity(sessions: SessionFactory) -> dict[str, Any]:
    """Check, log, and store the result, which every API process's /readyz reports."""
    with unit_of_work(sessions) as db:
        result = integrity(db)
        db.add(IntegrityCheck(ok=result["ok"], detail=result))
    (log.info if result["ok"] else log.error)(
        "integrity %s", "ok" if result["ok"] else "FAILED", extra={"integrity": result}
    )
    try:
        from loanledger.observability.health import set_integrity
    except ImportError:  # the health module is optional to the job itself
        return result
    set_integrity(result["ok"], result)
    return result
