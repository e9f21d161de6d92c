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
    assert _count(db, User) == 5 + len(demo_data.BANKS)  # staff, the enterprise, a user per bank
    bank_users = db.scalars(select(User).where(User.role == "bank").order_by(User.username)).all()
    assert [(u.username, u.bank_code) for u in bank_users] == [
        ("bank-boczs", "BOCZS"),
        ("bank-zsrcb", "ZSRCB"),
    ]
    assert all(u.display_name.endswith("数据员") for u in bank_users)
    assert _count(db, BankKey, BankKey.status == "active") == 2
    assert _count(db, Loan) == len(demo_data.LOANS)
    assert _count(db, LoanEvent) == len(demo_data.LOANS) * (1 + len(demo_data.INTEREST_DATES))
    assert _count(db, Period, Period.status == "closed") == len(demo_data.CLOSES)
    assert db.get(BusinessDate, 1).today.isoformat() == demo_data.INTEREST_DATES[-1]


def test_demo_data_shows_version_2(app, staff):
    """Through the API: the 助保贷 pool and its list, the wholesaler's loan earning nothing for
    its industry, the ordinary product's loan unlinked (and a filing refused on it)."""
    assert demo_data.load(app).warnings == []

    def get(path):
        answer = staff.request("auditor", "GET", path)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()

    zbd = get("/risk-pools/ZBD")
    assert (zbd["eligibility"], zbd["list_code"], zbd["cash"]) == (
        "enterprise_list",
        "ZS-PY-2025",
        "500000.00",
    )
    assert zbd["covered_principal"] == "800000.00"
    members = get("/enterprise-lists/ZS-PY-2025/members?on=2025-01-02")["items"]
    assert {m["uscc"] for m in members} == {demo_data.ENTERPRISES[i][0] for i in (0, 1)}
    zbd_loan = get("/loans/ZSRCB/ZSRCB-2025-0003")
    assert (zbd_loan["coverage"], zbd_loan["risk_pool"], zbd_loan["filing_no"]) == (
        "covered",
        "ZBD",
        None,
    )
    wholesaler = get("/loans/BOCZS/BOCZS-2025-0002")
    assert wholesaler["filing_no"] == "DEMO-F-4"
    assert wholesaler["eligibility"] == {"eligible": False, "reasons": ["industry_not_eligible"]}
    assert (wholesaler["subsidy_granted"], wholesaler["lines"]) == ("0.00", [])
    manufacturer = get("/loans/BOCZS/BOCZS-2025-0001")
    assert manufacturer["eligibility"]["eligible"] is True and manufacturer["lines"]
    ordinary = get("/loans/ZSRCB/ZSRCB-2025-0002")
    assert (ordinary["filing_no"], ordinary["lines"]) == (None, [])
    assert ordinary["eligibility"]["reasons"] == ["product_not_eligible"]
    refused = staff.request(
        "clerk", "PUT", "/loans/ZSRCB/ZSRCB-2025-0002/filing", {"filing_no": "DEMO-F-2"}
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["code"] == "product_not_eligible"


def test_describe_lists_logins_and_keys(app):
    text = demo_data.describe(demo_data.load(app))
    assert "admin / admin-demo-2026" in text and "key_id=k_" in text and "warning" not in text
    assert "bank-zsrcb / bank-zsrcb-demo-2026  (bank)" in text


def test_interest_due_is_actual_over_360_half_up():
    assert demo_data.interest_due(1_000_000, "3.6000", "2025-01-01", "2025-01-31") == "3000.00"
    assert (
        demo_data.interest_due(100, "3.0000", "2025-01-01", "2025-01-04") == "0.03"
    )  # 2.5 fen → 3
