"""GET/PUT /api/v1/admin/business-date."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from loanledger.app import create_app
from loanledger.persistence.tables import AuditEntry, BusinessDate
from loanledger.services import clock
from tests.support.api import error_code

PATH = "/admin/business-date"


def test_a_fresh_database_accepts_any_first_date(staff, db):
    assert db.get(BusinessDate, 1) is None  # `init` does not set one
    assert staff.request("admin", "PUT", PATH, {"date": "2019-06-30"}).get_json() == {
        "date": "2019-06-30"
    }
    assert staff.request("auditor", "GET", PATH).get_json() == {"date": "2019-06-30"}


def test_moves_forward_and_stays(staff):
    staff.set_business_date("2025-01-02")
    assert staff.request("admin", "PUT", PATH, {"date": "2025-03-01"}).status_code == 200
    assert (
        staff.request("admin", "PUT", PATH, {"date": "2025-03-01"}).status_code == 200
    )  # same day: fine
    assert staff.request("clerk", "GET", PATH).get_json() == {"date": "2025-03-01"}


def test_backwards_is_refused(staff):
    staff.set_business_date("2025-03-01")
    answer = staff.request("admin", "PUT", PATH, {"date": "2025-02-28"})
    assert answer.status_code == 409 and error_code(answer) == "business_date_backwards"
    assert staff.request("admin", "GET", PATH).get_json() == {"date": "2025-03-01"}


@pytest.mark.parametrize("role", ["clerk", "approver", "auditor"])
def test_only_an_admin_moves_it(staff, role):
    answer = staff.request(role, "PUT", PATH, {"date": "2025-01-02"})
    assert answer.status_code == 403 and error_code(answer) == "forbidden"


def test_enterprise_users_cannot_read_it(staff):
    staff.tokens["enterprise"] = staff.login(
        "ent", staff.create("ent", "enterprise", uscc="9" * 18)
    )
    assert staff.request("enterprise", "GET", PATH).status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"date": "2025-1-2"},
        {"date": "20250102"},
        {"date": "2025-02-30"},
        {},
        {"date": "2025-01-02", "extra": 1},
    ],
)
def test_malformed_dates_are_refused(staff, body):
    answer = staff.request("admin", "PUT", PATH, body)
    assert answer.status_code == 422


def test_without_the_manual_switch_it_follows_the_calendar(settings, engine, staff_for):
    staff = staff_for(
        create_app(dataclasses.replace(settings, allow_manual_business_date=False), engine=engine)
    )
    answer = staff.request("admin", "PUT", PATH, {"date": "2025-01-02"})
    assert answer.status_code == 403
    assert staff.request("admin", "GET", PATH).get_json() == {
        "date": clock.shanghai_today().isoformat()
    }


def test_changes_are_audited(staff, db):
    staff.set_business_date("2025-01-02")
    staff.set_business_date("2025-01-03")
    rows = db.scalars(
        select(AuditEntry).where(AuditEntry.entity == "business_date").order_by(AuditEntry.id)
    ).all()
    assert [(r.before, r.after) for r in rows] == [
        (None, {"date": "2025-01-02"}),
        ({"date": "2025-01-02"}, {"date": "2025-01-03"}),
    ]
