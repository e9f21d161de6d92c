"""Safe forms for the irreversible steps (issue 15): close, submit, approve, reject and
record payments only with their confirmation box ticked; the payments form refused keeps
what was typed and marks every bad row in Chinese; an objection is resolved only by an
explicit choice with a note (on the page, in the service and on the API); a voucher of a
batch not yet approved is a draft, and its payment date is the payment record's or a blank.
Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from loanledger.domain.errors import DomainError
from loanledger.persistence.tables import AuditEntry, Batch, BatchPayee, Objection, Period
from loanledger.services import close_jobs
from tests.support.api import ok, refused
from tests.support.month import make_month
from tests.support.payfile import USCC_A, USCC_B, USCC_C, approve, submitted_batch
from tests.support.web import CONFIRMED, Web, flashes, text

NOT_CONFIRMED = "未勾选“我已核对”确认框，本次操作没有执行，也没有任何更改。"
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def signed_in(app, username: str) -> Web:
    web = Web(app)
    web.login(username, f"{username}-password")
    return web


def audit_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry))


def batch_status(db, batch_id: int) -> str:
    db.expire_all()
    return db.get(Batch, batch_id).status


def payees(db, batch_id: int) -> dict[str, tuple]:
    db.expire_all()
    return {
        p.payee_id: (p.payment_status, p.paid_on, p.reference)
        for p in db.scalars(select(BatchPayee).where(BatchPayee.batch_id == batch_id))
    }


@pytest.fixture
def submitted(staff, bank):
    """A and B's batch of 2023-02, submitted by the clerk; web users of every staff role."""
    for username, role in (
        ("clerk1", "clerk"),
        ("approver1", "approver"),
        ("auditor1", "auditor"),
    ):
        staff.create(username, role, password=f"{username}-password")
    return submitted_batch(staff, bank)


# ------------------------------------------------------------------ confirmations
def test_close_without_its_confirmation_changes_nothing(staff, app, db):
    staff.create("clerk1", "clerk", password="clerk1-password")
    staff.set_business_date("2023-03-01")
    clerk = signed_in(app, "clerk1")
    dashboard = text(clerk.get("/bureau"))
    assert 'name="confirmed" value="yes" required id="close-period-confirm"' in dashboard
    assert 'onsubmit="return confirm(this.dataset.confirm)"' in dashboard
    before = audit_count(db)
    for unticked in ({}, {"confirmed": "no"}):
        refused_close = clerk.post("/bureau/close", {"period": "2023-02", **unticked})
        assert flashes(refused_close, "error") == [NOT_CONFIRMED]
        assert not flashes(refused_close, "success")
    db.expire_all()
    assert db.get(Period, "2023-02") is None and audit_count(db) == before
    asked = clerk.post("/bureau/close", {"period": "2023-02", **CONFIRMED})
    assert flashes(asked, "success") == ["2023-02 结账已开始，本页显示进度。"]
    close_jobs.drain(app.extensions["loanledger"].sessionmaker)
    db.expire_all()
    assert db.get(Period, "2023-02").status == "closed"


def test_maker_checker_steps_without_their_confirmation_change_nothing(submitted, staff, app, db):
    batch_id = submitted.batch_id
    page = f"/bureau/batches/{batch_id}"
    approver = signed_in(app, "approver1")
    checked = text(approver.get(page))
    for form in ("approve-batch", "reject-batch"):
        assert f'id="{form}-confirm"' in checked and f'id="{form}"' in checked
    before = audit_count(db)
    for path, body in (("approve", {}), ("reject", {"reason": "请核对B企业账户"})):
        answer = approver.post(f"{page}/{path}", body, from_page=page)
        assert flashes(answer, "error") == [NOT_CONFIRMED], path
        assert batch_status(db, batch_id) == "submitted" and audit_count(db) == before
    # ticked, a rejection still needs its reason, and says which field
    for reason in ("", "   "):
        answer = approver.post(f"{page}/reject", {"reason": reason, **CONFIRMED}, from_page=page)
        assert flashes(answer, "error") == ["请填写退回理由：经办人据此修改后重新提交。"]
        assert batch_status(db, batch_id) == "submitted" and audit_count(db) == before

    # rejected (on the API): ready again; the clerk's submit without the box changes nothing
    ok(staff.request("approver", "POST", f"/batches/{batch_id}/reject", {"reason": "核对"}))
    clerk = signed_in(app, "clerk1")
    assert 'id="submit-batch-confirm"' in text(clerk.get(page))
    before = audit_count(db)
    answer = clerk.post(f"{page}/submit", from_page=page)
    assert flashes(answer, "error") == [NOT_CONFIRMED]
    assert batch_status(db, batch_id) == "ready" and audit_count(db) == before
    # ticked, each step goes through
    assert flashes(clerk.post(f"{page}/submit", CONFIRMED, from_page=page), "success")
    approved = approver.post(f"{page}/approve", CONFIRMED, from_page=page)
    assert flashes(approved, "success") and batch_status(db, batch_id) == "approved"

    # record payments without the box: nothing recorded
    payments = f"{page}/payments"
    assert 'id="record-payments-confirm"' in text(clerk.get(payments))
    before, recorded = audit_count(db), payees(db, batch_id)
    answer = clerk.post(
        payments,
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["paid", "paid"],
            "paid_on": [submitted.approved_on.isoformat()] * 2,
            "reference": ["R-A", "R-B"],
            "reason": ["", ""],
        },
        from_page=payments,
    )
    assert flashes(answer, "error") == [NOT_CONFIRMED]
    assert payees(db, batch_id) == recorded and audit_count(db) == before
    assert batch_status(db, batch_id) == "approved"


# ------------------------------------------------------------------ the payments form
def payee_row(page: str, payee_id: str) -> str:
    match = re.search(rf'<tr class="payee-row[^"]*" data-payee-id="{payee_id}".*?</tr>', page, re.S)
    assert match, page
    return match.group(0)


def row_errors(row: str) -> dict[str, str]:
    return dict(re.findall(r'class="field-error-text" data-field="(\w+)">(.*?)</span>', row))


def test_the_payments_form_refused_keeps_what_was_typed_and_marks_every_bad_row(
    submitted, staff, app, db
):
    approved = approve(staff, submitted)
    batch_id, approved_on = approved.batch_id, approved.approved_on
    staff.set_business_date(approved_on + dt.timedelta(days=3))
    payments = f"/bureau/batches/{batch_id}/payments"
    clerk = signed_in(app, "clerk1")
    form = text(clerk.get(payments))
    # no status chosen for anyone: the clerk makes an explicit choice, no date filled in
    assert form.count('<option value="" selected>请选择</option>') == 2
    assert not re.search(r'<option value="(paid|failed|later)" selected', form)
    assert 'name="paid_on" value=""' in form
    before, recorded = audit_count(db), payees(db, batch_id)
    future = (approved_on + dt.timedelta(days=10)).isoformat()

    # A: paid, no reference, a date after the business date; B: no choice at all
    answer = clerk.post(
        payments,
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["paid", ""],
            "paid_on": [future, ""],
            "reference": ["", "B-流水-typed"],
            "reason": ["", ""],
            **CONFIRMED,
        },
        from_page=payments,
    )
    page = text(answer)
    assert answer.status_code == 200 and answer.request.path == payments  # not a redirect
    assert flashes(answer, "error") == [
        "2 行有错误（已用红框标出），没有登记任何支付结果。请修改后重新保存。"
    ]
    row_a, row_b = payee_row(page, USCC_A), payee_row(page, USCC_B)
    assert "row-error" in row_a and "row-error" in row_b
    today = (approved_on + dt.timedelta(days=3)).isoformat()
    assert row_errors(row_a) == {
        "paid_on": f"支付日期 {future} 晚于当前业务日期 {today}。",
        "reference": "已支付的须填写银行流水号。",
    }
    assert row_errors(row_b) == {"status": "请选择：已支付、支付失败或暂不处理。"}
    # what was typed is there again
    assert '<option value="paid" selected>' in row_a and f'value="{future}"' in row_a
    assert 'value="B-流水-typed"' in row_b and '<option value="" selected>' in row_b
    assert 'aria-invalid="true"' in row_a
    for sentence in [
        *row_errors(row_a).values(),
        *row_errors(row_b).values(),
        *flashes(answer, "error"),
    ]:
        assert not LATIN_WORD.search(sentence), sentence  # entirely in Chinese
    assert payees(db, batch_id) == recorded and audit_count(db) == before

    # a failure needs its reason; a date before the approval is refused in words
    earlier = (approved_on - dt.timedelta(days=1)).isoformat()
    answer = clerk.post(
        payments,
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["paid", "failed"],
            "paid_on": [earlier, ""],
            "reference": ["A-REF", "退票"],
            "reason": ["", ""],
            **CONFIRMED,
        },
        from_page=payments,
    )
    page = text(answer)
    assert row_errors(payee_row(page, USCC_A)) == {
        "paid_on": f"支付日期 {earlier} 早于批次的审批日期 {approved_on.isoformat()}。"
    }
    assert row_errors(payee_row(page, USCC_B)) == {"reason": "支付失败的须填写失败原因。"}
    assert '<option value="failed" selected>' in payee_row(page, USCC_B)
    assert payees(db, batch_id) == recorded and audit_count(db) == before

    # everyone left for later: nothing to record, said so
    answer = clerk.post(
        payments,
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["later", "later"],
            "paid_on": ["", ""],
            "reference": ["", ""],
            "reason": ["", ""],
            **CONFIRMED,
        },
        from_page=payments,
    )
    assert flashes(answer, "error") == ["所有收款方都选择了“暂不处理”，没有登记任何支付结果。"]
    assert payees(db, batch_id) == recorded and audit_count(db) == before

    # A paid, B failed with its reason: recorded; the reason is kept with the reference
    paid_on = approved_on.isoformat()
    answer = clerk.post(
        payments,
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["paid", "failed"],
            "paid_on": [paid_on, ""],
            "reference": ["A-REF-001", ""],
            "reason": ["", "账户已冻结"],
            **CONFIRMED,
        },
        from_page=payments,
    )
    assert flashes(answer, "success") == ["支付结果已登记。"]
    assert payees(db, batch_id) == {
        USCC_A: ("paid", approved_on, "A-REF-001"),
        USCC_B: ("failed", None, "账户已冻结"),
    }
    assert batch_status(db, batch_id) == "partially_paid"


def test_a_row_the_service_refuses_is_marked_and_nothing_is_recorded(submitted, staff, app, db):
    approved = approve(staff, submitted)
    batch_id, paid_on = approved.batch_id, approved.approved_on.isoformat()
    payments = f"/bureau/batches/{batch_id}/payments"
    clerk = signed_in(app, "clerk1")
    clerk.get(payments)  # the form as it was when the clerk opened it
    # meanwhile B is recorded on the API
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/batches/{batch_id}/payments",
            {
                "payments": [
                    {"payee_id": USCC_B, "status": "paid", "paid_on": paid_on, "reference": "API"}
                ]
            },
        )
    )
    before, recorded = audit_count(db), payees(db, batch_id)
    answer = clerk.post(
        payments,
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["paid", "paid"],
            "paid_on": [paid_on, paid_on],
            "reference": ["A-1", "B-other"],
            "reason": ["", ""],
            **CONFIRMED,
        },
    )
    page = text(answer)
    assert flashes(answer, "error") == [
        "1 行有错误（已用红框标出），没有登记任何支付结果。请修改后重新保存。"
    ]
    # B, recorded meanwhile, is marked with the refusal in words; A is not
    row_b = payee_row(page, USCC_B)
    assert "row-error" in row_b and row_errors(row_b) == {
        "status": "该收款方的支付结果已经登记（可能由他人刚刚登记），不能更改。"
    }
    assert "row-error" not in payee_row(page, USCC_A)
    assert 'value="A-1"' in page  # A's typed values kept (A's row is still a form row)
    assert payees(db, batch_id) == recorded and audit_count(db) == before
    assert recorded[USCC_A][0] == "pending"

    # a payee that is not the batch's (a tampered form): said in words, nothing recorded
    answer = clerk.post(
        payments,
        {
            "payee_id": USCC_C,
            "status": "paid",
            "paid_on": paid_on,
            "reference": "C-1",
            "reason": "",
            **CONFIRMED,
        },
    )
    assert flashes(answer, "error") == [f"收款人 {USCC_C} 不在本批次中。"]
    assert payees(db, batch_id) == recorded and audit_count(db) == before


def test_payments_for_a_batch_not_approved_are_refused_in_words(submitted, app, db):
    batch_id = submitted.batch_id
    clerk = signed_in(app, "clerk1")
    before = audit_count(db)
    answer = clerk.post(
        f"/bureau/batches/{batch_id}/payments",
        {
            "payee_id": USCC_A,
            "status": "paid",
            "paid_on": submitted.approved_on.isoformat(),
            "reference": "A-1",
            "reason": "",
            **CONFIRMED,
        },
        from_page=f"/bureau/batches/{batch_id}/payments",
    )
    assert flashes(answer, "error") == ["批次当前状态不允许此操作。"]
    assert batch_status(db, batch_id) == "submitted" and audit_count(db) == before


# ------------------------------------------------------------------ objections
@pytest.fixture
def objection(staff, bank):
    """Scenario 01's 2023-03 closed on 2023-04-01; the enterprise objects to its line."""
    month = make_month(staff, bank)
    batch = month.close("2023-04-01")
    line = month.line(batch["batch_id"])
    filed = ok(
        month.users["ent"].post(
            "/objections", {"line_id": line["line_id"], "reason": "利息金额有误"}
        )
    )
    month.objection_id = filed["objection_id"]
    return month


def test_an_objection_is_resolved_only_by_an_explicit_choice_with_a_note(objection, app, db):
    oid = objection.objection_id
    clerk = signed_in(app, "clerk1")
    listing = text(clerk.get("/bureau/objections?status=open"))
    form = re.search(
        r'<form method="post" action="/bureau/objections/\d+/resolve".*?</form>', listing, re.S
    ).group(0)
    assert '<option value="" selected>请选择处理结果</option>' in form
    assert form.count(" selected") == 1  # nothing else preselected
    assert '<select name="resolution" required>' in form and "required placeholder" in form
    before = audit_count(db)
    for body, words in (
        ({"note": "经核实无误"}, "请选择处理结果：异议成立或异议驳回。"),
        ({"resolution": "", "note": "经核实无误"}, "请选择处理结果：异议成立或异议驳回。"),
        ({"resolution": "dismissed"}, "请填写处理说明：企业会看到异议为何成立或被驳回。"),
        (
            {"resolution": "dismissed", "note": "   "},
            "请填写处理说明：企业会看到异议为何成立或被驳回。",
        ),
        ({"resolution": "upheld", "note": ""}, "请填写处理说明：企业会看到异议为何成立或被驳回。"),
    ):
        answer = clerk.post(
            f"/bureau/objections/{oid}/resolve", body, from_page="/bureau/objections"
        )
        assert flashes(answer, "error") == [words], body
        db.expire_all()
        assert db.get(Objection, oid).status == "open" and audit_count(db) == before
    done = clerk.post(
        f"/bureau/objections/{oid}/resolve",
        {"resolution": "dismissed", "note": "期间与合同一致"},
        from_page="/bureau/objections",
    )
    assert flashes(done, "success") == ["异议已处理。"]
    db.expire_all()
    assert db.get(Objection, oid).status == "dismissed"


def test_the_api_refuses_an_empty_reply_naming_the_note(objection, db):
    oid = objection.objection_id
    clerk = objection.users["clerk1"]
    before = audit_count(db)
    for body in (
        {"resolution": "dismissed"},
        {"resolution": "dismissed", "note": ""},
        {"resolution": "dismissed", "note": "   "},
    ):
        answer = clerk.post(f"/objections/{oid}/resolve", body)
        assert answer.status_code == 422, body
        assert [e["field"] for e in answer.get_json()["errors"]] == ["note"], answer.get_json()
    refused(clerk.post(f"/objections/{oid}/resolve", {"note": "x"}), 422, "required", "resolution")
    db.expire_all()
    assert db.get(Objection, oid).status == "open" and audit_count(db) == before


def test_the_service_refuses_an_empty_note_and_an_unknown_resolution(objection, db):
    from loanledger.services import objections

    oid, today = objection.objection_id, dt.date(2023, 4, 3)
    for resolution, note, field in (
        ("dismissed", "  ", "note"),
        ("dismissed", "", "note"),
        ("open", "经核实", "resolution"),
    ):
        with pytest.raises(DomainError) as refusal:
            objections.resolve(db, oid, resolution, note, "user:clerk1", today)
        assert refusal.value.field == field
        db.rollback()
    assert db.get(Objection, oid).status == "open"


# ------------------------------------------------------------------ the voucher
def voucher(web: Web, batch_id: int, payee_id: str) -> str:
    answer = web.get(f"/bureau/batches/{batch_id}/payees/{payee_id}/voucher")
    assert answer.status_code == 200
    return text(answer)


def paid_on_shown(page: str) -> str:
    return re.search(r'<span id="voucher-paid-on">(.*?)</span>', page, re.S).group(1)


def test_a_voucher_is_a_draft_until_approved_and_never_dated_by_the_business_date(
    submitted, staff, app, db
):
    batch_id = submitted.batch_id
    clerk = signed_in(app, "clerk1")
    business_day = submitted.approved_on.isoformat()  # today's business date
    draft = voucher(clerk, batch_id, USCC_A)
    assert 'id="voucher-draft-mark"' in draft and ">草稿<" in draft
    assert "未审批，不得作为付款凭证" in draft and 'data-draft="1"' in draft
    assert paid_on_shown(draft) == "付款日期：____________"
    assert business_day not in paid_on_shown(draft)

    approved = approve(staff, submitted)
    staff.set_business_date(approved.approved_on + dt.timedelta(days=5))
    page = voucher(clerk, batch_id, USCC_A)
    assert 'id="voucher-draft-mark"' not in page and "未审批" not in page
    assert paid_on_shown(page) == "付款日期：____________"  # approved, not yet paid

    paid_on = approved.approved_on + dt.timedelta(days=2)
    ok(
        staff.request(
            "clerk",
            "POST",
            f"/batches/{batch_id}/payments",
            {
                "payments": [
                    {
                        "payee_id": USCC_A,
                        "status": "paid",
                        "paid_on": paid_on.isoformat(),
                        "reference": "R-A",
                    },
                    {
                        "payee_id": USCC_B,
                        "status": "failed",
                        "paid_on": None,
                        "reference": "退票 账户冻结",
                    },
                ]
            },
        )
    )
    assert paid_on_shown(voucher(clerk, batch_id, USCC_A)) == f"付款日期：{paid_on.isoformat()}"
    assert paid_on_shown(voucher(clerk, batch_id, USCC_B)) == "付款日期：____________"  # failed
