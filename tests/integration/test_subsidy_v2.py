"""domain.md v2's subsidy rules through the HTTP API (api.md "Version 2 additions"):
`industry_code` on enterprises, `subsidy_eligible` on products, the policy's
`subsidy_window_anchor` and `eligible_industries`, the refusal `product_not_eligible` (each
refusal changing nothing), the industry rule and the lapse by contract start_date through the
close. W0 under the enterprise anchor through the close is in test_close.py, beside the
incremental-equals-full check it uses.

The intake world: business date 2023-02-01, filing F1 of USCC approved 2023-02-01, F2 of
OTHER_USCC approved 2023-01-20, products BOC-SZD and ABC-ZZD (subsidy products).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loanledger.persistence.tables import AuditEntry, DirtyMark, Enterprise, Line, RecordState
from tests.support.api import API, ok, put_policy, refused, staff_post
from tests.support.ledger import close
from tests.support.world import (
    OTHER_USCC,
    USCC,
    USCCS,
    add_enterprise,
    counts,
    event,
    loan,
    loan_body,
    small_world,
)

NOT_ELIGIBLE = {
    "product_code": "BOC-JYD",
    "bank_code": "BOC-ZS",
    "name": "经营贷",
    "risk_covered": False,
    "subsidy_eligible": False,
}


def enterprise_row(db, uscc: str) -> tuple:
    db.expire_all()
    e = db.get(Enterprise, uscc)
    row = (e.industry_code, e.industry, e.name)
    db.rollback()
    return row


def marks(db, scope: str, key: str) -> int:
    db.expire_all()
    n = db.scalar(
        select(func.count())
        .select_from(DirtyMark)
        .where(DirtyMark.scope == scope, DirtyMark.key == key)
    )
    db.rollback()
    return n


# ------------------------------------------------------------------ industry_code
@pytest.mark.parametrize("code", ["c3879", "U1", "C12345", "C-38", "C 38", "", 3879, ["C"]])
def test_an_industry_code_not_in_gb_t_4754_form_is_422_and_creates_nothing(world, staff, db, code):
    before = counts(db)
    body = {"uscc": USCCS[2], "name": "古镇灯饰", "established_on": "2012-01-01"}
    r = staff.request("clerk", "POST", "/enterprises", {**body, "industry_code": code})
    refused(r, 422, "invalid_format", "industry_code")
    assert counts(db) == before
    assert staff.request("clerk", "GET", f"/enterprises/{USCCS[2]}").status_code == 404


def test_an_enterprise_keeps_and_shows_its_industry_code(world, staff):
    body = {"uscc": USCCS[2], "name": "古镇灯饰", "established_on": "2012-01-01"}
    view = ok(staff.request("clerk", "POST", "/enterprises", {**body, "industry_code": "C3872"}))
    assert view["industry_code"] == "C3872"
    assert (
        ok(staff.request("auditor", "GET", f"/enterprises/{USCCS[2]}"))["industry_code"] == "C3872"
    )
    listed = ok(staff.request("auditor", "GET", "/enterprises"))["items"]
    assert {e["uscc"]: e["industry_code"] for e in listed} == {
        USCC: "C3879",
        OTHER_USCC: "C3879",
        USCCS[2]: "C3872",
    }
    # the same content again is a no-op; another code is other content
    assert (
        staff.request(
            "clerk", "POST", "/enterprises", {**body, "industry_code": "C3872"}
        ).status_code
        == 200
    )
    refused(staff.request("clerk", "POST", "/enterprises", body), 409, "invalid_state", "uscc")


def test_patch_changes_the_industry_code_and_marks_the_enterprise_for_the_close(world, staff, db):
    before = counts(db)
    refused(
        staff.request("clerk", "PATCH", f"/enterprises/{USCC}", {"industry_code": "manufacturing"}),
        422,
        "invalid_format",
        "industry_code",
    )
    assert counts(db) == before and enterprise_row(db, USCC)[0] == "C3879"
    # the same code again changes nothing, marks nothing
    ok(staff.request("clerk", "PATCH", f"/enterprises/{USCC}", {"industry_code": "C3879"}))
    assert counts(db) == before
    view = ok(staff.request("clerk", "PATCH", f"/enterprises/{USCC}", {"industry_code": "I6510"}))
    assert view["industry_code"] == "I6510" and enterprise_row(db, USCC)[0] == "I6510"
    assert marks(db, "enterprise", USCC) == 1
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "enterprise.update")).one()
    assert (entry.before, entry.after) == ({"industry_code": "C3879"}, {"industry_code": "I6510"})
    db.rollback()
    view = ok(staff.request("clerk", "PATCH", f"/enterprises/{USCC}", {"industry_code": None}))
    assert view["industry_code"] is None


# ------------------------------------------------------------------ subsidy_eligible
def test_a_product_is_a_subsidy_product_unless_it_says_otherwise(world, staff):
    plain = {
        "product_code": "ABC-2",
        "bank_code": "ABC-ZS",
        "name": "智造贷二",
        "risk_covered": True,
    }
    assert ok(staff.request("clerk", "POST", "/products", plain))["subsidy_eligible"] is True
    assert (
        ok(staff.request("clerk", "POST", "/products", NOT_ELIGIBLE))["subsidy_eligible"] is False
    )
    listed = ok(staff.request("auditor", "GET", "/products?bank_code=BOC-ZS"))["items"]
    assert {p["product_code"]: p["subsidy_eligible"] for p in listed} == {
        "BOC-JYD": False,
        "BOC-SZD": True,
    }
    refused(
        staff.request("clerk", "POST", "/products", {**NOT_ELIGIBLE, "subsidy_eligible": True}),
        409,
        "invalid_state",
        "product_code",
    )


@pytest.mark.parametrize("flag", ["false", 0, None])
def test_subsidy_eligible_is_a_json_boolean(world, staff, db, flag):
    before = counts(db)
    r = staff.request("clerk", "POST", "/products", {**NOT_ELIGIBLE, "subsidy_eligible": flag})
    refused(r, 422, "invalid_format" if flag is not None else "required", "subsidy_eligible")
    assert counts(db) == before
    listed = ok(staff.request("auditor", "GET", "/products?bank_code=BOC-ZS"))["items"]
    assert [p["product_code"] for p in listed] == ["BOC-SZD"]


# ------------------------------------------------------------------ product_not_eligible (§6)
@pytest.fixture
def jyd(world, staff):
    """The intake world with BOC's ordinary (not subsidy_eligible) product BOC-JYD."""
    staff_post(staff, "/products", NOT_ELIGIBLE)
    return world


def test_naming_a_filing_on_a_product_not_subsidy_eligible_is_refused(jyd, db):
    before = counts(db)
    r = jyd["boc"].post(f"{API}/loans", json=loan_body(product_code="BOC-JYD", filing_no="F1"))
    refused(r, 422, "product_not_eligible", "filing_no")
    assert counts(db) == before
    # even a filing that is not the enterprise's: the product is the first rule broken
    r = jyd["boc"].post(f"{API}/loans", json=loan_body(product_code="BOC-JYD", filing_no="F2"))
    refused(r, 422, "product_not_eligible", "filing_no")
    assert counts(db) == before


def test_bulk_refuses_the_item_that_names_a_filing_and_registers_the_other_unlinked(jyd, db):
    items = [
        {**loan_body(contract_no="B-1", product_code="BOC-JYD", filing_no="F1")},
        {**loan_body(contract_no="B-2", product_code="BOC-JYD")},
    ]
    body = ok(jyd["boc"].post(f"{API}/loans:bulk", json={"loans": items}), 200)
    assert [r["status"] for r in body["results"]] == ["rejected", "created"]
    assert body["results"][0]["errors"][0]["code"] == "product_not_eligible"
    assert body["results"][0]["errors"][0]["field"] == "loans[0].filing_no"
    assert jyd["boc"].get(f"{API}/loans/B-1").status_code == 404
    assert jyd["boc"].get(f"{API}/loans/B-2").get_json()["filing_no"] is None
    before = counts(db)
    items = [
        loan_body(contract_no="B-3", product_code="BOC-JYD"),
        loan_body(contract_no="B-4", product_code="BOC-JYD", filing_no="F1"),
    ]
    atomic = jyd["boc"].post(f"{API}/loans:bulk", json={"loans": items}, params={"atomic": "true"})
    refused(atomic, 422, "product_not_eligible")
    assert counts(db) == before


def test_auto_link_skips_a_loan_of_a_product_not_subsidy_eligible(jyd, staff):
    """F1 is USCC's only candidate: a subsidy product's loan is linked to it, an ordinary
    product's stays unlinked, and its eligibility says product_not_eligible (not no_filing)."""
    linked = ok(jyd["boc"].post(f"{API}/loans", json=loan_body(contract_no="C-0")), 201)
    assert linked["filing_no"] == "F1"
    view = ok(jyd["boc"].post(f"{API}/loans", json=loan_body(product_code="BOC-JYD")), 201)
    assert view["filing_no"] is None
    assert view["eligibility"] == {
        "eligible": False,
        "reasons": ["product_not_eligible", "no_disbursement"],
    }
    event(jyd["boc"], "C-1", event_id="D1", type="disbursement", date="2023-02-01", amount="100.00")
    view = ok(staff.request("auditor", "GET", "/loans/BOC-ZS/C-1"))
    assert view["eligibility"] == {"eligible": False, "reasons": ["product_not_eligible"]}


def test_a_clerk_cannot_link_a_loan_of_a_product_not_subsidy_eligible(jyd, staff, db):
    ok(jyd["boc"].post(f"{API}/loans", json=loan_body(product_code="BOC-JYD")), 201)
    before = counts(db)
    refused(
        staff.request("clerk", "PUT", "/loans/BOC-ZS/C-1/filing", {"filing_no": "F1"}),
        422,
        "product_not_eligible",
        "filing_no",
    )
    assert counts(db) == before
    assert ok(staff.request("auditor", "GET", "/loans/BOC-ZS/C-1"))["filing_no"] is None


# ------------------------------------------------------------------ the policy's v2 keys
def test_the_policy_shows_and_takes_the_window_anchor_and_the_industries(world, staff):
    current = ok(staff.request("auditor", "GET", "/policy"))
    assert (current["subsidy_window_anchor"], current["eligible_industries"]) == (
        "enterprise",
        ["C"],
    )
    saved = ok(
        put_policy(staff, {"subsidy_window_anchor": "filing", "eligible_industries": ["C", "I65"]})
    )
    assert (saved["version"], saved["subsidy_window_anchor"], saved["eligible_industries"]) == (
        current["version"] + 1,
        "filing",
        ["C", "I65"],
    )
    assert ok(staff.request("auditor", "GET", "/policy")) == saved
    saved = ok(put_policy(staff, {"subsidy_window_anchor": "loan", "eligible_industries": None}))
    assert (saved["subsidy_window_anchor"], saved["eligible_industries"]) == ("loan", None)
    # a version 1 document (none of v2's keys) gets §3's defaults
    v1 = {
        k: v for k, v in saved.items() if k not in ("subsidy_window_anchor", "eligible_industries")
    }
    saved = ok(staff.request("admin", "PUT", "/policy", v1))
    assert (saved["subsidy_window_anchor"], saved["eligible_industries"]) == ("enterprise", ["C"])


def test_a_bad_anchor_or_industry_list_is_422_naming_each_and_saves_nothing(world, staff, db):
    before = ok(staff.request("auditor", "GET", "/policy"))
    audit = counts(db)
    r = put_policy(staff, {"subsidy_window_anchor": "bank", "eligible_industries": ["C", "c39"]})
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert [(e["field"], e["code"]) for e in r.get_json()["errors"]] == [
        ("eligible_industries[1]", "invalid_format"),
        ("subsidy_window_anchor", "invalid_format"),
    ]
    refused(
        put_policy(staff, {"eligible_industries": []}), 422, "invalid_format", "eligible_industries"
    )
    assert ok(staff.request("auditor", "GET", "/policy")) == before and counts(db) == audit


# ------------------------------------------------------------------ item 0 through the close
def _one_loan_world(staff, bank, *, industry_code, rule_off=False):
    """USCCS[0] (with `industry_code`) and F1; loan C1 of 500,000.00 at 3.6 % from
    2023-01-03: 50.00 a day; an interest record for January, paid 2023-02-03. `rule_off`:
    a policy without the industry rule, in force from the start."""
    banks = small_world(staff, bank)
    if rule_off:
        assert put_policy(staff, {"eligible_industries": None}).status_code == 200
    staff_post(
        staff,
        "/enterprises",
        {
            "uscc": USCCS[0],
            "name": "企业",
            "established_on": "2012-01-01",
            "industry_code": industry_code,
        },
    )
    staff_post(
        staff,
        "/filings",
        {
            "filing_no": "F1",
            "uscc": USCCS[0],
            "project_name": "MES",
            "eligible_investment": "800000.00",
            "approved_on": "2022-12-01",
        },
    )
    staff.set_business_date("2023-01-03")
    loan(banks["BK1"], "C1", USCCS[0], "F1", "500000.00", "2023-01-03")
    event(
        banks["BK1"], "C1", event_id="D", type="disbursement", date="2023-01-03", amount="500000.00"
    )
    staff.set_business_date("2023-02-03")
    event(
        banks["BK1"],
        "C1",
        event_id="I1",
        type="interest",
        period_start="2023-01-03",
        period_end="2023-02-03",
        paid_on="2023-02-03",
        interest="1550.00",
    )
    return banks


def _lines(db) -> list[tuple]:
    db.expire_all()
    rows = db.execute(
        select(Line.period, Line.kind, Line.event_id, Line.amount_fen, Line.reasons).order_by(
            Line.id
        )
    ).all()
    db.rollback()
    return [tuple(r) for r in rows]


def test_an_enterprise_outside_the_industries_earns_nothing_until_its_code_is_one(staff, bank, db):
    """Non-manufacturing (I6510): January's record is owed nothing (no line, its state says
    why, so does the loan view). The code corrected to C3879: the next close pays the 31 days
    (1,550.00, the record's first line, kind interest). Changed back: an adjustment takes it
    back, its reasons saying industry_not_eligible."""
    _one_loan_world(staff, bank, industry_code="I6510")
    view = ok(staff.request("auditor", "GET", "/loans/BK1/C1"))
    assert view["eligibility"] == {"eligible": False, "reasons": ["industry_not_eligible"]}
    staff.set_business_date("2023-03-01")
    assert ok(close(staff, "2023-02"))["subsidy_total"] == "0.00"
    assert _lines(db) == []
    state = db.scalars(select(RecordState)).one()
    assert (state.computed_fen, state.reasons) == (0, ["industry_not_eligible"])
    db.rollback()

    ok(staff.request("clerk", "PATCH", f"/enterprises/{USCCS[0]}", {"industry_code": "C3879"}))
    assert ok(staff.request("auditor", "GET", "/loans/BK1/C1"))["eligibility"]["eligible"] is True
    staff.set_business_date("2023-04-01")
    assert ok(close(staff, "2023-03"))["subsidy_total"] == "1550.00"
    ok(staff.request("clerk", "PATCH", f"/enterprises/{USCCS[0]}", {"industry_code": "I6510"}))
    staff.set_business_date("2023-05-01")
    ok(close(staff, "2023-04"))
    assert _lines(db) == [
        ("2023-03", "interest", "I1", 155_000, []),
        ("2023-04", "adjustment", "I1", -155_000, ["industry_not_eligible"]),
    ]


def test_without_an_industry_rule_an_enterprise_without_a_code_is_subsidised(staff, bank, db):
    _one_loan_world(staff, bank, industry_code=None, rule_off=True)
    staff.set_business_date("2023-03-01")
    assert ok(close(staff, "2023-02"))["subsidy_total"] == "1550.00"


# ------------------------------------------------------------------ lapse by start_date (§4.2 item 1)
def test_a_loan_registered_later_with_an_early_start_undoes_a_lapse(staff, bank, db):
    """F1 approved 2022-12-01 (deadline 2023-05-30). C1 names it but starts 2023-06-01: F1
    has lapsed, C1's June record is owed nothing. C0, registered in July with a contract
    starting 2023-05-30, saves F1: the July close pays C1's June record (30 days, 1,500.00)."""
    banks = small_world(staff, bank)
    add_enterprise(staff, USCCS[0], "F1")
    staff.set_business_date("2023-06-01")
    loan(banks["BK1"], "C1", USCCS[0], "F1", "500000.00", "2023-06-01")
    event(
        banks["BK1"],
        "C1",
        event_id="D1",
        type="disbursement",
        date="2023-06-01",
        amount="500000.00",
    )
    assert ok(staff.request("auditor", "GET", "/filings/F1"))["status"] == "lapsed"
    staff.set_business_date("2023-07-01")
    event(
        banks["BK1"],
        "C1",
        event_id="I1",
        type="interest",
        period_start="2023-06-01",
        period_end="2023-07-01",
        paid_on="2023-07-01",
        interest="1500.00",
    )
    view = ok(staff.request("auditor", "GET", "/loans/BK1/C1"))
    assert view["eligibility"] == {"eligible": False, "reasons": ["filing_lapsed"]}
    staff.set_business_date("2023-07-02")
    assert ok(close(staff, "2023-06"))["subsidy_total"] == "0.00"
    # a disbursement in time would not have helped (v1's rule); a contract starting in time does
    loan(banks["BK2"], "C0", USCCS[0], "F1", "100000.00", "2023-05-30")
    assert ok(staff.request("auditor", "GET", "/filings/F1"))["status"] == "active"
    assert ok(staff.request("auditor", "GET", "/loans/BK1/C1"))["eligibility"]["eligible"] is True
    staff.set_business_date("2023-08-01")
    assert ok(close(staff, "2023-07"))["subsidy_total"] == "1500.00"
    assert _lines(db) == [("2023-07", "interest", "I1", 150_000, [])]


def test_auto_link_takes_a_filing_by_the_new_loans_own_start_date(staff, bank):
    """F1 approved 2022-12-01 has no loan yet: a loan without filing_no starting on the
    deadline (2023-05-30) is matched to it; one starting the day after, with no loan of F1
    starting in time, is not (F1 had lapsed by then)."""
    banks = small_world(staff, bank)
    add_enterprise(staff, USCCS[0], "F1")
    staff.set_business_date("2023-05-31")
    late = loan(banks["BK1"], "C2", USCCS[0], None, "100000.00", "2023-05-31")
    assert (late["filing_no"], late["eligibility"]["reasons"][0]) == (None, "no_filing")
    in_time = loan(banks["BK1"], "C1", USCCS[0], None, "100000.00", "2023-05-30")
    assert in_time["filing_no"] == "F1"
    # now F1 has a loan that started in time: a later loan is matched too
    again = loan(banks["BK1"], "C3", USCCS[0], None, "100000.00", "2023-05-31")
    assert again["filing_no"] == "F1"
