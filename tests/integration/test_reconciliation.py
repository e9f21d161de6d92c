"""GET /periods/{period}/reconciliation (+ .csv, .xlsx): api.md; domain.md §7, §10.

A clean close reconciles; then each kind of tampering makes its named check fail with a
discrepancy that names the entity (raw SQL, as a bug or a hand edit would leave things).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from loanledger.domain.reconciliation import CHECK_NAMES
from loanledger.persistence.tables import Batch, BatchPayee, JournalEntry, Line, Posting
from loanledger.services import read
from loanledger.services.reconciliation import CSV_COLUMNS, DISCREPANCY_KEYS
from tests.support.api import ok
from tests.support.environment import ENGINE
from tests.support.ledger import close
from tests.support.world import USCCS, claim_world

PERIOD = "2023-03"
URL = f"/periods/{PERIOD}/reconciliation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def closed(staff, bank):
    """2023-03 closed: subsidy batch (USCCS[0] 3850.00 for BK1/I1, USCCS[1] 2480.00 for BK2/I2)
    and compensation batch (BK2 400000.00); pool cash 5000000.00."""
    banks = claim_world(staff, bank)
    ok(close(staff, PERIOD), 200)
    return banks


def reconciliation(staff, path: str = URL, role: str = "auditor") -> dict:
    return ok(staff.request(role, "GET", path), 200)


def by_name(doc: dict) -> dict[str, dict]:
    return {check["name"]: check for check in doc["checks"]}


def failing(doc: dict) -> set[str]:
    return {check["name"] for check in doc["checks"] if not check["ok"]}


def found(doc: dict, check: str) -> list[dict]:
    return [d for d in doc["discrepancies"] if d["check"] == check]


def batch_id(db, kind: str) -> int:
    db.rollback()
    return db.scalar(select(Batch.id).where(Batch.period == PERIOD, Batch.kind == kind))


def post_raw(
    db,
    kind: str,
    postings: list[tuple[str, int]],
    batch: int | None = None,
    *,
    unbalanced: bool = False,
) -> int:
    """A journal entry written by hand, past every check in code (and, `unbalanced`, past
    PostgreSQL's balance trigger: triggers off for the transaction, superuser only)."""
    if unbalanced and ENGINE == "postgresql":
        try:
            db.execute(text("SET LOCAL session_replication_role = replica"))
        except DBAPIError as error:
            db.rollback()
            pytest.skip(f"cannot turn the balance trigger off: {error}")
    entry = JournalEntry(
        kind=kind, memo="tampered", posted_on=dt.date(2023, 3, 31), period=PERIOD, batch_id=batch
    )
    db.add(entry)
    db.flush()
    db.execute(
        insert(Posting),
        [
            {
                "entry_id": entry.id,
                "account": account,
                "base_account": account.split(":")[0],
                "amount_fen": amount,
            }
            for account, amount in postings
        ],
    )
    db.commit()
    return entry.id


# ------------------------------------------------------------------ clean
def test_a_clean_closed_period_reconciles(closed, staff, db):
    doc = reconciliation(staff)
    assert doc["period"] == PERIOD and doc["ok"] is True and doc["discrepancies"] == []
    assert [c["name"] for c in doc["checks"]] == list(CHECK_NAMES)
    assert all(c["ok"] for c in doc["checks"])
    checks = by_name(doc)
    assert checks["trial_balance_zero"]["detail"] == {
        "total": "0.00",
        "entries": 3,
        "unbalanced_entries": 0,
    }
    assert checks["batch_totals"]["detail"] == {
        "period_status": "closed",
        "batches": 2,
        "total": "406330.00",
    }
    assert checks["payables"]["detail"] == {
        "accounts": 3,
        "credit_balance": "406330.00",
        "outstanding": "406330.00",
    }
    assert checks["pool_covers_owed"]["detail"] == {
        "cash": "5000000.00",
        "owed": "400000.00",
        "available": "4600000.00",
        "pools": {"SZD": {"cash": "5000000.00", "owed": "400000.00", "available": "4600000.00"}},
    }
    assert checks["control_totals"]["detail"] == {
        "banks_declared": 0,
        "banks_matching": 0,
        "banks_without_control_total": ["BK1", "BK2"],
    }
    assert checks["subsidy_within_interest"]["detail"] == {"records": 2, "records_over": 0}
    # the service the web pages call answers the same document
    db.rollback()
    assert read.reconciliation(db, PERIOD) == doc


def test_every_staff_role_may_read(closed, staff):
    for role in ("admin", "clerk", "approver", "auditor"):
        assert reconciliation(staff, role=role)["ok"] is True


def test_an_open_period_is_answered_with_no_batches(closed, staff):
    doc = reconciliation(staff, "/periods/2023-04/reconciliation")
    assert doc["ok"] is True and doc["period"] == "2023-04"
    assert by_name(doc)["batch_totals"]["detail"] == {
        "period_status": "open",
        "batches": 0,
        "total": "0.00",
    }
    # the ledger-wide checks are the same whatever the period
    assert by_name(doc)["payables"] == by_name(reconciliation(staff))["payables"]


def test_matching_control_totals_pass_and_a_disagreeing_one_names_the_bank(closed, staff):
    assert (
        closed["BK1"]
        .post(
            "/api/v1/control-totals",
            json={"period": PERIOD, "interest_records": 1, "interest_total": "3900.00"},
        )
        .status_code
        == 201
    )
    doc = reconciliation(staff)
    assert doc["ok"] is True
    assert by_name(doc)["control_totals"]["detail"] == {
        "banks_declared": 1,
        "banks_matching": 1,
        "banks_without_control_total": ["BK2"],
    }
    assert (
        closed["BK2"]
        .post(
            "/api/v1/control-totals",
            json={"period": PERIOD, "interest_records": 2, "interest_total": "2480.01"},
        )
        .status_code
        == 201
    )
    doc = reconciliation(staff)
    assert doc["ok"] is False and failing(doc) == {"control_totals"}
    assert [
        (
            d["entity"],
            d["bank_code"],
            d["measure"],
            d["unit"],
            d["expected"],
            d["actual"],
            d["difference"],
        )
        for d in found(doc, "control_totals")
    ] == [
        ("bank", "BK2", "interest_records", "count", "2", "1", "-1"),
        ("bank", "BK2", "interest_total", "yuan", "2480.01", "2480.00", "-0.01"),
    ]


# ------------------------------------------------------------------ tampered
def test_a_changed_batch_payee_fails_the_batch_and_its_payable(closed, staff, db):
    subsidy = batch_id(db, "subsidy")
    db.execute(
        update(BatchPayee)
        .where(BatchPayee.batch_id == subsidy, BatchPayee.payee_id == USCCS[0])
        .values(pays_fen=3851_00, total_fen=3851_00)
    )
    db.commit()
    doc = reconciliation(staff)
    assert doc["ok"] is False and failing(doc) == {"batch_totals", "payables"}
    batch_level = [d for d in found(doc, "batch_totals") if d["entity"] == "batch"]
    assert [(d["batch_id"], d["expected"], d["actual"]) for d in batch_level] == [
        (subsidy, "6330.00", "6331.00")
    ]
    (payee,) = [d for d in found(doc, "batch_totals") if d["entity"] == "batch_payee"]
    assert (
        payee["batch_id"],
        payee["payee_id"],
        payee["account"],
        payee["expected"],
        payee["actual"],
        payee["difference"],
    ) == (subsidy, USCCS[0], f"2001:{USCCS[0]}", "3850.00", "3851.00", "1.00")
    (payable,) = found(doc, "payables")
    assert (
        payable["entity"],
        payable["account"],
        payable["payee_id"],
        payable["expected"],
        payable["actual"],
    ) == ("account", f"2001:{USCCS[0]}", USCCS[0], "3851.00", "3850.00")
    assert set(payable) == set(DISCREPANCY_KEYS) and payable["event_id"] is None


def test_a_line_above_its_interest_is_named_by_event(closed, staff, db):
    db.execute(update(Line).where(Line.event_id == "I1").values(amount_fen=3900_01))
    db.commit()
    doc = reconciliation(staff)
    (over,) = found(doc, "subsidy_within_interest")
    assert (
        over["entity"],
        over["bank_code"],
        over["event_id"],
        over["expected"],
        over["actual"],
    ) == ("interest_record", "BK1", "I1", "3900.00", "3900.01")
    # the batch's figures no longer agree with its lines either
    assert failing(doc) == {"subsidy_within_interest", "batch_totals"}


def test_a_held_line_no_longer_counts(closed, staff, db):
    """A line held without its reversing entry: the lines say less than pays and the ledger."""
    db.execute(update(Line).where(Line.event_id == "I2").values(status="held"))
    db.commit()
    doc = reconciliation(staff)
    assert failing(doc) == {"batch_totals"}
    assert {(d["entity"], d["payee_id"]) for d in found(doc, "batch_totals")} >= {
        ("batch_payee", USCCS[1])
    }


def test_an_entry_outside_any_batch_moving_a_payable_fails_payables(closed, staff, db):
    post_raw(db, "manual", [("5001", 1_00), (f"2001:{USCCS[1]}", -1_00)])
    doc = reconciliation(staff)
    assert failing(doc) == {"payables"}
    (d,) = found(doc, "payables")
    assert (d["account"], d["expected"], d["actual"], d["difference"]) == (
        f"2001:{USCCS[1]}",
        "2480.00",
        "2481.00",
        "1.00",
    )


def test_a_hand_made_entry_in_a_batch_fails_its_ledger_movement(closed, staff, db):
    compensation = batch_id(db, "compensation")
    post_raw(
        db,
        "close:compensation",
        [("5002:SZD", 10_00), ("2002:SZD:BK2", -10_00)],
        batch=compensation,
    )
    doc = reconciliation(staff)
    assert failing(doc) == {"batch_totals", "payables"}
    assert {(d["entity"], d["batch_id"], d["actual"]) for d in found(doc, "batch_totals")} == {
        ("batch", compensation, "400010.00"),
        ("batch_payee", compensation, "400010.00"),
    }


def test_payments_are_not_the_batchs_movement(closed, staff, db):
    """A payment (an entry of kind payment:*) clears the payable; marked paid, all agree."""
    compensation = batch_id(db, "compensation")
    post_raw(
        db,
        "payment:compensation",
        [("2002:SZD:BK2", 400000_00), ("1101:SZD", -400000_00)],
        batch=compensation,
    )
    db.execute(
        update(BatchPayee)
        .where(BatchPayee.batch_id == compensation)
        .values(payment_status="paid", paid_on=dt.date(2023, 4, 20), reference="P1")
    )
    db.commit()
    assert reconciliation(staff)["ok"] is True


def test_a_failed_payment_is_owed_until_carried(closed, staff, db):
    compensation = batch_id(db, "compensation")
    db.execute(
        update(BatchPayee)
        .where(BatchPayee.batch_id == compensation)
        .values(payment_status="failed")
    )
    db.commit()
    assert reconciliation(staff)["ok"] is True
    # once carried to a later batch, that batch's payee row owes it, not this one
    db.execute(
        update(BatchPayee)
        .where(BatchPayee.batch_id == compensation)
        .values(carried_to_batch_id=compensation)
    )
    db.commit()
    (d,) = found(reconciliation(staff), "payables")
    assert (d["account"], d["expected"], d["actual"]) == ("2002:SZD:BK2", "0.00", "400000.00")


def test_a_pool_that_cannot_cover_what_it_owes(closed, staff, db):
    post_raw(db, "manual", [("3002:SZD", 4700000_00), ("1101:SZD", -4700000_00)])
    doc = reconciliation(staff)
    assert failing(doc) == {"pool_covers_owed"}
    (d,) = found(doc, "pool_covers_owed")
    assert (d["entity"], d["account"], d["expected"], d["actual"], d["difference"]) == (
        "risk_pool",
        "1101:SZD",
        "400000.00",
        "300000.00",
        "-100000.00",
    )


def test_an_unbalanced_entry_fails_the_trial_balance(closed, staff, db):
    entry = post_raw(db, "manual", [("5001", 7_00), ("1001", -6_00)], unbalanced=True)
    doc = reconciliation(staff)
    assert "trial_balance_zero" in failing(doc)
    ledger_wide, one = found(doc, "trial_balance_zero")
    assert (ledger_wide["entity"], ledger_wide["expected"], ledger_wide["actual"]) == (
        "ledger",
        "0.00",
        "1.00",
    )
    assert (one["entity"], one["entry_id"], one["actual"]) == ("journal_entry", entry, "1.00")
    assert by_name(doc)["trial_balance_zero"]["detail"]["unbalanced_entries"] == 1


# ------------------------------------------------------------------ CSV and XLSX
def _tampered(closed, db):
    db.execute(update(Line).where(Line.event_id == "I1").values(amount_fen=3900_01))
    db.commit()


def test_the_csv_says_the_same(closed, staff, db):
    _tampered(closed, db)
    doc = reconciliation(staff)
    response = staff.request("auditor", "GET", URL + ".csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f'filename="reconciliation-{PERIOD}.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [(r["row"], r["name"], r["ok"]) for r in rows if r["row"] != "discrepancy"] == [
        ("summary", "reconciliation", "false")
    ] + [("check", c["name"], str(c["ok"]).lower()) for c in doc["checks"]]
    for row in rows:
        if row["row"] == "check":
            assert json.loads(row["detail"]) == by_name(doc)[row["name"]]["detail"]
    discrepancies = [r for r in rows if r["row"] == "discrepancy"]
    assert [
        (
            r["name"],
            r["entity"],
            r["batch_id"],
            r["payee_id"],
            r["event_id"],
            r["expected"],
            r["actual"],
        )
        for r in discrepancies
    ] == [
        (
            d["check"],
            d["entity"],
            "" if d["batch_id"] is None else str(d["batch_id"]),
            d["payee_id"] or "",
            d["event_id"] or "",
            d["expected"],
            d["actual"],
        )
        for d in doc["discrepancies"]
    ]
    assert any(
        r["difference"].startswith("-") for r in discrepancies
    )  # a plain negative number stays as it is


def test_the_xlsx_says_the_same(closed, staff, db):
    _tampered(closed, db)
    doc = reconciliation(staff)
    response = staff.request("auditor", "GET", URL + ".xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    book = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    try:
        assert book.sheetnames == ["概要 summary", "核对项 checks", "差异 discrepancies"]
        summary = {row[1]: row[2] for row in book["概要 summary"].iter_rows(values_only=True)}
        assert summary == {
            "period": PERIOD,
            "ok": "false",
            "checks": 6,
            "discrepancies": len(doc["discrepancies"]),
        }
        checks = list(book["核对项 checks"].iter_rows(values_only=True))
        assert checks[0] == ("核对项", "是否通过", "明细") and checks[1] == ("name", "ok", "detail")
        assert [(name, ok_, json.loads(detail)) for name, ok_, detail in checks[2:]] == [
            (c["name"], str(c["ok"]).lower(), c["detail"]) for c in doc["checks"]
        ]
        sheet = list(book["差异 discrepancies"].iter_rows(values_only=True))
        assert sheet[1] == DISCREPANCY_KEYS and "应为" in sheet[0]
        assert [dict(zip(DISCREPANCY_KEYS, row, strict=True)) for row in sheet[2:]] == doc[
            "discrepancies"
        ]
    finally:
        book.close()


def test_spreadsheet_cells_cannot_run_formulas(closed, staff, db):
    """Bank codes and event ids are the banks' own text: a formula in one is defused."""
    db.execute(update(Line).where(Line.event_id == "I1").values(amount_fen=3900_01))
    db.commit()
    from loanledger.services import reconciliation as service

    doc = reconciliation(staff)
    doc["discrepancies"][0] = {
        **doc["discrepancies"][0],
        "event_id": '=HYPERLINK("x")',
        "bank_code": "@SUM(A1)",
    }
    rows = list(csv.DictReader(io.StringIO(service.reconciliation_csv(doc).decode("utf-8-sig"))))
    row = next(r for r in rows if r["row"] == "discrepancy")
    assert row["event_id"] == '\'=HYPERLINK("x")' and row["bank_code"] == "'@SUM(A1)"
    book = load_workbook(io.BytesIO(service.reconciliation_xlsx(doc)))
    cells = [c for row in book["差异 discrepancies"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert '\'=HYPERLINK("x")' in [c.value for c in cells]


# ------------------------------------------------------------------ who may ask, and for what
@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
def test_only_staff_may_read(closed, staff, suffix):
    staff.token("enterprise", uscc=USCCS[0])
    assert staff.request("enterprise", "GET", URL + suffix).status_code == 403
    assert closed["BK1"].get(f"/api/v1{URL}{suffix}").status_code in (401, 403)
    assert staff.client.get(f"/api/v1{URL}{suffix}").status_code == 401


@pytest.mark.parametrize("period", ["2023-13", "2023-3", "0000-01", "abc"])
def test_a_period_that_is_no_month_is_404(staff, period):
    for suffix in ("", ".csv", ".xlsx"):
        response = staff.request("auditor", "GET", f"/periods/{period}/reconciliation{suffix}")
        assert response.status_code == 404, (period, suffix)
        assert response.mimetype == "application/problem+json"


# ------------------------------------------------------------------ the payout month, for real
def test_holds_payments_and_a_failed_payment_reconcile(closed, staff, db):
    """Through the API: an upheld objection holds a line back, one payment succeeds, one fails;
    every step leaves the period reconciled, and the payables follow what is still owed."""
    subsidy, compensation = batch_id(db, "subsidy"), batch_id(db, "compensation")
    staff.token("enterprise", uscc=USCCS[1])
    (line,) = [
        x
        for x in ok(staff.request("auditor", "GET", f"/batches/{subsidy}/lines"))["items"]
        if x["payee_id"] == USCCS[1]
    ]
    objection = ok(
        staff.request(
            "enterprise", "POST", "/objections", {"line_id": line["line_id"], "reason": "金额有误"}
        )
    )
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/objections/{objection['objection_id']}/resolve",
            {"resolution": "upheld", "note": "暂缓"},
        )
    )
    doc = reconciliation(staff)
    assert doc["ok"] is True, doc["discrepancies"]
    assert by_name(doc)["batch_totals"]["detail"]["total"] == "403850.00"  # 2480.00 held back

    ok(staff.request("clerk", "POST", f"/batches/{compensation}/submit"))
    ok(staff.request("approver", "POST", f"/batches/{compensation}/approve"))
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/batches/{compensation}/payments",
            {
                "payments": [
                    {
                        "payee_id": "BK2",
                        "status": "failed",
                        "paid_on": "2023-04-03",
                        "reference": "退票",
                    }
                ]
            },
        )
    )
    doc = reconciliation(staff)
    assert doc["ok"] is True, doc["discrepancies"]
    assert by_name(doc)["payables"]["detail"]["outstanding"] == "403850.00"

    ok(
        staff.request(
            "clerk", "POST", "/budgets", {"year": 2023, "amount": "100000.00", "reference": "预算"}
        )
    )
    ends = dt.date.fromisoformat(
        ok(staff.request("auditor", "GET", f"/batches/{subsidy}"))["publicity_ends_on"]
    )
    paid_on = str(ends + dt.timedelta(days=1))
    staff.set_business_date(paid_on)
    ok(staff.request("clerk", "POST", f"/batches/{subsidy}/submit"))
    ok(staff.request("approver", "POST", f"/batches/{subsidy}/approve"))
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/batches/{subsidy}/payments",
            {
                "payments": [
                    {
                        "payee_id": USCCS[0],
                        "status": "paid",
                        "paid_on": paid_on,
                        "reference": "ZS-0001",
                    }
                ]
            },
        )
    )
    doc = reconciliation(staff)
    assert doc["ok"] is True, doc["discrepancies"]
    assert by_name(doc)["payables"]["detail"] == {
        "accounts": 3,
        "credit_balance": "400000.00",
        "outstanding": "400000.00",
    }
