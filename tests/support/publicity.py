"""A subsidy batch in 公示 with three enterprises, for the public 公示 list's tests (API, page,
browser): built through the signed bank API and the staff API, as a bank and a clerk would.

- 中山市华星五金制品有限公司: one loan at 中山农商银行 under 华星五金技术改造项目;
- 中山市美灯照明科技有限公司: two loans, one at each bank, under two projects;
- 中山市远景光电有限公司: one loan at 中国银行中山分行 (its line is the one a test may hold back).
Each enterprise has a bank account whose number must never be published.
2025-01 is closed on 2025-02-05 (a Wednesday): 公示 runs 2025-02-06 … 2025-02-11, five
working days of which Saturday 2025-02-08 is one (the Spring Festival's 调休 make-up day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from loanledger.domain.uscc import uscc_with_check
from tests.support.api import ok

PERIOD = "2025-01"
CLOSED_ON = "2025-02-05"
STARTS_ON = dt.date(2025, 2, 6)
ENDS_ON = dt.date(2025, 2, 11)

HUAXING = uscc_with_check("91442000MA4UJX9X1")
MEIDENG = uscc_with_check("91442000MA4WKP2Q2")
YUANJING = uscc_with_check("91442000MA52RT7B3")
ENTERPRISES = {
    HUAXING: ("中山市华星五金制品有限公司", "6222020000000001"),
    MEIDENG: ("中山市美灯照明科技有限公司", "6217003320000123456"),
    YUANJING: ("中山市远景光电有限公司", "6013821900012345678"),
}
ACCOUNT_NUMBERS = tuple(account for _name, account in ENTERPRISES.values())
BANK_NAMES = {"ZSRCB": "中山农商银行", "BOCZS": "中国银行中山分行"}
FILINGS = {  # filing_no: (uscc, project)
    "PUB-F-1": (HUAXING, "华星五金技术改造项目"),
    "PUB-F-2": (MEIDENG, "美灯智能照明生产线项目"),
    "PUB-F-3": (MEIDENG, "美灯仓储数字化项目"),
    "PUB-F-4": (YUANJING, "远景光电扩产项目"),
}
LOANS = (  # bank, contract, filing, principal, interest paid on 2025-01-21
    ("ZSRCB", "ZSRCB-P-1", "PUB-F-1", "1000000.00", "1820.83"),
    ("ZSRCB", "ZSRCB-P-2", "PUB-F-2", "500000.00", "910.42"),
    ("BOCZS", "BOCZS-P-1", "PUB-F-3", "800000.00", "1456.67"),
    ("BOCZS", "BOCZS-P-2", "PUB-F-4", "300000.00", "546.25"),
)


@dataclass
class PublicityWorld:
    batch_id: int = 0
    contracts: tuple[str, ...] = tuple(loan[1] for loan in LOANS)
    lines: dict[str, list[dict]] = field(default_factory=dict)  # per payee uscc


def publicity_world(staff, bank) -> PublicityWorld:
    staff.set_business_date("2025-01-02")
    clients = {code: bank(code, name) for code, name in BANK_NAMES.items()}

    def clerk(path, body):
        return ok(staff.request("clerk", "POST", path, body))

    for code in BANK_NAMES:
        clerk(
            "/products",
            {
                "product_code": f"{code}-TECH",
                "bank_code": code,
                "name": "科技贷",
                "risk_covered": True,
            },
        )
    for uscc, (name, account) in ENTERPRISES.items():
        clerk(
            "/enterprises",
            {
                "uscc": uscc,
                "name": name,
                "established_on": "2016-03-01",
                "industry_code": "C3879",
                "account": {"holder": name, "number": account, "bank_name": "中山农商银行"},
            },
        )
    for filing_no, (uscc, project) in FILINGS.items():
        clerk(
            "/filings",
            {
                "filing_no": filing_no,
                "uscc": uscc,
                "project_name": project,
                "eligible_investment": "5000000.00",
                "approved_on": "2024-11-01",
            },
        )
    for code, contract, filing_no, principal, _interest in LOANS:
        client = clients[code]
        ok(
            client.post(
                "/api/v1/loans",
                json={
                    "contract_no": contract,
                    "product_code": f"{code}-TECH",
                    "uscc": FILINGS[filing_no][0],
                    "filing_no": filing_no,
                    "principal": principal,
                    "annual_rate": "3.4500",
                    "start_date": "2025-01-02",
                    "maturity_date": "2027-01-02",
                    "repayment_method": "interest_only",
                    "interest_settlement": "monthly",
                },
            )
        )
        ok(
            client.post(
                f"/api/v1/loans/{contract}/events",
                json={
                    "event_id": f"{contract}-D1",
                    "type": "disbursement",
                    "date": "2025-01-02",
                    "amount": principal,
                },
            )
        )
    staff.set_business_date("2025-01-21")
    for code, contract, _filing, _principal, interest in LOANS:
        ok(
            clients[code].post(
                f"/api/v1/loans/{contract}/events",
                json={
                    "event_id": f"{contract}-I1",
                    "type": "interest",
                    "period_start": "2025-01-02",
                    "period_end": "2025-01-21",
                    "paid_on": "2025-01-21",
                    "interest": interest,
                },
            )
        )
    staff.set_business_date(CLOSED_ON)
    ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close", {}))
    (batch,) = ok(staff.request("auditor", "GET", f"/batches?period={PERIOD}&kind=subsidy"))[
        "items"
    ]
    assert batch["status"] == "publicity" and batch["publicity_ends_on"] == ENDS_ON.isoformat()
    world = PublicityWorld(batch_id=batch["batch_id"])
    for line in ok(staff.request("auditor", "GET", f"/batches/{world.batch_id}/lines"))["items"]:
        world.lines.setdefault(line["payee_id"], []).append(line)
    return world
