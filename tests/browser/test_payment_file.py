"""The payment file and the bank's return file clicked through the payments page in
chromium: the clerk downloads the payment file (XLSX), fills in the results as the bank
returns them and uploads it; a bad row first shows its error in words and records nothing.
Screenshots of each step: test-artifacts/screenshots/."""

from __future__ import annotations

import io

import openpyxl
import pytest

from tests.support.browser import login

pytestmark = pytest.mark.browser


def _approved(programme, staff) -> str:
    """The programme's batch submitted and approved through the API; the approval day."""
    day = programme.after_publicity()
    staff.set_business_date(day)
    batch = programme.batch_id
    for role, action in (("clerk", "submit"), ("approver", "approve")):
        answer = staff.request(role, "POST", f"/batches/{batch}/{action}")
        assert answer.status_code == 200, answer.get_data(as_text=True)
    return day.isoformat()


def _filled_in(payment_file: bytes, status: str, day: str, reference: str) -> bytes:
    """The payment file with 支付状态, 支付日期 and 银行流水号 added, as the bank returns it."""
    workbook = openpyxl.load_workbook(io.BytesIO(payment_file))
    sheet = workbook.worksheets[0]
    width = sheet.max_column
    for offset, caption in enumerate(("支付状态", "支付日期", "银行流水号"), start=1):
        sheet.cell(row=1, column=width + offset, value=caption)
    for row in range(2, sheet.max_row):  # the last row is 合计
        for offset, value in enumerate((status, day, reference), start=1):
            sheet.cell(row=row, column=width + offset, value=value).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_payment_file_downloaded_and_its_return_file_uploaded(
    page, programme, staff, shots, tmp_path
):
    day = _approved(programme, staff)
    login(page, "clerk1", programme.passwords["clerk1"])
    page.goto(f"/bureau/batches/{programme.batch_id}/payments")
    shots(page, "payments-page-with-the-payment-file")
    with page.expect_download() as waiting:
        page.click("#payment-file-xlsx")
    payment_file = (tmp_path / "付款文件.xlsx").resolve()
    waiting.value.save_as(payment_file)
    rows = list(openpyxl.load_workbook(payment_file).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "序号" and rows[-1][0] == "合计" and len(rows) == 3

    bad = tmp_path / "回单-有误.xlsx"
    bad.write_bytes(_filled_in(payment_file.read_bytes(), "作废", day, "ZS-1"))
    page.set_input_files("#upload-payment-results input[type=file]", str(bad))
    with page.expect_navigation():
        page.click("#upload-payment-results button[type=submit]")
    assert page.locator(".flash.flash-error").count() == 1
    assert page.locator("#results-errors .results-error").all_inner_texts() == [
        "2\t支付状态\t无法识别的支付状态“作废”：应为 paid/failed、成功/失败 或 已支付/支付失败。"
    ]
    shots(page, "return-file-refused")

    good = tmp_path / "回单.xlsx"
    good.write_bytes(_filled_in(payment_file.read_bytes(), "成功", day, "ZS-1"))
    page.set_input_files("#upload-payment-results input[type=file]", str(good))
    with page.expect_navigation():
        page.click("#upload-payment-results button[type=submit]")
    assert page.locator(".flash.flash-success").all_inner_texts() == [
        "回单已登记（1 行）：已支付 1 笔，支付失败 0 笔，此前已登记 0 笔。"
    ]
    assert page.locator(".payee-row").get_attribute("data-payment-status") == "paid"
    assert page.locator("#payment-file-xlsx").count() == 0  # nothing left to pay
    shots(page, "return-file-recorded")
    answer = staff.request("auditor", "GET", f"/batches/{programme.batch_id}").get_json()
    assert answer["status"] == "paid"
