"""Pages at the demo's size (issue 15, "Scale"): a batch of 310 payees is a page a clerk can
work in — its payees and lines in pages (shorter than 4,000 px at 1280 px wide), the whole
batch's totals above them, a payee found by a piece of its name, the tables sorted by a click
on a header — and the filing list links to a filing."""

from __future__ import annotations

import re

from tests.support.browser import login
from tests.support.many_payees import many_payees, payee_name, payee_uscc

COUNT = 310
MAX_HEIGHT_PX = 4000


def document_size(page) -> tuple[int, int]:
    """(height, width) of the whole document in CSS px."""
    size = page.evaluate(
        "[document.documentElement.scrollHeight, document.documentElement.scrollWidth]"
    )
    return size[0], size[1]


def test_a_batch_of_the_demos_size_is_a_page_to_work_in(page, staff, bank, shots):
    world = many_payees(staff, bank, COUNT)
    staff.create("clerk1", "clerk", password="clerk1-browser-2026")
    login(page, "clerk1", "clerk1-browser-2026")

    page.goto(f"/bureau/batches/{world.batch_id}")
    assert page.locator("#payees-pager").get_attribute("data-count") == str(COUNT)
    assert "共 310 条，第 1/13 页" in page.locator("#payees-pager").inner_text()
    total = sum(1000 + i for i in range(COUNT))
    assert page.locator("#payees-total").inner_text() == f"¥{total:,}.00"
    assert 0 < page.locator("tr.payee-row").count() < COUNT
    assert 0 < page.locator("tr.line-row").count() < COUNT
    height, width = document_size(page)
    assert height < MAX_HEIGHT_PX, f"the batch page is {height} px long"
    assert width <= 1280, f"the batch page is {width} px wide: its tables overflow"
    shots(page, "batch-310-payees")

    # the biggest payee first: a click on 合计, then another for the other way
    page.locator("#payees th.sortable a[data-sort=total]").click()
    page.locator("#payees th.sortable a[data-sort=total]").click()
    page.wait_for_url(re.compile(r"psort=total&pdir=desc"))
    first = page.locator("tr.payee-row").first
    assert first.get_attribute("data-payee-id") == payee_uscc(COUNT - 1)
    assert "▼" in page.locator("#payees th[aria-sort=descending]").inner_text()

    # a payee by a piece of its name: its row and its lines only
    page.fill("#payee-filters input[name=payee]", "有限公司0123")
    with page.expect_navigation():
        page.click("#filter-payees")
    assert page.locator("tr.payee-row").count() == 1
    assert page.locator("tr.payee-row td").first.inner_text().startswith(payee_name(123))
    lines = page.locator("tr.line-row")
    assert lines.count() == 1 and lines.first.get_attribute("data-payee-id") == payee_uscc(123)
    shots(page, "batch-payee-by-name")

    # the next page of lines keeps the lines' own sort
    page.goto(f"/bureau/batches/{world.batch_id}?sort=amount&dir=desc")
    page.click("#next-page")
    page.wait_for_url(re.compile(r"page=2"))
    assert "第 2/13 页" in page.locator("#pager").inner_text()
    assert page.locator("tr.line-row").first.get_attribute("data-payee-id") == payee_uscc(
        COUNT - 1 - 25
    )

    # the filing list: found by name, linked to the filing
    page.click("#nav-filings")
    page.fill("#filing-filter input[name=enterprise]", "有限公司0042")
    with page.expect_navigation():
        page.click("#filing-filter button[type=submit]")
    assert page.locator("tr.filing-row").count() == 1
    shots(page, "filings-by-name")
    with page.expect_navigation():
        page.click("tr.filing-row a[href='/bureau/filings/F0042']")
    assert "F0042" in page.locator("h1").inner_text()
