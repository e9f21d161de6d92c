"""`loanledger demo-data`: loads through the HTTP API, and a second run changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from loanledger import demo_data
from loanledger.persistence.tables import BankKey, BusinessDate, Loan, LoanEvent, Period, User


def _count(db, table, *where) -> int:
    return db.scalar(select(func.count()).select_from(table).where(*where))


def test_demo_data_loads_once(app, db):
    first = demo_data.load(app)
    assert first.warnings == []
    second = demo_data.load(app)
    assert second.warnings == []
    assert second.keys == first.keys  # the same keys are shown again, none added
    db.expire_all()
    assert _count(db, User) == 5
    assert _count(db, BankKey, BankKey.status == "active") == 2
    assert _count(db, Loan) == len(demo_data.LOANS)
    assert _count(db, LoanEvent) == len(demo_data.LOANS) * (1 + len(demo_data.INTEREST_DATES))
    assert _count(db, Period, Period.status == "closed") == len(demo_data.CLOSES)
    assert db.get(BusinessDate, 1).today.isoformat() == demo_data.INTEREST_DATES[-1]


def test_describe_lists_logins_and_keys(app):
    text = demo_data.describe(demo_data.load(app))
    assert "admin / admin-demo-2026" in text and "key_id=k_" in text and "warning" not in text


def test_interest_due_is_actual_over_360_half_up():
    assert demo_data.interest_due(1_000_000, "3.6000", "2025-01-01", "2025-01-31") == "3000.00"
    assert (
        demo_data.interest_due(100, "3.0000", "2025-01-01", "2025-01-04") == "0.03"
    )  # 2.5 fen → 3
