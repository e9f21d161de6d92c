"""The payment file and the bank's return file: a small approved batch of two enterprises
(each with an account), a third enterprise registered with nothing to be paid, and the
return file's upload through the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import openpyxl

from loanledger.domain.uscc import uscc_with_check
from tests.support.api import API, ok

USCC_A = uscc_with_check("91442000MA4UJX9X1")
USCC_B = uscc_with_check("91442000MA4WKP2Q2")
USCC_C = uscc_with_check("91442000MA5123456")  # registered, not a payee of the batch
NAMES = {
    USCC_A: "中山市华星五金制品有限公司",
    USCC_B: "=中山市美灯照明科技有限公司",  # a name a spreadsheet would run as a formula
    USCC_C: "中山市第三家制造有限公司",
}
ACCOUNTS = {
    USCC_A: {"holder": NAMES[USCC_A], "number": "6222020000000001", "bank_name": "中山农商银行"},
    USCC_B: {
        "holder": "中山市美灯照明科技有限公司",
        "number": "44001000000000002",
        "bank_name": "中国银行中山分行",
    },
}
PERIOD = "2023-02"


@dataclass
class ApprovedBatch:
    batch_id: int
    approved_on: dt.date
    pays: dict[str, str]  # payee → what the batch pays it, in yuan


def loans_with_february_interest(staff, bk1) -> None:
    """C-A (A, F-A) and C-B (B, F-B) at BK1, ¥500,000 each drawn on 2023-01-03. On 2023-02-21
    A reports more interest than the subsidy (a full line) and B less than the rule computes
    (its line is limited to the interest paid: interest_paid_limit). Then the business date is
    2023-03-01: February is ready to close."""
    staff.set_business_date("2023-01-03")
    for uscc, contract, filing_no in ((USCC_A, "C-A", "F-A"), (USCC_B, "C-B", "F-B")):
        ok(
            bk1.post(
                f"{API}/loans",
                json={
                    "contract_no": contract,
                    "product_code": "BK1-P",
                    "uscc": uscc,
                    "filing_no": filing_no,
                    "principal": "500000.00",
                    "annual_rate": "3.6000",
                    "start_date": "2023-01-03",
                    "maturity_date": "2025-01-01",
                    "repayment_method": "interest_only",
                    "interest_settlement": "monthly",
                },
            )
        )
        ok(
            bk1.post(
                f"{API}/loans/{contract}/events",
                json={
                    "event_id": f"{contract}-D",
                    "type": "disbursement",
                    "date": "2023-01-03",
                    "amount": "500000.00",
                },
            )
        )
    staff.set_business_date("2023-02-21")
    for contract, interest in (("C-A", "2450.00"), ("C-B", "1000.00")):
        ok(
            bk1.post(
                f"{API}/loans/{contract}/events",
                json={
                    "event_id": f"{contract}-I1",
                    "type": "interest",
                    "period_start": "2023-01-03",
                    "period_end": "2023-02-21",
                    "paid_on": "2023-02-21",
                    "interest": interest,
                },
            )
        )
    staff.set_business_date("2023-03-01")


def submitted_batch(staff, bank) -> ApprovedBatch:
    """Loans of A and B at BK1 with interest paid in February 2023, closed, through 公示,
    submitted by the clerk (`approve` next); the business date stays the submission's."""
    staff.set_business_date("2023-01-02")
    bk1 = bank("BK1", "中山农商银行")

    def clerk(path: str, body: dict) -> dict:
        return ok(staff.request("clerk", "POST", path, body))

    clerk(
        "/products",
        {"product_code": "BK1-P", "bank_code": "BK1", "name": "数智贷", "risk_pool": None},
    )
    clerk("/budgets", {"year": 2023, "amount": "1000000.00", "reference": "中财〔2023〕1号"})
    for uscc, name in NAMES.items():
        body: dict[str, Any] = {
            "uscc": uscc,
            "name": name,
            "established_on": "2012-01-01",
            "industry_code": "C3879",
        }
        if uscc in ACCOUNTS:
            body["account"] = ACCOUNTS[uscc]
        clerk("/enterprises", body)
    for uscc, filing_no in ((USCC_A, "F-A"), (USCC_B, "F-B")):
        clerk(
            "/filings",
            {
                "filing_no": filing_no,
                "uscc": uscc,
                "project_name": "MES",
                "eligible_investment": "800000.00",
                "approved_on": "2022-12-01",
            },
        )
    loans_with_february_interest(staff, bk1)
    batch = ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close"))["batches"][0]
    ready_on = dt.date.fromisoformat(batch["publicity_ends_on"]) + dt.timedelta(days=1)
    staff.set_business_date(ready_on)
    batch_id = batch["batch_id"]
    ok(staff.request("clerk", "POST", f"/batches/{batch_id}/submit"))
    return ApprovedBatch(batch_id, ready_on, {})


def approve(staff, approved: ApprovedBatch) -> ApprovedBatch:
    """The approver approves; `pays` is filled from the batch's payees."""
    ok(staff.request("approver", "POST", f"/batches/{approved.batch_id}/approve"))
    payees = ok(staff.request("auditor", "GET", f"/batches/{approved.batch_id}/payees"))["items"]
    approved.pays = {p["payee_id"]: p["pays"] for p in payees}
    return approved


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    """A workbook whose first sheet holds `rows`, every cell a text cell but dates."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload_results(staff, batch_id: int, data: bytes, filename: str = "回单.csv", role="clerk"):
    return staff.client.post(
        f"{API}/batches/{batch_id}/payment-results",
        data={"file": (io.BytesIO(data), filename)},
        headers=staff.headers(role),
        content_type="multipart/form-data",
    )


def read_csv(data: bytes, encoding: str = "utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(encoding))))


def read_xlsx(data: bytes) -> list[list[Any]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]
