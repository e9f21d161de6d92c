"""The safe forms of the irreversible steps clicked through in chromium (issue 15):

1. The payments form: nothing preselected; a refused save comes back with what was typed,
   the bad rows framed in red and each error in Chinese beside its field; corrected, it saves.
2. A confirmation: the approve button does nothing until its "我已核对…" box is ticked, then
   asks confirm() once more.
3. The voucher of a batch not yet approved: a large 草稿 mark, "未审批，不得作为付款凭证",
   and a blank payment date.
Screenshots of each step: test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.browser import confirm_and_click, login
from tests.support.payfile import USCC_A, USCC_B, approve, submitted_batch

pytestmark = pytest.mark.browser


@pytest.fixture
def submitted(staff, bank):
    """A and B's batch of 2023-02, submitted; clerk1 and approver1 sign in on the pages."""
    for username, role in (("clerk1", "clerk"), ("approver1", "approver")):
        staff.create(username, role, password=f"{username}-password")
    return submitted_batch(staff, bank)


def flashes(page, kind: str) -> list[str]:
    return page.locator(f".flash.flash-{kind}").all_inner_texts()


def row(page, payee_id: str):
    return page.locator(f"#payment-table tr.payee-row[data-payee-id='{payee_id}']")


def test_the_payments_form_keeps_what_was_typed_and_marks_the_bad_row(
    page, submitted, staff, shots
):
    approved = approve(staff, submitted)
    paid_on = approved.approved_on.isoformat()
    login(page, "clerk1", "clerk1-password")
    page.goto(f"/bureau/batches/{approved.batch_id}/payments")
    a, b = row(page, USCC_A), row(page, USCC_B)
    assert a.locator("select[name=status]").input_value() == ""  # nothing preselected
    assert b.locator("select[name=status]").input_value() == ""
    shots(page, "payments-form-nothing-chosen")

    # A paid without the bank's reference; B failed without its reason
    a.locator("select[name=status]").select_option("paid")
    a.locator("input[name=paid_on]").fill(paid_on)
    b.locator("select[name=status]").select_option("failed")
    b.locator("input[name=reference]").fill("退票-0001")
    dialogs = confirm_and_click(page, "#record-payments-button")
    assert dialogs == ["保存后支付结果不能更改。确定保存吗？"]
    assert flashes(page, "error") == [
        "2 行有错误（已用红框标出），没有登记任何支付结果。请修改后重新保存。"
    ]
    a, b = row(page, USCC_A), row(page, USCC_B)
    assert "row-error" in a.get_attribute("class") and "row-error" in b.get_attribute("class")
    assert a.locator(".field-error-text[data-field=reference]").inner_text() == (
        "已支付的须填写银行流水号。"
    )
    assert b.locator(".field-error-text[data-field=reason]").inner_text() == (
        "支付失败的须填写失败原因。"
    )
    # what was typed is kept
    assert a.locator("select[name=status]").input_value() == "paid"
    assert a.locator("input[name=paid_on]").input_value() == paid_on
    assert b.locator("select[name=status]").input_value() == "failed"
    assert b.locator("input[name=reference]").input_value() == "退票-0001"
    border = a.locator("input[name=reference]").evaluate("e => getComputedStyle(e).borderTopColor")
    assert border == "rgb(180, 35, 24)"  # framed in red (--bad)
    shots(page, "payments-form-refused-rows-marked")

    # corrected: saved
    a.locator("input[name=reference]").fill("BANK-REF-001")
    b.locator("input[name=reason]").fill("账户已冻结")
    confirm_and_click(page, "#record-payments-button")
    assert flashes(page, "success") == ["支付结果已登记。"]
    assert page.locator("#batch-status").get_attribute("data-status") == "partially_paid"
    shots(page, "payments-recorded")
    payees = staff.request("auditor", "GET", f"/batches/{approved.batch_id}/payees").get_json()
    assert {p["payee_id"]: (p["payment_status"], p["reference"]) for p in payees["items"]} == {
        USCC_A: ("paid", "BANK-REF-001"),
        USCC_B: ("failed", "退票-0001 账户已冻结"),
    }


def test_approve_waits_for_its_confirmation_box_then_asks_once_more(page, submitted, staff, shots):
    login(page, "approver1", "approver1-password")
    batch_page = f"/bureau/batches/{submitted.batch_id}"
    page.goto(batch_page)
    page.click("#approve-batch-button")  # the box unticked: the browser keeps the form
    page.wait_for_timeout(300)
    assert page.url.endswith(batch_page)
    assert page.locator("#batch-status").get_attribute("data-status") == "submitted"
    assert page.locator("#approve-batch-confirm").evaluate("e => !e.validity.valid")
    shots(page, "approve-needs-its-box")
    dialogs = confirm_and_click(page, "#approve-batch-button")
    assert dialogs == ["审批通过后即可付款，不能撤回。确定审批通过吗？"]
    assert flashes(page, "success") == ["批次已审批通过。"]
    assert page.locator("#batch-status").get_attribute("data-status") == "approved"
    shots(page, "approved-after-confirmation")


def test_the_voucher_of_a_batch_not_yet_approved_is_a_draft(page, submitted, staff, shots):
    staff.set_business_date(submitted.approved_on + dt.timedelta(days=2))
    login(page, "clerk1", "clerk1-password")
    # on the way: the dashboard's close asks for its box too
    box = page.locator("#close-period #close-period-confirm")
    assert box.count() == 1 and box.get_attribute("required") is not None
    shots(page, "dashboard-close-with-its-box", full_page=False)
    page.goto(f"/bureau/batches/{submitted.batch_id}")
    with page.expect_navigation():
        page.locator(f"#payees tr[data-payee-id='{USCC_A}'] a.voucher-link").click()
    assert page.locator("#voucher-draft-mark").inner_text() == "草稿"
    assert "未审批，不得作为付款凭证" in page.locator("#voucher-draft-notice").inner_text()
    assert page.locator("#voucher-paid-on").inner_text() == "付款日期：____________"
    mark = page.locator("#voucher-draft-mark").bounding_box()
    assert mark is not None and mark["height"] > 150  # large, across the voucher
    shots(page, "voucher-draft")
