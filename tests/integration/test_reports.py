"""The programme report (统计报表): GET /reports/programme, its .xlsx, and its page.

On a small world with known numbers (tests/support/reports.report_world): each figure in its
month, by each dimension, the totals, the refusals, who may read it, the workbook's totals
and the reconciliation with the ledger.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from tests.support.api import API, ok, paged, refused
from tests.support.ledger import fen
from tests.support.reports import CONTRACT_GROUPS, assert_report_reconciles, report_world
from tests.support.web import Web, flashes

MONTHS = ["2022-12", "2023-01", "2023-02", "2023-03", "2023-04"]
QUERY = "from=2022-12&to=2023-04"


@pytest.fixture
def world(staff, bank):
    return report_world(staff, bank)


def report(staff, query: str = QUERY, role: str = "auditor") -> dict:
    return ok(staff.request(role, "GET", f"/reports/programme?{query}"))


def month(answer: dict, name: str) -> dict:
    return next(m for m in answer["months"] if m["month"] == name)


def _lines(staff) -> dict[str, list[dict]]:
    """The closed month's lines by batch kind, as the batches' API shows them."""
    out: dict[str, list[dict]] = {}
    for b in ok(staff.request("auditor", "GET", "/batches?period=2023-03"))["items"]:
        out.setdefault(b["kind"], []).extend(paged(staff, f"/batches/{b['batch_id']}/lines"))
    return out


def test_each_figure_in_its_month(staff, world):
    answer = report(staff)
    assert answer["from"] == "2022-12" and answer["to"] == "2023-04" and answer["by"] == "bank"
    assert [m["month"] for m in answer["months"]] == MONTHS
    totals = {m["month"]: m["total"] for m in answer["months"]}
    # filings by their approval, loans by their start, disbursed by the event's date
    assert (totals["2022-12"]["filings"], totals["2022-12"]["planned_investment"]) == (
        1,
        "800000.00",
    )
    assert (totals["2023-01"]["filings"], totals["2023-01"]["planned_investment"]) == (
        1,
        "1000000.00",
    )
    jan = totals["2023-01"]
    assert (jan["new_loans"], jan["contract_principal"], jan["disbursed"]) == (
        2,
        "1300000.00",
        "1300000.00",
    )
    # the balance at each month's end: the voided repayment R1 does not count, R2 does
    assert [totals[m]["balance"] for m in MONTHS] == [
        "0.00",
        "1300000.00",
        "1250000.00",
        "1250000.00",
        "1250000.00",
    ]
    lines = _lines(staff)
    subsidy = sum(fen(x["amount"]) for x in lines["subsidy"])
    compensation = sum(fen(x["amount"]) for x in lines["compensation"])
    assert subsidy > 0 and compensation > 0
    (claim,) = ok(staff.request("auditor", "GET", "/claims"))["items"]
    mar, apr = totals["2023-03"], totals["2023-04"]
    # owed in the closed month, paid in the month of the payment (April)
    assert fen(mar["subsidy_owed"]) == subsidy and fen(mar["subsidy_paid"]) == 0
    assert (mar["claim_count"], mar["claims"]) == (1, claim["compensation"])
    assert fen(mar["compensation_owed"]) == compensation and mar["recoveries"] == "0.00"
    assert fen(apr["subsidy_paid"]) == subsidy and fen(apr["compensation_paid"]) == compensation
    assert apr["subsidy_owed"] == "0.00" and apr["claim_count"] == 0
    # the pool's cash: the deposit, less the compensation paid in April
    assert [fen(totals[m]["pool_cash"]) for m in MONTHS] == [0] + [500000000] * 3 + [
        500000000 - compensation
    ]
    # the range's totals: flows summed, the balances of the last month
    total = answer["total"]
    assert (total["filings"], total["new_loans"], total["claim_count"]) == (2, 2, 1)
    assert total["planned_investment"] == "1800000.00"
    assert total["balance"] == "1250000.00"
    assert fen(total["pool_cash"]) == 500000000 - compensation
    assert fen(total["subsidy_owed"]) == fen(total["subsidy_paid"]) == subsidy


@pytest.mark.parametrize("by", ["bank", "product", "town", "industry", "pool"])
def test_by_each_dimension_the_groups_are_the_loans_and_add_up(staff, world, by):
    answer = report(staff, f"{QUERY}&by={by}")
    lines = _lines(staff)
    expected: dict[str, dict[str, int]] = {}
    for kind, figure in (("subsidy", "subsidy_owed"), ("compensation", "compensation_owed")):
        for x in lines[kind]:
            group = CONTRACT_GROUPS[x["contract_no"]][by]
            bucket = expected.setdefault(group, {})
            bucket[figure] = bucket.get(figure, 0) + fen(x["amount"])
    mar = month(answer, "2023-03")
    shown = {
        g["key"]: {f: fen(g[f]) for f in ("subsidy_owed", "compensation_owed") if fen(g[f])}
        for g in mar["groups"]
    }
    assert {k: v for k, v in shown.items() if v} == expected
    # every loan's group has its principal and balance; the groups add up to the month
    groups = {g["key"]: g for g in answer["groups"]}
    for contract, principal in (("C1", "450000.00"), ("C2", "800000.00")):
        assert groups[CONTRACT_GROUPS[contract][by]]["balance"] == principal or by == "pool"
    if by == "pool":
        assert groups["SZD"]["balance"] == "1250000.00"
        assert groups["SZD"]["pool_cash"] == answer["total"]["pool_cash"]
    else:
        assert all("pool_cash" not in g for g in answer["groups"])
    for m in answer["months"]:
        for name in answer["figures"]:
            if name == "pool_cash" and by != "pool":
                continue
            values = [g[name] for g in m["groups"]]
            as_fen = [fen(v) if isinstance(v, str) else v for v in values]
            total = m["total"][name]
            assert sum(as_fen) == (fen(total) if isinstance(total, str) else total), (m, name)
    # a filing: by its enterprise (town, industry) or by the loan linked to it
    december = month(answer, "2022-12")["groups"]
    assert [(g["key"], g["filings"]) for g in december] == [(CONTRACT_GROUPS["C1"][by], 1)]
    names = {g["key"]: g["name"] for g in answer["groups"]}
    if by == "bank":
        assert names == {"BK1": "银行BK1", "BK2": "银行BK2"}
    if by == "product":
        assert names == {"BK1-P": "数智贷", "BK2-P": "智造贷"}


def test_the_report_agrees_with_the_ledger_every_month(db, world):
    assert_report_reconciles(db, MONTHS)


def test_the_workbook_has_the_json_totals(staff, world):
    from openpyxl import load_workbook

    answer = report(staff, f"{QUERY}&by=town")
    response = staff.request("auditor", "GET", f"/reports/programme.xlsx?{QUERY}&by=town")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "programme-2022-12-2023-04-town.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按月", "按镇街", "明细"]
    months = book["按月"]
    header = [c.value for c in months[1]]
    assert header[:3] == ["月份", "备案项目数", "计划投资（元）"]
    rows = list(months.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [*MONTHS, "合计"]

    def as_json(value, figure):
        if isinstance(answer["total"][figure], int):
            return value
        return f"{Decimal(str(value)):.2f}"

    figures = answer["figures"]
    assert {f: as_json(v, f) for f, v in zip(figures, rows[-1][1:], strict=True)} == answer["total"]
    for row in rows[:-1]:
        shown = {f: as_json(v, f) for f, v in zip(figures, row[1:], strict=True)}
        assert shown == month(answer, row[0])["total"]
    towns = list(book["按镇街"].iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in towns] == ["古镇镇", "小榄镇", "合计"]
    # the detail's money adds up to the total row, figure by figure
    detail = list(book["明细"].iter_rows(min_row=2, values_only=True))
    subsidy_column = 3 + figures.index("subsidy_owed")
    assert sum(Decimal(str(r[subsidy_column])) for r in detail[:-1]) == Decimal(
        answer["total"]["subsidy_owed"]
    )


def test_defaults_are_the_twelve_months_to_the_business_date_by_bank(staff, world):
    answer = report(staff, "")
    assert (answer["from"], answer["to"], answer["by"]) == ("2022-05", "2023-04", "bank")
    assert report(staff, "to=2023-02&by=pool")["from"] == "2022-03"
    assert report(staff, "to=0001-05")["from"] == "0001-01"  # no month before the first


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2023-13", "from"),
        ("from=2023-1", "from"),
        ("to=23-01", "to"),
        ("from=2023-05&to=2023-04", "to"),
        ("from=2013-04&to=2023-04", "to"),  # 121 months
        ("by=region", "by"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(staff, query, field):
    refused(
        staff.request("auditor", "GET", f"/reports/programme?{query}"), 422, "invalid_format", field
    )
    refused(
        staff.request("auditor", "GET", f"/reports/programme.xlsx?{query}"),
        422,
        "invalid_format",
        field,
    )


def test_a_range_of_120_months_is_answered(staff):
    answer = report(staff, "from=2013-05&to=2023-04")
    assert len(answer["months"]) == 120 and answer["groups"] == []


def test_staff_read_it_banks_and_enterprises_do_not(staff, bank, client):
    for role in ("clerk", "approver", "auditor", "admin"):
        assert staff.request(role, "GET", "/reports/programme").status_code == 200
    enterprise = staff.token("enterprise", uscc="914420006FA300000G")
    signed = bank("BK9")
    for path in ("/reports/programme", "/reports/programme.xlsx"):
        answer = client.get(API + path, headers={"Authorization": f"Bearer {enterprise}"})
        refused(answer, 403, "forbidden")
        refused(client.get(API + path), 401, "invalid_token")
        refused(signed.get(API + path), 401, "invalid_token")  # a bank signs, no staff token


# ---------------------------------------------------------------- the page
def signed_in(app, staff, role: str, uscc: str | None = None) -> Web:
    username = f"{role}-page"
    password = staff.create(username, role, uscc=uscc)
    web = Web(app)
    web.login(username, password)
    return web


def test_the_report_page_shows_the_tables_and_charts(app, staff, world):
    client = signed_in(app, staff, "auditor")
    page = client.get(f"/bureau/reports?{QUERY}&by=bank")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for marker in (
        'id="report-months"',
        'id="report-groups"',
        'id="subsidy-chart"',
        'id="compensation-chart"',
        'id="pool-cash-chart"',
        "<polyline",
        'class="segment series-0"',
        "/bureau/reports.xlsx?",
        'id="nav-report"',
    ):
        assert marker in html, marker
    assert html.count('class="month-row"') == len(MONTHS)
    assert 'data-group="BK1"' in html and 'data-group="BK2"' in html
    workbook = client.get(f"/bureau/reports.xlsx?{QUERY}&by=pool")
    assert workbook.status_code == 200 and workbook.data[:2] == b"PK"


def test_the_report_page_refuses_a_bad_range_in_words(app, staff):
    client = signed_in(app, staff, "clerk")
    page = client.get("/bureau/reports?from=2023-05&to=2023-04")
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert flashes(page, "error") and 'id="report-months"' not in html
    assert 'value="2023-05"' in html  # the form keeps what was asked


def test_the_report_page_is_for_staff(app, staff):
    client = signed_in(app, staff, "enterprise", uscc="914420006FA300000G")
    assert client.get("/bureau/reports").status_code == 403
