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
from loanledger.demo.player import password_for
from loanledger.demo.programme import PROFILES, generate, interest_fen
from loanledger.domain.money import format_fen, parse_yuan
from loanledger.domain.uscc import uscc_valid
from loanledger.persistence.tables import Batch, BatchPayee, Line, Period
from tests.support.reports import assert_report_reconciles

API = "/api/v1"
MONEY = re.compile(r"^-?\d{1,13}\.\d{2}$")
PERIODS = ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05")
SMALL_BANKS = range(PROFILES["small"].banks)


# ---------------------------------------------------------------- the generator (no database)
def test_the_full_programme_has_the_programme_s_shape_and_is_reproducible():
    programme = generate(seed=7, months=12)
    # the profile's 16 products, 100 enterprises and 300 loans, and version 2's part: a
    # 流动资金贷 and two 助保贷 products; a wholesaler and a two-project enterprise; their
    # 3 loans and the 4 助保贷 loans
    assert (
        len(programme.banks),
        len(programme.products),
        len(programme.enterprises),
        len(programme.loans),
    ) == (11, 16 + 3, 100 + 2, 300 + 7)
    assert all(uscc_valid(e["uscc"]) for e in programme.enterprises)
    assert len({e["uscc"] for e in programme.enterprises}) == 102
    assert all(re.fullmatch(r"[A-T]\d{0,4}", e["industry_code"]) for e in programme.enterprises)
    assert [e["industry_code"][0] for e in programme.enterprises].count("F") == 1
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
    assert sum(1 for loan in programme.loans if loan.npl_as_of) == 4 + 1  # and a 助保贷 loan
    npl = [e for e in events if e["type"] == "delinquency" and e["days_past_due"] >= 90]
    assert len(npl) == 4 + 1
    show = programme.showcase
    assert show.zbd_npl in {e["contract_no"] for e in npl}
    assert show.zbd_npl in show.zbd_listed
    assert sum(1 for m in programme.months if m.revoke) == 1
    again = generate(seed=7, months=12)
    assert [loan.body() for loan in again.loans] == [loan.body() for loan in programme.loans]
    assert [m.events for m in again.months] == [m.events for m in programme.months]


def test_the_programme_shows_version_2():
    programme = generate(seed=7, months=12)
    show = programme.showcase
    assert show is not None
    products = {p["product_code"]: p for p in programme.products}
    # ordinary products: no subsidy, their loans name no filing; 数字贷 products keep both
    ordinary = {code for code, p in products.items() if not p["subsidy_eligible"]}
    assert ordinary == {"ZSRCB-XWD", "CCB-SBD", "ZSRCB-LDD", "ZSRCB-ZBD", "BOC-ZBD"}
    assert products["ZSRCB-LDD"]["name"] == "流动资金贷"
    assert {products[c]["risk_pool"] for c in ("ZSRCB-ZBD", "BOC-ZBD")} == {"ZBD"}
    loans = {loan.contract_no: loan for loan in programme.loans}
    assert all(loans[c].filing_no is None for c in show.ordinary_loans)
    assert {loans[c].product_code for c in show.ordinary_loans} == {
        "ZSRCB-XWD",
        "CCB-SBD",
        "ZSRCB-LDD",
    }
    assert all(loan.filing_no is None for loan in loans.values() if loan.product_code in ordinary)
    filed = {f["filing_no"]: f for f in programme.filings}
    # the list and the pool; members from the start, the outsider not among them
    (pool,) = show.pools
    (listed,) = show.lists
    assert pool["list_code"] == listed["list_code"] == "ZS-PY-2024"
    assert listed["name"] == "中山市上规上限培育企业名录库（2024年度）"
    members = {uscc for _code, uscc, body in show.members if body["from"] == "2024-01-01"}
    assert len(members) == len(show.members) >= 3
    assert {loans[c].uscc for c in show.zbd_listed} <= members
    assert loans[show.zbd_unlisted].uscc not in members
    assert [d["pool_code"] for d in show.deposits] == ["ZBD"]
    # the wholesaler, and the two projects: the window ends inside the run
    wholesaler = next(e for e in programme.enterprises if e["uscc"] == show.wholesaler)
    assert wholesaler["industry_code"] == "F5137"
    assert loans[show.wholesaler_loan].filing_no in filed
    first, second = loans[show.first_loan], loans[show.second_loan]
    assert first.uscc == second.uscc == show.second_project
    assert first.filing_no != second.filing_no and {first.filing_no, second.filing_no} <= set(filed)
    assert first.start == dt.date(2021, 7, 1) and show.window_end == dt.date(2024, 7, 1)
    assert programme.start < show.window_end < programme.months[-1].last
    assert second.start > first.maturity


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
            "5",
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
    # each demo bank has a user for the bank's pages, listed with the logins
    bank_logins = re.findall(r"(demo-bank-[a-z0-9-]+) / \1-2026 \(bank\)", result.output)
    assert len(bank_logins) == len(SMALL_BANKS), result.output
    assert re.search(r"^v2: 助保贷 \(pool ZBD, list ZS-PY-2024, \d members\)", result.output, re.M)
    assert re.search(r"^v2: wholesaler \w{18} \(F5137\)", result.output, re.M)

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

    _shows_version_2(
        database_url, generate(seed=11, months=len(PERIODS), profile=PROFILES["small"])
    )

    # the programme report agrees with the ledger in every month, and in the month after the
    # run, when the last batches are paid
    assert_report_reconciles(db, [*PERIODS, "2024-06"])

    for period in PERIODS:
        folder = out / period
        assert json.loads((folder / "reconciliation.json").read_text())["ok"] is True
        assert (folder / "reconciliation.csv").read_text(encoding="utf-8-sig").strip()
        assert (folder / "reconciliation.xlsx").read_bytes()[:2] == b"PK"
        balance = json.loads((folder / "trial-balance.json").read_text())
        assert balance["total_debit"] == balance["total_credit"]


def _shows_version_2(database_url, programme):
    """Version 2 through the API, as the demo's auditor and clerk see it after the run."""
    from config import load_settings
    from loanledger.app import create_app

    app = create_app(load_settings(env="development", environ={}, database_url=database_url))
    client = app.test_client()
    show = programme.showcase
    loans = {loan.contract_no: loan for loan in programme.loans}

    def as_(who, method, path, body=None, status=200):
        token = client.post(
            f"{API}/auth/tokens", json={"username": who, "password": password_for(who)}
        ).get_json()["token"]
        answer = client.open(
            API + path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == status, answer.get_data(as_text=True)
        return answer.get_json()

    def loan(contract_no):
        return as_("demo-auditor", "GET", f"/loans/{loans[contract_no].bank_code}/{contract_no}")

    try:
        # 助保贷: the pool holds its deposit and covers the listed enterprises' loans only
        zbd = as_("demo-auditor", "GET", "/risk-pools/ZBD")
        assert (zbd["eligibility"], zbd["list_code"]) == ("enterprise_list", "ZS-PY-2024")
        # covered, neither settled nor claimed: the listed loans but the NPL (claimed below)
        covered = sum(loans[c].principal_fen for c in show.zbd_listed if c != show.zbd_npl)
        assert zbd["covered_principal"] == format_fen(covered)
        assert {(loan(c)["coverage"], loan(c)["risk_pool"]) for c in show.zbd_listed} == {
            ("covered", "ZBD")
        }
        # its NPL is claimed in the pool's own compensation batch, apart from SZD's
        assert show.zbd_npl is not None
        npl = loans[show.zbd_npl]
        batches = [
            b
            for period in PERIODS
            for b in as_("demo-auditor", "GET", f"/batches?period={period}")["items"]
            if b["kind"] == "compensation"
        ]
        assert {b["pool_code"] for b in batches} == {"SZD", "ZBD"}
        (zbd_batch,) = [b for b in batches if b["pool_code"] == "ZBD"]
        lines = as_("demo-auditor", "GET", f"/batches/{zbd_batch['batch_id']}/lines")["items"]
        assert [(x["kind"], x["contract_no"]) for x in lines] == [("claim", npl.contract_no)]
        assert loan(show.zbd_npl)["claims"]
        # its cash: the deposit less the compensation paid (the batch is paid)
        assert zbd_batch["status"] == "paid"
        paid = parse_yuan(lines[0]["amount"])
        assert 0 < paid <= npl.principal_fen // 2
        assert parse_yuan(zbd["cash"]) == parse_yuan(show.deposits[0]["amount"]) - paid
        outsider = loan(show.zbd_unlisted)
        assert (outsider["coverage"], outsider["risk_pool"]) == ("not_covered_eligibility", "ZBD")
        members = as_("demo-auditor", "GET", "/enterprise-lists/ZS-PY-2024/members?on=2024-01-01")
        assert {m["uscc"] for m in members["items"]} == {u for _l, u, _b in show.members}
        # the wholesaler: filed, linked, and nothing earned, for its industry
        sold = loan(show.wholesaler_loan)
        assert sold["filing_no"] == loans[show.wholesaler_loan].filing_no
        assert sold["eligibility"] == {"eligible": False, "reasons": ["industry_not_eligible"]}
        assert (sold["subsidy_granted"], sold["lines"]) == ("0.00", [])
        # two projects: the second loan is paid until the window ends, then nothing
        second = loan(show.second_loan)
        assert second["eligibility"] == {"eligible": False, "reasons": ["outside_window"]}
        reasons = [line["reasons"] for line in second["lines"]]
        assert len(reasons) >= 2 and reasons == [[]] * (len(reasons) - 1) + [["outside_window"]]
        cut = second["lines"][-1]
        assert cut["period_start"] < show.window_end.isoformat() < cut["period_end"]
        assert 0 < float(cut["amount"]) < float(second["lines"][0]["amount"])
        # ordinary products: unlinked, no subsidy, and a filing is refused on them
        assert show.ordinary_loans
        for contract_no in show.ordinary_loans:
            view = loan(contract_no)
            assert view["filing_no"] is None and view["lines"] == []
            assert view["eligibility"]["reasons"][0] == "product_not_eligible"
        ordinary = loans[show.ordinary_loans[0]]
        filing_no = next(f["filing_no"] for f in programme.filings)
        refused = as_(
            "demo-clerk",
            "PUT",
            f"/loans/{ordinary.bank_code}/{ordinary.contract_no}/filing",
            {"filing_no": filing_no},
            status=422,
        )
        assert refused["errors"][0]["code"] == "product_not_eligible"
    finally:
        app.extensions["loanledger"].engine.dispose()


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
def test_the_full_year(database_url, db, tmp_path):
    result = CliRunner().invoke(main, ["demo", "--db", database_url, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(re.findall(r"^2024-\d\d .* ok$", result.output, re.M)) == 12
    # the programme report's totals are the ledger's in every month of the year (and the
    # next, when December's batches are paid), by every dimension
    db.expire_all()
    assert_report_reconciles(db, [f"2024-{m:02d}" for m in range(1, 13)] + ["2025-01"])
