"""Browser tests: the real app served over HTTP, driven in Debian's chromium by Playwright.

- `live_server` (package): the app that tests/conftest.py builds once per process
  (`create_app`, the web pages included), served by a threaded werkzeug server on a free
  localhost port. Each test's `app` fixture points that same app at the test's own database
  (a fresh SQLite copy, or the emptied PostgreSQL database), so these tests run on both
  engines like every database test, and each starts from nothing. Server and browser stop
  when tests/browser is done, not at the end of the whole run.
- `browser` (package): chromium at /usr/bin/chromium (LOANLEDGER_CHROMIUM names another),
  launched by Playwright (its own browser download does not work on this network).
  Missing: the tests are skipped, or fail under CI=true (.ci/run installs the package).
- `page` (per test): a new browser context (no cookies) on the live server.
- `programme` (per test): users, a bank, an enterprise with its filing, a loan with its
  events, and the close of 2025-01 — so a subsidy batch in 公示 exists — all through the
  signed HTTP API and the staff API, as a bank and a clerk would.
- `shots`: screenshots of the key steps under test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from loanledger.domain.uscc import uscc_with_check
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


# ---------------------------------------------------------------- the server
class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request is only noise here
        pass


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="package")
def live_server(_shared_app) -> Iterator[LiveServer]:
    app = _shared_app[0]
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# ---------------------------------------------------------------- the browser
def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(
            f"{reason} (CI=true requires the browser tests: .ci/run installs chromium)",
            pytrace=False,
        )
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium`")


@pytest.fixture(scope="package")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"chromium is not installed at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:  # the test extra is not installed
        _missing(f"playwright is not importable ({error})")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Exception as error:
        playwright.stop()
        _missing(f"chromium at {CHROMIUM} did not start: {error}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server: LiveServer, app):
    """`app` first: the live server must already serve this test's database."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


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


@pytest.fixture
def shots(request) -> Shots:
    return Shots(request.node.name)


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


def _ok(response, *statuses: int) -> dict:
    statuses = statuses or (200, 201)
    assert response.status_code in statuses, (
        f"{response.status_code} {response.get_data(as_text=True)}"
    )
    return response.get_json()


@pytest.fixture
def programme(staff, bank) -> Programme:
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
    clerk = lambda path, body: _ok(staff.request("clerk", "POST", path, body))  # noqa: E731
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

    _ok(
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
    _ok(
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
    _ok(
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
    _ok(staff.request("clerk", "POST", f"/periods/{PERIOD}/close", {}))

    batches = _ok(staff.request("auditor", "GET", f"/batches?period={PERIOD}&kind=subsidy"))[
        "items"
    ]
    assert len(batches) == 1, batches
    plan.batch_id = batches[0]["batch_id"]
    assert batches[0]["status"] == "publicity", batches[0]
    plan.publicity_ends_on = dt.date.fromisoformat(batches[0]["publicity_ends_on"])
    lines = _ok(staff.request("auditor", "GET", f"/batches/{plan.batch_id}/lines"))["items"]
    plan.line_ids = [line["line_id"] for line in lines if line["payee_id"] == USCC]
    assert plan.line_ids and all(line["reasons"] == ["investment_cap"] for line in lines), lines
    return plan
