"""The month's close as a job (services/close_jobs.py): the page asks, a worker closes.

A job closes its month as the API's close would and shows the loans priced; one open job per
month (the database says so); a worker killed half-way leaves nothing and the job is taken
again after its lease; a refusal ends the job `failed` with its words; something unexpected
is retried on the next poll, then ends `failed`; on PostgreSQL two workers never take the
same job and the progress shows while the close runs; the scheduler and `loanledger worker`
take the jobs. The pages: tests/integration/test_web_close_jobs.py."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from loanledger.jobs import Jobs, build_scheduler
from loanledger.persistence.tables import AuditEntry, Batch, CloseJob, Period
from loanledger.services import close_jobs, close_subsidy
from loanledger.services.errors import Conflict
from tests.support import cli
from tests.support.api import ok
from tests.support.world import claim_world

PERIOD = "2023-03"  # claim_world: a subsidy line and a new claim, business date 2023-04-03
TODAY = dt.date(2023, 4, 3)


class Killed(BaseException):
    """A worker killed: no handler of the worker's runs."""


@pytest.fixture
def sessions(app):
    return app.extensions["loanledger"].sessionmaker


@pytest.fixture
def march(staff, bank):
    return claim_world(staff, bank)


def ask(sessions, period: str = PERIOD, actor: str = "user:clerk1") -> int:
    with sessions() as db:
        job_id = close_jobs.request_close(db, period, actor, TODAY)
        db.commit()
    return job_id


def job(db, job_id: int) -> CloseJob:
    db.expire_all()
    return db.get_one(CloseJob, job_id)


def audited(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def closed(db, period: str = PERIOD) -> bool:
    db.expire_all()
    row = db.get(Period, period)
    return row is not None and row.status == "closed"


# ------------------------------------------------------------------ the job closes the month
def test_a_job_closes_the_month_as_the_api_would_and_counts_the_loans(march, db, sessions):
    job_id = ask(sessions)
    assert job(db, job_id).status == "pending" and not closed(db)
    assert close_jobs.drain(sessions) == [job_id]
    done = job(db, job_id)
    assert (done.status, done.attempts, done.loans_done, done.loans_total) == ("done", 1, 2, 2)
    assert done.started_at and done.finished_at and done.error_code is None
    assert closed(db)
    assert db.scalar(select(func.count()).select_from(Batch)) == 2  # subsidy + compensation
    [close] = audited(db, "period.close")
    assert close.actor == "user:clerk1"  # the close is the clerk's, whoever ran it
    [asked] = audited(db, "close_job.request")
    assert (asked.entity, asked.entity_id, asked.after) == (
        "close_job",
        str(job_id),
        {"period": PERIOD},
    )
    assert close_jobs.drain(sessions) == []


def test_a_second_click_shows_the_open_job_and_the_database_allows_one(march, db, sessions):
    first = ask(sessions)
    assert ask(sessions, actor="user:admin1") == first
    assert len(audited(db, "close_job.request")) == 1
    with pytest.raises(IntegrityError):  # even past the service: a partial unique index
        db.add(CloseJob(period=PERIOD, requested_by="x", requested_on=TODAY, status="running"))
        db.flush()
    db.rollback()
    close_jobs.drain(sessions)
    with sessions() as other, pytest.raises(Conflict) as refused:
        close_jobs.request_close(other, PERIOD, "user:clerk1", TODAY)
    assert refused.value.code == "period_closed"


def test_a_month_that_may_not_be_closed_is_refused_before_any_job(march, db, sessions):
    with sessions() as other, pytest.raises(Conflict) as refused:
        close_jobs.request_close(other, "2023-04", "user:clerk1", TODAY)
    assert refused.value.code == "period_not_over"
    assert db.scalar(select(func.count()).select_from(CloseJob)) == 0


def test_a_refusal_at_run_time_ends_the_job_failed_with_its_reason(march, db, sessions):
    # asked for when it could be closed; meanwhile the business date went back (development)
    db.add(
        CloseJob(period="2023-04", requested_by="user:clerk1", requested_on=TODAY, status="pending")
    )
    db.commit()
    [job_id] = close_jobs.drain(sessions)
    failed = job(db, job_id)
    assert (failed.status, failed.error_code) == ("failed", "period_not_over")
    assert "2023-04-30" in failed.error and failed.finished_at
    [entry] = audited(db, "close_job.failed")
    assert entry.after["error_code"] == "period_not_over" and entry.actor == "user:clerk1"
    assert not closed(db, "2023-04") and db.scalar(select(func.count()).select_from(Batch)) == 0
    assert ask(sessions) != job_id  # a failed job is not open: the month may be asked again


def test_a_month_closed_meanwhile_by_the_api_ends_the_job_done_without_a_second_close(
    march, staff, db, sessions
):
    job_id = ask(sessions)
    ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close", {}))  # the API, unchanged
    assert close_jobs.drain(sessions) == [job_id]
    done = job(db, job_id)
    assert (done.status, done.loans_total) == ("done", 0)  # nothing priced: it was closed
    assert len(audited(db, "period.close")) == 1
    assert db.scalar(select(func.count()).select_from(Batch)) == 2


# ------------------------------------------------------------------ killed, broken, given up
def test_a_worker_killed_half_way_leaves_nothing_and_the_job_is_taken_again_after_the_lease(
    march, db, sessions, monkeypatch
):
    job_id = ask(sessions)
    real = close_jobs.close_period

    def killed_before_commit(*args, **kwargs):
        real(*args, **kwargs)  # the whole close is written, not committed
        raise Killed()

    monkeypatch.setattr(close_jobs, "close_period", killed_before_commit)
    with pytest.raises(Killed):
        close_jobs.drain(sessions)
    monkeypatch.setattr(close_jobs, "close_period", real)
    running = job(db, job_id)
    assert (running.status, running.attempts) == ("running", 1)
    assert not closed(db) and db.scalar(select(func.count()).select_from(Batch)) == 0

    assert close_jobs.drain(sessions) == []  # its lease runs on
    later = dt.datetime.now(dt.UTC) + close_jobs.LEASE + dt.timedelta(seconds=1)
    assert close_jobs.drain(sessions, now=later) == [job_id]
    done = job(db, job_id)
    assert (done.status, done.attempts) == ("done", 2) and closed(db)
    assert len(audited(db, "period.close")) == 1


def test_a_job_killed_every_time_ends_failed_in_words(march, db, sessions, monkeypatch):
    job_id = ask(sessions)

    def killed(*args, **kwargs):
        raise Killed()

    monkeypatch.setattr(close_jobs, "close_period", killed)
    now = dt.datetime.now(dt.UTC)
    for attempt in range(close_jobs.MAX_ATTEMPTS):
        with pytest.raises(Killed):
            close_jobs.drain(sessions, now=now + attempt * 2 * close_jobs.LEASE)
    beyond = now + 2 * close_jobs.MAX_ATTEMPTS * close_jobs.LEASE
    assert close_jobs.drain(sessions, now=beyond) == []
    failed = job(db, job_id)
    assert (failed.status, failed.error_code) == ("failed", "close_interrupted")
    assert "stopped 3 times" in failed.error and not closed(db)
    assert len(audited(db, "close_job.failed")) == 1


def test_something_unexpected_is_tried_again_on_the_next_poll_then_fails(
    march, db, sessions, monkeypatch
):
    job_id = ask(sessions)
    real, calls = close_jobs.close_period, []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("disk full")

    monkeypatch.setattr(close_jobs, "close_period", broken)
    assert close_jobs.drain(sessions) == [job_id] and len(calls) == 1  # not again at once
    retrying = job(db, job_id)
    assert (retrying.status, retrying.error_code) == ("pending", "close_retrying")
    assert retrying.error == "RuntimeError: disk full" and not closed(db)

    monkeypatch.setattr(close_jobs, "close_period", real)
    assert close_jobs.drain(sessions) == [job_id]
    done = job(db, job_id)
    assert (done.status, done.attempts, done.error_code, done.error) == ("done", 2, None, None)

    monkeypatch.setattr(close_jobs, "close_period", broken)
    db.add(
        CloseJob(period="2023-04", requested_by="user:clerk1", requested_on=TODAY, status="pending")
    )
    db.commit()
    for _ in range(close_jobs.MAX_ATTEMPTS):
        close_jobs.drain(sessions)
    [failed] = db.scalars(select(CloseJob).where(CloseJob.period == "2023-04")).all()
    db.refresh(failed)
    assert (failed.status, failed.error_code, failed.attempts) == ("failed", "close_interrupted", 3)
    assert "broke off 3 times; last: RuntimeError: disk full" in failed.error


# ------------------------------------------------------------------ PostgreSQL: at once, progress
@pytest.mark.pg
def test_on_postgresql_two_workers_at_once_take_a_job_once(march, db, sessions, monkeypatch):
    job_id = ask(sessions)
    real, start = close_jobs.close_period, threading.Barrier(2)

    def slow_close(*args, **kwargs):
        time.sleep(0.3)  # the other worker looks while this one holds the job
        return real(*args, **kwargs)

    monkeypatch.setattr(close_jobs, "close_period", slow_close)
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def work(name: str) -> None:
        start.wait()
        taken[name] = close_jobs.drain(sessions)

    threads = [threading.Thread(target=work, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken["a"] + taken["b"]) == [job_id], taken
    done = job(db, job_id)
    assert (done.status, done.attempts) == ("done", 1)
    assert len(audited(db, "period.close")) == 1


@pytest.mark.pg
def test_on_postgresql_a_claim_skips_a_job_another_worker_holds(march, db, sessions):
    first = ask(sessions)
    db.add(
        CloseJob(period="2023-04", requested_by="user:clerk1", requested_on=TODAY, status="pending")
    )
    db.commit()
    with sessions() as holder:
        holder.execute(select(CloseJob).where(CloseJob.id == first).with_for_update())
        with sessions() as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))  # SKIP LOCKED never waits
            assert close_jobs.claim(other) == (first + 1, 1)
        holder.rollback()


@pytest.mark.pg
def test_on_postgresql_the_progress_shows_while_the_close_runs(march, db, sessions, monkeypatch):
    monkeypatch.setattr(close_jobs, "TICK", 0.05)
    monkeypatch.setattr(close_subsidy, "CHUNK_LOANS", 1)  # a chunk per enterprise: 2 chunks
    job_id = ask(sessions)
    real, seen = close_jobs.close_period, []

    def watched(*args, progress, **kwargs):
        def told(done: int, total: int) -> None:
            progress(done, total)
            if done == 1:  # half-way: another connection sees it within a few beats
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    with sessions() as page:
                        row = page.get_one(CloseJob, job_id)
                        if row.loans_done == 1:
                            seen.append((row.status, row.loans_done, row.loans_total))
                            return
                    time.sleep(0.05)

        return real(*args, progress=told, **kwargs)

    monkeypatch.setattr(close_jobs, "close_period", watched)
    assert close_jobs.drain(sessions) == [job_id]
    assert seen == [("running", 1, 2)]
    assert (job(db, job_id).loans_done, job(db, job_id).loans_total) == (2, 2)


@pytest.mark.pg
def test_on_postgresql_a_worker_taken_for_dead_rolls_its_close_back(
    march, db, sessions, monkeypatch
):
    monkeypatch.setattr(close_jobs, "TICK", 0.05)
    job_id = ask(sessions)
    real = close_jobs.close_period

    def taken_over(*args, progress, **kwargs):
        with sessions() as other:  # another worker takes the job for dead
            later = dt.datetime.now(dt.UTC) + close_jobs.LEASE + dt.timedelta(seconds=1)
            assert close_jobs.claim(other, now=later) == (job_id, 2)
        time.sleep(0.5)  # the beat finds out
        return real(*args, progress=progress, **kwargs)

    monkeypatch.setattr(close_jobs, "close_period", taken_over)
    assert close_jobs.drain(sessions) == [job_id]
    assert not closed(db) and job(db, job_id).status == "running"  # the other one's now


# ------------------------------------------------------------------ the processes that run it
def test_the_scheduler_takes_close_jobs_every_few_seconds(app, march, db):
    job_id = ask(app.extensions["loanledger"].sessionmaker)
    ext = app.extensions["loanledger"]
    jobs = Jobs(ext.settings, ext.sessionmaker)
    assert jobs.close_jobs() == [job_id] and closed(db)
    trigger = build_scheduler(jobs).get_job("close_jobs").trigger
    assert trigger.interval == dt.timedelta(seconds=5)


def test_the_worker_command_once_takes_close_jobs(march, db, sessions, database_url):
    job_id = ask(sessions)
    result = cli.run(database_url, "worker", "--once")
    assert result.exit_code == 0, result.output
    assert f'"close_jobs": [\n    {job_id}\n  ]' in result.output
    assert job(db, job_id).status == "done" and closed(db)
