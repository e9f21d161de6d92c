"""The payout month through the HTTP API (domain.md §7, §10; api.md): 公示 over Chinese
working days, objections, maker-checker, budgets, payments and the carry of a failed one.

The programme is scenario 01's first quarter: one loan of 中山市灯都照明科技有限公司 with a
5,270.83 interest record, closed as 2023-03 on a chosen business date.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from loanledger.persistence.tables import AuditEntry, Batch
from tests.support.api import API, ok, paged, refused
from tests.support.ledger import balances, trial_balance
from tests.support.month import OTHER, U, make_month
from tests.support.month import approved as _approved
from tests.support.month import through_publicity as _through_publicity

LINE_FEN = 5270_83


def check_ledger(staff) -> dict[str, int]:
    """The trial balance sums to zero; the balances, for the test's own account checks."""
    tb = trial_balance(staff)
    assert tb["total_debit"] == tb["total_credit"], tb
    accounts = balances(staff)
    assert sum(accounts.values()) == 0
    return accounts


@pytest.fixture
def month(staff, bank):
    return make_month(staff, bank)


# ====================================================================== 公示
def test_publicity_counts_chinese_working_days_and_then_the_batch_is_ready(month):
    # Closed Saturday 2023-04-01: 公示 runs Apr 3, 4, (5 is 清明), 6, 7, 10 — five working days.
    batch = month.close("2023-04-01")
    assert (batch["status"], batch["publicity_ends_on"]) == ("publicity", "2023-04-10")
    clerk = month.users["clerk1"]
    month.staff.set_business_date("2023-04-10")
    refused(clerk.post(f"/batches/{batch['batch_id']}/submit"), 409, "publicity_not_over")
    assert month.batch(batch["batch_id"])["status"] == "publicity"
    month.staff.set_business_date("2023-04-11")  # the day after: any request moves it on
    assert month.batch(batch["batch_id"])["status"] == "ready"
    audit = ok(month.users["auditor1"].request("GET", "/audit?action=batch.publicity_over"))[
        "items"
    ]
    assert [(a["actor"], a["before"], a["after"]["status"]) for a in audit] == [
        ("system", {"status": "publicity"}, "ready")
    ]


def test_a_make_up_working_day_counts(month):
    # Closed Friday 2023-04-21: Sunday Apr 23 was a 调休 working day (for 劳动节), so the
    # five days are Apr 23, 24, 25, 26, 27 — Monday–Friday alone would give Apr 28.
    assert month.close("2023-04-21")["publicity_ends_on"] == "2023-04-27"


def test_admin_holidays_count_where_the_calendar_has_no_data(db):
    from loanledger.domain.workdays import publicity_end
    from loanledger.services import workcalendar

    assert not workcalendar.covered(2099)
    rule = workcalendar.is_workday_rule(db)
    assert publicity_end(dt.date(2099, 6, 5), 5, rule) == dt.date(2099, 6, 12)  # Mon–Fri fallback
    workcalendar.add_day(db, dt.date(2099, 6, 9), "holiday", "端午节", "user:boss")
    workcalendar.add_day(db, dt.date(2099, 6, 13), "workday", "调休", "user:boss")
    db.flush()
    rule = workcalendar.is_workday_rule(db)
    assert publicity_end(dt.date(2099, 6, 5), 5, rule) == dt.date(2099, 6, 13)


def test_calendar_api_adds_days_and_refuses_a_conflicting_one(month):
    boss, clerk = month.users["boss"], month.users["clerk1"]
    body = {"day": "2099-10-01", "kind": "holiday", "name": "国庆节"}
    refused(clerk.post("/admin/calendar", body), 403, "forbidden")
    assert ok(boss.post("/admin/calendar", body), 201)["kind"] == "holiday"
    ok(boss.post("/admin/calendar", body), 201)  # the same again changes nothing
    refused(boss.post("/admin/calendar", {**body, "kind": "workday"}), 409, "invalid_state")
    refused(boss.post("/admin/calendar", {**body, "kind": "weekend"}), 422, "invalid_format")
    listed = ok(clerk.request("GET", "/admin/calendar?year=2099"))
    assert [d["day"] for d in listed["items"]] == ["2099-10-01"] and listed["covered_years"] == {
        "2099": False
    }


# ====================================================================== maker-checker
def test_submit_approve_by_another_person(month, db):
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    clerk1, approver1, approver2, boss = (
        month.users[n] for n in ("clerk1", "approver1", "approver2", "boss")
    )
    refused(approver1.post(f"/batches/{bid}/submit"), 403, "forbidden")
    refused(approver1.post(f"/batches/{bid}/approve"), 409, "invalid_state")  # not submitted yet
    submitted = ok(boss.post(f"/batches/{bid}/submit"))
    assert (submitted["status"], submitted["submitted_by"]) == ("submitted", "user:boss")
    refused(boss.post(f"/batches/{bid}/submit"), 409, "invalid_state")
    refused(clerk1.post(f"/batches/{bid}/approve"), 403, "forbidden")
    refused(
        boss.post(f"/batches/{bid}/approve"), 409, "same_person"
    )  # admin, still bound by maker-checker
    refused(boss.post(f"/batches/{bid}/reject", {"reason": "x"}), 409, "same_person")
    assert month.batch(bid)["status"] == "submitted"
    approved = ok(approver2.post(f"/batches/{bid}/approve"))
    assert (approved["status"], approved["approved_by"]) == ("approved", "user:approver2")
    refused(approver1.post(f"/batches/{bid}/approve"), 409, "invalid_state")
    actions = [
        a["action"]
        for a in ok(month.users["auditor1"].request("GET", "/audit?entity=batch"))["items"]
    ]
    assert actions[-2:] == ["batch.submit", "batch.approve"]


def test_the_database_refuses_an_approver_who_submitted(month, db):
    batch = month.close()
    db.rollback()
    with pytest.raises(IntegrityError):
        db.execute(
            update(Batch)
            .where(Batch.id == batch["batch_id"])
            .values(status="approved", submitted_by="user:x", approved_by="user:x")
        )
        db.flush()
    db.rollback()


def test_reject_returns_the_batch_to_ready_with_the_reason(month):
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    clerk1, approver1 = month.users["clerk1"], month.users["approver1"]
    ok(clerk1.post(f"/batches/{bid}/submit"))
    refused(approver1.post(f"/batches/{bid}/reject", {}), 422, "required")
    refused(approver1.post(f"/batches/{bid}/reject", {"reason": "   "}), 422, "invalid_format")
    rejected = ok(approver1.post(f"/batches/{bid}/reject", {"reason": "请核对账号"}))
    assert (
        rejected["status"],
        rejected["rejected_reason"],
        rejected["rejected_by"],
        rejected["submitted_by"],
    ) == ("ready", "请核对账号", "user:approver1", None)
    ok(clerk1.post(f"/batches/{bid}/submit"))
    assert ok(approver1.post(f"/batches/{bid}/approve"))["status"] == "approved"


def test_approval_is_refused_beyond_the_years_budget(staff, bank):
    month = make_month(staff, bank, budget_2023="5270.82")  # one fen short of the line
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    approver = month.users["approver1"]
    refused(approver.post(f"/batches/{bid}/approve"), 409, "budget_exceeded")
    assert month.batch(bid)["status"] == "submitted"
    ok(
        staff.request(
            "clerk", "POST", "/budgets", {"year": 2023, "amount": "0.01", "reference": "追加预算"}
        )
    )
    assert ok(approver.post(f"/batches/{bid}/approve"))["status"] == "approved"
    budget = {b["year"]: b for b in ok(staff.request("auditor", "GET", "/budgets"))["items"]}[2023]
    assert (budget["approved_unpaid"], budget["left"]) == ("5270.83", "0.00")


def _budgets(staff) -> dict[int, dict]:
    return {b["year"]: b for b in ok(staff.request("auditor", "GET", "/budgets"))["items"]}


def test_a_december_batch_approved_in_january_is_charged_to_the_new_year(staff, bank):
    # domain.md §7 (v2): 预算 is spent when it is paid. 2023's budget cannot pay the line
    # (one fen), 2024's can: approved on a 2024 business date, the 2023-03 batch is 2024's.
    month = make_month(staff, bank, budget_2023="0.01")
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    assert month.batch(bid)["budget_year"] is None  # only an approval charges a year
    staff.set_business_date("2024-01-08")
    approved = ok(month.users["approver1"].post(f"/batches/{bid}/approve"))
    assert (approved["status"], approved["budget_year"]) == ("approved", 2024)
    budgets = _budgets(staff)
    assert (budgets[2024]["approved_unpaid"], budgets[2023]["approved_unpaid"]) == (
        "5270.83",
        "0.00",
    )
    # Its payment, recorded later in 2024, is booked to the same year.
    paid = {"payee_id": U, "status": "paid", "paid_on": "2024-01-08", "reference": "国库2024-001"}
    ok(month.users["clerk2"].post(f"/batches/{bid}/payments", {"payments": [paid]}))
    budgets = _budgets(staff)
    assert (budgets[2024]["paid"], budgets[2023]["paid"]) == ("5270.83", "0.00")


def test_approval_is_checked_against_the_approval_years_budget_not_the_periods(staff, bank):
    month = make_month(staff, bank)  # 2023 has 50,000,000.00
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    staff.set_business_date("2025-01-06")  # 2025 has no appropriation at all
    refused(month.users["approver1"].post(f"/batches/{bid}/approve"), 409, "budget_exceeded")
    assert (month.batch(bid)["status"], month.batch(bid)["budget_year"]) == ("submitted", None)
    assert _budgets(staff)[2023]["approved_unpaid"] == "0.00"


@pytest.mark.pg
def test_two_approvers_at_once_give_one_approval(month):
    batch = month.close()
    _through_publicity(month, batch)
    bid = batch["batch_id"]
    ok(month.users["clerk1"].post(f"/batches/{bid}/submit"))
    app = month.staff.app
    tokens = [month.users["approver1"].token, month.users["approver2"].token]
    answers: list[int] = []
    barrier = threading.Barrier(2)

    def approve(token: str) -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(
            client.post(
                f"{API}/batches/{bid}/approve", headers={"Authorization": f"Bearer {token}"}
            ).status_code
        )

    threads = [threading.Thread(target=approve, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]
    entries = ok(month.users["auditor1"].request("GET", "/audit?action=batch.approve"))["items"]
    assert len(entries) == 1


# ====================================================================== objections
def test_objection_filed_during_publicity_blocks_submit_and_dismissal_keeps_the_line(month):
    batch = month.close()
    bid = batch["batch_id"]
    line = month.line(bid)
    ent, other, clerk = month.users["ent"], month.users["other"], month.users["clerk1"]
    refused(
        other.post("/objections", {"line_id": line["line_id"], "reason": "不是我的"}),
        404,
        "not_found",
    )
    refused(
        clerk.post("/objections", {"line_id": line["line_id"], "reason": "x"}), 403, "forbidden"
    )
    refused(ent.post("/objections", {"line_id": line["line_id"]}), 422, "required")
    objection = ok(
        ent.post("/objections", {"line_id": line["line_id"], "reason": "利息金额有误"}), 201
    )
    assert objection["status"] == "open"
    refused(
        ent.post("/objections", {"line_id": line["line_id"], "reason": "again"}),
        409,
        "invalid_state",
    )
    assert [o["objection_id"] for o in ok(other.request("GET", "/objections"))["items"]] == []
    assert (
        ok(month.users["auditor1"].request("GET", "/objections?status=open"))["items"][0]["uscc"]
        == U
    )
    _through_publicity(month, batch)
    refused(clerk.post(f"/batches/{bid}/submit"), 409, "open_objections")
    oid = objection["objection_id"]
    refused(
        ent.post(f"/objections/{oid}/resolve", {"resolution": "upheld", "note": "x"}),
        403,
        "forbidden",
    )
    dismissed = ok(
        clerk.post(f"/objections/{oid}/resolve", {"resolution": "dismissed", "note": "经核实无误"})
    )
    assert (dismissed["status"], dismissed["resolved_by"]) == ("dismissed", "user:clerk1")
    refused(
        clerk.post(f"/objections/{oid}/resolve", {"resolution": "upheld", "note": "x"}),
        409,
        "invalid_state",
    )
    assert month.line(bid)["status"] == "active" and month.batch(bid)["total"] == "5270.83"
    assert ok(clerk.post(f"/batches/{bid}/submit"))["status"] == "submitted"


def test_no_objection_after_publicity(month):
    batch = month.close()
    line = month.line(batch["batch_id"])
    _through_publicity(month, batch)
    refused(
        month.users["ent"].post("/objections", {"line_id": line["line_id"], "reason": "晚了"}),
        409,
        "invalid_state",
    )


def test_an_upheld_objection_holds_the_line_back_until_the_next_close(month):
    batch = month.close()
    bid = batch["batch_id"]
    line = month.line(bid)
    oid = ok(
        month.users["ent"].post(
            "/objections", {"line_id": line["line_id"], "reason": "利息金额有误"}
        ),
        201,
    )["objection_id"]
    before = balances(month.staff)
    assert before[f"2001:{U}"] == -LINE_FEN
    upheld = ok(
        month.users["clerk1"].post(
            f"/objections/{oid}/resolve", {"resolution": "upheld", "note": "暂缓"}
        )
    )
    assert upheld["status"] == "upheld"
    assert month.line(bid)["status"] == "held"
    view = month.batch(bid)
    assert view["total"] == "0.00" and view["open_objections"] == 0
    payees = paged(month.staff, f"/batches/{bid}/payees")
    assert [(p["total"], p["pays"], p["payment_status"]) for p in payees] == [
        ("0.00", "0.00", "none")
    ]
    after = check_ledger(month.staff)
    assert after.get(f"2001:{U}", 0) == 0 and after.get("5001", 0) == 0
    # the next close computes the record afresh: the same interest line, paid then
    month.staff.set_business_date("2023-05-01")
    april = ok(month.staff.request("clerk", "POST", "/periods/2023-04/close"))
    assert april["subsidy_total"] == "5270.83"
    relined = paged(month.staff, f"/batches/{april['batches'][0]['batch_id']}/lines")
    assert [(x["kind"], x["event_id"], x["amount"]) for x in relined] == [
        ("interest", "I1", "5270.83")
    ]
    check_ledger(month.staff)


# ====================================================================== payments
def test_a_paid_payment_clears_the_payable(month):
    bid = _approved(month)
    clerk = month.users["clerk1"]
    paid = {"payee_id": U, "status": "paid", "paid_on": "2023-04-11", "reference": "ZS-PAY-0001"}
    refused(
        clerk.post(f"/batches/{bid}/payments", {"payments": [{**paid, "reference": None}]}),
        422,
        "required",
    )
    refused(
        clerk.post(f"/batches/{bid}/payments", {"payments": [{**paid, "paid_on": "2030-01-01"}]}),
        422,
        "future_date",
    )
    refused(
        clerk.post(f"/batches/{bid}/payments", {"payments": [{**paid, "payee_id": OTHER}]}),
        422,
        "unknown_target",
    )
    refused(
        clerk.post(f"/batches/{bid}/payments", {"payments": [paid, paid]}), 422, "invalid_format"
    )
    # approved on 2023-04-11 (the day after 公示): nothing of it is paid the day before
    refused(
        clerk.post(f"/batches/{bid}/payments", {"payments": [{**paid, "paid_on": "2023-04-10"}]}),
        422,
        "invalid_format",
        "payments[0].paid_on",
    )
    refused(
        month.users["approver1"].post(f"/batches/{bid}/payments", {"payments": [paid]}),
        403,
        "forbidden",
    )
    assert balances(month.staff)[f"2001:{U}"] == -LINE_FEN
    view = ok(clerk.post(f"/batches/{bid}/payments", {"payments": [paid]}))
    assert view["status"] == "paid"
    accounts = check_ledger(month.staff)
    assert accounts.get(f"2001:{U}", 0) == 0 and accounts["1001"] == 2 * 50000000_00 - LINE_FEN
    again = ok(
        clerk.post(f"/batches/{bid}/payments", {"payments": [paid]})
    )  # a retry changes nothing
    assert again == view and check_ledger(month.staff) == accounts
    refused(
        clerk.post(f"/batches/{bid}/payments", {"payments": [{**paid, "reference": "OTHER"}]}),
        409,
        "invalid_state",
    )
    payees = paged(month.staff, f"/batches/{bid}/payees")
    assert [(p["payment_status"], p["paid_on"], p["reference"]) for p in payees] == [
        ("paid", "2023-04-11", "ZS-PAY-0001")
    ]
    budget = {b["year"]: b for b in ok(month.staff.request("auditor", "GET", "/budgets"))["items"]}[
        2023
    ]
    assert (budget["paid"], budget["approved_unpaid"]) == ("5270.83", "0.00")


def test_a_failed_payment_is_carried_into_the_next_batch_with_lines_for_the_payee(month):
    bid = _approved(month)
    clerk = month.users["clerk1"]
    failed = {
        "payee_id": U,
        "status": "failed",
        "paid_on": "2023-04-11",
        "reference": "退票: 账户冻结",
    }
    assert (
        ok(clerk.post(f"/batches/{bid}/payments", {"payments": [failed]}))["status"]
        == "partially_paid"
    )
    assert balances(month.staff)[f"2001:{U}"] == -LINE_FEN  # still owed
    # April has no line for the payee: nothing carried yet
    month.staff.set_business_date("2023-05-01")
    assert ok(month.staff.request("clerk", "POST", "/periods/2023-04/close"))["batches"] == []
    # June's quarter brings a new interest record: the failed 5,270.83 rides along
    month.staff.set_business_date("2023-06-01")
    assert ok(month.staff.request("clerk", "POST", "/periods/2023-05/close"))["batches"] == []
    month.staff.set_business_date("2023-06-21")
    ok(
        month.player.banks["BOC-ZS"].post(
            f"{API}/loans/BOC-2023-001/events",
            json={
                "event_id": "I2",
                "type": "interest",
                "period_start": "2023-03-21",
                "period_end": "2023-06-21",
                "paid_on": "2023-06-21",
                "interest": "44083.33",
            },
        )
    )
    month.staff.set_business_date("2023-07-01")
    ok(month.staff.request("clerk", "POST", "/periods/2023-06/close"))
    june = ok(month.staff.request("auditor", "GET", "/batches?period=2023-06"))["items"][0]
    lines = paged(month.staff, f"/batches/{june['batch_id']}/lines")
    assert sorted((x["kind"], x["amount"]) for x in lines) == [
        ("carried", "5270.83"),
        ("interest", "44083.33"),
    ]
    assert june["total"] == "49354.16"
    accounts = check_ledger(month.staff)
    assert accounts[f"2001:{U}"] == -(
        LINE_FEN + 44083_33
    )  # the failed payable plus June's, nothing twice
    assert accounts["5001"] == LINE_FEN + 44083_33


# ====================================================================== audit and the enterprise's view
def test_audit_trail_is_for_auditors_and_admins(month):
    month.close()
    refused(month.users["clerk1"].request("GET", "/audit"), 403, "forbidden")
    refused(month.users["ent"].request("GET", "/audit"), 403, "forbidden")
    items = ok(month.users["auditor1"].request("GET", "/audit?entity=period"))["items"]
    assert [(a["action"], a["entity_id"], a["before"], a["after"]["status"]) for a in items] == [
        ("period.close", "2023-03", {"status": "open"}, "closed")
    ]
    future = ok(month.users["boss"].request("GET", "/audit?since=2999-01-01T00:00:00%2B08:00"))[
        "items"
    ]
    assert future == []
    refused(month.users["boss"].request("GET", "/audit?since=yesterday"), 422, "invalid_format")


def test_me_subsidies_shows_my_lines_payments_and_objections(month):
    bid = _approved(month)
    ok(
        month.users["clerk1"].post(
            f"/batches/{bid}/payments",
            {
                "payments": [
                    {
                        "payee_id": U,
                        "status": "paid",
                        "paid_on": "2023-04-11",
                        "reference": "ZS-PAY-0001",
                    }
                ]
            },
        )
    )
    mine = ok(month.users["ent"].request("GET", "/me/subsidies"))
    assert mine["uscc"] == U and [loan["subsidy_granted"] for loan in mine["loans"]] == ["5270.83"]
    assert [
        (x["kind"], x["amount"], x["batch_status"], x["can_object"]) for x in mine["lines"]
    ] == [("interest", "5270.83", "paid", False)]
    assert [(p["pays"], p["payment_status"], p["reference"]) for p in mine["payments"]] == [
        ("5270.83", "paid", "ZS-PAY-0001")
    ]
    theirs = ok(month.users["other"].request("GET", "/me/subsidies"))
    assert theirs["lines"] == [] and theirs["loans"] == [] and theirs["payments"] == []
    refused(month.users["clerk1"].request("GET", "/me/subsidies"), 403, "forbidden")


def test_every_transition_is_audited_with_before_and_after(month, db):
    bid = _approved(month)
    db.rollback()
    rows = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "batch", AuditEntry.entity_id == str(bid))
        .order_by(AuditEntry.id)
    ).all()
    assert [(r.action, r.before["status"], r.after["status"]) for r in rows] == [
        ("batch.publicity_over", "publicity", "ready"),
        ("batch.submit", "ready", "submitted"),
        ("batch.approve", "submitted", "approved"),
    ]
