"""Bank intake through the HTTP API: loans and events, every refusal code of api.md.

Each refusal is checked for its status, its code and field, and that nothing changed.
"""

from __future__ import annotations

import datetime as dt

import pytest

from loanledger.services import read
from tests.support.api import API, refused
from tests.support.world import OTHER_USCC, USCC, counts, loan_body


# ------------------------------------------------------------------ loans
def test_register_matches_the_only_filing_and_decides_coverage(world, staff):
    response = world["boc"].post(f"{API}/loans", json=loan_body())
    assert response.status_code == 201, response.get_data(as_text=True)
    view = response.get_json()
    assert view["filing_no"] == "F1" and view["coverage"] == "covered"
    assert (
        view["principal"] == "5000000.00"
        and view["balance"] == "0.00"
        and view["status"] == "active"
    )
    assert view["eligibility"] == {"eligible": False, "reasons": ["no_disbursement"]}
    again = world["boc"].post(f"{API}/loans", json=loan_body())
    assert again.status_code == 200 and again.get_json()["contract_no"] == "C-1"


def test_a_loan_without_a_single_candidate_filing_stays_unlinked(world, staff):
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
    )
    view = world["boc"].post(f"{API}/loans", json=loan_body()).get_json()
    assert view["filing_no"] is None
    assert view["eligibility"]["reasons"] == ["ambiguous_filing", "no_disbursement"]
    linked = staff.request("clerk", "PUT", "/loans/BOC-ZS/C-1/filing", {"filing_no": "F1"})
    assert linked.status_code == 200 and linked.get_json()["filing_no"] == "F1"
    refused(
        staff.request("clerk", "PUT", "/loans/BOC-ZS/C-1/filing", {"filing_no": "F3"}),
        409,
        "already_linked",
    )


def test_capacity_decides_coverage_at_registration(world):
    view = world["boc"].post(f"{API}/loans", json=loan_body(principal="200000000.00")).get_json()
    assert view["coverage"] == "covered"
    view = (
        world["boc"]
        .post(f"{API}/loans", json=loan_body(contract_no="C-2", principal="0.01"))
        .get_json()
    )
    assert view["coverage"] == "not_covered_capacity"


@pytest.mark.parametrize(
    "changes, status, code, field",
    [
        ({"principal": 5000000}, 422, "invalid_format", "principal"),
        ({"principal": "5000000.001"}, 422, "invalid_format", "principal"),
        ({"principal": "-1.00"}, 422, "invalid_format", "principal"),
        ({"annual_rate": "25"}, 422, "invalid_format", "annual_rate"),
        ({"annual_rate": "0"}, 422, "invalid_format", "annual_rate"),
        ({"start_date": "20230201"}, 422, "invalid_format", "start_date"),
        ({"colour": "red"}, 422, "unknown_field", "colour"),
        ({"uscc": None}, 422, "required", "uscc"),
        ({"contract_no": "A/B"}, 422, "invalid_format", "contract_no"),
        ({"contract_no": "A\x00B"}, 422, "invalid_format", "contract_no"),
        ({"product_code": "ABC-ZZD"}, 422, "unknown_product", "product_code"),
        ({"uscc": "914420006FA300000X"}, 422, "invalid_uscc", "uscc"),
        ({"uscc": "91442000MA4UJX9X3G"}, 422, "unknown_enterprise", "uscc"),
        ({"filing_no": "NOPE"}, 422, "unknown_filing", "filing_no"),
        ({"filing_no": "F2"}, 422, "filing_enterprise_mismatch", "filing_no"),
        ({"maturity_date": "2023-02-01"}, 422, "maturity_not_after_start", "maturity_date"),
    ],
)
def test_loan_refusals_change_nothing(world, db, changes, status, code, field):
    if code == "unknown_enterprise":
        from loanledger.domain.uscc import uscc_with_check

        changes = {"uscc": uscc_with_check("91442000MA4UJX9X3")}
    before = counts(db)
    refused(world["boc"].post(f"{API}/loans", json=loan_body(**changes)), status, code, field)
    assert counts(db) == before


def test_same_contract_other_content_is_a_conflict(world, db):
    world["boc"].post(f"{API}/loans", json=loan_body())
    before = counts(db)
    refused(
        world["boc"].post(f"{API}/loans", json=loan_body(principal="6000000.00")),
        422,
        "contract_conflict",
    )
    assert counts(db) == before


def test_malformed_json_is_400(world):
    response = world["boc"].post(f"{API}/loans", body=b"{not json")
    refused(response, 400, "malformed_json")


# ------------------------------------------------------------------ events
@pytest.fixture
def loan(world):
    response = world["boc"].post(f"{API}/loans", json=loan_body())
    assert response.status_code == 201
    return world["boc"]


def post_event(client, event, contract_no="C-1"):
    return client.post(f"{API}/loans/{contract_no}/events", json=event)


def test_events_of_every_type_are_accepted(loan, staff):
    staff.set_business_date("2023-12-31")
    events = [
        {"event_id": "D1", "type": "disbursement", "date": "2023-02-01", "amount": "3000000.00"},
        {"event_id": "D2", "type": "disbursement", "date": "2023-03-01", "amount": "2000000.00"},
        {
            "event_id": "I1",
            "type": "interest",
            "period_start": "2023-02-01",
            "period_end": "2023-03-21",
            "paid_on": "2023-03-21",
            "interest": "15000.00",
            "penalty_interest": "10.00",
        },
        {
            "event_id": "RC1",
            "type": "rate_change",
            "effective_on": "2024-02-01",
            "annual_rate": "3.2000",
        },
        {"event_id": "R1", "type": "repayment", "date": "2023-06-01", "principal": "1000000.00"},
        {"event_id": "DQ1", "type": "delinquency", "as_of": "2023-07-10", "days_past_due": 5},
        {
            "event_id": "DQ2",
            "type": "delinquency",
            "as_of": "2023-07-20",
            "days_past_due": 0,
            "classification": "normal",
        },
        {"event_id": "V1", "type": "void", "target_event_id": "I1", "reason": "wrong amount"},
        {"event_id": "R2", "type": "repayment", "date": "2023-09-01", "principal": "4000000.00"},
        {"event_id": "S1", "type": "settlement", "date": "2023-09-01"},
    ]
    for event in events:
        response = post_event(loan, event)
        assert response.status_code == 201, (event, response.get_data(as_text=True))
        assert response.get_json()["event_id"] == event["event_id"]
    assert post_event(loan, events[0]).status_code == 200  # identical repeat
    view = loan.get(f"{API}/loans/C-1").get_json()
    assert view["status"] == "settled" and view["balance"] == "0.00"
    assert [e["voided"] for e in view["events"] if e["event_id"] == "I1"] == [True]


def _seed(loan, staff):
    staff.set_business_date("2023-06-30")
    for event in (
        {"event_id": "D1", "type": "disbursement", "date": "2023-02-01", "amount": "3000000.00"},
        {
            "event_id": "I1",
            "type": "interest",
            "period_start": "2023-02-01",
            "period_end": "2023-03-21",
            "paid_on": "2023-03-21",
            "interest": "15000.00",
        },
        {"event_id": "R1", "type": "repayment", "date": "2023-05-01", "principal": "1000000.00"},
    ):
        assert post_event(loan, event).status_code == 201


@pytest.mark.parametrize(
    "event, code, field",
    [
        ({"event_id": "X", "type": "disbursement", "date": "2023-02-01"}, "required", "amount"),
        (
            {
                "event_id": "X",
                "type": "disbursement",
                "date": "2023-02-01",
                "amount": "1.00",
                "paid_on": "2023-02-01",
            },
            "unknown_field",
            "paid_on",
        ),
        ({"event_id": "X", "type": "wire_transfer"}, "invalid_format", "type"),
        (
            {"event_id": "X\x00", "type": "disbursement", "date": "2023-02-01", "amount": "1.00"},
            "invalid_format",
            "event_id",
        ),
        (
            {"event_id": "X", "type": "disbursement", "date": "2023-02-01", "amount": 1.5},
            "invalid_format",
            "amount",
        ),
        (
            {"event_id": "D1", "type": "disbursement", "date": "2023-02-01", "amount": "1.00"},
            "event_id_conflict",
            "event_id",
        ),
        (
            {"event_id": "X", "type": "disbursement", "date": "2023-07-01", "amount": "1.00"},
            "future_date",
            "date",
        ),
        (
            {"event_id": "X", "type": "disbursement", "date": "2023-01-31", "amount": "1.00"},
            "before_start_date",
            "date",
        ),
        (
            {"event_id": "X", "type": "disbursement", "date": "2023-06-01", "amount": "2000000.01"},
            "exceeds_contract_principal",
            "amount",
        ),
        (
            {"event_id": "X", "type": "repayment", "date": "2023-04-01", "principal": "3000000.01"},
            "balance_negative",
            "principal",
        ),
        (
            {"event_id": "X", "type": "repayment", "date": "2023-06-01", "principal": "2000000.01"},
            "balance_negative",
            "principal",
        ),
        (
            {
                "event_id": "X",
                "type": "interest",
                "period_start": "2023-03-01",
                "period_end": "2023-04-01",
                "paid_on": "2023-04-01",
                "interest": "1.00",
            },
            "interest_period_overlap",
            "period_start",
        ),
        (
            {"event_id": "X", "type": "recovery", "date": "2023-06-01", "amount": "1.00"},
            "not_npl",
            "type",
        ),
        (
            {"event_id": "X", "type": "void", "target_event_id": "NOPE", "reason": "x"},
            "unknown_target",
            "target_event_id",
        ),
        (
            {"event_id": "X", "type": "void", "target_event_id": "D1", "reason": "x"},
            "balance_negative",
            "target_event_id",
        ),
        ({"event_id": "X", "type": "settlement", "date": "2023-06-01"}, "balance_not_zero", "date"),
        (
            {"event_id": "X", "type": "delinquency", "as_of": "2023-06-01", "days_past_due": -1},
            "invalid_format",
            "days_past_due",
        ),
    ],
)
def test_event_refusals_change_nothing(loan, staff, db, event, code, field):
    _seed(loan, staff)
    before = counts(db)
    refused(post_event(loan, event), 422, code, field)
    assert counts(db) == before


def test_interest_before_any_disbursement_and_after_maturity(loan, staff, db):
    staff.set_business_date("2023-06-30")
    refused(
        post_event(
            loan,
            {
                "event_id": "I0",
                "type": "interest",
                "period_start": "2023-02-01",
                "period_end": "2023-03-01",
                "paid_on": "2023-03-01",
                "interest": "1.00",
            },
        ),
        422,
        "no_disbursement",
    )
    staff.set_business_date("2025-03-01")
    refused(
        post_event(
            loan, {"event_id": "D9", "type": "disbursement", "date": "2025-02-01", "amount": "1.00"}
        ),
        422,
        "after_maturity_date",
        "date",
    )


def test_facts_after_settlement_are_refused(loan, staff, db):
    staff.set_business_date("2023-06-30")
    post_event(
        loan, {"event_id": "D1", "type": "disbursement", "date": "2023-02-01", "amount": "1.00"}
    )
    post_event(
        loan, {"event_id": "R1", "type": "repayment", "date": "2023-03-01", "principal": "1.00"}
    )
    assert (
        post_event(loan, {"event_id": "S1", "type": "settlement", "date": "2023-03-01"}).status_code
        == 201
    )
    before = counts(db)
    refused(
        post_event(
            loan, {"event_id": "D2", "type": "disbursement", "date": "2023-04-01", "amount": "1.00"}
        ),
        422,
        "loan_settled",
        "date",
    )
    assert counts(db) == before


def test_a_foreign_banks_loan_is_not_found(loan, world, db):
    before = counts(db)
    refused(world["abc"].get(f"{API}/loans/C-1"), 404, "not_found")
    refused(
        post_event(
            world["abc"],
            {"event_id": "D1", "type": "disbursement", "date": "2023-02-01", "amount": "1.00"},
        ),
        404,
        "not_found",
    )
    assert counts(db)[:2] == before[:2]
    assert world["abc"].get(f"{API}/loans").get_json()["items"] == []


def test_extension_keeps_the_original_maturity(loan, staff):
    response = loan.request("PATCH", f"{API}/loans/C-1", json={"maturity_date": "2026-02-01"})
    assert response.status_code == 200, response.get_data(as_text=True)
    view = response.get_json()
    assert view["maturity_date"] == "2026-02-01" and view["original_maturity_date"] == "2025-02-01"


# ------------------------------------------------------------------ the loan list
STATUS_STORIES = {  # contract → (events after a 100,000.00 disbursement on 2023-02-01, its status on 2023-12-31)
    "C-1": ([{"type": "delinquency", "as_of": "2023-11-30", "days_past_due": 5}], "active"),
    "C-2": (
        [
            {"type": "repayment", "date": "2023-06-01", "principal": "100000.00"},
            {"type": "settlement", "date": "2023-06-01"},
        ],
        "settled",
    ),
    "C-3": (
        [{"type": "delinquency", "as_of": "2023-11-30", "days_past_due": 95}],
        "npl",
    ),  # NPL on 11-25
    "C-4": (
        [
            {"type": "delinquency", "as_of": "2023-04-30", "days_past_due": 91},
            {"type": "repayment", "date": "2023-06-01", "principal": "100000.00"},
            {"type": "settlement", "date": "2023-06-01"},
        ],
        "settled",
    ),
    "C-5": (
        [
            {"type": "repayment", "date": "2023-06-01", "principal": "100000.00"},
            {"type": "settlement", "date": "2023-06-01"},
            {"type": "void", "target_event_id": "C-5-E1", "reason": "not settled after all"},
        ],
        "active",
    ),
    "C-6": (
        [
            {
                "type": "delinquency",
                "as_of": "2023-10-31",
                "days_past_due": 10,
                "classification": "substandard",
            }
        ],
        "npl",
    ),
    "C-7": (
        [
            {"type": "delinquency", "as_of": "2023-11-30", "days_past_due": 120},
            {"type": "void", "target_event_id": "C-7-E0", "reason": "reported in error"},
        ],
        "active",
    ),
    "C-8": (
        [
            {"type": "repayment", "date": "2023-06-01", "principal": "100000.00"},
            {"type": "settlement", "date": "2023-06-01"},
        ],
        "settled",
    ),
}


@pytest.fixture
def eight_loans(world, staff):
    """Eight BOC loans whose statuses interleave in registration order (A S N S A N A S), and
    an active ABC loan, A-1. Business date 2023-12-31."""
    staff.set_business_date("2023-12-31")
    for contract_no, (events, _status) in STATUS_STORIES.items():
        assert (
            world["boc"]
            .post(f"{API}/loans", json=loan_body(contract_no=contract_no, principal="100000.00"))
            .status_code
            == 201
        )
        first = {
            "event_id": f"{contract_no}-D",
            "type": "disbursement",
            "date": "2023-02-01",
            "amount": "100000.00",
        }
        for i, event in enumerate(
            [first] + [{"event_id": f"{contract_no}-E{i}", **e} for i, e in enumerate(events)]
        ):
            response = post_event(world["boc"], event, contract_no)
            assert response.status_code == 201, (contract_no, i, response.get_data(as_text=True))
    abc = world["abc"]
    assert (
        abc.post(
            f"{API}/loans",
            json=loan_body(contract_no="A-1", product_code="ABC-ZZD", principal="100000.00"),
        ).status_code
        == 201
    )
    # ABC's own event that happens to be called like BOC's settlement of C-2, voided at ABC:
    # C-2 stays settled (a void cancels an event of its own loan only).
    for event in (
        {"event_id": "C-2-E1", "type": "disbursement", "date": "2023-02-01", "amount": "50000.00"},
        {"event_id": "A-1-D2", "type": "disbursement", "date": "2023-03-01", "amount": "50000.00"},
        {"event_id": "A-1-V", "type": "void", "target_event_id": "C-2-E1", "reason": "twice"},
    ):
        assert post_event(abc, event, "A-1").status_code == 201, event
    return world


def pages(client, auth=None, **query) -> list[list[str]]:
    """Every page of GET /loans?{query}, following next_cursor, as contract numbers."""
    out, cursor = [], None
    while True:
        params = {**query, **({"cursor": cursor} if cursor else {})}
        if auth:
            response = client.get(f"{API}/loans", query_string=params, headers=auth)
        else:
            response = client.get(f"{API}/loans", params=params)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        out.append([loan["contract_no"] for loan in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return out


def test_the_status_filter_is_applied_before_the_page_is_cut(eight_loans, staff):
    """A page of two holds the next two loans with that status, not the matching part of the
    next two loans; the last page says so (next_cursor null)."""
    boc = eight_loans["boc"]
    assert pages(boc, status="settled", limit=2) == [["C-2", "C-4"], ["C-8"]]
    assert pages(boc, status="npl", limit=2) == [["C-3", "C-6"]]
    assert pages(boc, status="active", limit=2) == [["C-1", "C-5"], ["C-7"]]
    assert pages(boc, limit=3) == [["C-1", "C-2", "C-3"], ["C-4", "C-5", "C-6"], ["C-7", "C-8"]]
    for contract_no, (_events, status) in STATUS_STORIES.items():
        assert boc.get(f"{API}/loans/{contract_no}").get_json()["status"] == status, contract_no
    auditor = staff.headers("auditor")
    assert pages(staff.client, auditor, status="active", limit=2) == [
        ["C-1", "C-5"],
        ["C-7", "A-1"],
    ]
    assert pages(staff.client, auditor, status="npl", uscc=USCC) == [["C-3", "C-6"]]
    assert pages(staff.client, auditor, status="npl", uscc=OTHER_USCC) == [[]]


@pytest.mark.parametrize(
    "today", ["2023-10-30", "2023-10-31", "2023-11-24", "2023-11-25", "2023-12-31"]
)
def test_the_status_in_sql_is_the_loan_views_status_on_every_day(eight_loans, db, today):
    """The SELECT's status and the loan view's agree on the days an NPL date falls (C-3 on
    11-25 by days past due, C-6 on 10-31 by classification) and either side of them."""
    day = dt.date.fromisoformat(today)
    db.expire_all()
    every = read.loans(db, day, limit=100, cursor=None).items
    by_view = {loan.contract_no: read.loan_view(db, loan, day)["status"] for loan in every}
    for status in read.LOAN_STATUSES:
        listed = [
            loan.contract_no
            for loan in read.loans(db, day, status=status, limit=100, cursor=None).items
        ]
        assert listed == [c for c, s in by_view.items() if s == status], (today, status)
