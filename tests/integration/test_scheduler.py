"""The scheduler (issue 5): catch-up closes, 公示, filing lapse, and on PostgreSQL the proofs
that two scheduler processes close each period once and that a close killed with SIGKILL
half-way, run again, leaves exactly the ledger of an uninterrupted run.

The programme is scenario 01 (one quarterly loan, closes 2023-03 … 2023-06) without its
close steps: the scheduler finds what is due by itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from loanledger.jobs import Jobs, build_scheduler
from loanledger.persistence.db import make_engine
from loanledger.persistence.tables import AuditEntry, Batch, Line, Period, Posting
from loanledger.services import housekeeping
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.environment import ENGINE
from tests.support.scenarios import Player, load, scenario_dir

SCENARIO = "01-basic-quarterly.json"
PERIODS = ["2023-03", "2023-04", "2023-05", "2023-06"]


@pytest.fixture(autouse=True)
def _forget_integrity():
    """The integrity job also reports to this process's /readyz: not to the next test's."""
    from loanledger.observability import health

    yield
    health.clear_integrity()


def _play_without_closes(staff, bank) -> dict:
    scenario = load(scenario_dir() / SCENARIO)
    player = Player(staff, bank, scenario)
    player.setup()
    for step in scenario["steps"]:
        if step["do"] != "close":
            response = player.run_step(step)
            assert response.status_code in (200, 201), response.get_data(as_text=True)
    staff.set_business_date("2023-07-10")  # 2023-06 closed on 07-05 (close_day 5)
    return scenario


def _expected_totals(scenario) -> dict[str, tuple[str, str]]:
    return {
        p: (c["subsidy_total"], c["compensation_total"])
        for p, c in scenario["expect"]["closes"].items()
    }


def _totals(staff) -> dict[str, tuple[str, str]]:
    items = staff.request("auditor", "GET", "/periods").get_json()["items"]
    return {
        p["period"]: (p["subsidy_total"], p["compensation_total"])
        for p in items
        if p["status"] == "closed"
    }


# ====================================================================== in-process
def test_due_periods_start_at_the_earliest_event_and_follow_the_close_day(app, staff, bank, db):
    _play_without_closes(staff, bank)
    db.rollback()
    assert housekeeping.due_periods(db, dt.date(2023, 4, 4)) == []  # 2023-03 closes on 04-05
    assert housekeeping.due_periods(db, dt.date(2023, 4, 5)) == ["2023-03"]
    assert housekeeping.due_periods(db, dt.date(2023, 7, 10)) == PERIODS
    assert housekeeping.close_due_on("2023-12", 5) == dt.date(2024, 1, 5)


def test_catch_up_closes_every_due_month_once_with_the_scenarios_results(app, staff, bank):
    scenario = _play_without_closes(staff, bank)
    jobs = Jobs(app.extensions["loanledger"].settings, app.extensions["loanledger"].sessionmaker)
    assert jobs.closes() == PERIODS
    assert _totals(staff) == _expected_totals(scenario)
    assert jobs.closes() == []  # a rerun finds nothing due
    staff.set_business_date("2023-08-05")
    assert jobs.closes() == ["2023-07"]


def test_run_once_moves_publicity_records_lapses_and_checks_integrity(app, staff, bank):
    _play_without_closes(staff, bank)
    jobs = Jobs(app.extensions["loanledger"].settings, app.extensions["loanledger"].sessionmaker)
    result = jobs.run_once()
    assert result["closes"] == PERIODS
    assert (
        result["publicity"] == 0
    )  # closed late, on 07-10: 公示 of March's and June's batches starts now
    assert result["integrity"]["ok"] is True and result["integrity"]["trial_balance_zero"] is True
    assert result["integrity"]["reconciliation"]["period"] == "2023-06"
    from loanledger.observability import health

    health.clear_integrity()  # what another process (an API worker) sees: the stored check
    stored = app.test_client().get("/readyz").get_json()["integrity"]
    assert stored["ok"] is True and stored["detail"]["trial_balance_zero"] is True
    assert dt.datetime.fromisoformat(stored["checked_at"]).utcoffset() == dt.timedelta(0)
    staff.set_business_date("2023-07-31")
    again = jobs.run_once()
    assert (again["closes"], again["publicity"], again["filing_lapse"]) == ([], 2, [])
    assert {
        b["status"] for b in staff.request("auditor", "GET", "/batches").get_json()["items"]
    } == {"ready"}
    assert jobs.run_once()["publicity"] == 0


def test_a_filing_that_lapses_is_recorded_once(app, staff, bank, db):
    ok = staff.request(
        "clerk",
        "POST",
        "/enterprises",
        {
            "uscc": "91442000LNJ300000F",
            "name": "未放款企业",
            "established_on": "2010-01-01",
            "industry_code": "C3879",
        },
    )
    assert ok.status_code == 201
    staff.set_business_date("2023-01-10")
    assert (
        staff.request(
            "clerk",
            "POST",
            "/filings",
            {
                "filing_no": "ZS-LAPSE-1",
                "uscc": "91442000LNJ300000F",
                "project_name": "无贷款项目",
                "eligible_investment": "1000000.00",
                "approved_on": "2023-01-10",
            },
        ).status_code
        == 201
    )
    jobs = Jobs(app.extensions["loanledger"].settings, app.extensions["loanledger"].sessionmaker)
    assert jobs.filing_lapse() == []
    staff.set_business_date("2024-06-01")
    assert jobs.filing_lapse() == ["ZS-LAPSE-1"]
    assert jobs.filing_lapse() == []
    db.rollback()
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "filing.lapsed")
        )
        == 1
    )


@pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's lock rows")
def test_on_sqlite_a_live_lock_row_keeps_a_second_scheduler_out_until_its_lease_ends(
    app, staff, bank, db
):
    from loanledger.persistence.tables import Lock

    _play_without_closes(staff, bank)
    sessions = app.extensions["loanledger"].sessionmaker
    now = dt.datetime.now(dt.UTC)
    with sessions() as s:
        s.add(Lock(name="job:closes", holder="other-host:42", acquired_at=now))
        s.commit()
    assert housekeeping.run_closes(sessions, dt.date(2023, 7, 10)) == []  # the other one works
    with sessions() as s:
        s.get(Lock, "job:closes").acquired_at = now - housekeeping.LEASE - dt.timedelta(seconds=1)
        s.commit()
    assert housekeeping.run_closes(sessions, dt.date(2023, 7, 10)) == PERIODS  # it died: take over
    with sessions() as s:
        row = s.get(Lock, "job:closes")
        assert (row.holder, row.acquired_at) == (None, None)  # released at the end


def test_the_scheduler_is_configured_as_issue_5_says(app):
    scheduler = build_scheduler(
        Jobs(app.extensions["loanledger"].settings, app.extensions["loanledger"].sessionmaker)
    )
    assert str(scheduler.timezone) == "Asia/Shanghai"
    assert scheduler._job_defaults == {
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": None,
    }
    assert {j.id for j in scheduler.get_jobs()} == {
        "closes",
        "publicity",
        "filing_lapse",
        "filing_lapse_soon",  # notices of filings about to lapse (issue 13)
        "mail",  # the outbox's e-mails, every minute
        "purge",
        "integrity",
        "imports",
        "close_jobs",  # the closes asked for on the pages (issue 15)
    }
    assert str(scheduler.get_job("mail").trigger) == "cron[minute='*']"
    assert all(type(store).__name__ == "MemoryJobStore" for store in scheduler._jobstores.values())


# ====================================================================== processes (PostgreSQL)
def _env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOANLEDGER_")}
    return {
        **env,
        "LOANLEDGER_ENV": "testing",
        "LOANLEDGER_DATABASE_URL": url,
        "LOANLEDGER_SECRET_KEY": "scheduler-test-secret",
        **extra,
    }


def _scheduler(url: str, **extra: str) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("loanledger")), "scheduler", "--once"]
    return subprocess.Popen(
        command, env=_env(url, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _state(url: str) -> dict:
    """Everything a fen depends on, without ids and timestamps."""
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            lines = sorted(
                tuple(r)
                for r in c.execute(
                    select(
                        Line.period,
                        Line.record_key,
                        Line.kind,
                        Line.payee_id,
                        Line.amount_fen,
                        Line.computed_fen,
                        Line.capped_fen,
                        Line.status,
                    )
                )
            )
            balances = dict(
                c.execute(
                    select(Posting.account, func.sum(Posting.amount_fen)).group_by(Posting.account)
                ).all()
            )
            periods = sorted(tuple(r) for r in c.execute(select(Period.period, Period.status)))
            batches = sorted(
                tuple(r)
                for r in c.execute(select(Batch.period, Batch.kind, Batch.status, Batch.total_fen))
            )
            closes = c.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "period.close")
            )
    finally:
        engine.dispose()
    return {
        "lines": lines,
        "balances": {a: int(b) for a, b in balances.items()},
        "periods": periods,
        "batches": batches,
        "close_audits": closes,
    }


@pytest.mark.pg
def test_two_scheduler_processes_started_together_close_each_period_once(
    app, staff, bank, database_url
):
    scenario = _play_without_closes(staff, bank)
    app.extensions["loanledger"].engine.dispose()
    first, second = _scheduler(database_url), _scheduler(database_url)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), outputs
    closed_by = [json.loads(out)["closes"] for out, _err in outputs]
    assert sorted(closed_by, key=len) in (
        [[], PERIODS],
        [PERIODS, PERIODS],
    )  # the loser found them done
    state = _state(database_url)
    assert state["close_audits"] == len(PERIODS) and state["periods"] == [
        (p, "closed") for p in PERIODS
    ]
    assert _totals(staff) == _expected_totals(scenario)
    assert sum(state["balances"].values()) == 0


KILLED_CHILD = """
import os, sys, time
from loanledger.services import close
real = close._post_batch
calls = []
def slow(*args, **kwargs):
    calls.append(1)
    if len(calls) == 2:  # June's batch: its lines are written, its ledger entry not yet, nothing committed
        open(os.environ["MARKER"], "w").write("half-way")
        time.sleep(600)
    return real(*args, **kwargs)
close._post_batch = slow
from loanledger.cli import main
sys.argv = ["loanledger", "scheduler", "--once"]
main()
"""


@pytest.mark.pg
def test_a_close_killed_half_way_and_run_again_ends_as_an_uninterrupted_run(
    app, staff, bank, database_url, pg_server, tmp_path
):
    _play_without_closes(staff, bank)
    app.extensions["loanledger"].engine.dispose()
    reference_name = f"{make_url(database_url).database}_ref"
    reference_url = create_pg_database(pg_server, reference_name)
    try:
        with pg_server.connect() as c:  # the same data, before any close
            c.execute(text(f'DROP DATABASE "{reference_name}"'))
            c.execute(
                text(
                    f'CREATE DATABASE "{reference_name}" TEMPLATE "{make_url(database_url).database}"'
                )
            )
        uninterrupted = _scheduler(reference_url)
        _out, err = uninterrupted.communicate(timeout=120)
        assert uninterrupted.returncode == 0, err

        marker = tmp_path / "marker"
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_CHILD],
            env=_env(database_url, MARKER=str(marker)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.communicate()[1]
            assert time.monotonic() < deadline, "the close never reached June"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL
        killed = _state(database_url)
        assert killed["periods"] == [
            (p, "closed") for p in PERIODS[:3]
        ]  # June died in its transaction
        assert not [line for line in killed["lines"] if line[0] == "2023-06"]

        again = _scheduler(database_url)
        out, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert json.loads(out)["closes"] == ["2023-06"]
        assert _state(database_url) == _state(reference_url)
        assert sum(_state(database_url)["balances"].values()) == 0
    finally:
        drop_pg_database(pg_server, reference_name)
