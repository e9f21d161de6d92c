"""The budget forecast (GET /reports/forecast) and the policy what-if (POST /reports/what-if),
issue 13, through the HTTP API on small worlds whose figures are computed by hand.

Loans of 500,000.00 at 3.6 % earn 50.00 a day (500,000 × 3.6 % / 360): a month of 31 days is
1,550.00, of 30 days 1,500.00, February 1,400.00 (1,450.00 in 2024). Filings are approved
2022-12-01 (tests/support/world.add_enterprise), so a loan whose contract starts after
2023-05-30 leaves its filing lapsed (180 days).
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from loanledger.persistence.tables import (
    AuditEntry,
    DirtyMark,
    JournalEntry,
    Line,
    PolicyVersion,
    RecordState,
)
from loanledger.services import forecast as forecast_service
from tests.support.api import ok, put_policy
from tests.support.ledger import close, fen
from tests.support.web import Web, flashes, text
from tests.support.world import USCCS, add_enterprise, event, loan, small_world


def forecast(staff, year: int, role: str = "auditor") -> dict:
    return ok(staff.request(role, "GET", f"/reports/forecast?year={year}"))


def months_of(answer: dict, year: int) -> list[str]:
    """The month's figure, as the API gives it, for the twelve months of `year`."""
    return [m["subsidy"] for m in answer["months"] if m["period"].startswith(f"{year}-")]


def disburse(client, contract: str, on: str, amount: str = "500000.00", event_id: str = "D1"):
    event(client, contract, event_id=event_id, type="disbursement", date=on, amount=amount)


def one_loan_world(staff, bank, *, annual_cap: str | None = None, **loan_extra) -> dict:
    """Enterprise USCCS[0] with filing F1 and loan C1 at BK1: 500,000.00 drawn 2023-01-03."""
    banks = small_world(staff, bank, annual_cap=annual_cap)
    add_enterprise(staff, USCCS[0], "F1")
    loan(banks["BK1"], "C1", USCCS[0], "F1", "500000.00", "2023-01-03", **loan_extra)
    staff.set_business_date("2023-01-03")
    disburse(banks["BK1"], "C1", "2023-01-03")
    return banks


# ------------------------------------------------------------------ the forecast by hand
def test_the_forecast_runs_the_balance_on_month_by_month_and_stops_at_maturity(staff, bank):
    one_loan_world(staff, bank)
    answer = forecast(staff, 2024)
    assert answer["year"] == 2024 and answer["last_closed_period"] is None
    assert [m["period"] for m in answer["months"]][:2] == ["2024-01", "2024-02"]
    assert len(answer["months"]) == 24 and {m["status"] for m in answer["months"]} == {"forecast"}
    assert months_of(answer, 2024) == [
        "1550.00", "1450.00", "1550.00", "1500.00", "1550.00", "1500.00",
        "1550.00", "1550.00", "1500.00", "1550.00", "1500.00", "1550.00",
    ]  # fmt: skip
    # the loan matures on 2025-01-01: nothing after
    assert set(months_of(answer, 2025)) == {"0.00"}
    assert answer["years"] == [
        {"year": 2024, "closed": "0.00", "forecast": "18300.00", "total": "18300.00", "budget": "0.00"},
        {"year": 2025, "closed": "0.00", "forecast": "0.00", "total": "0.00", "budget": "0.00"},
    ]  # fmt: skip
    # a loan never disbursed earns nothing; the first month counts from the disbursement
    first = forecast(staff, 2023)
    assert months_of(first, 2023)[:3] == ["1450.00", "1400.00", "1550.00"]


def test_the_annual_cap_cuts_the_last_months_of_each_year(staff, bank):
    one_loan_world(staff, bank, annual_cap="10000.00")
    answer = forecast(staff, 2023)
    # 1,450 + 1,400 + 1,550 + 1,500 + 1,550 + 1,500 = 8,950: July gets the 1,050 left
    assert months_of(answer, 2023) == [
        "1450.00", "1400.00", "1550.00", "1500.00", "1550.00", "1500.00",
        "1050.00", "0.00", "0.00", "0.00", "0.00", "0.00",
    ]  # fmt: skip
    # 2024 starts again: 1,550 + 1,450 + 1,550 + 1,500 + 1,550 + 1,500 = 9,100, July gets 900
    assert months_of(answer, 2024)[5:8] == ["1500.00", "900.00", "0.00"]
    assert [y["forecast"] for y in answer["years"]] == ["10000.00", "10000.00"]


def test_a_window_that_ends_mid_year_stops_the_subsidy_on_its_last_day(staff, bank):
    banks = small_world(staff, bank)
    assert put_policy(staff, {"subsidy_years": 1, "subsidy_ratios": ["1.00"]}).status_code == 200
    add_enterprise(staff, USCCS[0], "F1")
    loan(banks["BK1"], "C1", USCCS[0], "F1", "500000.00", "2023-05-15")
    staff.set_business_date("2023-05-15")
    disburse(banks["BK1"], "C1", "2023-05-15")
    answer = forecast(staff, 2024)
    # the window is [2023-05-15, 2024-05-15): 14 days of May 2024, then nothing
    assert months_of(answer, 2024)[3:7] == ["1500.00", "700.00", "0.00", "0.00"]
    assert answer["years"][0]["forecast"] == "6750.00"  # 1,550 + 1,450 + 1,550 + 1,500 + 700


def test_a_lapsed_filing_gives_nothing(staff, bank):
    banks = small_world(staff, bank)
    add_enterprise(staff, USCCS[0], "F1")
    loan(banks["BK1"], "C1", USCCS[0], "F1", "500000.00", "2023-07-03")  # after 2023-05-30
    staff.set_business_date("2023-07-03")
    disburse(banks["BK1"], "C1", "2023-07-03")
    answer = forecast(staff, 2023)
    assert {m["subsidy"] for m in answer["months"]} == {"0.00"}


def test_the_forecast_shows_the_years_budget(staff, bank):
    one_loan_world(staff, bank)
    ok(
        staff.request(
            "clerk", "POST", "/budgets", {"year": 2024, "amount": "20000.00", "reference": "预算"}
        )
    )
    assert forecast(staff, 2024)["years"][0]["budget"] == "20000.00"


def test_the_dashboard_shows_the_years_forecast_beside_its_budget(staff, bank, app):
    """预计全年支出 / 预算: the API's figure for the business year (2023, nothing closed)."""
    one_loan_world(staff, bank, annual_cap="10000.00")
    ok(
        staff.request(
            "clerk", "POST", "/budgets", {"year": 2023, "amount": "12000.00", "reference": "预算"}
        )
    )
    expected = forecast(staff, 2023)["years"][0]
    assert (expected["total"], expected["budget"]) == ("10000.00", "12000.00")
    staff.create("clerk9", "clerk", password="clerk9-password")
    web = Web(app)
    web.login("clerk9", "clerk9-password")
    page = text(web.get("/bureau"))
    table = page[
        page.index('id="year-forecast"') : page.index("</table>", page.index('id="year-forecast"'))
    ]
    assert 'data-year="2023"' in table and "预计全年支出" in table and "预算" in table
    assert '<td class="num forecast-total">¥10,000.00</td>' in table
    assert '<td class="num forecast-budget">¥12,000.00</td>' in table
    english = text(web.get("/bureau", headers={"Accept-Language": "en"}))
    assert "Expected spending this year" in english


def test_the_dashboard_computes_the_forecast_again_only_when_data_changed(
    staff, bank, app, monkeypatch
):
    """The dashboard keeps its forecast while nothing changed, and a bank's new loan moves
    it at once."""
    banks = one_loan_world(staff, bank)
    made: list[int] = []
    original = forecast_service.forecast

    def counted(db, year, **options):
        made.append(year)
        return original(db, year, **options)

    monkeypatch.setattr(forecast_service, "forecast", counted)
    staff.create("clerk9", "clerk", password="clerk9-password")
    web = Web(app)
    web.login("clerk9", "clerk9-password")

    def total() -> str:
        page = text(web.get("/bureau"))
        return re.search(r'<td class="num forecast-total">([^<]+)</td>', page).group(1)

    first = total()
    assert total() == first and len(made) == 1  # the second view computed nothing
    add_enterprise(staff, USCCS[1], "F2")
    loan(banks["BK1"], "C2", USCCS[1], "F2", "500000.00", "2023-01-03")
    disburse(banks["BK1"], "C2", "2023-01-03", event_id="D2")
    assert total() != first and len(made) == 2


# ------------------------------------------------------------------ the forecast against the close
def test_a_forecast_month_closed_with_nothing_changed_pays_what_was_forecast(staff, bank):
    """Odd figures on purpose (a rate above the LPR cap, a balance in odd fen, a repayment):
    the forecast of each month, once the bank reports that month's interest as assumed and
    the month is closed, is what the close pays, to the fen."""
    banks = small_world(staff, bank, annual_cap="3000.00")
    assert put_policy(staff, {"rate_cap_spread_bps": 35}).status_code == 200
    add_enterprise(staff, USCCS[0], "F1")
    loan(banks["BK1"], "C1", USCCS[0], "F1", "333333.33", "2023-01-03", annual_rate="4.3500")
    staff.set_business_date("2023-01-03")
    disburse(banks["BK1"], "C1", "2023-01-03", amount="333333.33")
    staff.set_business_date("2023-01-17")
    event(
        banks["BK1"], "C1", event_id="R1", type="repayment", date="2023-01-17", principal="1234.57"
    )
    for month, start, end, paid_on in (
        ("2023-01", "2023-01-03", "2023-02-01", "2023-01-31"),
        ("2023-02", "2023-02-01", "2023-03-01", "2023-02-28"),
        ("2023-03", "2023-03-01", "2023-04-01", "2023-03-31"),
    ):
        predicted = next(m for m in forecast(staff, 2023)["months"] if m["period"] == month)
        assert predicted["status"] == "forecast" and fen(predicted["subsidy"]) > 0
        staff.set_business_date(end)
        # the bank reports the month's interest (more than any subsidy of it), paid in the month
        event(
            banks["BK1"],
            "C1",
            event_id=f"I{month}",
            type="interest",
            period_start=start,
            period_end=end,
            paid_on=paid_on,
            interest="9999.00",
        )
        reported = next(m for m in forecast(staff, 2023)["months"] if m["period"] == month)
        ok(close(staff, month))
        closed = next(m for m in forecast(staff, 2023)["months"] if m["period"] == month)
        assert closed["status"] == "closed"
        assert closed["subsidy"] == predicted["subsidy"] == reported["subsidy"], (month, closed)
    # the annual cap (3,000.00) bit in March: the forecast took January and February's
    # granted amounts into account as the close did
    answer = forecast(staff, 2023)
    assert answer["years"][0]["total"] == "3000.00"


# ------------------------------------------------------------------ the what-if
def two_enterprise_world(staff, bank) -> dict:
    """USCCS[0] (loan C1 at BK1) and USCCS[1] (loan C2 at BK2, 300,000.00 = 30.00 a day), both
    drawn 2023-01-03; January and February reported and closed, March on."""
    banks = one_loan_world(staff, bank)
    add_enterprise(staff, USCCS[1], "F2")
    loan(banks["BK2"], "C2", USCCS[1], "F2", "300000.00", "2023-01-03")
    disburse(banks["BK2"], "C2", "2023-01-03", amount="300000.00", event_id="D2")
    for month, start, end, paid_on in (
        ("2023-01", "2023-01-03", "2023-02-01", "2023-01-31"),
        ("2023-02", "2023-02-01", "2023-03-01", "2023-02-28"),
    ):
        staff.set_business_date(end)
        for bank_code, contract in (("BK1", "C1"), ("BK2", "C2")):
            event(
                banks[bank_code],
                contract,
                event_id=f"I{month}",
                type="interest",
                period_start=start,
                period_end=end,
                paid_on=paid_on,
                interest="9999.00",
            )
        ok(close(staff, month))
    staff.token("auditor")  # signed in before anything is counted: a sign-in is audited
    return banks


def what_if(staff, changes: dict, first: str = "2023-01", last: str = "2023-06", role="auditor"):
    policy = {**ok(staff.request("admin", "GET", "/policy")), **changes}
    return staff.request(
        role, "POST", "/reports/what-if", {"policy": policy, "from": first, "to": last}
    )


def written(db) -> tuple[int, ...]:
    """What a what-if must never write: policy versions, audit, dirty marks, ledger, states, lines."""
    db.expire_all()
    figures = tuple(
        db.scalar(select(func.count()).select_from(t))
        for t in (PolicyVersion, AuditEntry, DirtyMark, JournalEntry, RecordState, Line)
    )
    db.rollback()
    return figures


def test_the_policy_in_force_as_a_draft_changes_nothing(staff, bank, db):
    two_enterprise_world(staff, bank)
    before = written(db)
    answer = ok(what_if(staff, {}))
    assert answer["enterprises_changed"] == 0
    assert answer["total"]["difference"] == "0.00"
    assert answer["last_closed_period"] == "2023-02"
    # closed months as the closes paid them (recomputed), the rest forecast: 80.00 a day
    assert [(m["period"], m["status"], m["in_force"], m["draft"]) for m in answer["months"]] == [
        ("2023-01", "closed", "2320.00", "2320.00"),
        ("2023-02", "closed", "2240.00", "2240.00"),
        ("2023-03", "forecast", "2480.00", "2480.00"),
        ("2023-04", "forecast", "2400.00", "2400.00"),
        ("2023-05", "forecast", "2480.00", "2480.00"),
        ("2023-06", "forecast", "2400.00", "2400.00"),
    ]
    assert [(b["bank_code"], b["in_force"]) for b in answer["banks"]] == [
        ("BK1", "8950.00"),  # 50.00 a day, 179 days
        ("BK2", "5370.00"),  # 30.00 a day
    ]
    assert len(answer["by_month_and_bank"]) == 12
    assert written(db) == before


def test_a_lower_annual_cap_prices_lower_and_counts_the_enterprises_it_changes(staff, bank, db):
    two_enterprise_world(staff, bank)
    before = written(db)
    policy_before = ok(staff.request("admin", "GET", "/policy"))
    # 5,000.00 a year: C1 (50.00 a day) reaches it in April, C2 (30.00 a day) not before June
    answer = ok(what_if(staff, {"annual_cap_per_enterprise": "5000.00"}, last="2023-05"))
    assert answer["enterprises_changed"] == 1
    by_bank = {b["bank_code"]: b for b in answer["banks"]}
    assert by_bank["BK2"]["difference"] == "0.00"
    # C1: 1,450 + 1,400 + 1,550 = 4,400 to March, April 600 instead of 1,500, May 0 for 1,550
    assert by_bank["BK1"]["in_force"] == "7450.00" and by_bank["BK1"]["draft"] == "5000.00"
    assert by_bank["BK1"]["difference"] == "-2450.00"
    cells = {(c["period"], c["bank_code"]): c for c in answer["by_month_and_bank"]}
    assert cells[("2023-04", "BK1")]["draft"] == "600.00"
    assert cells[("2023-05", "BK1")]["draft"] == "0.00"
    assert cells[("2023-01", "BK1")]["difference"] == "0.00"
    assert answer["total"]["difference"] == "-2450.00"
    # a range that starts later still caps after the months before it in the year
    later = ok(what_if(staff, {"annual_cap_per_enterprise": "5000.00"}, first="2023-04"))
    # April: C1's 600 left and C2's 900; May: C2's 930 alone
    assert [m["draft"] for m in later["months"][:2]] == ["1500.00", "930.00"]
    # nothing saved: the policy is as it was, nothing written
    assert ok(staff.request("admin", "GET", "/policy")) == policy_before
    assert written(db) == before


def test_a_draft_with_a_one_year_window_at_half_ratio_halves_every_month(staff, bank):
    two_enterprise_world(staff, bank)
    # a window of one year ends on 2024-01-03, after the range: only the ratio bites
    answer = ok(what_if(staff, {"subsidy_years": 1, "subsidy_ratios": ["0.50"]}))
    assert answer["enterprises_changed"] == 2
    assert answer["total"]["draft"] == "7160.00"  # half of 14,320.00
    assert all(fen(m["draft"]) * 2 == fen(m["in_force"]) for m in answer["months"])


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"annual_cap_per_enterprise": "-1.00"}, "policy.annual_cap_per_enterprise"),
        ({"subsidy_years": 2}, "policy.subsidy_ratios"),
        ({"no_such_rule": 1}, "policy.no_such_rule"),
    ],
)
def test_an_invalid_draft_is_422_naming_the_field_and_writes_nothing(
    staff, bank, db, changes, field
):
    two_enterprise_world(staff, bank)
    before = written(db)
    r = what_if(staff, changes)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert field in {e["field"] for e in r.get_json()["errors"]}, r.get_json()
    assert written(db) == before


@pytest.mark.parametrize(
    "first, last, field",
    [
        ("2023-06", "2023-05", "to"),
        ("2023-01", "2026-01", "to"),  # 37 months
        ("2023-13", "2023-05", "from"),
        (None, "2023-05", "from"),
    ],
)
def test_a_range_backwards_too_long_or_malformed_is_422(staff, bank, first, last, field):
    one_loan_world(staff, bank)
    policy = ok(staff.request("admin", "GET", "/policy"))
    body = {"policy": policy, "to": last} | ({} if first is None else {"from": first})
    r = staff.request("auditor", "POST", "/reports/what-if", body)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.get_json()["errors"][0]["field"] == field, r.get_json()


def test_36_months_is_allowed(staff, bank):
    one_loan_world(staff, bank)
    answer = ok(what_if(staff, {}, first="2023-01", last="2025-12"))
    assert len(answer["months"]) == 36


def test_a_forecast_year_out_of_range_is_422(staff, bank):
    one_loan_world(staff, bank)
    for query in ("year=1999", "year=abc", ""):
        r = staff.request("auditor", "GET", f"/reports/forecast?{query}")
        assert r.status_code == 422 and r.get_json()["errors"][0]["field"] == "year"


def test_staff_only(staff, bank, client):
    banks = one_loan_world(staff, bank)
    policy = ok(staff.request("admin", "GET", "/policy"))
    body = {"policy": policy, "from": "2023-01", "to": "2023-02"}
    for role in ("admin", "clerk", "approver", "auditor"):
        ok(staff.request(role, "GET", "/reports/forecast?year=2023"))
        ok(staff.request(role, "POST", "/reports/what-if", body))
    staff.create("ent-user", "enterprise", uscc=USCCS[0])
    token = staff.login("ent-user", "ent-user-password")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/reports/forecast?year=2023", headers=headers).status_code == 403
    assert client.post("/api/v1/reports/what-if", json=body, headers=headers).status_code == 403
    assert client.get("/api/v1/reports/forecast?year=2023").status_code == 401
    signed = banks["BK1"].get("/api/v1/reports/forecast", params={"year": 2023})
    assert signed.status_code in (401, 403), signed.get_data(as_text=True)


def test_the_what_if_page_prices_a_pasted_draft_and_saves_nothing(staff, bank, app, db):
    two_enterprise_world(staff, bank)
    staff.create("clerk9", "clerk", password="clerk9-password")
    web = Web(app)
    web.login("clerk9", "clerk9-password")
    before = written(db)
    assert 'id="what-if-link"' in text(web.get("/bureau"))
    form = text(web.get("/bureau/what-if"))
    assert 'name="policy"' in form and "annual_cap_per_enterprise" in form
    assert 'value="2023-01"' in form and 'value="2023-12"' in form
    policy = ok(staff.request("admin", "GET", "/policy"))
    draft = json.dumps({**policy, "annual_cap_per_enterprise": "5000.00"})
    page = text(web.post("/bureau/what-if", {"policy": draft, "from": "2023-01", "to": "2023-05"}))
    assert 'id="what-if-changed" data-count="1"' in page
    bk1 = page[page.index('data-bank="BK1"') : page.index("</tr>", page.index('data-bank="BK1"'))]
    assert "¥7,450.00" in bk1 and "¥5,000.00" in bk1 and "-¥2,450.00" in bk1
    # an invalid draft names the field; malformed JSON or a bad month is a form error
    bad = json.dumps({**policy, "annual_cap_per_enterprise": "lots"})
    refused_page = web.post("/bureau/what-if", {"policy": bad, "from": "2023-01", "to": "2023-05"})
    # the field by its caption and the rule in words (brief H2 item 5), never its path
    assert "<li>每家企业每年贴息上限：输入格式不正确。</li>" in text(refused_page)
    assert "annual_cap_per_enterprise" not in text(refused_page).split("</textarea>", 1)[1]
    assert flashes(refused_page, "error")
    for body in (
        {"policy": "{not json", "from": "2023-01", "to": "2023-05"},
        {"policy": draft, "from": "2023-1", "to": "2023-05"},
    ):
        response = web.post("/bureau/what-if", body)
        assert response.status_code == 200 and flashes(response, "error")
    assert written(db) == before
