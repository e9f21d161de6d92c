"""The demo's year worked in the browser alone (issue 15's last "done when"): March 2025, by a
bank user, a clerk, an approver, an enterprise and an auditor, without the API.

The demo data (`loanledger demo-data`'s loader) is loaded up to March's interest: the loans,
January's and February's interest and closes, the business date 2025-03-21. From there on,
everything is a click or a keystroke in chromium, each person in their own browser:

1. the banks report March's interest: 中山农商银行's data officer downloads the events template
   and uploads it filled in (XLSX), 中国银行中山分行's uploads a CSV; both are imported;
2. the administrator moves the business date (the admin page: the test settings allow a
   manual date) to 2025-04-01; the clerk closes March, ticking the confirmation, watches the
   job finish and opens the new batch. The close-job worker is run as test_close_job.py runs
   it (`close_jobs.drain`, standing in for the scheduler): the only call that is no click;
3. the enterprise sees its March line in 公示 with 公示截止 (also on a phone, 390 px) and objects;
4. the clerk dismisses the objection with a reply; once 公示 is over (the administrator moves
   the date again) the clerk submits the batch;
5. the approver, a second person, approves; the clerk downloads the payment file and uploads
   it back filled in as the bank's return file: the batch is paid;
6. the enterprise sees 已支付 with the payment date; the auditor filters the audit trail to
   the batch and exports it as CSV.

Screenshots of each step: test-artifacts/screenshots/test_the_demo_s_march_worked_in_the_browser-*.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from loanledger import demo_data
from loanledger.services import close_jobs
from tests.support.browser import TIMEOUT_MS, confirm_and_click, login
from tests.support.crawl import allowed_in, findings, visible_text

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MARCH_PAID_ON = demo_data.INTEREST_DATES[2]  # 2025-03-21: the demo's third interest date
CLOSE_DAY = "2025-04-01"
ENTERPRISE_NAME = demo_data.ENTERPRISES[0][1]  # the portal's demo enterprise (刘洋's)
ENTERPRISE_CONTRACT = "ZSRCB-2025-0001"  # its loan
OBJECTION = "三月实付利息2,683.33元，贴息金额请核对。"
REPLY = "经核对，贴息按实付利息和政策贴息比例计算无误，维持原金额。"


class _DemoUntilMarch(demo_data.Loader):
    """The demo's loader, but March's interest is left to the banks' pages."""

    def pay_interest(self, paid_on: str, number: int) -> None:
        if paid_on != MARCH_PAID_ON:
            super().pay_interest(paid_on, number)


def march_interest(bank_code: str) -> list[dict[str, str]]:
    """The bank's March interest events, as its data officer types them into the template."""
    rows = []
    for code, contract_no, _product, _who, principal, rate, _start, _end in demo_data.LOANS:
        if code == bank_code:
            start = demo_data.INTEREST_DATES[1]
            rows.append(
                {
                    "event_id": f"{contract_no}-I3",
                    "type": "付息",
                    "contract_no": contract_no,
                    "period_start": start,
                    "period_end": MARCH_PAID_ON,
                    "paid_on": MARCH_PAID_ON,
                    "interest": demo_data.interest_due(principal, rate, start, MARCH_PAID_ON),
                }
            )
    return rows


@pytest.fixture
def demo(app):
    report = _DemoUntilMarch(app).run()
    assert report.warnings == [], report.warnings
    return report


@pytest.fixture
def people(browser, live_server, app, demo):
    """`people("clerk")`: that demo person signed in, in their own browser (context)."""
    contexts = []

    def sign_in(username: str, *, viewport=None, phone=False):
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport=viewport or {"width": 1280, "height": 900},
            is_mobile=phone,
            has_touch=phone,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        login(page, username, demo_data.password_for(username))
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def seen(db, shots):
    """`seen(page, "label")`: what the person sees is in Chinese words — no English, no code,
    no raw amount (tests/support/crawl.py's rules, on pages the crawl never reaches: those
    after a form) — and its screenshot is taken."""

    def look(page, label: str, **kwargs) -> None:
        allowed = allowed_in(db)
        db.rollback()  # no read left open on the database the server writes next
        problems = findings(visible_text(page.content())[0], allowed)
        assert problems == [], (page.url, problems)
        shots(page, label, **kwargs)

    return look


def flashes(page, kind: str) -> list[str]:
    return page.locator(f".flash.flash-{kind}").all_inner_texts()


def click_to(page, link) -> None:
    with page.expect_navigation():
        link.click()


def menu(page, name: str) -> None:
    """A link of the top menu, by its words."""
    click_to(page, page.locator("header.top nav").get_by_role("link", name=name, exact=True))


def to_do(page, kind: str, batch_id: int | None = None) -> None:
    """The dashboard's to-do item of that kind (and batch), followed."""
    menu(page, "总览")
    items = page.locator(f'#todo .todo-item[data-kind="{kind}"] a')
    if batch_id is not None:
        items = items.filter(has_text=f"#{batch_id}")
    click_to(page, items)


def set_business_date(admin, day: str) -> None:
    menu(admin, "管理")
    click_to(admin, admin.locator("#admin-tabs").get_by_role("link", name="业务日期"))
    admin.fill("#set-business-date input[name=date]", day)
    with admin.expect_navigation():
        admin.click("#set-business-date button[type=submit]")
    assert not flashes(admin, "error"), flashes(admin, "error")
    assert admin.locator("#business-date").inner_text() == day


def upload(page, path) -> None:
    page.click("#nav-bank-imports")
    page.select_option("#upload-kind", "events")
    page.set_input_files("#upload-file", str(path))
    with page.expect_navigation():
        page.click("#upload-submit")


def batch_status(page) -> str:
    return page.locator("#batch-status").inner_text().strip()


def test_the_demo_s_march_worked_in_the_browser(people, app, seen, tmp_path):
    # 1. The banks report March's interest: an XLSX from the template, and a CSV.
    zsrcb = people(demo_data.bank_username("ZSRCB"))
    assert zsrcb.url.endswith("/bank")
    assert zsrcb.locator("#bank-name").inner_text() == "中山农商银行"
    zsrcb.click("#nav-bank-imports")
    with zsrcb.expect_download() as waiting:
        zsrcb.click("#template-events")
    template = (tmp_path / "事件模板.xlsx").resolve()
    waiting.value.save_as(template)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    assert sheet["A1"].value == "事件编号" and sheet["A2"].value == "event_id"
    names = [cell.value for cell in sheet[2]]
    rows = march_interest("ZSRCB")
    for offset, row in enumerate(rows):
        for name, value in row.items():
            sheet.cell(row=3 + offset, column=names.index(name) + 1, value=value)
    filled = tmp_path / "三月付息-中山农商银行.xlsx"
    workbook.save(filled)
    upload(zsrcb, filled)
    assert flashes(zsrcb, "success") == [
        f"文件已导入（{len(rows)} 行）：接收 {len(rows)} 行，重复 0 行，有错误 0 行。"
    ]
    assert zsrcb.locator("#import-status").inner_text() == "已完成"
    seen(zsrcb, "bank-events-imported")

    boczs = people(demo_data.bank_username("BOCZS"))
    captions = dict(zip(names, (cell.value for cell in sheet[1]), strict=True))
    rows = march_interest("BOCZS")
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writerow({name: captions[name] for name in rows[0]})  # the Chinese captions
    writer.writeheader()  # the field names, as the template's second row
    writer.writerows(rows)
    written = tmp_path / "三月付息-中国银行中山分行.csv"
    written.write_text(text.getvalue(), encoding="utf-8")
    upload(boczs, written)
    assert flashes(boczs, "success") == [
        f"文件已导入（{len(rows)} 行）：接收 {len(rows)} 行，重复 0 行，有错误 0 行。"
    ]

    # 2. April 1st: the clerk closes March and opens its batch.
    admin = people("admin")
    set_business_date(admin, CLOSE_DAY)
    seen(admin, "admin-business-date")
    clerk = people("clerk")
    assert clerk.url.endswith("/bureau")
    assert clerk.locator("#close-period input[name=period]").input_value() == "2025-03"
    confirm_and_click(clerk, "#close-period-button")
    assert "排队中" in clerk.locator("#close-job-status").inner_text()
    assert len(close_jobs.drain(app.extensions["loanledger"].sessionmaker)) == 1
    clerk.wait_for_selector("#close-job-done")
    assert "2025-03 已结账" in clerk.locator("#close-job-done").inner_text()
    seen(clerk, "close-done")
    subsidy = clerk.locator(".close-job-batch", has_text="贴息")
    with clerk.expect_navigation():
        subsidy.click()
    batch_id = int(clerk.url.rsplit("/", 1)[1])
    assert batch_status(clerk) == "公示中"
    publicity_ends = clerk.locator("#publicity-ends").inner_text()
    payees = clerk.locator("#payees .payee-row")
    assert ENTERPRISE_NAME in payees.all_inner_texts()[0]
    assert clerk.locator("#batch-total").inner_text() == yuan(
        sum(_march_fen(code) for code in (ENTERPRISE_CONTRACT, "BOCZS-2025-0001"))
    )
    seen(clerk, "march-batch-in-publicity")

    # 3. The enterprise sees its March line in 公示 and objects (on a phone, too).
    enterprise = people("enterprise")
    assert enterprise.url.endswith("/portal")
    line = enterprise.locator('#my-lines .line-row[data-batch-status="publicity"]')
    assert line.count() == 1
    line_id = line.get_attribute("data-line-id")
    amount = line.locator(".line-amount").inner_text()
    assert amount == yuan(_march_fen(ENTERPRISE_CONTRACT))  # the bank's interest, in full
    assert ENTERPRISE_NAME in enterprise.locator("h1").inner_text()
    assert "2025年3月贴息进入公示" in enterprise.locator("#my-notices").inner_text()
    assert f"公示截止 {publicity_ends}" in line.locator(".own-status").inner_text()
    phone = people("enterprise", viewport=PHONE, phone=True)
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    seen(phone, "portal-in-publicity-390", full_page=False)  # the screen the phone shows
    form = enterprise.locator(f'form.objection-form[data-line-id="{line_id}"]')
    form.locator("textarea[name=reason]").fill(OBJECTION)
    with enterprise.expect_navigation():
        form.locator(".object-button").click()
    assert flashes(enterprise, "success") and not flashes(enterprise, "error")
    objection = enterprise.locator("#my-objections .objection-row")
    assert objection.get_attribute("data-status") == "open"
    seen(enterprise, "objection-raised")

    # 4. The clerk dismisses it with a reply; after 公示 submits the batch.
    to_do(clerk, "objections")
    row = clerk.locator(".objection-row", has_text=OBJECTION)
    assert ENTERPRISE_NAME in row.inner_text() and amount in row.inner_text()
    resolve = row.locator("form.resolve-objection")
    resolve.locator("select[name=resolution]").select_option("dismissed")
    resolve.locator("textarea[name=note]").fill(REPLY)
    seen(clerk, "objection-being-answered")
    with clerk.expect_navigation():
        resolve.locator(".resolve-button").click()
    assert flashes(clerk, "success") and not flashes(clerk, "error")
    assert clerk.locator(".objection-row", has_text=OBJECTION).count() == 0  # none left open
    set_business_date(admin, _day_after(publicity_ends))
    to_do(clerk, "submit", batch_id)
    assert batch_status(clerk) == "待提交"
    assert "异议驳回" in clerk.locator("#batch-objections .objection-row").inner_text()
    confirm_and_click(clerk, "#submit-batch-button")
    assert flashes(clerk, "success") and not flashes(clerk, "error")
    assert batch_status(clerk) == "待审批"
    assert clerk.locator("#submitted-by").inner_text().startswith("张敏")
    assert clerk.locator("#approve-batch-button").count() == 0  # the checker is another person
    seen(clerk, "batch-submitted")

    # 5. The approver approves; the clerk sends the payment file and records the return file.
    approver = people("approver")
    to_do(approver, "approve", batch_id)
    confirm_and_click(approver, "#approve-batch-button")
    assert flashes(approver, "success") and not flashes(approver, "error")
    assert batch_status(approver) == "已审批"
    assert approver.locator("#approved-by").inner_text().startswith("李伟")
    seen(approver, "batch-approved")

    to_do(clerk, "payments", batch_id)
    with clerk.expect_download() as waiting:
        clerk.click("#payment-file-xlsx")
    payment_file = (tmp_path / "付款文件.xlsx").resolve()
    waiting.value.save_as(payment_file)
    paid_on = _day_after(publicity_ends)
    returned = tmp_path / "银行回单.xlsx"
    returned.write_bytes(_returned(payment_file.read_bytes(), paid_on))
    clerk.set_input_files("#upload-payment-results input[type=file]", str(returned))
    with clerk.expect_navigation():
        clerk.click("#upload-payment-results button[type=submit]")
    assert flashes(clerk, "success") == [
        "回单已登记（2 行）：已支付 2 笔，支付失败 0 笔，此前已登记 0 笔。"
    ]
    assert batch_status(clerk) == "已支付"
    seen(clerk, "batch-paid")

    # 6. The enterprise sees it paid; the auditor exports the batch's audit trail.
    menu(enterprise, "我的贴息")
    paid = enterprise.locator(f'#my-payments .payment-row[data-batch-id="{batch_id}"]')
    assert "已支付" in paid.inner_text() and paid_on in paid.inner_text()
    assert amount in paid.inner_text()
    own = enterprise.locator(f'.line-row[data-line-id="{line_id}"] .own-status')
    assert own.inner_text().startswith("已支付")
    notices = enterprise.locator("#my-notices").inner_text()
    assert "2025年3月贴息已支付" in notices and "您的异议已处理（不成立）" in notices
    answer = enterprise.locator("#my-objections .objection-row")
    assert "异议驳回" in answer.inner_text() and REPLY in answer.inner_text()
    seen(enterprise, "portal-paid")

    auditor = people("auditor")
    auditor.click("#nav-audit")
    auditor.select_option("#audit-filter select[name=entity]", "batch")
    auditor.fill("#audit-filter input[name=entity_id]", str(batch_id))
    with auditor.expect_navigation():
        auditor.click("#audit-filter button[type=submit]")
    shown = auditor.locator("#audit-entries .audit-row").all_inner_texts()
    assert any("张敏" in row and "提交批次" in row for row in shown), shown
    assert any("李伟" in row and "审批通过批次" in row for row in shown), shown
    seen(auditor, "audit-trail-of-the-batch")
    with auditor.expect_download() as waiting:
        auditor.click("#audit-export")
    exported = list(csv.DictReader(io.StringIO(waiting.value.path().read_text("utf-8-sig"))))
    assert {row["对象"] for row in exported} == {str(batch_id)}
    assert [(row["操作人姓名"], row["操作"]) for row in exported if row["操作人"] != "system"] == [
        ("张敏", "提交批次"),
        ("李伟", "审批通过批次"),
        ("张敏", "下载付款文件"),
        ("张敏", "批次支付状态变更"),
        ("张敏", "导入银行回单"),
    ]


def _day_after(day: str) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()


def _march_fen(contract_no: str) -> int:
    """March's interest on the loan in fen: its subsidy, the interest being subsidised in full."""
    bank_code = contract_no.split("-")[0]
    row = next(r for r in march_interest(bank_code) if r["contract_no"] == contract_no)
    return int(Decimal(row["interest"]) * 100)


def yuan(fen: int) -> str:
    """As the pages show money: ¥2,683.33."""
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def _returned(payment_file: bytes, paid_on: str) -> bytes:
    """The payment file with 支付状态, 支付日期 and 银行流水号 added, as the bank returns it."""
    workbook = openpyxl.load_workbook(io.BytesIO(payment_file))
    sheet = workbook.worksheets[0]
    width = sheet.max_column
    for offset, caption in enumerate(("支付状态", "支付日期", "银行流水号"), start=1):
        sheet.cell(row=1, column=width + offset, value=caption)
    for row in range(2, sheet.max_row):  # the last row is 合计
        values = ("成功", paid_on, f"ZS2025040{row:04d}")
        for offset, value in enumerate(values, start=1):
            sheet.cell(row=row, column=width + offset, value=value).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
