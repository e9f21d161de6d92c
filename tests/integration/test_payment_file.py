"""The payment file of an approved batch (GET /batches/{id}/payment-file.xlsx and .csv) and
the bank's return file (POST /batches/{id}/payment-results), through the API: the rows are
the payees still to pay with the accounts copied at submission, 大写 and a 合计 row; the
return file records what POST /payments records, all or nothing, with every row's errors in
Chinese, and changes nothing when it is sent again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from loanledger.domain.capitals import yuan_in_capitals
from loanledger.persistence.tables import AuditEntry, Batch, BatchPayee, JournalEntry, Posting
from tests.support.api import API, ok, refused
from tests.support.payfile import (
    ACCOUNTS,
    NAMES,
    USCC_A,
    USCC_B,
    USCC_C,
    approve,
    csv_bytes,
    read_csv,
    read_xlsx,
    submitted_batch,
    upload_results,
    xlsx_bytes,
)

HEADER = [
    "序号",
    "收款人代码",
    "收款人名称",
    "收款账户名称",
    "收款账号",
    "开户银行",
    "金额（元）",
    "金额大写",
    "用途",
    "批次号",
    "业务参考号",
]
NEW_ACCOUNT = {"holder": NAMES[USCC_A], "number": "6222029999999999", "bank_name": "工商银行"}
RESULTS_HEADER = ["收款人代码", "支付状态", "支付日期", "银行流水号", "失败原因"]


@pytest.fixture
def batch(staff, bank):
    """Submitted, then A's account changed, then approved: the file must pay the old one."""
    submitted = submitted_batch(staff, bank)
    ok(staff.request("clerk", "PATCH", f"/enterprises/{USCC_A}", {"account": NEW_ACCOUNT}))
    return approve(staff, submitted)


def download(staff, batch_id: int, suffix: str, role: str = "clerk"):
    return staff.request(role, "GET", f"/batches/{batch_id}/payment-file.{suffix}")


def audit_actions(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
    )


def state(db, batch_id: int) -> dict:
    """What a payment changes: the payees, the batch, the ledger and the payment audit."""
    db.expire_all()
    payees = db.scalars(
        select(BatchPayee).where(BatchPayee.batch_id == batch_id).order_by(BatchPayee.payee_id)
    )
    entries = db.scalars(select(JournalEntry).order_by(JournalEntry.id))
    postings = db.execute(
        select(Posting.account, func.sum(Posting.amount_fen)).group_by(Posting.account)
    ).all()
    audit = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(("payment.paid", "payment.failed", "batch.payments")))
        .order_by(AuditEntry.id)
    )
    return {
        "payees": [
            (p.payee_id, p.payment_status, p.paid_on, p.reference, p.recorded_by) for p in payees
        ],
        "batch": db.get(Batch, batch_id).status,
        "entries": [(e.kind, e.posted_on, e.memo) for e in entries],
        "balances": sorted(postings),
        "audit": [(a.actor, a.action, a.entity_id, a.before, a.after) for a in audit],
    }


def audit_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry))


# ====================================================================== the payment file
def _expected_rows(batch, reference_of) -> list[list[str]]:
    rows = []
    for number, (uscc, account) in enumerate(
        sorted({USCC_A: ACCOUNTS[USCC_A], USCC_B: ACCOUNTS[USCC_B]}.items()), start=1
    ):
        pays = batch.pays[uscc]
        fen = int(Decimal(pays) * 100)
        name = "'" + NAMES[uscc] if NAMES[uscc].startswith("=") else NAMES[uscc]
        rows.append(
            [
                str(number),
                uscc,
                name,
                account["holder"],
                account["number"],
                account["bank_name"],
                pays,
                yuan_in_capitals(fen),
                "2023-02 数字贷贷款贴息资金",
                str(batch.batch_id),
                reference_of[uscc],
            ]
        )
    return rows


def test_the_csv_has_a_row_per_payee_to_pay_with_the_submitted_account_and_a_total(
    staff, batch, db
):
    response = download(staff, batch.batch_id, "csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="payment-file-{batch.batch_id}.csv"'
    )
    assert response.data.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    rows = read_csv(response.data)
    ids = {
        p.payee_id: p.id
        for p in db.scalars(select(BatchPayee).where(BatchPayee.batch_id == batch.batch_id))
    }
    reference_of = {uscc: f"202302-{batch.batch_id}-{ids[uscc]}" for uscc in ids}
    assert rows[0] == HEADER
    assert rows[1:-1] == _expected_rows(batch, reference_of)
    # the account as submitted, not the one changed afterwards
    assert NEW_ACCOUNT["number"] not in response.data.decode("utf-8-sig")
    # the 合计 row is the sum of the rows, in figures and in 大写
    total = rows[-1]
    assert total[0] == "合计" and total[2] == "共 2 笔"
    sum_fen = sum(int(Decimal(r[6]) * 100) for r in rows[1:-1])
    assert sum_fen == 3450_00 and total[6] == "3450.00"
    assert total[7] == yuan_in_capitals(sum_fen) == "叁仟肆佰伍拾元整"
    assert [r[7] for r in rows[1:-1]] == ["贰仟肆佰伍拾元整", "壹仟元整"]


def test_the_gb18030_csv_decodes_and_says_the_same(staff, batch):
    utf8 = read_csv(download(staff, batch.batch_id, "csv").data)
    response = download(staff, batch.batch_id, "csv?encoding=gb18030")
    assert response.headers["Content-Type"] == "text/csv; charset=gb18030"
    assert not response.data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        response.data.decode("utf-8")  # really GB18030, not UTF-8 under another name
    assert read_csv(response.data, "gb18030") == utf8
    refused(download(staff, batch.batch_id, "csv?encoding=latin-1"), 422, "invalid_format")


def test_the_xlsx_holds_numbers_for_amounts_and_text_for_accounts(staff, batch):
    response = download(staff, batch.batch_id, "xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    rows = read_xlsx(response.data)
    csv_rows = read_csv(download(staff, batch.batch_id, "csv").data)
    assert rows[0] == HEADER
    assert len(rows) == len(csv_rows) == 4
    for row, csv_row in zip(rows[1:], csv_rows[1:], strict=True):
        assert Decimal(str(row[6])) == Decimal(csv_row[6])  # an amount cell, summable
        assert row[4] == (csv_row[4] or None)  # the account number keeps every digit, as text
        assert row[2] == csv_row[2] and row[7] == csv_row[7]
    assert rows[2][2] == "'=中山市美灯照明科技有限公司"  # not a formula
    assert sum(Decimal(str(r[6])) for r in rows[1:-1]) == Decimal(str(rows[-1][6])) == 3450


def test_each_download_is_audited(staff, batch, db):
    for suffix in ("xlsx", "csv", "csv?encoding=gb18030"):
        assert download(staff, batch.batch_id, suffix).status_code == 200
    assert download(staff, batch.batch_id, "csv", role="approver").status_code == 200
    entries = audit_actions(db, "batch.payment_file_downloaded")
    assert [(a.entity, a.entity_id, a.after["format"]) for a in entries] == [
        ("batch", str(batch.batch_id), "xlsx"),
        ("batch", str(batch.batch_id), "csv-utf-8"),
        ("batch", str(batch.batch_id), "csv-gb18030"),
        ("batch", str(batch.batch_id), "csv-utf-8"),
    ]
    assert entries[0].after == {"format": "xlsx", "payees": 2, "total": "3450.00"}
    assert entries[0].actor != entries[3].actor  # the clerk, then the approver


def test_a_paid_payee_leaves_the_file_and_a_settled_batch_has_none(staff, batch, db):
    paid = {"payee_id": USCC_A, "status": "paid", "paid_on": str(batch.approved_on)}
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/batches/{batch.batch_id}/payments",
            {"payments": [{**paid, "reference": "R-A"}]},
        )
    )
    rows = read_csv(download(staff, batch.batch_id, "csv").data)
    assert [r[1] for r in rows[1:-1]] == [USCC_B] and rows[1][0] == "1"
    assert rows[-1][6] == batch.pays[USCC_B]
    failed = {"payee_id": USCC_B, "status": "failed", "paid_on": None, "reference": "退票"}
    view = ok(
        staff.request(
            "clerk", "POST", f"/batches/{batch.batch_id}/payments", {"payments": [failed]}
        )
    )
    assert view["status"] == "partially_paid"
    before = audit_count(db)
    refused(download(staff, batch.batch_id, "xlsx"), 409, "invalid_state", "status")
    assert audit_count(db) == before


def test_a_batch_not_approved_has_no_payment_file(staff, bank, db):
    submitted = submitted_batch(staff, bank)
    before = audit_count(db)
    for suffix in ("xlsx", "csv"):
        answer = download(staff, submitted.batch_id, suffix)
        refused(answer, 409, "invalid_state", "status")
        assert "approved" in answer.get_json()["detail"]
    refused(download(staff, 999999, "csv"), 404, "not_found")
    assert audit_count(db) == before


def test_only_clerks_and_approvers_download_it(staff, batch, bank):
    assert download(staff, batch.batch_id, "csv", role="admin").status_code == 200
    refused(download(staff, batch.batch_id, "csv", role="auditor"), 403, "forbidden")
    enterprise = staff.client.get(
        f"{API}/batches/{batch.batch_id}/payment-file.csv",
        headers={"Authorization": f"Bearer {staff.token('enterprise', uscc=USCC_A)}"},
    )
    refused(enterprise, 403, "forbidden")
    signed = bank("BK2", "另一家银行").get(f"{API}/batches/{batch.batch_id}/payment-file.csv")
    assert signed.status_code in (401, 403), signed.get_data(as_text=True)
    assert signed.mimetype == "application/problem+json"


# ====================================================================== the return file
def _results_rows(batch) -> list[list[str]]:
    day = str(batch.approved_on)
    return [
        RESULTS_HEADER,
        [USCC_A, "成功", day, "ZS-PAY-0001", ""],
        [USCC_B, "支付失败", "", "", "账户冻结"],
    ]


PAYMENTS_JSON = [
    {"payee_id": USCC_A, "status": "paid", "reference": "ZS-PAY-0001"},
    {"payee_id": USCC_B, "status": "failed", "paid_on": None, "reference": "账户冻结"},
]


@pytest.mark.parametrize("via", ["payments", "csv", "xlsx", "gb18030"])
def test_a_return_file_does_what_post_payments_does(staff, batch, db, via):
    """Each way gives the same state: payees, batch, journal, balances and payment audit."""
    clerk = "clerk"
    if via == "payments":
        body = [{"paid_on": str(batch.approved_on), **p} for p in PAYMENTS_JSON]
        ok(staff.request(clerk, "POST", f"/batches/{batch.batch_id}/payments", {"payments": body}))
    else:
        rows = _results_rows(batch)
        data = {
            "csv": lambda: csv_bytes(rows, "utf-8-sig"),
            "xlsx": lambda: xlsx_bytes(rows),
            "gb18030": lambda: csv_bytes(rows, "gb18030"),
        }[via]()
        answer = ok(upload_results(staff, batch.batch_id, data, f"回单.{via[:4]}"), 200)
        assert (answer["rows"], answer["paid"], answer["failed"], answer["unchanged"]) == (
            2,
            1,
            1,
            0,
        )
        assert answer["batch_status"] == "partially_paid" and answer["ignored_columns"] == []
        assert answer["format"] == ("xlsx" if via == "xlsx" else "csv")
        entry = audit_actions(db, "batch.payment_results")[0]
        assert entry.after["paid"] == 1 and entry.after["sha256"] == answer["sha256"]
    got = state(db, batch.batch_id)
    clerk_name = got["payees"][0][4]
    day = batch.approved_on
    assert got["payees"] == [
        (USCC_A, "paid", day, "ZS-PAY-0001", clerk_name),
        (USCC_B, "failed", None, "账户冻结", clerk_name),
    ]
    assert got["batch"] == "partially_paid"
    assert got["entries"][-1] == (
        "payment",
        day,
        f"2023-02 subsidy batch {batch.batch_id}: paid ZS-PAY-0001",
    )
    assert dict(got["balances"])[f"2001:{USCC_A}"] == 0
    assert dict(got["balances"])[f"2001:{USCC_B}"] == -100000
    actor = got["audit"][0][0]
    assert [(a[0], a[1], a[2], a[3], _without_entry_id(a[4])) for a in got["audit"]] == [
        (
            actor,
            "payment.paid",
            f"{batch.batch_id}:{USCC_A}",
            {"payment_status": "pending"},
            {
                "payment_status": "paid",
                "pays": "2450.00",
                "paid_on": str(day),
                "reference": "ZS-PAY-0001",
            },
        ),
        (
            actor,
            "payment.failed",
            f"{batch.batch_id}:{USCC_B}",
            {"payment_status": "pending"},
            {
                "payment_status": "failed",
                "pays": "1000.00",
                "paid_on": None,
                "reference": "账户冻结",
            },
        ),
        (
            actor,
            "batch.payments",
            str(batch.batch_id),
            {"status": "approved"},
            {"status": "partially_paid"},
        ),
    ]


def _without_entry_id(after: dict) -> dict:
    return {k: v for k, v in after.items() if k != "entry_id"}


def test_one_bad_row_refuses_the_file_and_records_nothing(staff, batch, db):
    before, audits = state(db, batch.batch_id), audit_count(db)
    rows = _results_rows(batch)
    rows[2][1] = "作废"  # B's status is no status
    answer = upload_results(staff, batch.batch_id, csv_bytes(rows))
    refused(answer, 422, "invalid_format", "rows[3].status")
    body = answer.get_json()
    assert body["rows_refused"] == 1
    assert "nothing" in body["detail"] or "no payment was recorded" in body["detail"]
    assert body["errors"] == [
        {
            "field": "rows[3].status",
            "code": "invalid_format",
            "message": "第 3 行 支付状态：无法识别的支付状态“作废”：应为 paid/failed、成功/失败 或 已支付/支付失败。",
        }
    ]
    assert state(db, batch.batch_id) == before and audit_count(db) == audits


def test_the_same_file_sent_again_changes_nothing_and_says_so(staff, batch, db):
    data = xlsx_bytes(_results_rows(batch))
    ok(upload_results(staff, batch.batch_id, data, "回单.xlsx"), 200)
    after, audits = state(db, batch.batch_id), audit_count(db)
    again = ok(upload_results(staff, batch.batch_id, data, "回单.xlsx"), 200)
    assert (again["paid"], again["failed"], again["unchanged"]) == (0, 0, 2)
    assert state(db, batch.batch_id) == after and audit_count(db) == audits
    # a file with one result changed is refused, and still changes nothing
    rows = _results_rows(batch)
    rows[1][3] = "ZS-PAY-9999"
    answer = upload_results(staff, batch.batch_id, csv_bytes(rows))
    refused(answer, 422, "invalid_state", "rows[2].status")
    assert "已登记（已支付 " in answer.get_json()["errors"][0]["message"]
    assert state(db, batch.batch_id) == after and audit_count(db) == audits


def test_the_payment_file_with_its_results_filled_in_is_a_return_file(staff, batch, db):
    rows = read_xlsx(download(staff, batch.batch_id, "xlsx").data)
    rows[0] += ["支付状态", "支付日期", "银行流水号"]
    for row in rows[1:-1]:
        row += ["已支付", batch.approved_on.isoformat(), f"R-{row[0]}"]
    # the 合计 row goes back too, and is not read as a payee
    answer = ok(upload_results(staff, batch.batch_id, xlsx_bytes(rows), "付款文件.xlsx"), 200)
    assert (answer["rows"], answer["paid"], answer["batch_status"]) == (2, 2, "paid")
    assert answer["ignored_columns"] == [
        "序号",
        "收款人名称",
        "收款账户名称",
        "收款账号",
        "开户银行",
        "金额大写",
        "用途",
        "批次号",
        "业务参考号",
    ]
    assert [p[1:4] for p in state(db, batch.batch_id)["payees"]] == [
        ("paid", batch.approved_on, "R-1"),
        ("paid", batch.approved_on, "R-2"),
    ]


def _errors(answer) -> list[tuple[str, str, str]]:
    return [(e["field"], e["code"], e["message"]) for e in answer.get_json()["errors"]]


def test_every_kind_of_row_error_is_named_in_chinese(staff, batch, db):
    # A is paid first: a different result for it is refused by the file
    day = str(batch.approved_on)
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/batches/{batch.batch_id}/payments",
            {
                "payments": [
                    {"payee_id": USCC_A, "status": "paid", "paid_on": day, "reference": "R-A"}
                ]
            },
        )
    )
    staff.set_business_date(batch.approved_on + dt.timedelta(days=5))
    future = str(batch.approved_on + dt.timedelta(days=6))
    before_approval = str(batch.approved_on - dt.timedelta(days=1))
    header = [*RESULTS_HEADER, "金额（元）"]
    cases = [
        # (rows below the header, the errors: field, code, message)
        (
            [["", "成功", day, "R", "", ""]],
            [("rows[2].payee", "required", "第 2 行 收款人代码：必填项为空。")],
        ),
        (
            [[USCC_B, "", "", "", "", ""]],
            [("rows[2].status", "required", "第 2 行 支付状态：必填项为空。")],
        ),
        (
            [[USCC_B, "ok", "", "", "", ""]],
            [
                (
                    "rows[2].status",
                    "invalid_format",
                    "第 2 行 支付状态：无法识别的支付状态“ok”：应为 paid/failed、成功/失败 或 已支付/支付失败。",
                )
            ],
        ),
        (
            [[USCC_B, "成功", "2023-02-30", "R", "", ""]],
            [
                (
                    "rows[2].paid_on",
                    "invalid_format",
                    "第 2 行 支付日期：不是有效的日期，应为 YYYY-MM-DD（或 2024/1/1、2024年1月1日）。",
                )
            ],
        ),
        (
            [[USCC_B, "成功", day, "R", "", "一千元"]],
            [
                (
                    "rows[2].amount",
                    "invalid_format",
                    "第 2 行 金额：不是有效的金额（单位元，最多两位小数）。",
                )
            ],
        ),
        (
            [[USCC_B, "failed", "", "R" * 200, "x" * 60, ""]],
            [
                (
                    "rows[2].reference",
                    "invalid_format",
                    "第 2 行 银行流水号：银行流水号和失败原因合计超过255个字符。",
                )
            ],
        ),
        (
            [[USCC_B, "paid", "", "", "", ""]],
            [
                ("rows[2].paid_on", "required", "第 2 行 支付日期：已支付的须填写支付日期。"),
                ("rows[2].reference", "required", "第 2 行 银行流水号：已支付的须填写银行流水号。"),
            ],
        ),
        (
            [[USCC_B, "成功", future, "R", "", ""]],
            [
                (
                    "rows[2].paid_on",
                    "future_date",
                    f"第 2 行 支付日期：支付日期 {future} 晚于当前业务日期 {batch.approved_on + dt.timedelta(days=5)}。",
                )
            ],
        ),
        (
            [[USCC_B, "成功", before_approval, "R", "", ""]],
            [
                (
                    "rows[2].paid_on",
                    "invalid_format",
                    f"第 2 行 支付日期：支付日期 {before_approval} 早于批次的审批日期 {day}。",
                )
            ],
        ),
        (
            [["91442000XXXXXXXXXX", "失败", "", "", "", ""]],
            [
                (
                    "rows[2].payee",
                    "unknown_target",
                    "第 2 行 收款人代码：收款人 91442000XXXXXXXXXX 不存在（不是已登记的企业或银行）。",
                )
            ],
        ),
        (
            [[USCC_C, "失败", "", "", "", ""]],
            [
                (
                    "rows[2].payee",
                    "unknown_target",
                    f"第 2 行 收款人代码：收款人 {USCC_C} 不在本批次中。",
                )
            ],
        ),
        (
            [[USCC_B, "失败", "", "", "", ""], [USCC_B, "失败", "", "", "", ""]],
            [("rows[3].payee", "invalid_format", "第 3 行 收款人代码：与第 2 行是同一收款人。")],
        ),
        (
            [[USCC_B, "失败", "", "", "", "999.99"]],
            [
                (
                    "rows[2].amount",
                    "invalid_format",
                    "第 2 行 金额：金额 999.99 与本批次应付该收款人的 1000.00 不符。",
                )
            ],
        ),
        (
            [[USCC_A, "失败", "", "", "", ""]],
            [
                (
                    "rows[2].status",
                    "invalid_state",
                    f"第 2 行 支付状态：该收款人的支付结果已登记（已支付 {day} R-A），与文件不同，不能更改。",
                )
            ],
        ),
    ]
    before, audits = state(db, batch.batch_id), audit_count(db)
    for rows, expected in cases:
        answer = upload_results(staff, batch.batch_id, csv_bytes([header, *rows]))
        assert answer.status_code == 422, answer.get_data(as_text=True)
        assert _errors(answer) == expected
    # and all of them at once: every row's errors in one answer, in row order
    answer = upload_results(
        staff, batch.batch_id, csv_bytes([header, *(row for rows, _ in cases for row in rows)])
    )
    assert answer.status_code == 422
    assert answer.get_json()["rows_refused"] == 15
    fields = [f for f, _, _ in _errors(answer)]
    assert fields == sorted(fields, key=lambda f: int(f[5 : f.index("]")]))
    assert state(db, batch.batch_id) == before and audit_count(db) == audits


def test_a_payee_with_nothing_to_pay_and_an_unreadable_cell(staff, batch, db):
    # A batch payee with nothing to pay (a clawback's payee is carried out at 0; set directly)
    db.execute(
        BatchPayee.__table__.update()
        .where(BatchPayee.batch_id == batch.batch_id, BatchPayee.payee_id == USCC_B)
        .values(payment_status="none")
    )
    db.commit()
    answer = upload_results(
        staff, batch.batch_id, csv_bytes([RESULTS_HEADER, [USCC_B, "失败", "", "", ""]])
    )
    assert _errors(answer) == [
        (
            "rows[2].payee",
            "invalid_state",
            f"第 2 行 收款人代码：收款人 {USCC_B} 在本批次中无需支付。",
        )
    ]
    # a TRUE/FALSE cell is no payee code
    answer = upload_results(staff, batch.batch_id, xlsx_bytes([RESULTS_HEADER, [True, "失败"]]))
    assert _errors(answer) == [
        (
            "rows[2].payee",
            "invalid_format",
            "第 2 行 收款人代码：单元格无法读取：收款人代码和流水号须为文本格式，日期须为日期或文本 YYYY-MM-DD，金额须为数字。",
        )
    ]


def test_a_return_file_is_refused_as_a_whole(staff, bank, db):
    submitted = submitted_batch(staff, bank)
    rows = [RESULTS_HEADER, [USCC_A, "失败", "", "", ""]]
    refused(upload_results(staff, submitted.batch_id, csv_bytes(rows)), 409, "invalid_state")
    refused(upload_results(staff, 999999, csv_bytes(rows)), 404, "not_found")
    approved = approve(staff, submitted)
    bid = approved.batch_id
    refused(upload_results(staff, bid, csv_bytes(rows), role="approver"), 403, "forbidden")
    refused(upload_results(staff, bid, csv_bytes(rows), role="auditor"), 403, "forbidden")
    refused(upload_results(staff, bid, b""), 422, "invalid_format")
    no_status = csv_bytes([["收款人代码", "支付日期"], [USCC_A, ""]])
    refused(upload_results(staff, bid, no_status), 422, "required", "status")
    no_header = csv_bytes([["a", "b"], ["c", "d"]])
    refused(upload_results(staff, bid, no_header), 422, "invalid_format", "file")
    only_header = csv_bytes([RESULTS_HEADER])
    refused(upload_results(staff, bid, only_header), 422, "invalid_format")
    missing = staff.client.post(
        f"{API}/batches/{bid}/payment-results",
        data={"other": "x"},
        headers=staff.headers("clerk"),
        content_type="multipart/form-data",
    )
    refused(missing, 422, "required", "file")
    assert audit_actions(db, "batch.payment_results") == []
    assert {p[1] for p in state(db, bid)["payees"]} == {"pending"}
