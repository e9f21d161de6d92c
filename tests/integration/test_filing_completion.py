"""A filing's completion (验收, domain.md §2 and §6 v2; api.md "Version 2 additions"):
`POST /filings/{filing_no}/complete`, its refusals (each changing nothing), what it does to
matching (auto-link, naming, `max_active_filings`) and what it leaves alone (the subsidy of
the filing's loans).

The intake world: business date 2023-02-01, filing F1 of USCC approved 2023-02-01, F2 of
OTHER_USCC approved 2023-01-20.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loanledger.persistence.tables import AuditEntry, Filing, Line
from loanledger.services import registry
from tests.support.api import API, ok, refused
from tests.support.ledger import close
from tests.support.web import Web, text
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


def complete(staff, filing_no="F1", body=None, role="clerk"):
    body = {"completed_on": "2023-02-20", "note": "验收合格"} if body is None else body
    return staff.request(role, "POST", f"/filings/{filing_no}/complete", body)


def filing_state(db, filing_no="F1"):
    db.expire_all()
    f = db.get(Filing, filing_no)
    state = (f.completed_on, f.completion_note, f.revoked_on)
    db.rollback()
    return state


@pytest.fixture
def later(world, staff):
    """The intake world on 2023-03-01."""
    staff.set_business_date("2023-03-01")
    return world


# ------------------------------------------------------------------ the endpoint
def test_complete_makes_the_filing_completed_from_its_date(later, staff, db):
    r = complete(staff)
    assert r.status_code == 200, r.get_data(as_text=True)
    view = r.get_json()
    assert (view["status"], view["completed_on"], view["completion_note"]) == (
        "completed",
        "2023-02-20",
        "验收合格",
    )
    assert view["revoked_on"] is None and view["clawback"] is False
    assert ok(staff.request("auditor", "GET", "/filings/F1"))["status"] == "completed"
    listed = ok(staff.request("clerk", "GET", "/filings?status=completed"))["items"]
    assert [f["filing_no"] for f in listed] == ["F1"]
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "filing.complete")).all()
    assert entry.entity_id == "F1" and entry.actor.startswith("user:clerk")
    assert "completed_on" not in entry.before
    assert (entry.after["completed_on"], entry.after["completion_note"]) == (
        "2023-02-20",
        "验收合格",
    )
    f = db.get(Filing, "F1")
    assert registry.filing_status(db, f, dt.date(2023, 2, 19)) == "active"
    assert registry.filing_status(db, f, dt.date(2023, 2, 20)) == "completed"
    db.rollback()


def test_the_note_is_optional_and_the_date_may_be_the_approval_or_the_business_date(later, staff):
    view = ok(complete(staff, body={"completed_on": "2023-02-01"}))
    assert (view["completed_on"], view["completion_note"]) == ("2023-02-01", None)
    view = ok(complete(staff, "F2", body={"completed_on": "2023-03-01", "note": None}))
    assert (view["status"], view["completed_on"]) == ("completed", "2023-03-01")


@pytest.mark.parametrize(
    "body,code,field",
    [
        ({"completed_on": "2023-03-02"}, "future_date", "completed_on"),
        ({"completed_on": "2023-01-31"}, "invalid_format", "completed_on"),
        ({}, "required", "completed_on"),
        ({"completed_on": "2023-02-30"}, "invalid_format", "completed_on"),
        ({"completed_on": "20230220"}, "invalid_format", "completed_on"),
        ({"completed_on": "2023-02-20", "note": ""}, "invalid_format", "note"),
        ({"completed_on": "2023-02-20", "colour": "red"}, "unknown_field", "colour"),
    ],
)
def test_a_bad_body_or_date_is_422_and_changes_nothing(later, staff, db, body, code, field):
    before = counts(db)
    refused(complete(staff, body=body), 422, code, field)
    assert counts(db) == before and filing_state(db) == (None, None, None)
    assert ok(staff.request("clerk", "GET", "/filings/F1"))["status"] == "active"


def test_only_an_active_filing_can_be_completed(later, staff, db):
    # already completed
    ok(complete(staff))
    before = counts(db)
    refused(complete(staff, body={"completed_on": "2023-02-25"}), 409, "invalid_state")
    assert counts(db) == before and filing_state(db)[0] == dt.date(2023, 2, 20)
    # revoked
    ok(
        staff.request(
            "clerk",
            "POST",
            "/filings/F2/revoke",
            {"reason": "撤销", "effective_on": "2023-02-10", "clawback": False},
        )
    )
    before = counts(db)
    refused(complete(staff, "F2"), 409, "invalid_state")
    assert counts(db) == before and filing_state(db, "F2")[:2] == (None, None)
    # lapsed: approved more than filing_lapse_days before the business date, never disbursed
    ok(
        staff.request(
            "clerk",
            "POST",
            "/filings",
            {
                "filing_no": "F9",
                "uscc": OTHER_USCC,
                "project_name": "旧",
                "eligible_investment": "100.00",
                "approved_on": "2022-07-01",
            },
        ),
        201,
    )
    assert ok(staff.request("clerk", "GET", "/filings/F9"))["status"] == "lapsed"
    before = counts(db)
    refused(complete(staff, "F9", {"completed_on": "2022-08-01"}), 409, "invalid_state")
    assert counts(db) == before and filing_state(db, "F9") == (None, None, None)


def test_an_unknown_filing_is_404_and_roles_are_those_of_a_revocation(later, staff, db):
    before = counts(db)
    assert complete(staff, "NOPE").status_code == 404
    for role in ("auditor", "approver"):
        staff.token(role)
        before = counts(db)
        refused(complete(staff, role=role), 403, "forbidden")
        assert counts(db) == before
    assert filing_state(db) == (None, None, None)
    assert complete(staff, role="admin").status_code == 200


def test_a_completed_filing_can_still_be_revoked_and_revoked_outranks_completed(later, staff):
    ok(complete(staff, body={"completed_on": "2023-02-10"}))
    view = ok(
        staff.request(
            "clerk",
            "POST",
            "/filings/F1/revoke",
            {"reason": "虚假验收", "effective_on": "2023-02-20", "clawback": False},
        )
    )
    assert (view["status"], view["completed_on"], view["revoked_on"]) == (
        "revoked",
        "2023-02-10",
        "2023-02-20",
    )


# ------------------------------------------------------------------ matching (§6)
def test_auto_link_skips_a_filing_completed_before_the_start_date(later, staff):
    ok(
        staff.request(
            "clerk",
            "POST",
            "/filings",
            {
                "filing_no": "F3",
                "uscc": USCC,
                "project_name": "第二",
                "eligible_investment": "100.00",
                "approved_on": "2023-01-15",
            },
        ),
        201,
    )
    # two candidates before the completion
    view = ok(later["boc"].post(f"{API}/loans", json=loan_body(contract_no="C-0")), 201)
    assert view["filing_no"] is None and "ambiguous_filing" in view["eligibility"]["reasons"]
    ok(complete(staff, body={"completed_on": "2023-02-10"}))
    # starting after the completion: F1 is skipped, F3 is the only candidate
    view = ok(
        later["boc"].post(
            f"{API}/loans", json=loan_body(contract_no="C-1", start_date="2023-02-11")
        ),
        201,
    )
    assert view["filing_no"] == "F3"
    # starting on the day of completion: F1 was not completed *before* it, both are candidates
    view = ok(
        later["boc"].post(
            f"{API}/loans", json=loan_body(contract_no="C-2", start_date="2023-02-10")
        ),
        201,
    )
    assert view["filing_no"] is None and "ambiguous_filing" in view["eligibility"]["reasons"]


def test_auto_link_leaves_a_loan_unlinked_when_the_only_filing_is_completed(later, staff):
    ok(complete(staff, body={"completed_on": "2023-02-10"}))
    view = ok(later["boc"].post(f"{API}/loans", json=loan_body(start_date="2023-02-11")), 201)
    assert view["filing_no"] is None and "no_filing" in view["eligibility"]["reasons"]


def test_naming_a_filing_completed_before_the_start_date_is_refused(later, staff, db):
    ok(complete(staff, body={"completed_on": "2023-02-10"}))
    before = counts(db)
    refused(
        later["boc"].post(f"{API}/loans", json=loan_body(filing_no="F1", start_date="2023-02-11")),
        422,
        "filing_completed",
        "filing_no",
    )
    assert counts(db) == before
    # registered unlinked, then linked by a clerk: refused the same way
    ok(later["boc"].post(f"{API}/loans", json=loan_body(start_date="2023-02-11")), 201)
    before = counts(db)
    refused(
        staff.request("clerk", "PUT", "/loans/BOC-ZS/C-1/filing", {"filing_no": "F1"}),
        422,
        "filing_completed",
        "filing_no",
    )
    assert counts(db) == before
    assert ok(staff.request("clerk", "GET", "/loans/BOC-ZS/C-1"))["filing_no"] is None
    # a loan starting on the day of completion may name it
    view = ok(
        later["boc"].post(
            f"{API}/loans",
            json=loan_body(contract_no="C-2", filing_no="F1", start_date="2023-02-10"),
        ),
        201,
    )
    assert view["filing_no"] == "F1"


def test_a_completed_filing_does_not_count_toward_max_active_filings(later, staff):
    def filing(no):
        return staff.request(
            "clerk",
            "POST",
            "/filings",
            {
                "filing_no": no,
                "uscc": OTHER_USCC,
                "project_name": no,
                "eligible_investment": "100.00",
                "approved_on": "2023-02-15",
            },
        )

    assert filing("F4").status_code == 201  # F2 and F4: two active, the default maximum
    refused(filing("F5"), 422, "max_active_filings", "uscc")
    ok(complete(staff, "F2"))
    assert filing("F5").status_code == 201


# ------------------------------------------------------------------ the close (§4.2)
def test_the_loans_of_a_filing_completed_mid_year_keep_their_subsidy(staff, bank, db):
    """Two like loans of two enterprises; one filing is completed between their interest
    payments: both keep the same subsidy lines, before and after the completion."""
    banks = small_world(staff, bank)
    add_enterprise(staff, USCCS[0], "F1")
    add_enterprise(staff, USCCS[1], "F2")
    staff.set_business_date("2023-03-01")
    for contract, uscc, filing_no in (("C1", USCCS[0], "F1"), ("C2", USCCS[1], "F2")):
        loan(banks["BK1"], contract, uscc, filing_no, "500000.00", "2023-03-01")
        event(
            banks["BK1"],
            contract,
            event_id=f"{contract}-D",
            type="disbursement",
            date="2023-03-01",
            amount="500000.00",
        )
    staff.set_business_date("2023-03-21")
    ok(complete(staff, "F1", {"completed_on": "2023-03-10"}))
    for n, (start, end, close_on, period) in enumerate(
        (
            ("2023-03-01", "2023-03-21", "2023-04-01", "2023-03"),
            ("2023-03-21", "2023-04-21", "2023-05-01", "2023-04"),
        )
    ):
        staff.set_business_date(end)
        for contract in ("C1", "C2"):
            event(
                banks["BK1"],
                contract,
                event_id=f"{contract}-I{n}",
                type="interest",
                period_start=start,
                period_end=end,
                paid_on=end,
                interest="1000.00",
            )
        staff.set_business_date(close_on)
        assert ok(close(staff, period))["subsidy_total"] == "2000.00"
    lines = db.execute(
        select(Line.contract_no, Line.period, Line.amount_fen).order_by(
            Line.period, Line.contract_no
        )
    ).all()
    db.rollback()
    assert [tuple(x) for x in lines] == [
        ("C1", "2023-03", 100_000),
        ("C2", "2023-03", 100_000),
        ("C1", "2023-04", 100_000),
        ("C2", "2023-04", 100_000),
    ]
    view = ok(staff.request("clerk", "GET", "/loans/BK1/C1"))
    assert view["filing_no"] == "F1" and view["eligibility"]["eligible"] is True


# ------------------------------------------------------------------ the page
def test_the_filing_page_shows_the_completion(later, staff, app):
    ok(complete(staff))
    web = Web(app)
    web.login("clerk-page", staff.create("clerk-page", "clerk"))
    page = text(web.get("/bureau/filings/F1"))
    assert "已验收" in page and "验收日期" in page and "2023-02-20" in page and "验收合格" in page
    web.client.get("/lang/en")
    page = text(web.get("/bureau/filings/F1"))
    assert "completed" in page and "Completed on" in page
