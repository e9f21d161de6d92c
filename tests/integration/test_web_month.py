"""A month run in the web pages, from close to paid and reconciled: the dashboard's ¥ totals
and chart, the batch page (lines, filters, reasons in words), 公示 and an objection from
the enterprise portal, maker-checker by two people (the same person refused), payments,
the voucher in Chinese capitals, reconciliation; an enterprise sees only its own data."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence.tables import AuditEntry, Batch, BatchPayee, Line, Objection
from loanledger.services import close_jobs
from tests.support.api import API, ok, paged
from tests.support.api import refused as refused_with
from tests.support.payfile import loans_with_february_interest
from tests.support.web import CONFIRMED, Web, flashes, text

USCC_A = uscc_with_check("91442000MA4UJX9X1")
USCC_B = uscc_with_check("91442000MA4WKP2Q2")
PERIOD = "2023-02"


@pytest.fixture
def month(staff, bank, app):
    """Two enterprises, one loan each at BK1, interest paid in February 2023; a budget for
    2023 and a pool deposit. Business date 2023-03-01: February is ready to close.
    Users: clerk1, approver1, approver2, auditor1, admin1, ent_a (USCC_A), ent_b (USCC_B)."""
    for username, role, uscc in (
        ("clerk1", "clerk", None),
        ("approver1", "approver", None),
        ("approver2", "approver", None),
        ("auditor1", "auditor", None),
        ("admin1", "admin", None),
        ("ent_a", "enterprise", USCC_A),
        ("ent_b", "enterprise", USCC_B),
    ):
        staff.create(username, role, password=f"{username}-password", uscc=uscc)
    staff.set_business_date("2023-01-02")
    bk1 = bank("BK1", "中山农商银行")
    clerk = lambda path, body: ok(staff.request("clerk", "POST", path, body))  # noqa: E731
    clerk(
        "/products",
        {"product_code": "BK1-P", "bank_code": "BK1", "name": "数智贷", "risk_covered": True},
    )
    clerk(
        "/risk-pool/deposits",
        {"amount": "5000000.00", "deposited_on": "2023-01-02", "reference": "池"},
    )
    clerk("/budgets", {"year": 2023, "amount": "1000000.00", "reference": "中财〔2023〕1号"})
    for uscc, name, filing_no in (
        (USCC_A, "中山市华星五金制品有限公司", "F-A"),
        (USCC_B, "中山市美灯照明科技有限公司", "F-B"),
    ):
        clerk(
            "/enterprises",
            {
                "uscc": uscc,
                "name": name,
                "established_on": "2012-01-01",
                "industry_code": "C3879",
                "account": {
                    "holder": name,
                    "number": "6222020000000001",
                    "bank_name": "中山农商银行",
                },
            },
        )
        clerk(
            "/filings",
            {
                "filing_no": filing_no,
                "uscc": uscc,
                "project_name": "MES",
                "eligible_investment": "800000.00",
                "approved_on": "2022-12-01",
            },
        )
    loans_with_february_interest(staff, bk1)
    return staff


def signed_in(app, username: str) -> Web:
    web = Web(app)
    landed = web.login(username, f"{username}-password")
    assert landed.request.path in ("/bureau", "/portal"), text(landed)
    return web


def close_in_browser(app) -> int:
    """The clerk's button asks for the close (a job, services/close_jobs.py), the worker runs
    it (as the scheduler would), and the job page and the dashboard show its batch."""
    clerk = signed_in(app, "clerk1")
    page = clerk.get("/bureau")
    assert 'id="close-period"' in text(page) and 'value="2023-02"' in text(page)
    asked = clerk.post("/bureau/close", {"period": PERIOD, **CONFIRMED}, from_page="/bureau")
    assert flashes(asked, "success") == ["2023-02 结账已开始，本页显示进度。"]
    assert 'data-status="pending"' in text(asked)
    assert close_jobs.drain(app.extensions["loanledger"].sessionmaker)
    job_page = clerk.get(asked.request.path)
    assert 'id="close-job-done"' in text(job_page), text(job_page)
    done = clerk.get("/bureau")
    match = re.search(
        r'class="batch-row" data-batch-id="(\d+)" data-status="publicity"', text(done)
    )
    assert match, text(done)
    return int(match.group(1))


def batch_status(db, batch_id: int) -> str:
    db.expire_all()
    return db.get(Batch, batch_id).status


def audit_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEntry))


# ------------------------------------------------------------------ the whole month
def test_a_month_from_close_to_paid_and_reconciled(month, app, db):
    batch_id = close_in_browser(app)
    batch = db.get(Batch, batch_id)
    lines = {
        line.payee_id: line for line in db.scalars(select(Line).where(Line.batch_id == batch_id))
    }

    # the dashboard: ¥ totals, budget, pool, chart
    clerk = signed_in(app, "clerk1")
    page = text(clerk.get("/bureau"))
    total = f"¥{batch.total_fen // 100:,}.{batch.total_fen % 100:02d}"
    assert total in page and "¥1,000,000.00" in page and "¥5,000,000.00" in page
    assert '<svg id="monthly-chart"' in page and 'data-period="2023-02" data-kind="subsidy"' in page

    # the batch page: lines, reasons in words, filters
    page = text(clerk.get(f"/bureau/batches/{batch_id}"))
    assert 'id="batch-status" data-status="publicity"' in page
    assert page.count('class="line-row"') == 2
    assert "以实付利息为限" in page and "贴息金额不超过银行报送的实际已付正常利息" in page
    filtered = text(clerk.get(f"/bureau/batches/{batch_id}?payee_id={USCC_B}"))
    assert re.findall(r'class="line-row" data-line-id="(\d+)"', filtered) == [str(lines[USCC_B].id)]
    assert text(clerk.get(f"/bureau/batches/{batch_id}?kind=claim")).count('class="line-row"') == 0
    bad = clerk.get(f"/bureau/batches/{batch_id}?kind=bogus&page=x")
    assert bad.status_code == 200 and len(flashes(bad, "error")) == 2
    assert text(bad).count('class="line-row"') == 2  # the bad filter is dropped, not a 500

    # 公示: submitting is refused with the reason in words; nothing changes
    before = audit_count(db)
    refused = clerk.post(
        f"/bureau/batches/{batch_id}/submit", CONFIRMED, from_page=f"/bureau/batches/{batch_id}"
    )
    assert flashes(refused, "error")[0].startswith("公示期尚未结束")
    assert batch_status(db, batch_id) == "publicity" and audit_count(db) == before

    # the enterprise objects to its line during 公示; the clerk dismisses it
    ent = signed_in(app, "ent_a")
    portal = text(ent.get("/portal"))
    line_a = lines[USCC_A].id
    assert f'class="objection-form" data-line-id="{line_a}"' in portal
    assert str(lines[USCC_B].id) not in re.findall(r'data-line-id="(\d+)"', portal)
    filed = ent.post(
        f"/portal/lines/{line_a}/objection", {"reason": "利息期间有误"}, from_page="/portal"
    )
    assert flashes(filed, "success") and 'class="objection-row"' in text(filed)
    # an open objection waits for the bureau: not the month's word 未结账 (issue 15)
    row = re.search(r'<tr class="objection-row".*?</tr>', text(filed), re.S).group(0)
    assert "待处理" in row and "未结账" not in row
    again = ent.post(f"/portal/lines/{line_a}/objection", {"reason": "再次"}, from_page="/portal")
    assert flashes(again, "error")
    objection = db.scalar(select(Objection))
    listing = text(clerk.get("/bureau/objections?status=open"))
    assert (
        f'data-objection-id="{objection.id}" data-status="open"' in listing
        and "利息期间有误" in listing
    )
    assert "待处理" in listing and "未结账" not in listing
    resolved = clerk.post(
        f"/bureau/objections/{objection.id}/resolve",
        {"resolution": "dismissed", "note": "期间与合同一致"},
        from_page="/bureau/objections",
    )
    assert flashes(resolved, "success")
    db.expire_all()
    assert db.get(Objection, objection.id).status == "dismissed"

    # after 公示: the clerk submits; the same person cannot approve
    month.set_business_date(batch.publicity_ends_on + dt.timedelta(days=1))
    admin = signed_in(app, "admin1")
    page = text(admin.get(f"/bureau/batches/{batch_id}"))
    assert 'data-status="ready"' in page and 'id="submit-batch"' in page
    submitted = admin.post(
        f"/bureau/batches/{batch_id}/submit", CONFIRMED, from_page=f"/bureau/batches/{batch_id}"
    )
    assert flashes(submitted, "success") and 'id="approve-batch"' in text(submitted)
    before = audit_count(db)
    same = admin.post(
        f"/bureau/batches/{batch_id}/approve", CONFIRMED, from_page=f"/bureau/batches/{batch_id}"
    )
    assert flashes(same, "error") == ["提交人不能审批自己提交的批次，需由另一位审批人审批。"]
    assert batch_status(db, batch_id) == "submitted" and audit_count(db) == before

    # another approver rejects with a reason; the admin submits again; approver1 approves
    approver2 = signed_in(app, "approver2")
    no_reason = approver2.post(
        f"/bureau/batches/{batch_id}/reject",
        {"reason": "  ", **CONFIRMED},
        from_page=f"/bureau/batches/{batch_id}",
    )
    assert flashes(no_reason, "error") and batch_status(db, batch_id) == "submitted"
    rejected = approver2.post(
        f"/bureau/batches/{batch_id}/reject",
        {"reason": "请核对B企业", **CONFIRMED},
        from_page=f"/bureau/batches/{batch_id}",
    )
    assert flashes(rejected, "success") and batch_status(db, batch_id) == "ready"
    assert "请核对B企业" in text(rejected)
    admin.post(
        f"/bureau/batches/{batch_id}/submit", CONFIRMED, from_page=f"/bureau/batches/{batch_id}"
    )
    approver = signed_in(app, "approver1")
    approved = approver.post(
        f"/bureau/batches/{batch_id}/approve", CONFIRMED, from_page=f"/bureau/batches/{batch_id}"
    )
    assert flashes(approved, "success") and batch_status(db, batch_id) == "approved"

    # payments: A paid, B failed; bad input is a message
    page = text(clerk.get(f"/bureau/batches/{batch_id}/payments"))
    assert 'id="record-payments"' in page
    today = (batch.publicity_ends_on + dt.timedelta(days=1)).isoformat()
    bad = clerk.post(
        f"/bureau/batches/{batch_id}/payments",
        {
            "payee_id": USCC_A,
            "status": "paid",
            "paid_on": "2023-02-30",
            "reference": "R1",
            "reason": "",
            **CONFIRMED,
        },
        from_page=f"/bureau/batches/{batch_id}/payments",
    )
    assert (
        flashes(bad, "error")
        == ["1 行有错误（已用红框标出），没有登记任何支付结果。请修改后重新保存。"]
        and "支付日期不是有效的日期，应为 YYYY-MM-DD。" in text(bad)
        and batch_status(db, batch_id) == "approved"
    )
    no_ref = clerk.post(
        f"/bureau/batches/{batch_id}/payments",
        {
            "payee_id": USCC_A,
            "status": "paid",
            "paid_on": today,
            "reference": "",
            "reason": "",
            **CONFIRMED,
        },
        from_page=f"/bureau/batches/{batch_id}/payments",
    )
    assert flashes(no_ref, "error") and batch_status(db, batch_id) == "approved"
    paid = clerk.post(
        f"/bureau/batches/{batch_id}/payments",
        {
            "payee_id": [USCC_A, USCC_B],
            "status": ["paid", "failed"],
            "paid_on": [today, ""],
            "reference": ["BANK-REF-001", ""],
            "reason": ["", "账户冻结"],
            **CONFIRMED,
        },
        from_page=f"/bureau/batches/{batch_id}/payments",
    )
    assert flashes(paid, "success")
    assert batch_status(db, batch_id) == "partially_paid"

    # the voucher: figures and capitals
    payee = db.scalar(
        select(BatchPayee).where(BatchPayee.batch_id == batch_id, BatchPayee.payee_id == USCC_A)
    )
    voucher = text(clerk.get(f"/bureau/batches/{batch_id}/payees/{USCC_A}/voucher"))
    from loanledger.domain.capitals import yuan_in_capitals

    assert f'id="amount-capitals">{yuan_in_capitals(payee.pays_fen)}<' in voucher
    assert (
        f"¥{payee.pays_fen // 100:,}.{payee.pays_fen % 100:02d}" in voucher
        and "print.css" in voucher
    )
    assert "BANK-REF-001" in voucher and "中山市华星五金制品有限公司" in voucher

    # the enterprise sees its payment; reconciliation of the month
    assert "BANK-REF-001" in text(ent.get("/portal"))
    rec = clerk.get(f"/bureau/periods/{PERIOD}/reconciliation")
    assert rec.status_code == 200 and 'class="check-row"' in text(rec)
    # in words, amounts as yuan: no check identifier or raw "cash: 5000000.00" on the page
    assert "试算平衡" in text(rec) and ">trial_balance_zero<" not in text(rec)
    assert not re.search(r"[a-z_]+: -?\d", text(rec)) and "合计金额：¥0.00" in text(rec)
    csv = clerk.get(f"/bureau/periods/{PERIOD}/reconciliation.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert clerk.get(f"/bureau/periods/{PERIOD}/reconciliation.xlsx").status_code == 200


def test_an_enterprise_sees_only_its_own_lines_and_loans(month, app, db):
    batch_id = close_in_browser(app)
    lines = {
        line.payee_id: line for line in db.scalars(select(Line).where(Line.batch_id == batch_id))
    }
    ent = signed_in(app, "ent_a")
    own, other = lines[USCC_A].id, lines[USCC_B].id
    page = ent.get(f"/portal/lines/{own}")
    assert page.status_code == 200 and 'class="objection-form"' in text(page)
    assert ent.get(f"/portal/lines/{other}").status_code == 404
    assert ent.get("/portal/loans/BK1/C-A").status_code == 200
    assert ent.get("/portal/loans/BK1/C-B").status_code == 404
    assert ent.get("/portal/lines/99999").status_code == 404
    before = audit_count(db)
    refused = ent.post(
        f"/portal/lines/{other}/objection", {"reason": "x"}, from_page="/portal", follow=False
    )
    assert refused.status_code == 404
    assert db.scalar(select(func.count()).select_from(Objection)) == 0 and audit_count(db) == before
    # the plain-language reason on B's own page
    ent_b = signed_in(app, "ent_b")
    assert "贴息金额不超过银行报送的实际已付正常利息" in text(ent_b.get("/portal"))


def test_an_objection_needs_a_reason_and_an_upheld_one_holds_the_line(month, app, db):
    batch_id = close_in_browser(app)
    line_a = db.scalar(select(Line).where(Line.batch_id == batch_id, Line.payee_id == USCC_A))
    ent = signed_in(app, "ent_a")
    empty = ent.post(f"/portal/lines/{line_a.id}/objection", {"reason": ""}, from_page="/portal")
    assert flashes(empty, "error") == ["请填写必填项。"]
    ent.post(f"/portal/lines/{line_a.id}/objection", {"reason": "金额不对"}, from_page="/portal")
    objection = db.scalar(select(Objection))
    clerk = signed_in(app, "clerk1")
    bad = clerk.post(
        f"/bureau/objections/{objection.id}/resolve",
        {"resolution": "maybe"},
        from_page="/bureau/objections",
    )
    assert flashes(bad, "error") and db.get(Objection, objection.id).status == "open"
    for note in ("", "   "):  # a resolution says why, on the page as on the API
        silent = clerk.post(
            f"/bureau/objections/{objection.id}/resolve",
            {"resolution": "dismissed", "note": note},
            from_page="/bureau/objections",
        )
        db.expire_all()
        assert flashes(silent, "error") and db.get(Objection, objection.id).status == "open"
    clerk.post(
        f"/bureau/objections/{objection.id}/resolve",
        {"resolution": "upheld", "note": "重算"},
        from_page="/bureau/objections",
    )
    db.expire_all()
    assert (
        db.get(Objection, objection.id).status == "upheld"
        and db.get(Line, line_a.id).status == "held"
    )
    held = text(clerk.get(f"/bureau/batches/{batch_id}?status=held"))
    assert re.findall(r'class="line-row" data-line-id="(\d+)"', held) == [str(line_a.id)]


def test_the_auditor_reads_everything_and_changes_nothing(month, app, db):
    batch_id = close_in_browser(app)
    auditor = signed_in(app, "auditor1")
    for path in (
        "/bureau",
        f"/bureau/batches/{batch_id}",
        f"/bureau/batches/{batch_id}/payments",
        "/bureau/objections",
        f"/bureau/periods/{PERIOD}/reconciliation",
        "/bureau/enterprises",
        f"/bureau/enterprises/{USCC_A}",
        "/bureau/filings/F-A",
        "/bureau/loans/BK1/C-A",
        f"/bureau/batches/{batch_id}/payees/{USCC_A}/voucher",
    ):
        response = auditor.get(path)
        assert response.status_code == 200, path
        for form in (
            "close-period",
            "submit-batch",
            "approve-batch",
            "reject-batch",
            "record-payments",
        ):
            assert f'id="{form}"' not in text(response), (path, form)
    assert (
        auditor.post(f"/bureau/batches/{batch_id}/submit", from_page="/bureau").status_code == 403
    )


def test_registry_pages(month, app):
    clerk = signed_in(app, "clerk1")
    listing = text(clerk.get("/bureau/enterprises?q=华星"))
    assert USCC_A in listing and USCC_B not in listing
    enterprise = text(clerk.get(f"/bureau/enterprises/{USCC_A}"))
    assert "F-A" in enterprise and "C-A" in enterprise and "¥800,000.00" in enterprise
    loan = text(clerk.get("/bureau/loans/BK1/C-A"))
    assert 'id="balance-timeline"' in loan and "¥500,000.00" in loan and "C-A-I1" in loan
    assert "¥800,000.00" in text(clerk.get("/bureau/filings/F-A"))


# ------------------------------------------------------------------ one read side: the API and the portal agree
def _on_the_api(month, username: str) -> dict:
    token = month.login(username, f"{username}-password")
    return ok(month.client.get(f"{API}/me/subsidies", headers={"Authorization": f"Bearer {token}"}))


def _on_the_portal(app, username: str) -> dict:
    page = text(signed_in(app, username).get("/portal"))
    return {
        "loans": re.findall(r'class="loan-row" data-contract-no="([^"]+)"', page),
        "lines": [int(i) for i in re.findall(r'class="line-row" data-line-id="(\d+)"', page)],
        "objectable": [
            int(i) for i in re.findall(r'class="objection-form" data-line-id="(\d+)"', page)
        ],
        "payments": [
            int(i) for i in re.findall(r'class="payment-row" data-batch-id="(\d+)"', page)
        ],
        "objections": [
            int(i) for i in re.findall(r'class="objection-row" data-objection-id="(\d+)"', page)
        ],
    }


def assert_the_same(month, app, username: str) -> dict:
    """/me/subsidies and /portal show the same loans, lines, objectable lines, payments and
    objections (the page newest first)."""
    api, page = _on_the_api(month, username), _on_the_portal(app, username)
    assert page["loans"] == [loan["contract_no"] for loan in api["loans"]]
    assert page["lines"] == [line["line_id"] for line in reversed(api["lines"])]
    assert page["objectable"] == [
        line["line_id"] for line in reversed(api["lines"]) if line["can_object"]
    ]
    assert page["payments"] == [p["batch_id"] for p in reversed(api["payments"])]
    assert page["objections"] == [o["objection_id"] for o in reversed(api["objections"])]
    return api


def test_the_api_and_the_portal_show_an_enterprise_the_same_lines(month, app, db, bank):
    """Its lines are those paid to it and those about its own loans. Under a policy that pays
    the bank (payee "bank") the line about its loan is paid to BK1: the portal listed it,
    /me/subsidies did not. Both list it now; neither offers an objection to it."""
    february = close_in_browser(app)
    ent_a = signed_in(app, "ent_a")
    a_line = db.scalar(select(Line).where(Line.batch_id == february, Line.payee_id == USCC_A))
    ent_a.post(
        f"/portal/lines/{a_line.id}/objection", {"reason": "利息期间有误"}, from_page="/portal"
    )
    during_publicity = assert_the_same(month, app, "ent_a")
    assert [(x["line_id"], x["can_object"]) for x in during_publicity["lines"]] == [
        (a_line.id, False)
    ]
    assert len(during_publicity["objections"]) == 1
    assert_the_same(month, app, "ent_b")
    assert [x["can_object"] for x in _on_the_api(month, "ent_b")["lines"]] == [True]

    policy = ok(month.request("admin", "GET", "/policy"))
    ok(month.request("admin", "PUT", "/policy", {**policy, "payee": "bank"}))
    month.set_business_date("2023-03-31")
    bk1 = bank.rotate(SimpleNamespace(bank_code="BK1"))
    for contract in ("C-A", "C-B"):
        ok(
            bk1.post(
                f"{API}/loans/{contract}/events",
                json={
                    "event_id": f"{contract}-I2",
                    "type": "interest",
                    "period_start": "2023-02-21",
                    "period_end": "2023-03-31",
                    "paid_on": "2023-03-31",
                    "interest": "1500.00",
                },
            )
        )
    month.set_business_date("2023-04-03")
    march = ok(month.request("clerk", "POST", "/periods/2023-03/close"))["batches"][0]["batch_id"]
    to_the_bank = {
        line.contract_no: line for line in db.scalars(select(Line).where(Line.batch_id == march))
    }
    assert {(c, line.payee_type, line.payee_id) for c, line in to_the_bank.items()} == {
        ("C-A", "bank", "BK1"),
        ("C-B", "bank", "BK1"),
    }

    mine = assert_the_same(month, app, "ent_a")
    assert [
        (x["line_id"], x["payee_type"], x["batch_status"], x["can_object"]) for x in mine["lines"]
    ] == [
        (a_line.id, "enterprise", "ready", False),
        (to_the_bank["C-A"].id, "bank", "publicity", False),
    ]
    staff_view = ok(month.request("auditor", "GET", "/loans/BK1/C-A"))
    assert [loan["subsidy_granted"] for loan in mine["loans"]] == [staff_view["subsidy_granted"]]
    theirs = assert_the_same(month, app, "ent_b")
    assert to_the_bank["C-A"].id not in [x["line_id"] for x in theirs["lines"]]
    assert to_the_bank["C-B"].id in [x["line_id"] for x in theirs["lines"]]
    # its own line page shows the line paid to its bank, and takes no objection to it
    own = signed_in(app, "ent_a").get(f"/portal/lines/{to_the_bank['C-A'].id}")
    assert own.status_code == 200 and 'class="objection-form"' not in text(own)
    assert signed_in(app, "ent_a").get(f"/portal/lines/{to_the_bank['C-B'].id}").status_code == 404


def test_the_english_pages(month, app):
    batch_id = close_in_browser(app)
    ent = signed_in(app, "ent_b")
    ent.client.get("/lang/en")
    page = text(ent.get("/portal"))
    assert (
        "My subsidy lines" in page
        and "The subsidy cannot exceed the normal interest actually paid" in page
    )
    clerk = signed_in(app, "clerk1")
    clerk.client.get("/lang/en")
    refused = clerk.post(
        f"/bureau/batches/{batch_id}/submit", CONFIRMED, from_page=f"/bureau/batches/{batch_id}"
    )
    assert flashes(refused, "error") == [
        "The publicity period is not over yet; the batch cannot be submitted."
    ]
    assert "limited to interest paid" in text(refused)


def test_closing_too_early_is_refused_in_words(month, app, db):
    clerk = signed_in(app, "clerk1")
    refused = clerk.post("/bureau/close", {"period": "2023-03", **CONFIRMED}, from_page="/bureau")
    assert flashes(refused, "error") == ["该月份尚未结束，不能结账。"]
    assert db.scalar(select(func.count()).select_from(Batch)) == 0


def test_a_line_page_shows_its_breakdown_to_staff_and_to_its_enterprise(month, app, db):
    batch_id = close_in_browser(app)
    line_b = db.scalar(select(Line).where(Line.batch_id == batch_id, Line.payee_id == USCC_B))
    clerk = signed_in(app, "clerk1")
    page = text(clerk.get(f"/bureau/lines/{line_b.id}"))
    assert 'id="line-segments"' in page and "中山市美灯照明科技有限公司" in page
    assert 'class="objection-form"' not in page  # staff do not object
    assert f'href="/bureau/lines/{line_b.id}"' in text(clerk.get(f"/bureau/batches/{batch_id}"))
    assert clerk.get("/bureau/lines/99999").status_code == 404
    ent_b = signed_in(app, "ent_b")
    own = text(ent_b.get(f"/portal/lines/{line_b.id}"))
    assert "以实付利息为限" in own and 'class="objection-form"' in own


# ------------------------------------------------------------------ the payee snapshot
OLD_NUMBER = "6222020000000001"  # the month fixture's account, A's and B's alike
NEW_ACCOUNT = {
    "holder": "中山市华星五金制品有限公司",
    "number": "6222029999999999",
    "bank_name": "中国银行中山分行",
}
CHANGED_NOTE = "账户已于提交后变更"


def _api_payees(month, batch_id: int) -> dict[str, dict]:
    return {p["payee_id"]: p for p in paged(month, f"/batches/{batch_id}/payees")}


def _payee_row(page: str, uscc: str) -> str:
    match = re.search(rf'<tr class="payee-row" data-payee-id="{uscc}".*?</tr>', page, re.S)
    assert match, page
    return match.group(0)


def test_what_is_paid_and_where_is_fixed_at_submission(month, app, db):
    # domain.md §7 v2: a clerk changes A's account after submission; the approved batch still
    # pays, prints and lists the account it was submitted with, and the batch page says so.
    batch_id = close_in_browser(app)
    ready_on = db.get(Batch, batch_id).publicity_ends_on + dt.timedelta(days=1)
    before = _api_payees(month, batch_id)[USCC_A]
    assert before["payee_name"] == "中山市华星五金制品有限公司"
    assert before["account"]["number"] == OLD_NUMBER  # not submitted: the current account
    month.set_business_date(ready_on)
    ok(month.request("clerk", "POST", f"/batches/{batch_id}/submit"))

    changed = ok(
        month.request("clerk", "PATCH", f"/enterprises/{USCC_A}", {"account": NEW_ACCOUNT})
    )
    assert changed["account"] == NEW_ACCOUNT
    db.expire_all()
    entry = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "enterprise.update", AuditEntry.entity_id == USCC_A)
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry.before["account"]["number"] == OLD_NUMBER
    assert entry.after["account"] == NEW_ACCOUNT
    ok(month.request("approver", "POST", f"/batches/{batch_id}/approve"))

    payees = _api_payees(month, batch_id)
    assert payees[USCC_A]["payee_name"] == "中山市华星五金制品有限公司"
    assert payees[USCC_A]["account"] == {
        "holder": "中山市华星五金制品有限公司",
        "number": OLD_NUMBER,
        "bank_name": "中山农商银行",
    }
    clerk = signed_in(app, "clerk1")
    voucher = text(clerk.get(f"/bureau/batches/{batch_id}/payees/{USCC_A}/voucher"))
    assert f'id="voucher-account-number">{OLD_NUMBER}<' in voucher
    assert NEW_ACCOUNT["number"] not in voucher and "中国银行中山分行" not in voucher
    page = text(clerk.get(f"/bureau/batches/{batch_id}"))
    assert CHANGED_NOTE in _payee_row(page, USCC_A)
    assert CHANGED_NOTE not in _payee_row(page, USCC_B)
    assert OLD_NUMBER in _payee_row(page, USCC_A)


def test_a_resubmission_copies_the_new_account(month, app, db):
    batch_id = close_in_browser(app)
    month.set_business_date(db.get(Batch, batch_id).publicity_ends_on + dt.timedelta(days=1))
    ok(month.request("clerk", "POST", f"/batches/{batch_id}/submit"))
    ok(month.request("clerk", "PATCH", f"/enterprises/{USCC_A}", {"account": NEW_ACCOUNT}))
    ok(month.request("approver", "POST", f"/batches/{batch_id}/reject", {"reason": "账户已变更"}))
    db.expire_all()
    kept = db.scalar(
        select(BatchPayee).where(BatchPayee.batch_id == batch_id, BatchPayee.payee_id == USCC_A)
    )
    assert kept.account_number == OLD_NUMBER  # a rejection keeps what was submitted
    # back to ready: the batch shows the current account again, with no note
    assert _api_payees(month, batch_id)[USCC_A]["account"] == NEW_ACCOUNT
    clerk = signed_in(app, "clerk1")
    assert CHANGED_NOTE not in text(clerk.get(f"/bureau/batches/{batch_id}"))

    ok(month.request("clerk", "POST", f"/batches/{batch_id}/submit"))
    ok(month.request("approver", "POST", f"/batches/{batch_id}/approve"))
    assert _api_payees(month, batch_id)[USCC_A]["account"] == NEW_ACCOUNT
    voucher = text(clerk.get(f"/bureau/batches/{batch_id}/payees/{USCC_A}/voucher"))
    assert f'id="voucher-account-number">{NEW_ACCOUNT["number"]}<' in voucher
    assert CHANGED_NOTE not in text(clerk.get(f"/bureau/batches/{batch_id}"))


def test_a_bad_account_is_refused_and_changes_nothing(month, app, db):
    batch_id = close_in_browser(app)
    month.set_business_date(db.get(Batch, batch_id).publicity_ends_on + dt.timedelta(days=1))
    ok(month.request("clerk", "POST", f"/batches/{batch_id}/submit"))
    before = audit_count(db)
    bad = month.request(
        "clerk",
        "PATCH",
        f"/enterprises/{USCC_A}",
        {"account": {"holder": "x", "bank_name": "y"}},
    )
    refused_with(bad, 422, "required", "account.number")
    assert audit_count(db) == before
    view = ok(month.request("auditor", "GET", f"/enterprises/{USCC_A}"))
    assert view["account"]["number"] == OLD_NUMBER
    assert CHANGED_NOTE not in text(signed_in(app, "clerk1").get(f"/bureau/batches/{batch_id}"))
