"""A bank's data officer in chromium (issue 15, "Banks"): signs in to the bank's home,
downloads the loan template (Chinese captions, Chinese dropdowns), uploads it filled in with
a row in error and reads that row's errors by column caption in Chinese, fixes the row,
uploads again and finds both imports in the history. Screenshots of each step:
test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tests.support.api import API, ok
from tests.support.browser import USCC, login

pytestmark = pytest.mark.browser

PASSWORD = "bank-zsrcb-browser-2026"


@pytest.fixture
def bank_user(staff, bank):
    """Bank ZSRCB (its signed client) with a product and an enterprise, and its user bank-zsrcb."""
    staff.set_business_date("2025-01-02")
    zsrcb = bank("ZSRCB", "中山农商银行")
    for path, body in (
        (
            "/products",
            {
                "product_code": "ZSRCB-TECH",
                "bank_code": "ZSRCB",
                "name": "科技贷",
                "risk_covered": True,
            },
        ),
        (
            "/enterprises",
            {
                "uscc": USCC,
                "name": "中山市华星五金制品有限公司",
                "established_on": "2016-03-01",
                "industry_code": "C3879",
            },
        ),
    ):
        ok(staff.request("clerk", "POST", path, body), 201)
    staff.create("bank-zsrcb", "bank", PASSWORD, bank_code="ZSRCB")
    return zsrcb


def _loan(contract_no: str, **changes) -> dict:
    values = {
        "contract_no": contract_no,
        "product_code": "ZSRCB-TECH",
        "uscc": USCC,
        "principal": 1000000,
        "annual_rate": 3.45,
        "start_date": dt.datetime(2025, 1, 2),
        "maturity_date": dt.datetime(2026, 1, 2),
        "repayment_method": "按期付息到期还本",
        "interest_settlement": "按月结息",
    }
    values.update(changes)
    return values


def _fill(template, target, rows: list[dict]) -> None:
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    names = [cell.value for cell in sheet[2]]
    for offset, values in enumerate(rows):
        for name, value in values.items():
            sheet.cell(row=3 + offset, column=names.index(name) + 1, value=value)
    workbook.save(target)


def _upload(page, path) -> None:
    page.select_option("#upload-kind", "loans")
    page.set_input_files("#upload-file", str(path))
    with page.expect_navigation():
        page.click("#upload-submit")


def test_a_bank_uploads_a_file_reads_its_errors_fixes_it_and_finds_it_in_the_history(
    page, bank_user, staff, shots, tmp_path
):
    login(page, "bank-zsrcb", PASSWORD)
    assert page.url.endswith("/bank")
    assert page.locator("#bank-name").inner_text() == "中山农商银行"
    shots(page, "bank-home")

    page.click("#nav-bank-imports")
    with page.expect_download() as waiting:
        page.click("#template-loans")
    template = (tmp_path / "贷款模板.xlsx").resolve()
    waiting.value.save_as(template)
    sheet = openpyxl.load_workbook(template).worksheets[0]
    assert sheet["A1"].value == "合同编号" and sheet["A2"].value == "contract_no"
    dropdowns = {rule.formula1 for rule in sheet.data_validations.dataValidation}
    assert '"到期一次还本付息,等额本息,等额本金,按期付息到期还本"' in dropdowns
    shots(page, "upload-page")

    wrong = tmp_path / "贷款-有误.xlsx"
    _fill(
        template,
        wrong,
        [_loan("ZS-1"), _loan("ZS-2", principal="12.345", repayment_method="每月还款")],
    )
    _upload(page, wrong)
    assert page.locator(".flash.flash-error").all_inner_texts() == [
        "文件已导入（2 行）：接收 1 行，重复 0 行，有错误 1 行。"
    ]
    errors = page.locator("#import-errors .import-error-row")
    assert errors.count() == 1 and errors.get_attribute("data-row") == "4"
    assert errors.locator(".import-error").all_inner_texts() == [
        "合同金额(元)：金额格式不正确：单位元，不能为负数，最多两位小数。",
        "还款方式：不是可选的值，请从下拉列表中选择：到期一次还本付息、等额本息、等额本金、按期付息到期还本。",
    ]
    shots(page, "row-errors-in-chinese")

    page.click("#nav-bank-imports")
    fixed = tmp_path / "贷款-已改.xlsx"
    _fill(template, fixed, [_loan("ZS-1"), _loan("ZS-2", principal=12.34)])
    _upload(page, fixed)
    assert page.locator(".flash.flash-success").all_inner_texts() == [
        "文件已导入（2 行）：接收 1 行，重复 1 行，有错误 0 行。"
    ]
    assert page.locator("#import-errors").count() == 0
    shots(page, "fixed-file-imported")

    page.click("#nav-bank-imports")
    history = page.locator("#imports .import-row")
    assert history.count() == 2
    assert [history.nth(i).get_attribute("data-status") for i in range(2)] == ["done", "done"]
    assert "贷款-已改.xlsx" in history.nth(0).inner_text()
    shots(page, "import-history")
    page.click("#nav-bank")
    assert page.locator("#loan-count").inner_text() == "2"
    assert page.locator("#nothing-to-do").count() == 1  # the fixed file cleared the to-do
    shots(page, "bank-home-after")
    loan = ok(staff.request("auditor", "GET", "/loans/ZSRCB/ZS-2"))
    assert (loan["principal"], loan["repayment_method"]) == ("12.34", "interest_only")


def test_a_bank_reads_its_loans_and_no_bureau_page(page, bank_user, bank, staff, shots):
    other = bank("OTHER", "别的银行")
    ok(
        staff.request(
            "clerk",
            "POST",
            "/products",
            {
                "product_code": "OTHER-P",
                "bank_code": "OTHER",
                "name": "别的贷",
                "risk_covered": True,
            },
        ),
        201,
    )
    for client, contract_no, product in (
        (bank_user, "ZS-9", "ZSRCB-TECH"),
        (other, "OT-1", "OTHER-P"),
    ):
        body = {
            "contract_no": contract_no,
            "product_code": product,
            "uscc": USCC,
            "principal": "1000000.00",
            "annual_rate": "3.4500",
            "start_date": "2025-01-02",
            "maturity_date": "2026-01-02",
            "repayment_method": "interest_only",
            "interest_settlement": "monthly",
        }
        ok(client.post(f"{API}/loans", json=body), 201)
    login(page, "bank-zsrcb", PASSWORD)
    page.click("#nav-bank-loans")
    rows = page.locator("#bank-loans .loan-row")
    assert rows.count() == 1 and rows.get_attribute("data-contract") == "ZS-9"  # not OT-1
    assert "科技贷" in rows.inner_text() and "¥1,000,000.00" in rows.inner_text()
    shots(page, "bank-loans")
    with page.expect_navigation():
        rows.locator("a").click()
    assert page.locator("#loan-balance").inner_text() == "¥0.00"
    shots(page, "bank-loan")
    assert page.goto("/bank/loans/OT-1").status == 404
    page.goto("/bureau")
    assert page.locator("#error-message").inner_text() == "您的角色无权查看此页面。"
    shots(page, "bureau-refused")
