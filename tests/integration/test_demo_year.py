"""`loanledger demo`: a shortened year played through the HTTP API on the test's database.

The generator is pure (same seed, same programme; valid USCCs; money as yuan strings); the
player closes every month, pays the batches, carries the one failed payment, and every
period reconciles.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from loanledger.cli import main
from loanledger.demo.programme import generate, interest_fen
from loanledger.domain.uscc import uscc_valid
from loanledger.persistence.tables import Batch, BatchPayee, Line, Period

MONEY = re.compile(r"^-?\d{1,13}\.\d{2}$")
PERIODS = ("2024-01", "2024-02", "2024-03")


# ---------------------------------------------------------------- the generator (no database)
def test_the_full_programme_has_the_programme_s_shape_and_is_reproducible():
    programme = generate(seed=7, months=12)
    assert (
        len(programme.banks),
        len(programme.products),
        len(programme.enterprises),
        len(programme.loans),
    ) == (11, 16, 100, 300)
    assert all(uscc_valid(e["uscc"]) for e in programme.enterprises)
    assert len({e["uscc"] for e in programme.enterprises}) == 100
    events = [e for loan in programme.loans for e in loan.events]
    kinds = {e["type"] for e in events}
    assert kinds >= {
        "disbursement",
        "repayment",
        "interest",
        "rate_change",
        "delinquency",
        "recovery",
        "settlement",
    }
    money_fields = ("amount", "principal", "interest")
    assert all(
        isinstance(e[f], str) and MONEY.match(e[f]) for e in events for f in money_fields if f in e
    )
    assert {loan.settlement for loan in programme.loans} == {"monthly", "quarterly"}
    assert sum(1 for loan in programme.loans if loan.npl_as_of) == 4
    npl = [e for e in events if e["type"] == "delinquency" and e["days_past_due"] >= 90]
    assert len(npl) == 4
    assert sum(1 for m in programme.months if m.revoke) == 1
    again = generate(seed=7, months=12)
    assert [loan.body() for loan in again.loans] == [loan.body() for loan in programme.loans]
    assert [m.events for m in again.months] == [m.events for m in programme.months]


def test_bank_interest_is_actual_over_360_on_the_daily_balance():
    flows = [(dt.date(2024, 1, 1), 100_000_000), (dt.date(2024, 1, 11), -50_000_000)]
    rates = [(dt.date(2024, 1, 1), 36000)]
    # 10 days on 1,000,000.00 and 20 days on 500,000.00 at 3.6 %: 1000.00 + 1000.00
    assert interest_fen(flows, rates, dt.date(2024, 1, 1), dt.date(2024, 1, 31)) == 200_000


# ---------------------------------------------------------------- the played year
def test_a_short_demo_year_closes_pays_carries_and_reconciles(database_url, db, tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main,
        [
            "demo",
            "--months",
            "3",
            "--profile",
            "small",
            "--seed",
            "11",
            "--db",
            database_url,
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    # the summary: one row per month, the totals, where the reports are
    for period in PERIODS:
        assert re.search(
            rf"^{period}\s+\d+\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+ok$",
            result.output,
            re.M,
        ), result.output
    assert re.search(r"^total\s", result.output, re.M)
    assert f"reports: {out}" in result.output
    assert "problem:" not in result.output

    db.expire_all()
    closed = dict(db.execute(select(Period.period, Period.status)).all())
    assert closed == dict.fromkeys(PERIODS, "closed")
    statuses = [status for (status,) in db.execute(select(Batch.status))]
    assert "paid" in statuses
    assert set(statuses) <= {"paid", "partially_paid"}
    failed = db.execute(
        select(BatchPayee.payee_id, Batch.period)
        .join(Batch, Batch.id == BatchPayee.batch_id)
        .where(BatchPayee.payment_status == "failed")
    ).all()
    assert len(failed) == 1
    payee, period = failed[0]
    carried = db.execute(
        select(Line.amount_fen, Line.period).where(Line.kind == "carried", Line.payee_id == payee)
    ).all()
    assert len(carried) == 1 and carried[0][0] > 0 and carried[0][1] > period
    held = db.scalars(select(Line.status).where(Line.status == "held")).all()
    assert held == ["held"]  # the upheld objection

    for period in PERIODS:
        folder = out / period
        assert json.loads((folder / "reconciliation.json").read_text())["ok"] is True
        assert (folder / "reconciliation.csv").read_text(encoding="utf-8-sig").strip()
        assert (folder / "reconciliation.xlsx").read_bytes()[:2] == b"PK"
        balance = json.loads((folder / "trial-balance.json").read_text())
        assert balance["total_debit"] == balance["total_credit"]


def test_demo_refuses_to_reuse_a_database_it_has_filled(database_url, tmp_path):
    args = [
        "demo",
        "--months",
        "1",
        "--profile",
        "small",
        "--db",
        database_url,
        "--out",
        str(tmp_path),
    ]
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1
    assert "demo stopped" in again.output


@pytest.mark.slow
def test_the_full_year(database_url, tmp_path):
    result = CliRunner().invoke(main, ["demo", "--db", database_url, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"^2024-\d\d .* ok$", result.output, re.M)) == 12
