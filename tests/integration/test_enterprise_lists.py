"""Enterprise lists (名录库, domain.md §2 v2) through the HTTP API: a list created by an
admin (a repeat returns it, other content is 409), read by every staff role; a membership
stated by PUT (new, changed, unchanged; both dates inclusive, as `read.listed_on` answers);
the members on a date, page by page; and every refusal changing nothing at all."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from loanledger.domain.uscc import uscc_with_check
from loanledger.persistence.tables import (
    AuditEntry,
    Enterprise,
    EnterpriseList,
    EnterpriseListMember,
)
from loanledger.services import read
from tests.support.api import ok, paged, refused
from tests.support.lists import LIST, USCC_A, USCC_B, list_world
from tests.support.scenarios import Player

UNKNOWN = uscc_with_check("91442000MA4YYYYY1")
BAD_CHECK = USCC_A[:17] + ("0" if USCC_A[17] != "0" else "1")
MEMBERS = f"/enterprise-lists/{LIST}/members"


def state(db) -> tuple:
    """Everything a refused request must leave as it was: the lists, the memberships, the
    enterprises and the audit trail."""
    db.expire_all()
    return (
        sorted((r.list_code, r.name) for r in db.scalars(select(EnterpriseList))),
        sorted(
            (m.id, m.list_code, m.uscc, m.from_on, m.to_on)
            for m in db.scalars(select(EnterpriseListMember))
        ),
        sorted(e.uscc for e in db.scalars(select(Enterprise))),
        [(a.id, a.action) for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))],
    )


def audit_of(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def lists(staff):
    """List SGS, enterprises A and B; business date 2024-03-01."""
    body = list_world(staff)
    assert body == {
        "list_code": LIST,
        "name": "上规上限培育企业名录库",
        "member_count": 0,
        "members_on_business_date": 0,
    }
    return staff


def put(staff, uscc: str, body: dict, role: str = "clerk"):
    return staff.request(role, "PUT", f"{MEMBERS}/{uscc}", body)


# ---------------------------------------------------------------- lists
def test_an_admin_creates_a_list_a_repeat_returns_it_other_content_is_409(lists, db):
    staff = lists
    again = staff.request(
        "admin", "POST", "/enterprise-lists", {"list_code": LIST, "name": "上规上限培育企业名录库"}
    )
    assert again.status_code == 200
    assert again.get_json()["list_code"] == LIST
    before = state(db)
    other = staff.request(
        "admin", "POST", "/enterprise-lists", {"list_code": LIST, "name": "另一个"}
    )
    refused(other, 409, "invalid_state", "list_code")
    assert state(db) == before
    (created,) = audit_of(db, "enterprise_list.create")
    assert (created.entity, created.entity_id, created.before, created.after) == (
        "enterprise_list",
        LIST,
        None,
        {"list_code": LIST, "name": "上规上限培育企业名录库"},
    )


def test_every_staff_role_reads_lists_page_by_page(lists):
    staff = lists
    for code in ("A1", "B2", "C3"):
        ok(staff.request("admin", "POST", "/enterprise-lists", {"list_code": code, "name": code}))
    first = ok(staff.request("auditor", "GET", "/enterprise-lists?limit=2"))
    assert [i["list_code"] for i in first["items"]] == ["A1", "B2"]
    second = ok(
        staff.request("approver", "GET", f"/enterprise-lists?limit=2&cursor={first['next_cursor']}")
    )
    assert [i["list_code"] for i in second["items"]] == ["C3", LIST]
    assert second["next_cursor"] is None
    assert ok(staff.request("clerk", "GET", f"/enterprise-lists/{LIST}"))["member_count"] == 0


def test_the_list_view_counts_enterprises_ever_listed_and_listed_on_the_business_date(lists):
    staff = lists
    ok(put(staff, USCC_A, {"from": "2023-01-01", "to": "2023-06-30"}))
    ok(put(staff, USCC_A, {"from": "2024-01-01"}))
    ok(put(staff, USCC_B, {"from": "2023-01-01", "to": "2024-02-29"}))
    view = ok(staff.request("auditor", "GET", f"/enterprise-lists/{LIST}"))
    assert (view["member_count"], view["members_on_business_date"]) == (2, 1)
    staff.set_business_date("2024-03-02")
    view = ok(staff.request("auditor", "GET", f"/enterprise-lists/{LIST}"))
    assert (view["member_count"], view["members_on_business_date"]) == (2, 1)


# ---------------------------------------------------------------- PUT: new, changed, unchanged
def test_put_adds_a_membership_then_changes_its_dates_then_changes_nothing(lists, db):
    staff = lists
    added = ok(put(staff, USCC_A, {"from": "2024-01-01"}))
    assert added == {
        "list_code": LIST,
        "uscc": USCC_A,
        "name": "中山市华星五金制品有限公司",
        "from": "2024-01-01",
        "to": None,
        "change": "added",
    }
    changed = ok(put(staff, USCC_A, {"from": "2023-07-01", "to": "2024-06-30"}))
    assert (changed["from"], changed["to"], changed["change"]) == (
        "2023-07-01",
        "2024-06-30",
        "changed",
    )
    trail = len(audit_of(db, "enterprise_list_member.change"))
    same = ok(put(staff, USCC_A, {"from": "2023-07-01", "to": "2024-06-30"}))
    assert same["change"] == "unchanged"
    assert len(audit_of(db, "enterprise_list_member.change")) == trail == 1
    rows = list(db.scalars(select(EnterpriseListMember)))
    assert [(m.uscc, m.from_on, m.to_on) for m in rows] == [
        (USCC_A, dt.date(2023, 7, 1), dt.date(2024, 6, 30))
    ]
    (add,) = audit_of(db, "enterprise_list_member.add")
    (change,) = audit_of(db, "enterprise_list_member.change")
    assert add.after == {"list_code": LIST, "uscc": USCC_A, "from": "2024-01-01", "to": None}
    assert (change.entity_id, change.before, change.after) == (
        str(rows[0].id),
        {"list_code": LIST, "uscc": USCC_A, "from": "2024-01-01", "to": None},
        {"list_code": LIST, "uscc": USCC_A, "from": "2023-07-01", "to": "2024-06-30"},
    )


def test_an_interval_that_only_touches_a_membership_is_a_new_one(lists, db):
    staff = lists
    ok(put(staff, USCC_A, {"from": "2024-01-01", "to": "2024-06-30"}))
    assert ok(put(staff, USCC_A, {"from": "2024-07-01"}))["change"] == "added"
    assert ok(put(staff, USCC_A, {"from": "2023-01-01", "to": "2023-12-31"}))["change"] == "added"
    # Sharing one day (2023-01-01) with one of the three changes that one: its dates replaced.
    changed = ok(put(staff, USCC_A, {"from": "2022-06-01", "to": "2023-01-01"}))
    assert (changed["from"], changed["to"], changed["change"]) == (
        "2022-06-01",
        "2023-01-01",
        "changed",
    )
    db.expire_all()
    spans = sorted((m.from_on, m.to_on) for m in db.scalars(select(EnterpriseListMember)))
    assert spans == [
        (dt.date(2022, 6, 1), dt.date(2023, 1, 1)),
        (dt.date(2024, 1, 1), dt.date(2024, 6, 30)),
        (dt.date(2024, 7, 1), None),
    ]


def test_an_interval_overlapping_two_memberships_is_refused_and_changes_nothing(lists, db):
    staff = lists
    ok(put(staff, USCC_A, {"from": "2023-01-01", "to": "2023-12-31"}))
    ok(put(staff, USCC_A, {"from": "2024-02-01"}))
    before = state(db)
    refused(
        put(staff, USCC_A, {"from": "2023-06-01", "to": "2024-03-01"}), 409, "invalid_state", "from"
    )
    refused(put(staff, USCC_A, {"from": "2022-01-01"}), 409, "invalid_state", "from")
    assert state(db) == before


def test_a_membership_is_in_force_on_both_of_its_dates_and_not_beyond(lists, db):
    staff = lists
    ok(put(staff, USCC_A, {"from": "2024-01-10", "to": "2024-01-20"}))
    ok(put(staff, USCC_B, {"from": "2024-01-10"}))
    days = [dt.date(2024, 1, 9), dt.date(2024, 1, 10), dt.date(2024, 1, 20), dt.date(2024, 1, 21)]
    far = dt.date(2099, 12, 31)
    wanted = [(u, d) for u in (USCC_A, USCC_B) for d in [*days, far]]
    db.expire_all()
    assert read.listed_on(db, LIST, wanted) == {
        (USCC_A, dt.date(2024, 1, 10)),
        (USCC_A, dt.date(2024, 1, 20)),
        (USCC_B, dt.date(2024, 1, 10)),
        (USCC_B, dt.date(2024, 1, 20)),
        (USCC_B, dt.date(2024, 1, 21)),
        (USCC_B, far),
    }
    assert read.listed_on(db, "OTHER", wanted) == set()
    # A membership of one day: from = to.
    ok(put(staff, USCC_A, {"from": "2024-01-20", "to": "2024-01-20"}))
    db.expire_all()
    assert {d for u, d in read.listed_on(db, LIST, wanted) if u == USCC_A} == {dt.date(2024, 1, 20)}


# ---------------------------------------------------------------- members on a date
def test_members_on_a_date_page_by_page_with_names(lists):
    staff = lists
    ok(put(staff, USCC_A, {"from": "2023-01-01", "to": "2023-12-31"}))
    ok(put(staff, USCC_A, {"from": "2024-02-01"}))
    ok(put(staff, USCC_B, {"from": "2023-06-01", "to": "2024-01-31"}))
    everyone = paged(staff, MEMBERS)
    assert [(m["uscc"], m["from"], m["to"]) for m in everyone] == sorted(
        [
            (USCC_A, "2023-01-01", "2023-12-31"),
            (USCC_A, "2024-02-01", None),
            (USCC_B, "2023-06-01", "2024-01-31"),
        ]
    )
    assert {m["name"] for m in everyone} == {
        "中山市华星五金制品有限公司",
        "中山市美灯照明科技有限公司",
    }
    first = ok(staff.request("auditor", "GET", f"{MEMBERS}?limit=2"))
    rest = ok(staff.request("auditor", "GET", f"{MEMBERS}?limit=2&cursor={first['next_cursor']}"))
    assert first["items"] + rest["items"] == everyone and rest["next_cursor"] is None
    on = lambda day: [(m["uscc"], m["from"]) for m in paged(staff, f"{MEMBERS}?on={day}")]  # noqa: E731
    assert on("2023-12-31") == [(USCC_A, "2023-01-01"), (USCC_B, "2023-06-01")]
    assert on("2024-01-15") == [(USCC_B, "2023-06-01")]
    assert on("2024-02-01") == [(USCC_A, "2024-02-01")]
    assert on("2022-12-31") == []
    refused(
        staff.request("auditor", "GET", f"{MEMBERS}?on=2024-13-01"), 422, "invalid_format", "on"
    )
    refused(
        staff.request("auditor", "GET", f"{MEMBERS}?cursor=nonsense"),
        422,
        "invalid_format",
        "cursor",
    )


# ---------------------------------------------------------------- refusals change nothing
REFUSALS = [
    # (role, method, path, body, status, code, field)
    (
        "clerk",
        "PUT",
        f"/enterprise-lists/NOPE/members/{USCC_A}",
        {"from": "2024-01-01"},
        422,
        "unknown_list",
        "list_code",
    ),
    (
        "clerk",
        "PUT",
        f"{MEMBERS}/{UNKNOWN}",
        {"from": "2024-01-01"},
        422,
        "unknown_enterprise",
        "uscc",
    ),
    ("clerk", "PUT", f"{MEMBERS}/{BAD_CHECK}", {"from": "2024-01-01"}, 422, "invalid_uscc", "uscc"),
    (
        "clerk",
        "PUT",
        f"{MEMBERS}/{USCC_A}",
        {"from": "2024-01-02", "to": "2024-01-01"},
        422,
        "invalid_format",
        "to",
    ),
    ("clerk", "PUT", f"{MEMBERS}/{USCC_A}", {"to": "2024-01-01"}, 422, "required", "from"),
    ("clerk", "PUT", f"{MEMBERS}/{USCC_A}", {"from": "2024-1-1"}, 422, "invalid_format", "from"),
    (
        "clerk",
        "PUT",
        f"{MEMBERS}/{USCC_A}",
        {"from": "2024-01-01", "until": "x"},
        422,
        "unknown_field",
        "until",
    ),
    ("auditor", "PUT", f"{MEMBERS}/{USCC_A}", {"from": "2024-01-01"}, 403, "forbidden", None),
    ("approver", "PUT", f"{MEMBERS}/{USCC_A}", {"from": "2024-01-01"}, 403, "forbidden", None),
    (
        "clerk",
        "POST",
        "/enterprise-lists",
        {"list_code": "NEW", "name": "新名录"},
        403,
        "forbidden",
        None,
    ),
    ("admin", "POST", "/enterprise-lists", {"list_code": "NEW"}, 422, "required", "name"),
    (
        "admin",
        "POST",
        "/enterprise-lists",
        {"list_code": "NEW", "name": "  "},
        422,
        "invalid_format",
        "name",
    ),
    (
        "admin",
        "POST",
        "/enterprise-lists",
        {"list_code": LIST, "name": "另一个"},
        409,
        "invalid_state",
        "list_code",
    ),
    ("auditor", "GET", "/enterprise-lists/NOPE", None, 404, "not_found", None),
    ("auditor", "GET", "/enterprise-lists/NOPE/members", None, 404, "not_found", None),
    ("enterprise", "GET", "/enterprise-lists", None, 403, "forbidden", None),
    # A NUL in a path (PostgreSQL text cannot hold one) names nothing: never a 500.
    ("auditor", "GET", "/enterprise-lists/S%00G", None, 404, "not_found", None),
    ("auditor", "GET", "/enterprise-lists/S%00G/members", None, 404, "not_found", None),
    # A NUL in a path names nothing anywhere in the API (app._refuse_nul_in_path).
    (
        "clerk",
        "PUT",
        f"/enterprise-lists/S%00G/members/{USCC_A}",
        {"from": "2024-01-01"},
        404,
        "not_found",
        None,
    ),
    ("clerk", "PUT", f"{MEMBERS}/A%00B", {"from": "2024-01-01"}, 404, "not_found", None),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "status", "code", "field"), REFUSALS)
def test_each_refusal_changes_nothing(lists, db, role, method, path, body, status, code, field):
    staff = lists
    ok(put(staff, USCC_A, {"from": "2023-01-01", "to": "2023-12-31"}))
    staff.token(role, uscc=USCC_B if role == "enterprise" else None)  # signing in: not under test
    before = state(db)
    refused(staff.request(role, method, path, body), status, code, field)
    assert state(db) == before


def test_a_refused_write_is_a_problem_naming_the_rule(lists):
    answer = put(lists, USCC_A, {"from": "2024-01-02", "to": "2024-01-01"})
    assert answer.status_code == 422
    problem = answer.get_json()
    assert problem["errors"] == [
        {
            "field": "to",
            "code": "invalid_format",
            "message": "to 2024-01-01 is before from 2024-01-02",
        }
    ]


def test_the_scenario_player_sets_up_lists_and_plays_list_member_steps(staff, bank, db):
    """tests/support/scenarios.py knows the v2 keys of the lists (FORMAT.md): `enterprise_lists`
    created by an admin before the products, `list_member` steps dated by their `from`."""
    scenario = {
        "start_date": "2023-01-05",
        "enterprise_lists": [
            {"list_code": "ZS-PY-2023", "name": "中山市上规上限培育企业名录库（2023年度）"}
        ],
        "enterprises": [{"uscc": USCC_A, "name": "华星五金", "established_on": "2012-03-01"}],
        "steps": [
            {
                "do": "list_member",
                "list_code": "ZS-PY-2023",
                "uscc": USCC_A,
                "from": "2023-01-01",
                "to": "2023-12-31",
            },
            {"do": "list_member", "list_code": "ZS-PY-2023", "uscc": USCC_A, "from": "2023-03-01"},
        ],
    }
    Player(staff, bank, scenario).play()
    db.expire_all()
    assert [(m.from_on, m.to_on) for m in db.scalars(select(EnterpriseListMember))] == [
        (dt.date(2023, 3, 1), None)
    ]
