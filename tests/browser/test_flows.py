"""Two flows clicked through the pages in chromium (web contract: ids and classes).

1. Maker-checker: during 公示 a clerk cannot submit; after it an admin submits the batch and,
   being the maker, is refused as its checker (flash-error, status stays `submitted`); an
   approver approves it.
2. Objection: the enterprise sees its line and the reason in words during 公示, objects; a
   clerk upholds the objection; the enterprise sees it upheld and the line held back.
Screenshots of each step: test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from tests.support.browser import confirm_and_click, login, logout

pytestmark = pytest.mark.browser


def batch_status(page) -> str:
    return page.locator("#batch-status").get_attribute("data-status")


def flashes(page, kind: str) -> list[str]:
    return page.locator(f".flash.flash-{kind}").all_inner_texts()


def open_batch_from_dashboard(page, batch_id: int) -> None:
    page.goto("/bureau")
    with page.expect_navigation():
        page.locator(f'a[href="/bureau/batches/{batch_id}"]').first.click()
    assert page.url.endswith(f"/bureau/batches/{batch_id}")


def click_and_wait(page, selector: str) -> None:
    """The maker-checker buttons: their confirmation box ticked, their dialog accepted."""
    confirm_and_click(page, selector)


def test_maker_checker_through_the_batch_page(page, programme, staff, shots):
    batch = programme.batch_id

    # 公示 runs (business date 2025-02-01): the clerk's submission is refused.
    login(page, "clerk1", programme.passwords["clerk1"])
    open_batch_from_dashboard(page, batch)
    assert batch_status(page) == "publicity"
    assert page.locator("#approve-batch-button").count() == 0  # a clerk is no checker
    click_and_wait(page, "#submit-batch-button")
    assert flashes(page, "error") and not flashes(page, "success")
    assert batch_status(page) == "publicity"
    shots(page, "clerk-submit-refused-during-publicity")
    logout(page)

    # 公示 is over: an admin, acting as the clerk, submits.
    staff.set_business_date(programme.after_publicity())
    login(page, "admin1", programme.passwords["admin1"])
    open_batch_from_dashboard(page, batch)
    assert batch_status(page) == "ready"
    shots(page, "batch-ready")
    click_and_wait(page, "#submit-batch-button")
    assert flashes(page, "success") and not flashes(page, "error")
    assert batch_status(page) == "submitted"
    assert "admin1" in page.locator("#submitted-by").inner_text()
    shots(page, "admin-submitted")

    # The same person may not approve what they submitted.
    click_and_wait(page, "#approve-batch-button")
    assert flashes(page, "error") and not flashes(page, "success")
    assert batch_status(page) == "submitted"
    assert page.locator("#approved-by").count() == 0
    shots(page, "same-person-approval-refused")
    logout(page)

    # Another person, an approver, approves.
    login(page, "approver1", programme.passwords["approver1"])
    open_batch_from_dashboard(page, batch)
    assert page.locator("#submit-batch-button").count() == 0  # an approver is no maker
    click_and_wait(page, "#approve-batch-button")
    assert flashes(page, "success") and not flashes(page, "error")
    assert batch_status(page) == "approved"
    assert "approver1" in page.locator("#approved-by").inner_text()
    shots(page, "approver-approved")

    answer = staff.request("auditor", "GET", f"/batches/{batch}").get_json()
    assert (answer["status"], answer["submitted_by"], answer["approved_by"]) == (
        "approved",
        "user:admin1",
        "user:approver1",
    )


def test_enterprise_objection_upheld_by_a_clerk(page, programme, staff, shots):
    line_id = programme.line_ids[0]

    # During 公示 the enterprise sees its line, the reason in words, and the objection form.
    login(page, "enterprise1", programme.passwords["enterprise1"])
    assert page.url.endswith("/portal")
    row = page.locator(f"#my-lines tr.line-row[data-line-id='{line_id}']")
    assert row.count() == 1
    reason = row.locator("li[data-reason='investment_cap']")
    assert reason.count() == 1
    words = reason.inner_text().strip()
    assert words and words != "investment_cap"
    shots(page, "portal-line-with-reasons")

    form = page.locator(f"form.objection-form[data-line-id='{line_id}']")
    form.locator("textarea[name=reason]").fill("项目已于2024年追加投资，合规投资额应为100万元")
    with page.expect_navigation():
        form.locator(".object-button").click()
    assert flashes(page, "success") and not flashes(page, "error")
    objection = page.locator("#my-objections tr.objection-row")
    assert objection.count() == 1 and objection.get_attribute("data-status") == "open"
    objection_id = objection.get_attribute("data-objection-id")
    assert (
        page.locator(f"form.objection-form[data-line-id='{line_id}']").count() == 0
    )  # one open per line
    shots(page, "objection-filed")
    logout(page)

    # Another enterprise sees nothing of it.
    login(page, "enterprise2", programme.passwords["enterprise2"])
    assert page.locator("tr.line-row").count() == 0
    assert page.locator("tr.objection-row").count() == 0
    logout(page)

    # A clerk upholds it on /bureau/objections.
    login(page, "clerk1", programme.passwords["clerk1"])
    page.goto("/bureau/objections")
    row = page.locator(f"tr.objection-row[data-objection-id='{objection_id}']")
    assert row.get_attribute("data-status") == "open"
    shots(page, "bureau-objections-open")
    resolve = row.locator("form.resolve-objection")
    resolve.locator("select[name=resolution]").select_option("upheld")
    resolve.locator("textarea[name=note]").fill("核实追加投资凭证，暂缓发放该笔贴息")
    with page.expect_navigation():
        resolve.locator(".resolve-button").click()
    assert flashes(page, "success") and not flashes(page, "error")
    page.goto("/bureau/objections")
    row = page.locator(f"tr.objection-row[data-objection-id='{objection_id}']")
    assert row.get_attribute("data-status") == "upheld"
    assert row.locator("form.resolve-objection").count() == 0
    shots(page, "bureau-objection-upheld")
    logout(page)

    # The enterprise sees its objection upheld.
    login(page, "enterprise1", programme.passwords["enterprise1"])
    objection = page.locator(f"#my-objections tr.objection-row[data-objection-id='{objection_id}']")
    assert objection.get_attribute("data-status") == "upheld"
    assert "核实追加投资凭证" in objection.inner_text()
    held = page.locator(f"#my-lines tr.line-row[data-line-id='{line_id}'] .badge-held")
    assert held.count() == 1  # the upheld objection holds the line back
    shots(page, "portal-objection-upheld")

    answer = staff.request("auditor", "GET", "/objections?status=upheld").get_json()
    assert [o["line_id"] for o in answer["items"]] == [line_id], answer
