"""What an attacker or a careless bank sends (issue 14 items 1 and 5): every one is a 4xx on
its own item with problem+json, changes nothing, and leaves every later close working."""

from __future__ import annotations

import pytest

from tests.support.api import API, refused
from tests.support.world import counts, loan_body

ZERO_AND_NEGATIVE = ("0.00", "0", "-0.00", "-1.00", "0.001")


def _loan(world, **changes):
    response = world["boc"].post(f"{API}/loans", json=loan_body(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)


def _post_event(world, event):
    return world["boc"].post(f"{API}/loans/C-1/events", json=event)


# ------------------------------------------------------------------ item 1: zero amounts
@pytest.mark.parametrize("principal", ZERO_AND_NEGATIVE)
def test_a_principal_of_zero_or_less_is_refused_and_changes_nothing(world, db, principal):
    before = counts(db)
    response = world["boc"].post(f"{API}/loans", json=loan_body(principal=principal))
    refused(response, 422, "invalid_format", "principal")
    assert counts(db) == before


@pytest.mark.parametrize("amount", ZERO_AND_NEGATIVE)
@pytest.mark.parametrize("kind", ["disbursement", "repayment", "recovery"])
def test_an_event_amount_of_zero_or_less_is_refused(world, db, kind, amount):
    _loan(world)
    before = counts(db)
    field = "principal" if kind == "repayment" else "amount"
    event = {"event_id": "E1", "type": kind, "date": "2023-02-01", field: amount}
    refused(_post_event(world, event), 422, "invalid_format", field)
    assert counts(db) == before


@pytest.mark.parametrize("amount", ZERO_AND_NEGATIVE)
def test_a_zero_amount_in_a_bulk_is_refused_on_its_item(world, db, amount):
    _loan(world)
    before = counts(db)
    events = [
        {"contract_no": "C-1", "event_id": "D1", "type": "disbursement", "date": "2023-02-01"},
        {"contract_no": "C-1", "event_id": "D2", "type": "disbursement", "date": "2023-02-01"},
    ]
    events[0]["amount"], events[1]["amount"] = "100.00", amount
    response = world["boc"].request(
        "POST", f"{API}/events:bulk", json={"events": events}, params={"atomic": "true"}
    )
    refused(response, 422, "invalid_format", "events[1].amount")
    assert counts(db) == before


# ------------------------------------------------------------------ item 5: malformed input
@pytest.mark.parametrize("kind", [{}, [], {"a": 1}, ["disbursement"], 7, None])
@pytest.mark.parametrize("path", ["single", "bulk"])
def test_an_event_type_that_is_not_a_string_is_refused_on_its_item(world, db, kind, path):
    """Found by schemathesis: a type given as an object was looked up in a dict (unhashable:
    a 500) before being checked as a string."""
    _loan(world)
    before = counts(db)
    event = {"event_id": "E1", "type": kind, "date": "2023-02-01", "amount": "1.00"}
    if path == "single":
        response = world["boc"].post(f"{API}/loans/C-1/events", json=event)
        field = "type"
    else:
        response = world["boc"].request(
            "POST",
            f"{API}/events:bulk",
            json={"events": [{**event, "contract_no": "C-1"}]},
            params={"atomic": "true"},
        )
        field = "events[0].type"
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in {e["field"] for e in response.json["errors"]}
    assert counts(db) == before


@pytest.mark.parametrize("field", ["contract_no", "event_id"])
def test_a_key_of_64_characters_and_a_newline_is_refused(world, db, field):
    """`$` matches before a final newline: a pattern checked with match, not fullmatch, let
    65 characters through to a 64-character column (a 500 on PostgreSQL)."""
    if field == "event_id":
        _loan(world)
    before = counts(db)
    if field == "contract_no":
        response = world["boc"].post(f"{API}/loans", json=loan_body(contract_no="C" * 64 + "\n"))
    else:
        event = {"event_id": "E" * 64 + "\n", "type": "settlement", "date": "2023-02-01"}
        response = _post_event(world, event)
    refused(response, 422, "invalid_format", field)
    assert counts(db) == before


def test_a_lone_surrogate_is_refused_not_a_500(world, db):
    before = counts(db)
    raw = '{"contract_no": "C-\\ud800", "product_code": "BOC-SZD"}'
    response = world["boc"].request(
        "POST", f"{API}/loans", body=raw.encode(), content_type="application/json"
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert counts(db) == before


@pytest.mark.parametrize(
    "raw",
    ["[" * 1000 + "]" * 1000, '{"principal": ' + "9" * 5000 + "}"],
    ids=["nested-1000-deep", "5000-digit-number"],
)
def test_pathological_json_is_malformed_json(world, db, raw):
    before = counts(db)
    response = world["boc"].request(
        "POST", f"{API}/loans", body=raw.encode(), content_type="application/json"
    )
    refused(response, 400, "malformed_json")
    assert counts(db) == before


def test_a_cursor_with_a_huge_number_is_a_422(staff, world):
    import base64
    import json

    for value in ([10**30], ["x"], [None], "[", [1.5]):
        text = value if isinstance(value, str) else json.dumps(value)
        cursor = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        response = staff.request("auditor", "GET", f"/loans?cursor={cursor}")
        assert response.status_code == 422, (value, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("field", ["interest", "penalty_interest", "compound_interest"])
def test_interest_beyond_the_contract_principal_is_refused(world, staff, db, field):
    _loan(world)  # principal 5,000,000.00
    disbursed = {"event_id": "D1", "type": "disbursement", "date": "2023-02-01", "amount": "1.00"}
    assert _post_event(world, disbursed).status_code == 201
    staff.set_business_date("2023-03-05")
    before = counts(db)
    event = {
        "event_id": "I1",
        "type": "interest",
        "period_start": "2023-02-01",
        "period_end": "2023-03-01",
        "paid_on": "2023-03-01",
        "interest": "1.00",
        field: "9999999999999.99",
    }
    response = _post_event(world, event)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["errors"][0]["field"] == field
    assert counts(db) == before


def test_a_database_error_is_logged_by_its_statement_not_the_bank_data(app, caplog):
    """The log of a 500 names the statement; neither the bound values nor PostgreSQL's
    DETAIL ('Failing row contains (...)') reach it."""
    import logging

    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from loanledger.observability.logs import log_unexpected

    engine = app.extensions["loanledger"].engine
    secret = "6222-0000-SECRET-ACCOUNT"
    with pytest.raises(IntegrityError) as caught, engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO enterprises (uscc, name, established_on, created_at)"
                " VALUES (:uscc, :name, '2010-01-01', CURRENT_TIMESTAMP)"
            ),
            {"uscc": "TOO-SHORT", "name": secret},
        )
    with caplog.at_level(logging.ERROR):
        log_unexpected(logging.getLogger("loanledger.test"), caught.value, "unhandled error")
    logged = caplog.text
    assert "INSERT INTO enterprises" in logged and "IntegrityError" in logged
    assert secret not in logged and "TOO-SHORT" not in logged


# ------------------------------------------------------------------ item 7: invisible characters
# A zero-width space, a right-to-left override, a bidi isolate, a BOM, a control character:
# each makes one text look like another on every page and in every spreadsheet.
HIDDEN = ["\u200b", "\u202e", "\u2066", "\ufeff", "\x07"]


@pytest.mark.parametrize("ch", HIDDEN)
def test_a_contract_number_with_an_invisible_character_is_refused(world, db, ch):
    before = counts(db)
    response = world["boc"].post(f"{API}/loans", json=loan_body(contract_no=f"C-{ch}1"))
    refused(response, 422, "invalid_format", "contract_no")
    assert counts(db) == before


@pytest.mark.parametrize("ch", HIDDEN)
def test_an_enterprise_name_with_an_invisible_character_is_refused(staff, ch):
    body = {"uscc": "91442000MA4UJX9X3G", "name": f"灯都{ch}照明", "established_on": "2015-06-01"}
    refused(staff.request("clerk", "POST", "/enterprises", body), 422, "invalid_format", "name")
    assert staff.request("auditor", "GET", "/enterprises/91442000MA4UJX9X3G").status_code == 404


def test_a_void_reason_with_an_invisible_character_is_refused_in_a_bulk(world, db):
    _loan(world)
    events = [
        {"contract_no": "C-1", "event_id": "S1", "type": "settlement", "date": "2023-02-01"},
        {
            "contract_no": "C-1",
            "event_id": "V1",
            "type": "void",
            "target_event_id": "S1",
            "reason": "录入\u202e错误",
        },
    ]
    before = counts(db)
    response = world["boc"].request(
        "POST", f"{API}/events:bulk", json={"events": events}, params={"atomic": "true"}
    )
    refused(response, 422, "invalid_format", "events[1].reason")
    assert counts(db) == before


def test_chinese_contract_numbers_and_multi_line_reasons_are_still_fine(world):
    _loan(world, contract_no="中银数字贷-2023-001")
    response = world["boc"].post(
        f"{API}/loans/中银数字贷-2023-001/events",
        json={"event_id": "S1", "type": "settlement", "date": "2023-02-01"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/filings/a%00b", "/enterprises/a%00b", "/loans/BOC-ZS/C%00-1", "/batches/1%00"]
)
def test_a_nul_in_a_path_names_nothing(staff, path):
    response = staff.request("auditor", "GET", path)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"


def test_an_enterprise_established_after_the_business_date_is_refused(staff):
    staff.set_business_date("2023-02-01")
    body = {"uscc": "91442000MA4UJX9X3G", "name": "灯都照明", "established_on": "2023-02-02"}
    refused(
        staff.request("clerk", "POST", "/enterprises", body), 422, "future_date", "established_on"
    )
    assert staff.request("auditor", "GET", "/enterprises/91442000MA4UJX9X3G").status_code == 404
    ok = staff.request("clerk", "POST", "/enterprises", {**body, "established_on": "2023-02-01"})
    assert ok.status_code == 201, ok.get_data(as_text=True)
