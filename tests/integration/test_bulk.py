"""POST /events:bulk and /loans:bulk: per-item results, order, atomic refusal, limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from loanledger.persistence.tables import DirtyMark, Loan, LoanEvent
from tests.support.api import API, refused
from tests.support.world import counts, loan_body


@pytest.fixture
def boc(world, staff):
    assert world["boc"].post(f"{API}/loans", json=loan_body()).status_code == 201
    staff.set_business_date("2023-06-30")
    return world["boc"]


def ev(event_id, kind="disbursement", contract_no="C-1", **fields):
    return {"event_id": event_id, "type": kind, "contract_no": contract_no, **fields}


def test_items_are_checked_in_order_and_reported_one_by_one(boc, db):
    before = db.scalar(select(func.count()).select_from(LoanEvent))
    events = [
        ev("D1", date="2023-02-01", amount="3000000.00"),
        ev(
            "I1",
            "interest",
            period_start="2023-02-01",
            period_end="2023-03-21",
            paid_on="2023-03-21",
            interest="10000.00",
        ),  # sees D1 from this same request
        ev("D1", date="2023-02-01", amount="3000000.00"),  # repeat inside the request
        ev("D2", date="2023-03-01", amount="2000000.01"),  # exceeds with D1
        ev("D3", date="2023-03-01", amount=100),  # a JSON number
        ev("X1", contract_no="NOPE", date="2023-03-01", amount="1.00"),  # no such loan
        ev("D1", date="2023-02-01", amount="1.00"),  # same id, other content
    ]
    response = boc.post(f"{API}/events:bulk", json={"events": events})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 4)
    statuses = [(r["index"], r["event_id"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, "D1", "created"),
        (1, "I1", "created"),
        (2, "D1", "duplicate"),
        (3, "D2", "rejected"),
        (4, "D3", "rejected"),
        (5, "X1", "rejected"),
        (6, "D1", "rejected"),
    ]
    codes = [
        (r["errors"][0]["field"], r["errors"][0]["code"])
        for r in body["results"]
        if r["status"] == "rejected"
    ]
    assert codes == [
        ("events[3].amount", "exceeds_contract_principal"),
        ("events[4].amount", "invalid_format"),
        ("events[5].contract_no", "not_found"),
        ("events[6].event_id", "event_id_conflict"),
    ]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(LoanEvent)) == before + 2
    again = boc.post(f"{API}/events:bulk", json={"events": events[:2]}).get_json()
    assert (again["accepted"], again["duplicates"]) == (0, 2)


def test_atomic_refuses_everything_when_one_item_fails(boc, db):
    before = counts(db)
    events = [
        ev("D1", date="2023-02-01", amount="1.00"),
        ev("D2", date="2023-07-01", amount="1.00"),
    ]
    response = boc.request(
        "POST", f"{API}/events:bulk", json={"events": events}, params={"atomic": "true"}
    )
    refused(response, 422, "future_date", "events[1].date")
    assert counts(db) == before


def test_atomic_accepts_a_clean_request(boc, db):
    events = [ev(f"D{i}", date="2023-02-01", amount="1.00") for i in range(50)]
    response = boc.request(
        "POST", f"{API}/events:bulk", json={"events": events}, params={"atomic": "true"}
    )
    assert response.status_code == 200 and response.get_json()["accepted"] == 50


@pytest.mark.parametrize(
    "body, field",
    [
        ({"events": []}, "events"),
        (
            {"events": [ev(f"E{i}", date="2023-02-01", amount="0.01") for i in range(5001)]},
            "events",
        ),
        ({"items": []}, "items"),
        ({"events": ["not an object"]}, "events.0"),
    ],
)
def test_malformed_bulk_bodies_are_refused_whole(boc, db, body, field):
    before = counts(db)
    response = boc.post(f"{API}/events:bulk", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert counts(db) == before


def test_the_limit_itself_is_accepted(boc):
    events = [ev(f"E{i}", date="2023-02-01", amount="0.01") for i in range(5000)]
    body = boc.post(f"{API}/events:bulk", json={"events": events}).get_json()
    assert body["accepted"] == 5000


def test_dirty_marks_one_per_loan_not_per_event(boc, db):
    db.expire_all()
    before = db.scalar(select(func.count()).select_from(DirtyMark))
    boc.post(
        f"{API}/events:bulk",
        json={"events": [ev(f"E{i}", date="2023-02-01", amount="0.01") for i in range(20)]},
    )
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(DirtyMark)) == before + 1


def test_loans_bulk_with_coverage_counted_inside_the_request(world, db, staff):
    capacity = "200000000.00"  # 20,000,000 × leverage 10
    loans = [
        loan_body(contract_no="B-1", principal=capacity),
        loan_body(contract_no="B-2", principal="0.01"),  # pool full after B-1
        loan_body(contract_no="B-1", principal=capacity),  # repeat
        loan_body(contract_no="B-1", principal="1.00"),  # conflict
        loan_body(contract_no="B-3", uscc="914420006FA300000X"),  # bad check character
        {"contract_no": "B-4"},  # missing fields
    ]
    response = world["boc"].post(f"{API}/loans:bulk", json={"loans": loans})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == [
        "created",
        "created",
        "duplicate",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert body["results"][3]["errors"][0]["code"] == "contract_conflict"
    assert body["results"][4]["errors"][0] == {
        "field": "loans[4].uscc",
        "code": "invalid_uscc",
        "message": body["results"][4]["errors"][0]["message"],
    }
    assert {e["code"] for e in body["results"][5]["errors"]} == {"required"}
    db.expire_all()
    coverage = dict(db.execute(select(Loan.contract_no, Loan.coverage)).all())
    assert coverage == {"B-1": "covered", "B-2": "not_covered_capacity"}
    assert world["boc"].get(f"{API}/loans/B-1").get_json()["filing_no"] == "F1"


def test_a_bulk_request_is_idempotent(boc):
    events = [ev("D1", date="2023-02-01", amount="1.00")]
    first = boc.post(f"{API}/events:bulk", json={"events": events}, idempotency_key="bulk-1")
    second = boc.post(f"{API}/events:bulk", json={"events": events}, idempotency_key="bulk-1")
    assert second.status_code == first.status_code == 200
    assert (
        second.get_json() == first.get_json()
        and second.headers.get("Idempotent-Replayed") == "true"
    )
