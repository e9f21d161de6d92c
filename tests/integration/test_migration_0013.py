"""Migration 0013 (issue 14 item 1): the database refuses a loan event without what its type
requires, and a database that already holds one (a disbursement of 0.00 stored as NULL,
before the fix) gets it voided, so its loan views and closes work again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.persistence import migrate
from loanledger.persistence.db import make_engine
from loanledger.persistence.tables import AuditEntry, DirtyMark, Loan, LoanEvent
from loanledger.services.close import close_period
from loanledger.services.read import reconciliation
from loanledger.services.read.views import loan_view
from tests.support.v1_database import load_v1_database

BANK, LOAN_ID = "ZSRCB", 4  # a loan of the version 1 fixture, disbursed in 2023

INSERT = text(
    "INSERT INTO loan_events (bank_code, event_id, loan_id, type, on_date, amount_fen,"
    " period_start, period_end, interest_fen, rate_e4, days_past_due, target_event_id, reason,"
    " content_hash, received_at)"
    " VALUES (:bank, :event_id, :loan_id, :type, :on_date, :amount_fen, :period_start,"
    " :period_end, :interest_fen, :rate_e4, :days_past_due, :target, :reason, 'x', :now)"
)


def _event(event_id: str, type_: str, **values) -> dict:
    row = {
        "bank": BANK,
        "event_id": event_id,
        "loan_id": LOAN_ID,
        "type": type_,
        "on_date": None,
        "amount_fen": None,
        "period_start": None,
        "period_end": None,
        "interest_fen": None,
        "rate_e4": None,
        "days_past_due": None,
        "target": None,
        "reason": None,
        "now": dt.datetime(2024, 4, 10, tzinfo=dt.UTC),
    }
    return row | values


@pytest.fixture
def v1_with_a_null_amount(empty_database_url, tmp_path):
    """Version 1's database with two disbursements of 0.00 as version 1 stored them (NULL):
    one the bank has voided since, one it has not."""
    load_v1_database(empty_database_url, tmp_path)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    day = dt.date(2024, 4, 10)
    with engine.begin() as c:
        c.execute(INSERT, _event("ZERO-1", "disbursement", on_date=day))
        c.execute(INSERT, _event("ZERO-2", "disbursement", on_date=day))
        c.execute(
            INSERT, _event("ZERO-2-V", "void", target="ZERO-2", reason="sent 0.00 by mistake")
        )
    yield engine
    engine.dispose()


def test_0013_voids_the_stored_null_amounts_and_the_loan_closes_again(v1_with_a_null_amount):
    engine = v1_with_a_null_amount
    migrate.upgrade(engine)
    with Session(engine) as db:
        voids = db.scalars(
            select(LoanEvent).where(LoanEvent.event_id.like("void-0013-%")).order_by(LoanEvent.id)
        ).all()
        # one for the event nobody voided; the bank's own void of the other one stands
        assert [(v.target_event_id, v.loan_id, v.bank_code) for v in voids] == [
            ("ZERO-1", LOAN_ID, BANK)
        ]
        assert "0.00" in voids[0].reason
        audit = db.scalars(select(AuditEntry).where(AuditEntry.actor == "migration:0013")).all()
        assert [(a.action, a.entity_id) for a in audit] == [("loan_event.void", f"{BANK}/ZERO-1")]
        assert db.scalar(
            select(DirtyMark.id).where(DirtyMark.scope == "loan", DirtyMark.key == str(LOAN_ID))
        )
        view = loan_view(db, db.get(Loan, LOAN_ID), dt.date(2024, 5, 1))
        zero = {e["event_id"]: e["voided"] for e in view["events"] if e["event_id"] == "ZERO-1"}
        assert zero == {"ZERO-1": True} and view["balance"] != "0.00"
        assert close_period(db, "2024-04", "test", dt.date(2024, 5, 1))["status"] == "closed"
        db.commit()
        assert reconciliation(db, "2024-04")["ok"] is True
    with pytest.raises(IntegrityError, match="required_columns"), engine.begin() as c:
        c.execute(INSERT, _event("ZERO-3", "disbursement", on_date=dt.date(2024, 5, 2)))


def test_0013_twice_appends_nothing_more(v1_with_a_null_amount):
    engine = v1_with_a_null_amount
    migrate.upgrade(engine)
    with engine.connect() as c:
        count = c.scalar(text("SELECT count(*) FROM loan_events"))
    migrate.upgrade(engine)
    with engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM loan_events")) == count


MISSING = [
    ("disbursement", {"on_date": dt.date(2024, 5, 2)}),  # no amount
    ("disbursement", {"amount_fen": 100}),  # no date
    ("repayment", {"on_date": dt.date(2024, 5, 2)}),
    ("recovery", {"on_date": dt.date(2024, 5, 2)}),
    ("interest", {"on_date": dt.date(2024, 5, 2), "period_start": dt.date(2024, 4, 1)}),
    ("rate_change", {"on_date": dt.date(2024, 5, 2)}),
    ("delinquency", {"on_date": dt.date(2024, 5, 2)}),
    ("settlement", {}),
    ("void", {"target": "ZSRCB-2023-0008-D1"}),  # no reason
]


@pytest.fixture
def v1_upgraded(empty_database_url, tmp_path):
    """Version 1's database (no incomplete event in it) brought to head."""
    load_v1_database(empty_database_url, tmp_path)
    engine = make_engine(empty_database_url, sqlite_wal=False)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("type_", "values"), MISSING, ids=[f"{t}-{i}" for i, (t, _) in enumerate(MISSING)]
)
def test_the_database_refuses_an_event_without_what_its_type_requires(v1_upgraded, type_, values):
    engine = v1_upgraded
    with pytest.raises(IntegrityError, match="required_columns"), engine.begin() as c:
        c.execute(INSERT, _event("BAD-1", type_, **values))
    complete = _event(
        "GOOD-1",
        "rate_change",
        on_date=dt.date(2024, 5, 2),
        rate_e4=36_000,
    )
    with engine.begin() as c:  # the same insert with what it needs goes in
        c.execute(INSERT, complete)
