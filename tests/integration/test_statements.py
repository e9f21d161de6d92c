"""POST/GET /control-totals and GET /statements/{period} (api.md, Bank endpoints)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from loanledger.persistence.tables import AuditEntry, BatchPayee, ControlTotal
from loanledger.services.read import control_total_checks, held_totals
from tests.support.api import API, error_code, ok
from tests.support.ledger import close
from tests.support.world import claim_world, event


def declare(client, period="2023-03", records=1, total="3900.00", **options):
    return client.post(
        f"{API}/control-totals",
        json={"period": period, "interest_records": records, "interest_total": total},
        **options,
    )


@pytest.fixture
def banks(staff, bank):
    return claim_world(staff, bank)  # business date 2023-04-03; BK1: I1 3900.00, BK2: I2 2480.00


# ---------------------------------------------------------------- control totals
def test_a_declared_total_is_compared_with_what_loanledger_holds(banks, db):
    answer = declare(banks["BK1"])
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["bank_code"] == "BK1" and body["period"] == "2023-03"
    assert (body["interest_records"], body["interest_total"], body["revisions"]) == (
        1,
        "3900.00",
        1,
    )
    assert (
        body["held"] == {"interest_records": 1, "interest_total": "3900.00"}
        and body["matches"] is True
    )
    assert body["submitted_by"] == "bank:BK1" and body["submitted_at"].endswith("+00:00")
    wrong = declare(banks["BK2"], records=2, total="2480.00").get_json()
    assert (
        wrong["held"] == {"interest_records": 1, "interest_total": "2480.00"}
        and wrong["matches"] is False
    )
    assert (
        db.scalar(select(AuditEntry).where(AuditEntry.action == "control_total.submit")) is not None
    )


def test_every_submission_is_kept_and_the_latest_counts(banks, staff, db):
    assert declare(banks["BK1"], records=5, total="1.00").status_code == 201
    second = declare(banks["BK1"]).get_json()
    assert second["revisions"] == 2 and second["matches"] is True
    assert len(db.scalars(select(ControlTotal)).all()) == 2
    mine = ok(banks["BK1"].get(f"{API}/control-totals", params={"period": "2023-03"}))
    assert [(i["interest_records"], i["revisions"]) for i in mine["items"]] == [(1, 2)]
    assert mine["next_cursor"] is None


def test_a_bank_sees_its_own_and_staff_see_all(banks, staff):
    declare(banks["BK1"])
    declare(banks["BK2"], total="2480.00")
    declare(banks["BK2"], period="2023-02", records=0, total="0.00")
    assert [i["bank_code"] for i in ok(banks["BK1"].get(f"{API}/control-totals"))["items"]] == [
        "BK1"
    ]
    everything = ok(staff.request("auditor", "GET", "/control-totals"))["items"]
    assert [(i["period"], i["bank_code"]) for i in everything] == [
        ("2023-02", "BK2"),
        ("2023-03", "BK1"),
        ("2023-03", "BK2"),
    ]
    march = ok(staff.request("auditor", "GET", "/control-totals?period=2023-03"))["items"]
    assert [i["matches"] for i in march] == [True, True]
    first = ok(staff.request("auditor", "GET", "/control-totals?limit=2"))
    rest = ok(
        staff.request("auditor", "GET", f"/control-totals?limit=2&cursor={first['next_cursor']}")
    )
    assert [i["bank_code"] for i in first["items"] + rest["items"]] == ["BK2", "BK1", "BK2"]
    assert rest["next_cursor"] is None


def test_voided_and_other_months_interest_is_not_held(banks, staff, db):
    staff.set_business_date("2023-04-20")
    event(
        banks["BK1"],
        "C1",
        event_id="I-APR",
        type="interest",
        period_start="2023-03-21",
        period_end="2023-04-20",
        paid_on="2023-04-20",
        interest="1500.00",
    )
    assert held_totals(db, "2023-03") == {"BK1": (1, 390000), "BK2": (1, 248000)}
    assert held_totals(db, "2023-04", ["BK1"]) == {"BK1": (1, 150000)}
    event(
        banks["BK1"], "C1", event_id="V1", type="void", target_event_id="I1", reason="wrong amount"
    )
    assert held_totals(db, "2023-03") == {"BK2": (1, 248000)}
    assert declare(banks["BK1"], records=0, total="0.00").get_json()["matches"] is True
    checks = control_total_checks(db, "2023-03")
    assert [(c["name"], c["ok"]) for c in checks] == [("control_total:BK1", True)]


@pytest.mark.parametrize(
    "body, code, field",
    [
        (
            {"period": "2023-13", "interest_records": 1, "interest_total": "1.00"},
            "invalid_format",
            "period",
        ),
        (
            {"period": "2023-03", "interest_records": -1, "interest_total": "1.00"},
            "invalid_format",
            "interest_records",
        ),
        (
            {"period": "2023-03", "interest_records": "1", "interest_total": "1.00"},
            "invalid_format",
            "interest_records",
        ),
        (
            {"period": "2023-03", "interest_records": 1, "interest_total": 1.5},
            "invalid_format",
            "interest_total",
        ),
        (
            {"period": "2023-03", "interest_records": 1, "interest_total": "-1.00"},
            "invalid_format",
            "interest_total",
        ),
        ({"period": "2023-03", "interest_records": 1}, "required", "interest_total"),
        (
            {"period": "2023-05", "interest_records": 1, "interest_total": "1.00"},
            "future_date",
            "period",
        ),
        (
            {"period": "0000-01", "interest_records": 1, "interest_total": "1.00"},
            "invalid_format",
            "period",
        ),
    ],
)
def test_bad_control_totals_are_refused(banks, db, body, code, field):
    answer = banks["BK1"].post(f"{API}/control-totals", json=body)
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert (error_code(answer), answer.get_json()["errors"][0]["field"]) == (code, field)
    assert db.scalars(select(ControlTotal)).all() == []


def test_the_current_month_may_be_declared(banks):
    assert declare(banks["BK1"], period="2023-04", records=0, total="0.00").status_code == 201


def test_control_totals_are_idempotent(banks, db):
    first = declare(banks["BK1"], idempotency_key="ct-1")
    again = declare(banks["BK1"], idempotency_key="ct-1")
    assert first.get_data() == again.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert len(db.scalars(select(ControlTotal)).all()) == 1


def test_staff_may_not_declare(staff):
    answer = staff.request(
        "clerk",
        "POST",
        "/control-totals",
        {"period": "2023-03", "interest_records": 1, "interest_total": "1.00"},
    )
    assert answer.status_code == 400 and error_code(answer) == "missing_header"


# ---------------------------------------------------------------- statements
def test_a_statement_shows_the_banks_lines_batches_and_payments(banks, staff, db):
    ok(close(staff, "2023-03"), 200)
    declare(banks["BK2"], total="2480.00")
    statement = ok(banks["BK2"].get(f"{API}/statements/2023-03"))
    assert statement["period"] == "2023-03" and statement["bank_code"] == "BK2"
    assert statement["period_status"] == "closed" and statement["next_cursor"] is None
    lines = statement["lines"]
    assert {line["bank_code"] for line in lines} == {"BK2"}
    assert sorted((line["batch_kind"], line["kind"], line["payee_type"]) for line in lines) == [
        ("compensation", "claim", "bank"),
        ("subsidy", "interest", "enterprise"),
    ]
    assert sorted(t["kind"] for t in statement["totals"]) == ["claim", "interest"]
    kinds = {b["kind"]: b for b in statement["batches"]}
    assert set(kinds) == {"subsidy", "compensation"}
    compensation = kinds["compensation"]
    assert compensation["bank_payee"]["payee_id"] == "BK2"
    claim = next(line for line in lines if line["kind"] == "claim")
    assert compensation["bank_payee"]["total"] == claim["amount"]
    assert [p["payee_id"] for p in compensation["payments"]] == ["BK2"]
    subsidy = kinds["subsidy"]
    assert subsidy["bank_payee"] is None
    assert [(p["payee_type"], p["payment_status"]) for p in subsidy["payments"]] == [
        ("enterprise", "pending")
    ]
    assert "total" not in subsidy["payments"][0]  # an enterprise's total may mix several banks
    assert statement["control_total"] == {
        "declared": {
            "interest_records": 1,
            "interest_total": "2480.00",
            "submitted_at": statement["control_total"]["declared"]["submitted_at"],
        },
        "held": {"interest_records": 1, "interest_total": "2480.00"},
        "matches": True,
    }

    # a payment, as the payment endpoint will record it
    db.execute(
        update(BatchPayee)
        .where(BatchPayee.payee_id == "BK2")
        .values(payment_status="paid", paid_on=dt.date(2023, 4, 28), reference="REF-9")
    )
    db.commit()
    paid = ok(banks["BK2"].get(f"{API}/statements/2023-03"))
    payee = next(b for b in paid["batches"] if b["kind"] == "compensation")["bank_payee"]
    assert (payee["payment_status"], payee["paid_on"], payee["reference"]) == (
        "paid",
        "2023-04-28",
        "REF-9",
    )


def test_a_bank_sees_only_its_own_lines(banks, staff):
    ok(close(staff, "2023-03"), 200)
    statement = ok(banks["BK1"].get(f"{API}/statements/2023-03"))
    assert [(line["bank_code"], line["kind"]) for line in statement["lines"]] == [
        ("BK1", "interest")
    ]
    assert [b["kind"] for b in statement["batches"]] == ["subsidy"]
    assert (
        statement["control_total"]["declared"] is None
        and statement["control_total"]["matches"] is None
    )


def test_statement_lines_are_paged(banks, staff):
    ok(close(staff, "2023-03"), 200)
    first = ok(banks["BK2"].get(f"{API}/statements/2023-03", params={"limit": 1}))
    assert len(first["lines"]) == 1 and first["next_cursor"]
    second = ok(
        banks["BK2"].get(
            f"{API}/statements/2023-03", params={"limit": 1, "cursor": first["next_cursor"]}
        )
    )
    assert len(second["lines"]) == 1 and second["next_cursor"] is None
    assert first["lines"][0]["line_id"] < second["lines"][0]["line_id"]
    assert first["batches"] == second["batches"]


def test_an_open_period_has_an_empty_statement(banks):
    statement = ok(banks["BK1"].get(f"{API}/statements/2023-03"))
    assert (statement["period_status"], statement["lines"], statement["batches"]) == (
        "open",
        [],
        [],
    )
    assert statement["control_total"]["held"] == {
        "interest_records": 1,
        "interest_total": "3900.00",
    }


@pytest.mark.parametrize("period", ["2023-13", "March", "2023-3", "0000-01"])
def test_a_statement_of_no_period_is_404(banks, period):
    answer = banks["BK1"].get(f"{API}/statements/{period}")
    assert answer.status_code == 404 and error_code(answer) == "not_found"


def test_statements_are_for_banks(banks, staff):
    answer = staff.request("auditor", "GET", "/statements/2023-03")
    assert answer.status_code == 400 and error_code(answer) == "missing_header"
