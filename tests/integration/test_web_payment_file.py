"""The payment file and the return file on the payments page: download links (XLSX, CSV,
CSV GB18030) for clerks and approvers, audited; an upload form whose refusal shows every
row's error in Chinese (or English) and records nothing, and whose success says what it
recorded — and, sent again, that nothing changed."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from loanledger.persistence.tables import AuditEntry, BatchPayee
from loanledger.web import payments as payment_pages
from loanledger.web import uploads
from tests.support.payfile import (
    USCC_A,
    USCC_B,
    approve,
    csv_bytes,
    read_csv,
    read_xlsx,
    submitted_batch,
    xlsx_bytes,
)
from tests.support.web import CONFIRMED, Web, flashes, text

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def batch(staff, bank):
    for username, role in (("clerk1", "clerk"), ("approver1", "approver"), ("auditor1", "auditor")):
        staff.create(username, role, password=f"{username}-password")
    return approve(staff, submitted_batch(staff, bank))


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def payments_page(batch) -> str:
    return f"/bureau/batches/{batch.batch_id}/payments"


def upload(web: Web, batch, data: bytes, filename: str = "回单.csv"):
    web.get(payments_page(batch))
    return web.client.post(
        f"/bureau/batches/{batch.batch_id}/payment-results",
        data={"csrf_token": web.token, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def errors_shown(page: str) -> list[tuple[str, str, str]]:
    return re.findall(
        r'class="results-error" data-row="(\d+)"><td class="num">\d+</td><td>(.*?)</td><td>(.*?)</td>',
        page,
    )


def payees(db, batch) -> list[tuple]:
    db.expire_all()
    return [
        (p.payee_id, p.payment_status, p.paid_on, p.reference)
        for p in db.scalars(
            select(BatchPayee)
            .where(BatchPayee.batch_id == batch.batch_id)
            .order_by(BatchPayee.payee_id)
        )
    ]


def audit_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry))


def test_the_payments_page_offers_the_payment_file_in_three_forms(app, batch, db):
    clerk = signed_in(app, "clerk1")
    page = text(clerk.get(payments_page(batch)))
    base = f"/bureau/batches/{batch.batch_id}/payment-file"
    for link, href in (
        ("payment-file-xlsx", f"{base}.xlsx"),
        ("payment-file-csv", f"{base}.csv"),
        ("payment-file-csv-gb18030", f"{base}.csv?encoding=gb18030"),
    ):
        assert f'id="{link}" href="{href}"' in page
    assert 'id="upload-payment-results"' in page
    xlsx = clerk.get(f"{base}.xlsx")
    assert xlsx.status_code == 200
    rows = read_xlsx(xlsx.data)
    assert [r[1] for r in rows[1:-1]] == [USCC_A, USCC_B] and rows[-1][0] == "合计"
    gb = clerk.get(f"{base}.csv?encoding=gb18030")
    assert gb.headers["Content-Type"] == "text/csv; charset=gb18030"
    assert read_csv(gb.data, "gb18030")[1:] == read_csv(clerk.get(f"{base}.csv").data)[1:]
    db.expire_all()
    downloads = db.scalars(
        select(AuditEntry.after)
        .where(AuditEntry.action == "batch.payment_file_downloaded")
        .order_by(AuditEntry.id)
    ).all()
    assert [d["format"] for d in downloads] == ["xlsx", "csv-gb18030", "csv-utf-8"]
    # an approver downloads too, but has no upload form
    approver = signed_in(app, "approver1")
    page = text(approver.get(payments_page(batch)))
    assert 'id="payment-file-xlsx"' in page and 'id="upload-payment-results"' not in page
    assert approver.get(f"{base}.csv").status_code == 200


def test_an_auditor_sees_neither_links_nor_form_and_cannot_download(app, batch):
    auditor = signed_in(app, "auditor1")
    page = text(auditor.get(payments_page(batch)))
    assert 'id="payment-file"' not in page and "payment-file.xlsx" not in page
    assert auditor.get(f"/bureau/batches/{batch.batch_id}/payment-file.xlsx").status_code == 403


def test_a_bad_encoding_or_a_settled_batch_is_a_message_not_a_file(app, batch, staff, db):
    clerk = signed_in(app, "clerk1")
    base = f"/bureau/batches/{batch.batch_id}/payment-file"
    bad = clerk.get(f"{base}.csv?encoding=latin-1", follow_redirects=True)
    assert bad.request.path == payments_page(batch) and flashes(bad, "error")
    day = str(batch.approved_on)
    staff.request(
        "clerk",
        "POST",
        f"/batches/{batch.batch_id}/payments",
        json={
            "payments": [
                {"payee_id": USCC_A, "status": "paid", "paid_on": day, "reference": "R1"},
                {"payee_id": USCC_B, "status": "paid", "paid_on": day, "reference": "R2"},
            ]
        },
    )
    assert 'id="payment-file-xlsx"' not in text(clerk.get(payments_page(batch)))
    before = audit_count(db)
    settled = clerk.get(f"{base}.xlsx", follow_redirects=True)
    assert settled.request.path == payments_page(batch)
    assert flashes(settled, "error")[0].startswith("批次当前状态不允许此操作")
    assert audit_count(db) == before


def test_a_refused_return_file_shows_every_rows_error_in_words_and_records_nothing(app, batch, db):
    clerk = signed_in(app, "clerk1")
    data = csv_bytes(
        [
            ["收款人代码", "支付状态", "支付日期", "银行流水号"],
            [USCC_A, "成功", str(batch.approved_on), "R1"],
            [USCC_B, "作废", "", ""],
            ["91442000XXXXXXXXXX", "成功", "2020-01-01", ""],
        ]
    )
    before, audits = payees(db, batch), audit_count(db)
    answer = upload(clerk, batch, data)
    assert answer.status_code == 200
    assert flashes(answer, "error") == [
        "回单中有 2 行有错误，没有登记任何支付结果。请按下表修改后重新上传。"
    ]
    shown = errors_shown(text(answer))
    assert shown == [
        (
            "3",
            "支付状态",
            "无法识别的支付状态“作废”：应为 paid/failed、成功/失败 或 已支付/支付失败。",
        ),
        ("4", "收款人代码", "收款人 91442000XXXXXXXXXX 不存在（不是已登记的企业或银行）。"),
        ("4", "支付日期", f"支付日期 2020-01-01 早于批次的审批日期 {batch.approved_on}。"),
        ("4", "银行流水号", "已支付的须填写银行流水号。"),
    ]
    assert all(CJK.search(sentence) for _row, _column, sentence in shown)
    assert payees(db, batch) == before and audit_count(db) == audits
    clerk.get("/lang/en")
    english = text(upload(clerk, batch, data))
    assert "nothing was recorded" in english
    assert "A paid payment needs the bank&#39;s reference." in english


def test_errors_past_the_shown_ones_are_counted_not_dropped(app, batch, db, monkeypatch):
    monkeypatch.setattr(uploads, "ERRORS_SHOWN", 2)
    monkeypatch.setattr(payment_pages, "PAGE_SIZE", 1)
    data = csv_bytes(
        [
            ["收款人代码", "支付状态", "支付日期", "银行流水号"],
            [USCC_B, "作废", "", ""],
            ["91442000XXXXXXXXXX", "成功", "2020-01-01", ""],
        ]
    )
    page = text(upload(signed_in(app, "clerk1"), batch, data))
    assert len(errors_shown(page)) == 2
    said = re.search(r'id="results-errors-shown">(.*?)</p>', page)[1]
    assert said == "共 4 个错误，这里显示前 2 个，另有 2 条未显示；请改正后重新上传以查看其余错误。"
    # the payees' pager under the refused file leads to the payments page, not the upload
    assert f'id="next-page" href="{payments_page(batch)}?page=2"' in page


def test_a_return_file_from_the_page_is_recorded_and_a_second_time_changes_nothing(app, batch, db):
    clerk = signed_in(app, "clerk1")
    data = xlsx_bytes(
        [
            ["收款人代码", "支付状态", "支付日期", "银行流水号", "失败原因"],
            [USCC_A, "已支付", str(batch.approved_on), "ZS-1", ""],
            [USCC_B, "失败", "", "", "户名不符"],
        ]
    )
    done = upload(clerk, batch, data, "回单.xlsx")
    assert done.request.path == payments_page(batch)
    assert flashes(done, "success") == [
        "回单已登记（2 行）：已支付 1 笔，支付失败 1 笔，此前已登记 0 笔。"
    ]
    recorded = payees(db, batch)
    assert recorded == [
        (USCC_A, "paid", batch.approved_on, "ZS-1"),
        (USCC_B, "failed", None, "户名不符"),
    ]
    audits = audit_count(db)
    again = upload(clerk, batch, data, "回单.xlsx")
    assert flashes(again, "success") == ["回单的 2 行此前都已按相同结果登记，没有任何变化。"]
    assert payees(db, batch) == recorded and audit_count(db) == audits


def test_no_file_or_an_unreadable_one_is_a_message(app, batch, db):
    clerk = signed_in(app, "clerk1")
    clerk.get(payments_page(batch))
    none = clerk.client.post(
        f"/bureau/batches/{batch.batch_id}/payment-results",
        data={"csrf_token": clerk.token},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert flashes(none, "error") == ["请选择要导入的文件。"]
    unreadable = upload(clerk, batch, b"\x00\x01 not a spreadsheet", "x.csv")
    assert flashes(unreadable, "error")[0].startswith("回单文件无法读取")
    assert {p[1] for p in payees(db, batch)} == {"pending"}


def test_the_pages_words_for_a_refused_row_are_the_apis(app):
    """web/i18n.py repeats payment_results.REASONS as msgids (pybabel extracts only literals):
    the two must not drift apart."""
    from loanledger.services import payment_results
    from loanledger.web import i18n

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert {k: str(v) for k, v in i18n.RESULTS_REASONS.items()} == {
            k: sentence for k, (_code, sentence) in payment_results.REASONS.items()
        }
        assert {k: str(v) for k, v in i18n.RESULTS_COLUMNS.items()} == payment_results.CAPTIONS


# ------------------------------------------------------------------ the form in pages
def rows_shown(page: str) -> list[str]:
    return re.findall(r'class="payee-row[^"]*" data-payee-id="(\w+)"', page)


def pager_of(page: str) -> tuple[int, int, int]:
    found = re.search(r'id="pager" data-count="(\d+)" data-page="(\d+)" data-pages="(\d+)"', page)
    assert found, page
    return int(found[1]), int(found[2]), int(found[3])


def test_the_payees_are_paged_and_the_form_posts_the_page_shown(app, batch, db, monkeypatch):
    monkeypatch.setattr(payment_pages, "PAGE_SIZE", 1)
    clerk = signed_in(app, "clerk1")
    first, second = (
        text(clerk.get(payments_page(batch))),
        text(clerk.get(f"{payments_page(batch)}?page=2")),
    )
    assert pager_of(first) == (2, 1, 2) and pager_of(second) == (2, 2, 2)
    assert len(rows_shown(first)) == 1 and len(rows_shown(second)) == 1
    assert set(rows_shown(first) + rows_shown(second)) == {USCC_A, USCC_B}
    assert "共 2 个收款方待支付，分页显示" in first
    # by amount, largest first: the header's link
    biggest = max(batch.pays, key=lambda payee: batch.pays[payee].rjust(20))
    by_pays = text(clerk.get(f"{payments_page(batch)}?sort=pays&dir=desc"))
    assert rows_shown(by_pays) == [biggest]
    # the form of page 2 posts its own row; a refusal shows page 2 again, as typed
    action = re.search(r'action="([^"]+)" id="record-payments"', second)[1]
    assert "page=2" in action
    other = rows_shown(second)[0]
    typed = {"payee_id": other, "status": "paid", "paid_on": "2023-02-30", "reference": "R-77"}
    refused = clerk.post(html.unescape(action), {**typed, "reason": "", **CONFIRMED})
    page = text(refused)
    assert flashes(refused, "error") and pager_of(page) == (2, 2, 2)
    assert rows_shown(page) == [other] and 'value="R-77"' in page
    assert f'id="first-page" href="{payments_page(batch)}' in page
    today = batch.approved_on.isoformat()
    saved = clerk.post(
        html.unescape(action), {**typed, "paid_on": today, **CONFIRMED, "reason": ""}
    )
    assert flashes(saved, "success")
    statuses = {payee: status for payee, status, _on, _ref in payees(db, batch)}
    assert statuses[other] == "paid" and statuses[({USCC_A, USCC_B} - {other}).pop()] == "pending"
