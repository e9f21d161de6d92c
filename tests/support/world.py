"""Worlds to test in, built through the staff API and the banks' signed API.

The intake world (`intake_world`, the `world` fixture of tests/integration/conftest.py): two
banks with a product each, two enterprises with a filing each, and a risk-pool deposit, on
business date 2023-02-01; `loan_body(...)` is a valid loan for it, `counts(db)` the rows a
refused request must leave alone.
"""
from __future__ import annotations

from sqlalchemy import func, select

from loanledger.persistence.tables import AuditEntry, DirtyMark, Loan, LoanEvent

USCC = "914420006FA300000G"
OTHER_USCC = "91442000LNJ300000F"


# ---------------------------------------------------------------- intake
def intake_world(staff, bank) -> dict:
    """`{"boc": ..., "abc": ...}`: the signed clients of the two banks."""
    staff.set_business_date("2023-02-01")
    boc, abc = bank("BOC-ZS"), bank("ABC-ZS")
    for body in (
        {"product_code": "BOC-SZD", "bank_code": "BOC-ZS", "name": "数智贷", "risk_covered": True},
        {"product_code": "ABC-ZZD", "bank_code": "ABC-ZS", "name": "智造贷", "risk_covered": True},
        {"uscc": USCC, "name": "灯都照明", "established_on": "2015-06-01"},
        {"uscc": OTHER_USCC, "name": "小榄五金", "established_on": "2010-04-12"},
        {"filing_no": "F1", "uscc": USCC, "project_name": "MES", "eligible_investment": "8000000.00",
         "approved_on": "2023-02-01"},
        {"filing_no": "F2", "uscc": OTHER_USCC, "project_name": "冲压", "eligible_investment": "1000000.00",
         "approved_on": "2023-01-20"},
    ):
        path = "/products" if "product_code" in body else "/filings" if "filing_no" in body else "/enterprises"
        response = staff.request("clerk", "POST", path, body)
        assert response.status_code == 201, response.get_data(as_text=True)
    response = staff.request("clerk", "POST", "/risk-pool/deposits",
                             {"amount": "20000000.00", "deposited_on": "2023-01-03", "reference": "首期"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return {"boc": boc, "abc": abc}


def loan_body(**changes):
    body = {"contract_no": "C-1", "product_code": "BOC-SZD", "uscc": USCC, "principal": "5000000.00",
            "annual_rate": "3.4500", "start_date": "2023-02-01", "maturity_date": "2025-02-01",
            "repayment_method": "interest_only", "interest_settlement": "quarterly"}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def counts(db):
    db.expire_all()
    return tuple(db.scalar(select(func.count()).select_from(t)) for t in (Loan, LoanEvent, DirtyMark, AuditEntry))
