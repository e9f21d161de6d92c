"""The report page (统计报表) in chromium, over six months of `loanledger demo` played on the
test's database: reached from the navigation, asked for a range by bank and then by town,
charts and tables drawn, the workbook downloaded, a backwards range refused in words.
Screenshots: test-artifacts/screenshots/ (docs/img/report.png is one of them).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from loanledger.cli import main
from loanledger.demo.player import password_for
from tests.support.browser import login

pytestmark = pytest.mark.browser

MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]


@pytest.fixture
def demo(database_url, app, tmp_path):
    args = ["demo", "--months", "6", "--profile", "small", "--seed", "11"]
    result = CliRunner().invoke(main, [*args, "--db", database_url, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output


def ask(page, start: str, end: str, by: str) -> None:
    page.fill("input[name=from]", start)
    page.fill("input[name=to]", end)
    page.select_option("#report-by", by)
    with page.expect_navigation():
        page.click("#report-submit")


def test_the_report_page_draws_the_programme_by_bank_and_by_town(page, demo, shots):
    login(page, "demo-auditor", password_for("demo-auditor"))
    with page.expect_navigation():
        page.click("#nav-report")
    assert "/bureau/reports" in page.url
    ask(page, MONTHS[0], MONTHS[-1], "bank")
    months = page.locator("#report-months tbody tr.month-row")
    assert months.count() == len(MONTHS)
    assert [r.get_attribute("data-month") for r in months.all()] == MONTHS
    # stacked bars of subsidy and compensation by bank, and the pools' cash as lines
    assert page.locator("#subsidy-chart rect.segment").count() >= len(MONTHS) - 1
    assert page.locator("#compensation-chart rect.segment").count() >= 1
    assert page.locator("#pool-cash-chart polyline").count() == 2  # SZD and ZBD
    assert page.locator("#report-groups tr.group-row").count() >= 3
    total = page.locator("#report-total td[data-figure=subsidy_paid_fen]").inner_text()
    assert total.startswith("¥") and total != "¥0.00"
    shots(page, "report-by-bank")

    ask(page, MONTHS[0], MONTHS[-1], "town")
    assert page.locator("#report-by").input_value() == "town"
    towns = page.locator("#report-groups tr.group-row")
    assert towns.count() >= 3 and "镇" in towns.first.inner_text()
    shots(page, "report-by-town")

    with page.expect_download() as download:
        page.click("#report-xlsx")
    assert download.value.suggested_filename == "programme-2024-01-2024-06-town.xlsx"

    ask(page, "2024-06", "2024-01", "bank")
    assert page.locator(".flash.flash-error").count() == 1
    assert page.locator("#report-months").count() == 0
    shots(page, "report-range-refused")
