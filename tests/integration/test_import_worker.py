"""File imports off the request thread: a big file is answered 202 `pending` and stored; the
import worker (services/import_worker.py) runs it to the same end as the request would; two
workers never take the same job; a job whose worker died is taken again after its lease and
ends as an uninterrupted run; a worker told to stop hands the job back; refusals end `failed`
through the worker too; `loanledger worker` and the scheduler drain what waits."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from loanledger.jobs import Jobs, build_scheduler
from loanledger.persistence.tables import AuditEntry, ImportFile, ImportJob, Loan
from loanledger.services import import_worker, imports, spreadsheets
from tests.support import cli
from tests.support.api import API
from tests.support.world import USCC

HEADER = list(spreadsheets.COLUMNS["loans"])
PRODUCTS = {"BOC-ZS": "BOC-SZD", "ABC-ZS": "ABC-ZZD"}


def loans_file(product: str, count: int, prefix: str = "L") -> bytes:
    """`count` loans, every 5th with its maturity before its start and every 7th with three
    decimals (row errors of bulk), a blank line, and the first loan again at the end (a
    duplicate)."""
    rows: list[list[str]] = [HEADER]
    for i in range(count):
        body = {
            "contract_no": f"{prefix}{i}",
            "product_code": product,
            "uscc": USCC,
            "filing_no": "",
            "principal": "100000.005" if i % 7 == 5 else "100000.00",
            "annual_rate": "3.4500",
            "start_date": "2023-02-01",
            "maturity_date": "2023-01-01" if i % 5 == 3 else "2025-02-01",
            "repayment_method": "interest_only",
            "interest_settlement": "quarterly",
        }
        rows.append([body.get(name, "") for name in HEADER])
        if i == 1:
            rows.append([""] * len(HEADER))
    rows.append(rows[1])
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


def bomb() -> bytes:
    """A 5 KB workbook claiming row 1,048,576 (tests/integration/test_import_bombs.py)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.cell(row=1_048_576, column=1, value="C-1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def sessions(app):
    return app.extensions["loanledger"].sessionmaker


@pytest.fixture
def to_the_worker(monkeypatch):
    """Every file with more than 3 rows goes to the worker, which commits 4 rows a chunk."""
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 3)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 4)


def upload(client, data: bytes, filename: str = "loans.csv") -> dict:
    response = client.upload_import("loans", filename, data)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()


def outcome(view: dict) -> tuple:
    """What an import came to, without ids, times or messages (which name the product)."""
    return (
        view["status"],
        view["rows"],
        view["accepted"],
        view["duplicates"],
        view["rejected"],
        view["error_count"],
        [(e["row"], e["column"], e["code"]) for e in view["errors"]],
    )


def audited(db, import_id: int) -> int:
    return db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "import.done", AuditEntry.entity_id == str(import_id))
    )


def stored_files(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(ImportFile))


def loans_of(db, bank_code: str) -> int:
    return db.scalar(select(func.count()).select_from(Loan).where(Loan.bank_code == bank_code))


# ------------------------------------------------------------------ 202 pending, then the worker
def test_a_big_file_is_answered_202_pending_and_stored_for_the_worker(world, db, to_the_worker):
    response = world["boc"].upload_import("loans", "贷款.csv", loans_file("BOC-SZD", 10))
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/imports/{body['import_id']}"
    assert (body["status"], body["rows"], body["started_at"]) == ("pending", 0, None)
    assert stored_files(db) == 1 and loans_of(db, "BOC-ZS") == 0
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert view["status"] == "pending"
    job = db.get(ImportJob, body["import_id"])
    assert job.received_on == dt.date(2023, 2, 1)  # the business date it is judged by


def test_the_worker_ends_a_file_as_the_request_would(world, db, sessions, monkeypatch):
    in_request = upload(world["boc"], loans_file("BOC-SZD", 10))
    assert in_request["status"] == "done"
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 3)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 4)
    pending = upload(world["abc"], loans_file("ABC-ZZD", 10))
    assert pending["status"] == "pending"

    assert import_worker.take_next_job(sessions) == pending["import_id"]
    assert import_worker.take_next_job(sessions) is None
    view = world["abc"].get(f"{API}/imports/{pending['import_id']}").get_json()
    assert outcome(view) == outcome(in_request)
    assert outcome(view)[:6] == ("done", 11, 7, 1, 3, 3)
    assert view["started_at"] and view["finished_at"]
    assert loans_of(db, "ABC-ZS") == 7 and stored_files(db) == 0
    assert audited(db, pending["import_id"]) == 1
    job = db.get(ImportJob, pending["import_id"])
    assert (job.attempts, job.lines_done) == (1, 11)


def test_more_rows_than_a_request_reads_go_to_the_worker(world, db, sessions):
    data = loans_file("BOC-SZD", imports.INLINE_MAX_ROWS + 1)
    assert len(data) <= imports.INLINE_MAX_BYTES  # small in bytes: the rows decide
    body = upload(world["boc"], data)
    assert body["status"] == "pending"
    import_worker.take_next_job(sessions)
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert (view["status"], view["rows"]) == ("done", imports.INLINE_MAX_ROWS + 2)


def test_more_bytes_or_seconds_than_a_request_affords_go_to_the_worker(
    world, db, sessions, monkeypatch
):
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 100)
    assert upload(world["boc"], loans_file("BOC-SZD", 2))["status"] == "pending"
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 256 * 1024)
    monkeypatch.setattr(imports, "INLINE_MAX_SECONDS", 0.0)
    blank_lines = loans_file("BOC-SZD", 2, "M") + b"\r\n" * 500  # read, not one more row
    assert upload(world["boc"], blank_lines)["status"] == "pending"
    assert len(import_worker.drain(sessions)) == 2
    assert loans_of(db, "BOC-ZS") == 4


def test_the_budget_stops_staging_at_once():
    data = loans_file("P", 5)
    with pytest.raises(spreadsheets.OverBudget):
        spreadsheets.stage(io.BytesIO(data), "loans", spreadsheets.Budget(rows=3, seconds=60))
    staged = spreadsheets.stage(io.BytesIO(data), "loans", spreadsheets.Budget(6, 60))
    staged.lines.close()
    assert staged.rows == 6


# ------------------------------------------------------------------ killed, stopped, lost
class Killed(BaseException):
    """A worker killed: no handler of the worker's runs."""


def test_a_job_killed_half_way_is_taken_again_after_its_lease_and_ends_the_same(
    world, db, sessions, monkeypatch, to_the_worker
):
    uninterrupted = upload(world["abc"], loans_file("ABC-ZZD", 10))
    import_worker.take_next_job(sessions)
    expected = world["abc"].get(f"{API}/imports/{uninterrupted['import_id']}").get_json()

    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    hold, holds = import_worker._hold, []

    def dies_after_two_chunks(*args):
        holds.append(args)
        if len(holds) == 3:  # two chunks committed; killed before the third
            raise Killed()
        hold(*args)

    monkeypatch.setattr(import_worker, "_hold", dies_after_two_chunks)
    with pytest.raises(Killed):
        import_worker.take_next_job(sessions)
    monkeypatch.setattr(import_worker, "_hold", hold)
    db.expire_all()
    job = db.get(ImportJob, body["import_id"])
    assert (job.status, job.attempts, job.lines_done, job.accepted) == ("running", 1, 8, 6)
    assert loans_of(db, "BOC-ZS") == 6

    assert import_worker.take_next_job(sessions) is None  # its lease runs on
    later = dt.datetime.now(dt.UTC) + import_worker.LEASE + dt.timedelta(seconds=1)
    assert import_worker.take_next_job(sessions, now=later) == body["import_id"]
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert outcome(view) == outcome(expected)
    assert loans_of(db, "BOC-ZS") == 7 and audited(db, body["import_id"]) == 1
    db.expire_all()
    assert db.get(ImportJob, body["import_id"]).attempts == 2 and stored_files(db) == 0


def test_a_job_dying_every_time_ends_failed_and_may_be_sent_again(
    world, db, sessions, monkeypatch, to_the_worker
):
    data = loans_file("BOC-SZD", 10)
    body = upload(world["boc"], data)

    def killed(*args):
        raise Killed()

    monkeypatch.setattr(import_worker, "_hold", killed)
    now = dt.datetime.now(dt.UTC)
    for attempt in range(import_worker.MAX_ATTEMPTS):
        with pytest.raises(Killed):
            import_worker.take_next_job(sessions, now=now + attempt * 2 * import_worker.LEASE)
    beyond = now + 2 * import_worker.MAX_ATTEMPTS * import_worker.LEASE
    assert import_worker.take_next_job(sessions, now=beyond) is None
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert view["status"] == "failed" and view["errors"][0]["code"] == "interrupted"
    assert "stopped 3 times" in view["errors"][0]["message"] and stored_files(db) == 0
    assert upload(world["boc"], data)["status"] == "pending"  # not a duplicate of a failure


def test_a_worker_told_to_stop_hands_the_job_back_and_the_next_one_ends_it(
    world, db, sessions, to_the_worker
):
    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    stop = threading.Event()
    stop.set()  # seen after the first chunk
    assert import_worker.take_next_job(sessions, stop=stop) == body["import_id"]
    db.expire_all()
    job = db.get(ImportJob, body["import_id"])
    assert (job.status, job.lines_done, job.worker) == ("pending", 4, None)
    assert import_worker.drain(sessions) == [body["import_id"]]
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert outcome(view)[:6] == ("done", 11, 7, 1, 3, 3) and loans_of(db, "BOC-ZS") == 7


def test_a_worker_taken_for_dead_lets_go_without_writing(world, db, sessions, to_the_worker):
    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    with sessions() as slow:
        job_id, token = import_worker.claim(slow)
        later = dt.datetime.now(dt.UTC) + import_worker.LEASE + dt.timedelta(seconds=1)
        with sessions() as other:
            assert import_worker.claim(other, now=later) == (job_id, token + 1)
        with pytest.raises(import_worker.LostClaim):
            import_worker._hold(slow, job_id, token)
    assert loans_of(db, "BOC-ZS") == 0 and body["import_id"] == job_id


def test_a_worker_beats_while_it_reads_and_lets_go_when_taken_over(
    world, db, sessions, monkeypatch, to_the_worker
):
    monkeypatch.setattr(import_worker, "BEAT", dt.timedelta(0))
    monkeypatch.setattr(spreadsheets, "TICK_ROWS", 2)
    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    hold, beats = import_worker._hold, []

    def taken_over_at_the_first_beat(db_, job_id, token):
        beats.append(token)
        if len(beats) == 1:
            later = dt.datetime.now(dt.UTC) + import_worker.LEASE + dt.timedelta(seconds=1)
            with sessions() as other:
                assert import_worker.claim(other, now=later) == (job_id, token + 1)
        hold(db_, job_id, token)

    monkeypatch.setattr(import_worker, "_hold", taken_over_at_the_first_beat)
    assert import_worker.take_next_job(sessions) == body["import_id"]
    assert beats == [1]  # still reading: no chunk was begun
    db.expire_all()
    job = db.get(ImportJob, body["import_id"])
    assert (job.status, job.attempts, job.lines_done) == ("running", 2, 0)
    assert loans_of(db, "BOC-ZS") == 0


# ------------------------------------------------------------------ two workers at once
def test_two_workers_at_once_never_take_the_same_job(world, db, sessions, monkeypatch):
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 0)
    ids = [upload(world["boc"], loans_file("BOC-SZD", 2, f"W{n}-"))["import_id"] for n in range(6)]
    run, start = import_worker._run, threading.Barrier(2)

    def slow_run(*args):
        time.sleep(0.2)  # both workers are busy at once
        return run(*args)

    monkeypatch.setattr(import_worker, "_run", slow_run)
    taken: dict[str, list[int]] = {"a": [], "b": []}

    def work(name: str) -> None:
        start.wait()
        taken[name] = import_worker.drain(sessions)

    threads = [threading.Thread(target=work, args=(name,)) for name in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken["a"] + taken["b"]) == ids, taken
    assert taken["a"] and taken["b"] and not set(taken["a"]) & set(taken["b"])
    db.expire_all()
    jobs = db.scalars(select(ImportJob).where(ImportJob.id.in_(ids))).all()
    assert {(j.status, j.attempts) for j in jobs} == {("done", 1)}
    assert [audited(db, i) for i in ids] == [1] * 6 and loans_of(db, "BOC-ZS") == 12


@pytest.mark.pg
def test_on_postgresql_a_claim_skips_a_job_another_worker_holds(world, db, sessions, monkeypatch):
    monkeypatch.setattr(imports, "INLINE_MAX_ROWS", 0)
    first, second = (
        upload(world["boc"], loans_file("BOC-SZD", 2, f"S{n}-"))["import_id"] for n in range(2)
    )
    with sessions() as holder:
        holder.execute(select(ImportJob).where(ImportJob.id == first).with_for_update())
        with sessions() as other:
            other.execute(text("SET LOCAL lock_timeout = '2s'"))  # SKIP LOCKED never waits
            assert import_worker.claim(other) == (second, 1)
        holder.rollback()


# ------------------------------------------------------------------ refusals, access
def test_a_bomb_ends_failed_with_its_message_through_the_worker_too(
    world, db, sessions, monkeypatch
):
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 0)
    body = upload(world["boc"], bomb(), "bomb.xlsx")
    assert body["status"] == "pending"
    import_worker.take_next_job(sessions)
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert view["status"] == "failed" and view["finished_at"]
    assert [(e["row"], e["code"]) for e in view["errors"]] == [(None, "too_many_rows")]
    assert "past row 200,100" in view["errors"][0]["message"]
    assert stored_files(db) == 0 and db.get(ImportJob, body["import_id"]).file_key is None
    assert audited(db, body["import_id"]) == 0


def test_the_worker_reads_a_workbook_for_longer_than_a_request_may(
    world, db, sessions, monkeypatch
):
    monkeypatch.setattr(spreadsheets, "MAX_READ_SECONDS", 0.0)  # a request's bound
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 0)
    book = openpyxl.Workbook()
    for row in csv.reader(io.StringIO(loans_file("BOC-SZD", 1_200).decode())):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    body = upload(world["boc"], out.getvalue(), "loans.xlsx")
    import_worker.take_next_job(sessions)
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    assert (view["status"], view["format"], view["rows"]) == ("done", "xlsx", 1_201)


def test_a_header_refused_by_the_worker_is_failed_like_in_a_request(
    world, db, sessions, monkeypatch
):
    data = b"contract_no,nonsense\r\nC-1,x\r\n"
    refused = world["abc"].upload_import("loans", "a.csv", data)
    assert refused.status_code == 422
    monkeypatch.setattr(imports, "INLINE_MAX_BYTES", 0)
    body = upload(world["boc"], data)
    import_worker.take_next_job(sessions)
    view = world["boc"].get(f"{API}/imports/{body['import_id']}").get_json()
    in_request = world["abc"].get(f"{API}/imports/{refused.get_json()['import_id']}").get_json()
    assert view["status"] == "failed" and view["errors"] == in_request["errors"]


def test_a_bank_cannot_see_another_banks_pending_job(world, db, staff, to_the_worker):
    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    path = f"{API}/imports/{body['import_id']}"
    for target in (path, path + "/errors.csv"):
        assert world["abc"].get(target).status_code == 404, target
    assert world["boc"].get(path).get_json()["status"] == "pending"
    answer = staff.request("auditor", "GET", f"/imports/{body['import_id']}")
    assert answer.status_code == 200 and answer.get_json()["status"] == "pending"


def test_the_same_file_while_it_waits_is_the_same_import(world, db, to_the_worker):
    data = loans_file("BOC-SZD", 10)
    body = upload(world["boc"], data)
    again = world["boc"].upload_import("loans", "again.csv", data)
    assert again.status_code == 200
    assert again.get_json()["duplicate_of"] == body["import_id"] and stored_files(db) == 1


# ------------------------------------------------------------------ the bank's client
def test_the_client_polls_until_the_worker_is_done(world, db, sessions, to_the_worker):
    boc = world["boc"]
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the worker runs while the client waits
        waits.append(seconds)
        import_worker.take_next_job(sessions)

    boc.sleep = sleep
    view = boc.import_file("loans", "贷款.csv", loans_file("BOC-SZD", 10), interval=0.5)
    assert outcome(view)[:6] == ("done", 11, 7, 1, 3, 3) and waits == [0.5]
    failed = boc.import_file("loans", "x.csv", b"contract_no\r\nC-1\r\n")
    assert failed["status"] == "failed" and failed["errors"][0]["code"] == "required"


def test_the_client_gives_up_waiting_after_its_timeout(world, to_the_worker):
    boc = world["boc"]
    boc.sleep = lambda seconds: None
    with pytest.raises(TimeoutError):
        boc.import_file("loans", "a.csv", loans_file("BOC-SZD", 10), timeout=3, interval=1)


# ------------------------------------------------------------------ the processes that run it
def test_the_scheduler_drains_waiting_imports(app, world, db, to_the_worker):
    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    ext = app.extensions["loanledger"]
    jobs = Jobs(ext.settings, ext.sessionmaker)
    assert jobs.imports() == [body["import_id"]]
    trigger = build_scheduler(jobs).get_job("imports").trigger
    assert trigger.interval == dt.timedelta(seconds=5)


def test_the_worker_command_once_runs_what_waits_and_exits(world, db, database_url, to_the_worker):
    body = upload(world["boc"], loans_file("BOC-SZD", 10))
    result = cli.run(database_url, "worker", "--once")
    assert result.exit_code == 0, result.output
    assert f'"imports": [\n    {body["import_id"]}\n  ]' in result.output
    db.expire_all()
    assert db.get(ImportJob, body["import_id"]).status == "done"


def test_the_worker_command_stops_cleanly_on_sigterm(database_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOANLEDGER_")}
    env.update(
        LOANLEDGER_ENV="testing",
        LOANLEDGER_DATABASE_URL=database_url,
        LOANLEDGER_SECRET_KEY=cli.SECRET,
    )
    command = [str(Path(sys.executable).with_name("loanledger")), "worker", "--interval", "0.2"]
    worker = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert worker.stderr is not None
        assert "worker started" in worker.stderr.readline()  # its signal handlers are set
        time.sleep(0.5)  # it looked at least once
        assert worker.poll() is None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) == 0, worker.stderr.read() if worker.stderr else ""
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        if worker.stderr is not None:
            worker.stderr.close()
