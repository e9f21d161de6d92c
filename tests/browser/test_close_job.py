"""The month's close clicked in chromium: the clerk presses 结账 on the dashboard, the job page
says it is queued and reloads itself; a worker (as the scheduler would) runs it; the page
shows it done and links to the new batch. And the dashboard at 1280 px: the budget table is
whole, within its own box, and the clerk's to-do item opens the batch to submit. Screenshots: test-artifacts/screenshots/."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from loanledger.services import close_jobs
from tests.support.api import ok
from tests.support.browser import confirm_and_click, login

pytestmark = pytest.mark.browser


def february_interest(staff, bank) -> None:
    """Interest the bank reports for February 2025, so that closing it makes a batch."""
    zsrcb = bank.rotate(SimpleNamespace(bank_code="ZSRCB"))
    staff.set_business_date("2025-02-21")
    ok(
        zsrcb.post(
            "/api/v1/loans/ZSRCB-2025-0001/events",
            json={
                "event_id": "ZSRCB-2025-0001-I2",
                "type": "interest",
                "period_start": "2025-01-21",
                "period_end": "2025-02-21",
                "paid_on": "2025-02-21",
                "interest": "2970.83",
            },
        )
    )
    staff.set_business_date("2025-03-01")


def test_the_clerk_closes_a_month_and_watches_it_finish(page, programme, staff, bank, app, shots):
    february_interest(staff, bank)
    login(page, "clerk1", programme.passwords["clerk1"])
    page.goto("/bureau")
    assert page.locator("#close-period input[name=period]").input_value() == "2025-02"
    confirm_and_click(page, "#close-period-button")
    assert "/bureau/close-jobs/" in page.url
    job = page.locator("#close-job")
    assert job.get_attribute("data-status") == "pending"
    assert "排队中" in page.locator("#close-job-status").inner_text()
    shots(page, "close-queued")

    # the worker, as the scheduler runs it every 5 s; the page reloads itself meanwhile
    assert len(close_jobs.drain(app.extensions["loanledger"].sessionmaker)) == 1
    page.wait_for_selector("#close-job-done")
    assert page.locator("#close-job").get_attribute("data-status") == "done"
    assert "2025-02 已结账" in page.locator("#close-job-done").inner_text()
    shots(page, "close-done")

    with page.expect_navigation():
        page.locator(".close-job-batch").first.click()
    assert "/bureau/batches/" in page.url
    assert page.locator("#batch-status").get_attribute("data-status") == "publicity"
    shots(page, "the-new-batch")


def test_the_dashboard_is_whole_at_1280_px_and_its_to_do_leads_to_the_work(
    page, programme, staff, shots
):
    staff.set_business_date(programme.after_publicity())  # the batch is the clerk's to submit
    login(page, "clerk1", programme.passwords["clerk1"])
    page.goto("/bureau")
    assert page.viewport_size == {"width": 1280, "height": 900}
    # the page itself never scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # the budget table fits its card: nothing of it is cut off or hidden behind a scroll bar
    fits = page.evaluate(
        """() => {
            const table = document.querySelector('#budgets');
            const card = table.closest('.card');
            const t = table.getBoundingClientRect(), c = card.getBoundingClientRect();
            return {table_right: t.right, card_right: c.right,
                    scroll: card.scrollWidth, client: card.clientWidth};
        }"""
    )
    assert fits["table_right"] <= fits["card_right"], fits
    assert fits["scroll"] <= fits["client"], fits
    item = page.locator('#todo .todo-item[data-kind="submit"] a')
    assert item.inner_text() == f"提交批次 #{programme.batch_id}（2025-01 贴息）"
    shots(page, "dashboard-1280")
    with page.expect_navigation():
        item.click()
    assert page.url.endswith(f"/bureau/batches/{programme.batch_id}")
    assert page.locator("#batch-status").get_attribute("data-status") == "ready"
