"""The scheduler process (`loanledger scheduler`): APScheduler wiring only; the jobs are
`services.housekeeping`.

One BlockingScheduler in its own process (never inside web workers), an in-memory job
store (nothing pickled), Asia/Shanghai time; `coalesce` (a backlog of missed runs is one
run), `max_instances=1`, `misfire_grace_time=None` (a late run still runs). At start every job
runs once, so a scheduler that was down for a week catches up at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from loanledger.persistence.db import make_engine, make_sessionmaker
from loanledger.services import clock, close_jobs, housekeeping, import_worker, mailer

SHANGHAI = ZoneInfo("Asia/Shanghai")
IMPORT_POLL_SECONDS = 5  # how long a bank's big file may wait before a worker looks
CLOSE_POLL_SECONDS = 5  # how long a close asked for on the pages waits before it starts
log = logging.getLogger("loanledger.jobs")


def smtp_settings(settings: Settings) -> mailer.SmtpSettings:
    return mailer.SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        starttls=settings.smtp_starttls,
    )


class Jobs:
    """The jobs bound to one database; `today()` is the business date as the API sees it."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session] | None = None):
        self.settings = settings
        self.sessions = sessions or make_sessionmaker(
            make_engine(settings.database_url, sqlite_wal=settings.sqlite_wal)
        )

    def today(self) -> dt.date:
        with self.sessions() as db:
            return clock.today(db, manual=self.settings.allow_manual_business_date)

    def closes(self) -> list[str]:
        return housekeeping.run_closes(self.sessions, self.today())

    def publicity(self) -> int:
        return housekeeping.run_publicity(self.sessions, self.today())

    def filing_lapse(self) -> list[str]:
        return housekeeping.run_filing_lapse(self.sessions, self.today())

    def filing_lapse_soon(self) -> list[str]:
        return housekeeping.run_filing_lapse_soon(self.sessions, self.today())

    def mail(self) -> int:
        return housekeeping.run_mail(
            self.sessions, smtp_settings(self.settings), dt.datetime.now(dt.UTC)
        )

    def purge(self) -> dict[str, int]:
        return housekeeping.run_purge(
            self.sessions,
            dt.datetime.now(dt.UTC),
            idempotency_ttl_days=self.settings.idempotency_ttl_days,
            nonce_ttl_seconds=self.settings.nonce_ttl_seconds,
        )

    def integrity(self) -> dict:
        return housekeeping.run_integrity(self.sessions)

    def imports(self) -> list[int]:
        """The imports POST /imports left pending, so that `make run` needs no worker of its
        own; `loanledger worker` processes may run beside it (they never take the same job)."""
        return import_worker.drain(self.sessions)

    def close_jobs(self) -> list[int]:
        """The closes the clerk asked for on the pages (services/close_jobs.py); a job of its
        own, so that a long close never holds the imports up (on PostgreSQL)."""
        return close_jobs.drain(self.sessions)

    def run_once(self) -> dict:
        """Every job once, in order (`loanledger scheduler --once`, and the start of a run)."""
        return {
            "imports": self.imports(),
            "close_jobs": self.close_jobs(),
            "closes": self.closes(),
            "publicity": self.publicity(),
            "filing_lapse": self.filing_lapse(),
            "filing_lapse_soon": self.filing_lapse_soon(),
            "mail": self.mail(),
            "purge": self.purge(),
            "integrity": self.integrity(),
        }


def build_scheduler(jobs: Jobs) -> BlockingScheduler:
    scheduler = BlockingScheduler(
        timezone=SHANGHAI,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    now = dt.datetime.now(SHANGHAI)
    # Closes are looked for every quarter hour (one query when nothing is due): the business
    # date can move (development), and a close that failed is retried.
    scheduler.add_job(jobs.closes, "cron", minute="*/15", id="closes", next_run_time=now)
    scheduler.add_job(jobs.publicity, "cron", minute="*/15", id="publicity", next_run_time=now)
    scheduler.add_job(
        jobs.filing_lapse, "cron", hour=0, minute=20, id="filing_lapse", next_run_time=now
    )
    scheduler.add_job(
        jobs.filing_lapse_soon, "cron", hour=0, minute=25, id="filing_lapse_soon", next_run_time=now
    )
    # The outbox: e-mails due are sent every minute (services/mailer.py).
    scheduler.add_job(jobs.mail, "cron", minute="*", id="mail", next_run_time=now)
    scheduler.add_job(jobs.purge, "cron", minute=40, id="purge", next_run_time=now)
    scheduler.add_job(jobs.integrity, "cron", hour=2, minute=0, id="integrity", next_run_time=now)
    # max_instances=1: a long import keeps this job busy, and the runs it misses coalesce.
    scheduler.add_job(
        jobs.imports, "interval", seconds=IMPORT_POLL_SECONDS, id="imports", next_run_time=now
    )
    scheduler.add_job(
        jobs.close_jobs, "interval", seconds=CLOSE_POLL_SECONDS, id="close_jobs", next_run_time=now
    )
    return scheduler
