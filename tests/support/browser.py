"""Driving the web pages in a Playwright page (tests/browser): the browser, the live server,
signing in and out, screenshots, and the programme of data the flows start from."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
from dataclasses import dataclass, field

import pytest

from loanledger.domain.uscc import uscc_with_check
from tests.support.api import ok
from tests.support.environment import IN_CI

CHROMIUM = os.environ.get("LOANLEDGER_CHROMIUM", "/usr/bin/chromium")  # Debian's package
# The probe's flags (machine notes): without the background-networking ones chromium keeps
# trying Google's hosts, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 15_000


# ---------------------------------------------------------------- the server and the browser
@dataclass
class LiveServer:
    url: str
    app: object


def missing_browser(reason: str) -> None:
    """No browser to drive: the test is skipped, or fails under CI=true."""
    if IN_CI:
        pytest.fail(
            f"{reason} (CI=true requires the browser tests: .ci/run installs chromium)",
            pytrace=False,
        )
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium`")


# ---------------------------------------------------------------- a page
def login(page, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("#login-submit")


def logout(page) -> None:
    with page.expect_navigation():
        page.click("#logout")


class Shots:
    """`shots(page, "login")` → test-artifacts/screenshots/<test>-01-login.png."""

    def __init__(self, test_name: str):
        self.prefix = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.count = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"{self.prefix}-*.png"):
            old.unlink()

    def __call__(self, page, label: str, *, full_page: bool = True) -> pathlib.Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.prefix}-{self.count:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


# ---------------------------------------------------------------- the data
USCC = uscc_with_check("91442000MA4UJX9X1")
OTHER_USCC = uscc_with_check("91442000MA4WKP2Q2")
PERIOD = "2025-01"


@dataclass
class Programme:
    """What the pages are driven against. `passwords[username]` signs a user in."""

    passwords: dict[str, str] = field(default_factory=dict)
    batch_id: int = 0
    publicity_ends_on: dt.date | None = None
    line_ids: list[int] = field(default_factory=list)

    def after_publicity(self) -> dt.date:
        assert self.publicity_ends_on is not None
        return self.publicity_ends_on + dt.timedelta(days=1)


def build_programme(staff, bank) -> Programme:
    """One enterprise, one loan of 1,000,000 yuan at 3.45 % from 2025-01-02 under a filing of
    600,000 yuan eligible investment (so its line carries the reason `investment_cap`), its
    interest paid on 2025-01-21, and 2025-01 closed on 2025-02-01: one subsidy batch in 公示.
    Users: `admin1` (admin: acts as clerk and as approver), `clerk1`, `approver1`,
    `enterprise1` (the borrower) and `enterprise2` (another enterprise)."""
    plan = Programme()
    for username, role, uscc in (
        ("admin1", "admin", None),
        ("clerk1", "clerk", None),
        ("approver1", "approver", None),
        ("enterprise1", "enterprise", USCC),
        ("enterprise2", "enterprise", OTHER_USCC),
    ):
        plan.passwords[username] = staff.create(
            username, role, f"{username}-browser-2026", uscc=uscc
        )

    staff.set_business_date("2025-01-02")
    zsrcb = bank("ZSRCB", "中山农商银行")
    clerk = lambda path, body: ok(staff.request("clerk", "POST", path, body))  # noqa: E731
    clerk(
        "/products",
        {
            "product_code": "ZSRCB-TECH",
            "bank_code": "ZSRCB",
            "name": "科技贷",
            "risk_covered": True,
        },
    )
    for uscc, name in (
        (USCC, "中山市华星五金制品有限公司"),
        (OTHER_USCC, "中山市美灯照明科技有限公司"),
    ):
        clerk(
            "/enterprises",
            {
                "uscc": uscc,
                "name": name,
                "established_on": "2016-03-01",
                "town": "火炬开发区",
                "industry": "制造业",
                "industry_code": "C3879",
                "account": {
                    "holder": name,
                    "number": "6222020000000001",
                    "bank_name": "中山农商银行",
                },
            },
        )
    clerk(
        "/filings",
        {
            "filing_no": "BR-F-1",
            "uscc": USCC,
            "project_name": "华星五金技术改造项目",
            "eligible_investment": "600000.00",
            "approved_on": "2024-11-01",
        },
    )
    clerk("/budgets", {"year": 2025, "amount": "3000000.00", "reference": "中财〔2025〕1号"})

    ok(
        zsrcb.post(
            "/api/v1/loans",
            json={
                "contract_no": "ZSRCB-2025-0001",
                "product_code": "ZSRCB-TECH",
                "uscc": USCC,
                "filing_no": "BR-F-1",
                "principal": "1000000.00",
                "annual_rate": "3.4500",
                "start_date": "2025-01-02",
                "maturity_date": "2027-01-02",
                "repayment_method": "interest_only",
                "interest_settlement": "monthly",
            },
        )
    )
    ok(
        zsrcb.post(
            "/api/v1/loans/ZSRCB-2025-0001/events",
            json={
                "event_id": "ZSRCB-2025-0001-D1",
                "type": "disbursement",
                "date": "2025-01-02",
                "amount": "1000000.00",
            },
        )
    )
    staff.set_business_date("2025-01-21")
    ok(
        zsrcb.post(
            "/api/v1/loans/ZSRCB-2025-0001/events",
            json={
                "event_id": "ZSRCB-2025-0001-I1",
                "type": "interest",
                "period_start": "2025-01-02",
                "period_end": "2025-01-21",
                "paid_on": "2025-01-21",
                "interest": "1820.83",
            },
        )
    )
    staff.set_business_date("2025-02-01")
    ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close", {}))

    batches = ok(staff.request("auditor", "GET", f"/batches?period={PERIOD}&kind=subsidy"))["items"]
    assert len(batches) == 1, batches
    plan.batch_id = batches[0]["batch_id"]
    assert batches[0]["status"] == "publicity", batches[0]
    plan.publicity_ends_on = dt.date.fromisoformat(batches[0]["publicity_ends_on"])
    lines = ok(staff.request("auditor", "GET", f"/batches/{plan.batch_id}/lines"))["items"]
    plan.line_ids = [line["line_id"] for line in lines if line["payee_id"] == USCC]
    assert plan.line_ids and all(line["reasons"] == ["investment_cap"] for line in lines), lines
    return plan


def confirm_and_click(page, selector: str) -> list[str]:
    """Click an irreversible step's button as a person does: tick its form's "我已核对…" box,
    accept the browser's confirm() dialog, wait for the next page. The dialog's text is
    returned (none for a form without one)."""
    seen: list[str] = []

    def accept(dialog) -> None:
        seen.append(dialog.message)
        dialog.accept()

    form = page.locator(selector).locator("xpath=ancestor::form")
    box = form.locator("input[name=confirmed]")
    if box.count():
        box.check()
    page.once("dialog", accept)
    with page.expect_navigation():
        page.click(selector)
    return seen
