"""Worlds to test in, built through the staff API and the banks' signed API.

The intake world (`intake_world`, the `world` fixture of tests/integration/conftest.py): two
banks with a product each, two enterprises with a filing each, and a risk-pool deposit, on
business date 2023-02-01; `loan_body(...)` is a valid loan for it, `counts(db)` the rows a
refused request must leave alone.

The small worlds of the close tests (`small_world`, `add_enterprise`, `loan`, `event`): banks
BK1 and BK2 with a product each (`BK1-P`, `BK2-P`) and a pool deposit, then enterprises with a
filing each, and their loans and events. `claim_world` is one of them with a March 2023 whose
close makes two batches (a subsidy line and a new claim).
"""

from __future__ import annotations

from sqlalchemy import func, select

from loanledger.persistence.tables import AuditEntry, DirtyMark, Loan, LoanEvent
from tests.support.api import API, ok, put_policy, staff_post

USCC = "914420006FA300000G"
OTHER_USCC = "91442000LNJ300000F"
USCCS = ["914420006FA300000G", "91442000LNJ300000F", "91442000H644000008"]


# ---------------------------------------------------------------- intake
def intake_world(staff, bank) -> dict:
    """`{"boc": ..., "abc": ...}`: the signed clients of the two banks."""
    staff.set_business_date("2023-02-01")
    boc, abc = bank("BOC-ZS"), bank("ABC-ZS")
    for body in (
        {"product_code": "BOC-SZD", "bank_code": "BOC-ZS", "name": "数智贷", "risk_covered": True},
        {"product_code": "ABC-ZZD", "bank_code": "ABC-ZS", "name": "智造贷", "risk_covered": True},
        {
            "uscc": USCC,
            "name": "灯都照明",
            "established_on": "2015-06-01",
            "industry_code": "C3879",
        },
        {
            "uscc": OTHER_USCC,
            "name": "小榄五金",
            "established_on": "2010-04-12",
            "industry_code": "C3879",
        },
        {
            "filing_no": "F1",
            "uscc": USCC,
            "project_name": "MES",
            "eligible_investment": "8000000.00",
            "approved_on": "2023-02-01",
        },
        {
            "filing_no": "F2",
            "uscc": OTHER_USCC,
            "project_name": "冲压",
            "eligible_investment": "1000000.00",
            "approved_on": "2023-01-20",
        },
    ):
        path = (
            "/products"
            if "product_code" in body
            else "/filings"
            if "filing_no" in body
            else "/enterprises"
        )
        response = staff.request("clerk", "POST", path, body)
        assert response.status_code == 201, response.get_data(as_text=True)
    response = staff.request(
        "clerk",
        "POST",
        "/risk-pool/deposits",
        {"amount": "20000000.00", "deposited_on": "2023-01-03", "reference": "首期"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"boc": boc, "abc": abc}


def loan_body(**changes):
    body = {
        "contract_no": "C-1",
        "product_code": "BOC-SZD",
        "uscc": USCC,
        "principal": "5000000.00",
        "annual_rate": "3.4500",
        "start_date": "2023-02-01",
        "maturity_date": "2025-02-01",
        "repayment_method": "interest_only",
        "interest_settlement": "quarterly",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def counts(db) -> tuple[int, ...]:
    """Loans, loan events, dirty marks and audit entries: what a refused request must leave alone."""
    db.expire_all()
    return tuple(
        db.scalar(select(func.count()).select_from(t))
        for t in (Loan, LoanEvent, DirtyMark, AuditEntry)
    )


# ---------------------------------------------------------------- small worlds of the close tests
def small_world(staff, bank, *, start: str = "2023-01-02", annual_cap: str | None = None):
    staff.set_business_date(start)
    banks = {code: bank(code, f"Bank {code}") for code in ("BK1", "BK2")}
    if annual_cap:
        assert put_policy(staff, {"annual_cap_per_enterprise": annual_cap}).status_code == 200
    for body in (
        {"product_code": "BK1-P", "bank_code": "BK1", "name": "数智贷", "risk_covered": True},
        {"product_code": "BK2-P", "bank_code": "BK2", "name": "智造贷", "risk_covered": True},
    ):
        staff_post(staff, "/products", body)
    staff_post(
        staff,
        "/risk-pool/deposits",
        {"amount": "5000000.00", "deposited_on": start, "reference": "池"},
    )
    return banks


def add_enterprise(staff, uscc: str, filing_no: str, investment: str = "800000.00"):
    staff_post(
        staff,
        "/enterprises",
        {
            "uscc": uscc,
            "name": f"企业{uscc[-4:]}",
            "established_on": "2012-01-01",
            "industry_code": "C3879",
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
            "approved_on": "2022-12-01",
        },
    )


def loan(client, contract: str, uscc: str, filing_no: str, principal: str, start: str, **extra):
    body = {
        "contract_no": contract,
        "product_code": f"{client.bank_code}-P",
        "uscc": uscc,
        "filing_no": filing_no,
        "principal": principal,
        "annual_rate": "3.6000",
        "start_date": start,
        "maturity_date": "2025-01-01",
        "repayment_method": "interest_only",
        "interest_settlement": "monthly",
        **extra,
    }
    return ok(client.post(f"{API}/loans", json=body))


def event(client, contract: str, **body):
    return ok(client.post(f"{API}/loans/{contract}/events", json=body))


def two_loans_disbursed(staff, banks: dict) -> None:
    """C1 (BK1, F1, ¥500,000) and C2 (BK2, F2, ¥800,000), both drawn in full on 2023-01-03."""
    loan(banks["BK1"], "C1", USCCS[0], "F1", "500000.00", "2023-01-03")
    loan(banks["BK2"], "C2", USCCS[1], "F2", "800000.00", "2023-01-03")
    staff.set_business_date("2023-01-03")
    event(
        banks["BK1"],
        "C1",
        event_id="D1",
        type="disbursement",
        date="2023-01-03",
        amount="500000.00",
    )
    event(
        banks["BK2"],
        "C2",
        event_id="D2",
        type="disbursement",
        date="2023-01-03",
        amount="800000.00",
    )


def march_interest_and_delinquency(staff, banks: dict, c1_interest: str) -> None:
    """On 2023-03-21 C1 reports its interest to date and C2, 30 days past due (substandard),
    its first month's; then the business date is 2023-04-03, ready to close 2023-03."""
    staff.set_business_date("2023-03-21")
    event(
        banks["BK1"],
        "C1",
        event_id="I1",
        type="interest",
        period_start="2023-01-03",
        period_end="2023-03-21",
        paid_on="2023-03-21",
        interest=c1_interest,
    )
    event(
        banks["BK2"],
        "C2",
        event_id="Q1",
        type="delinquency",
        as_of="2023-03-20",
        days_past_due=30,
        classification="substandard",
    )
    event(
        banks["BK2"],
        "C2",
        event_id="I2",
        type="interest",
        period_start="2023-01-03",
        period_end="2023-02-03",
        paid_on="2023-03-21",
        interest="2480.00",
    )
    staff.set_business_date("2023-04-03")


def claim_world(staff, bank) -> dict:
    """March 2023 has a subsidy line and a new claim: a close makes two batches."""
    banks = small_world(staff, bank)
    add_enterprise(staff, USCCS[0], "F1")
    add_enterprise(staff, USCCS[1], "F2")
    two_loans_disbursed(staff, banks)
    march_interest_and_delinquency(staff, banks, c1_interest="3900.00")
    return banks
