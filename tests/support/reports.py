"""The programme report against the ledger: the report's figures, month by month, equal the
postings of the accounts they come from, queried here on their own (by account and by the
entries' dates and periods), and the trial balance at each month's end.

`assert_report_reconciles(db, months)` is called after a played demo (tests/integration/
test_demo_year.py) and on the small worlds of tests/integration/test_reports.py.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from loanledger.domain.dates import period_bounds
from loanledger.persistence.tables import Batch, JournalEntry, Line, Posting
from loanledger.services.read import programme_report, trial_balance
from loanledger.services.read.reports import DIMENSIONS, ReportRange
from tests.support.api import ok, paged, staff_post
from tests.support.world import USCCS, event, march_interest_and_delinquency, two_loans_disbursed


def _postings(db, base: str, **where) -> int:
    """Σ postings to accounts under `base`, of entries matching `where` (kind, period, month)."""
    stmt = (
        select(func.coalesce(func.sum(Posting.amount_fen), 0))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.base_account == base)
    )
    if "kind" in where:
        stmt = stmt.where(JournalEntry.kind == where["kind"])
    if "period" in where:
        stmt = stmt.where(JournalEntry.period == where["period"])
    if "month" in where:
        first, last = period_bounds(where["month"])
        stmt = stmt.where(JournalEntry.posted_on >= first, JournalEntry.posted_on <= last)
    return int(db.scalar(stmt))


def _balance(db, base: str, day: dt.date) -> int:
    return sum(
        a.balance_fen for a in trial_balance(db, day).accounts if a.code.split(":")[0] == base
    )


def ledger_figures(db, month: str) -> dict[str, int]:
    """What the ledger says of one month, from the postings alone."""
    last = period_bounds(month)[1]
    return {
        # 5001 贴息支出 in the period's entries (its close, and any hold of its lines later)
        "subsidy_owed_fen": _postings(db, "5001", period=month),
        # 5002 in the period's entries: claims and shortfalls lined, less recovery shares
        "compensation_net_fen": _postings(db, "5002", period=month),
        # cash out in the month's payment entries: 1001 for subsidies, 1101 for compensation
        "subsidy_paid_fen": -_postings(db, "1001", kind="payment", month=month),
        "compensation_paid_fen": -_postings(db, "1101", kind="payment", month=month),
        # 1101 at the month's end, from the trial balance
        "pool_cash_fen": _balance(db, "1101", last),
    }


def assert_report_reconciles(db, months: list[str]) -> None:
    """For every month and every dimension, the report's totals (and the sum of its groups)
    are the ledger's; recovery shares are the lines' own (the ledger nets them into 5002)."""
    seen = [ledger_figures(db, month) for month in months]
    assert any(f["subsidy_paid_fen"] for f in seen) and any(f["pool_cash_fen"] for f in seen), (
        "nothing to reconcile: no subsidy paid or no pool cash in these months"
    )
    for by in DIMENSIONS:
        report = programme_report(db, ReportRange(months[0], months[-1], by))
        for month in months:
            total = report.month_totals[month]
            ledger = ledger_figures(db, month)
            shown = {
                "subsidy_owed_fen": total["subsidy_owed_fen"],
                "compensation_net_fen": total["compensation_owed_fen"] - total["recoveries_fen"],
                "subsidy_paid_fen": total["subsidy_paid_fen"],
                "compensation_paid_fen": total["compensation_paid_fen"],
                "pool_cash_fen": total["pool_cash_fen"],
            }
            assert shown == ledger, (by, month, shown, ledger)
            assert total["recoveries_fen"] == -_recovery_lines(db, month), (by, month)
            groups = [v for (m, _g), v in report.cells.items() if m == month]
            for name, value in total.items():
                if name != "pool_cash_fen" or by == "pool":
                    assert sum(g.get(name, 0) for g in groups) == value, (by, month, name)


def _recovery_lines(db, month: str) -> int:
    return int(
        db.scalar(
            select(func.coalesce(func.sum(Line.amount_fen), 0))
            .join(Batch, Batch.id == Line.batch_id)
            .where(Line.kind == "recovery_share", Line.status == "active", Line.period == month)
        )
    )


# ---------------------------------------------------------------- a small world with known numbers
def report_world(staff, bank) -> dict:
    """Two banks (BK1's product in pool SZD, BK2's too), two enterprises in two towns and two
    industry divisions with a filing each, a loan each from 2023-01-03, a repayment voided
    and one kept, interest for both, C2 delinquent; 2023-03 closed on 2023-04-03 (a subsidy
    batch and a claim in SZD's compensation batch) and both batches paid on the day after
    公示. Returns the banks' clients and the contracts' groups by dimension."""
    staff.set_business_date("2023-01-02")
    banks = {code: bank(code, f"银行{code}") for code in ("BK1", "BK2")}
    for body in (
        {"product_code": "BK1-P", "bank_code": "BK1", "name": "数智贷", "risk_pool": "SZD"},
        {"product_code": "BK2-P", "bank_code": "BK2", "name": "智造贷", "risk_pool": "SZD"},
    ):
        staff_post(staff, "/products", body)
    staff_post(
        staff,
        "/risk-pool/deposits",
        {"amount": "5000000.00", "deposited_on": "2023-01-02", "reference": "池"},
    )
    staff_post(staff, "/budgets", {"year": 2023, "amount": "1000000.00", "reference": "预算"})
    for uscc, town, code, filing_no, investment, approved_on in (
        (USCCS[0], "小榄镇", "C3879", "F1", "800000.00", "2022-12-01"),
        (USCCS[1], "古镇镇", "C3419", "F2", "1000000.00", "2023-01-02"),
    ):
        staff_post(
            staff,
            "/enterprises",
            {
                "uscc": uscc,
                "name": f"企业{town}",
                "established_on": "2012-01-01",
                "town": town,
                "industry_code": code,
                "account": {
                    "holder": f"企业{town}",
                    "number": "6222020000000001",
                    "bank_name": "农商行",
                },
            },
        )
        staff_post(
            staff,
            "/filings",
            {
                "filing_no": filing_no,
                "uscc": uscc,
                "project_name": "MES",
                "eligible_investment": investment,
                "approved_on": approved_on,
            },
        )
    two_loans_disbursed(staff, banks)
    staff.set_business_date("2023-02-21")
    event(
        banks["BK1"],
        "C1",
        event_id="R1",
        type="repayment",
        date="2023-02-10",
        principal="100000.00",
    )
    event(banks["BK1"], "C1", event_id="V1", type="void", target_event_id="R1", reason="录错")
    event(
        banks["BK1"], "C1", event_id="R2", type="repayment", date="2023-02-20", principal="50000.00"
    )
    march_interest_and_delinquency(staff, banks, c1_interest="3600.00")
    closed = ok(staff.request("clerk", "POST", "/periods/2023-03/close"))
    pay_batches(staff, closed["batches"])
    return {"banks": banks, "groups": CONTRACT_GROUPS}


CONTRACT_GROUPS = {
    "C1": {"bank": "BK1", "product": "BK1-P", "town": "小榄镇", "industry": "C38", "pool": "SZD"},
    "C2": {"bank": "BK2", "product": "BK2-P", "town": "古镇镇", "industry": "C34", "pool": "SZD"},
}


def pay_batches(staff, batches: list[dict]) -> str:
    """Every batch through 公示, submitted, approved and paid to every payee the day after the
    last 公示 ends; that day."""
    ends = [b["publicity_ends_on"] for b in batches if b["publicity_ends_on"]]  # not compensation
    last = max(dt.date.fromisoformat(day) for day in ends)
    paid_on = (last + dt.timedelta(days=1)).isoformat()
    staff.set_business_date(paid_on)
    for b in batches:
        bid = b["batch_id"]
        ok(staff.request("clerk", "POST", f"/batches/{bid}/submit"))
        ok(staff.request("approver", "POST", f"/batches/{bid}/approve"))
        payees = paged(staff, f"/batches/{bid}/payees")
        payments = [
            {
                "payee_id": p["payee_id"],
                "status": "paid",
                "paid_on": paid_on,
                "reference": f"PAY-{bid}-{i}",
            }
            for i, p in enumerate(payees)
            if p["payment_status"] == "pending"
        ]
        ok(staff.request("clerk", "POST", f"/batches/{bid}/payments", {"payments": payments}))
    return paid_on
