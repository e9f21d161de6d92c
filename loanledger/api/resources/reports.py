"""GET /reports/programme and /reports/programme.xlsx: the programme report (统计报表) per
month and per bank, product, town, industry or pool (staff roles).

The figures are `services.read.reports` (their definitions are in its docstring and in
docs/reports.md); the workbook is `services.reports`; here the question is only parsed.
"""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from loanledger.api.auth import endpoint
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import business_date, session
from loanledger.services import read
from loanledger.services.read.reports import DIMENSIONS, MAX_MONTHS
from loanledger.services.reports import programme_report_xlsx
from loanledger.wire.fields import Document, Money, Schema
from loanledger.wire.fields import Period as PeriodField

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/reports",
    description="The programme report (统计报表) for 工信局 and 财政局",
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProgrammeQuery(Schema):
    from_ = PeriodField(
        data_key="from",
        metadata={"description": "first month, YYYY-MM (default: 11 months before `to`)"},
    )
    to = PeriodField(
        metadata={
            "description": f"last month, YYYY-MM, not before `from`, at most {MAX_MONTHS} months "
            "after it (default: the business date's month)"
        }
    )
    by = fields.String(
        validate=validate.OneOf(DIMENSIONS),
        metadata={"description": "the groups (default `bank`); industry is the GB/T 4754 division"},
    )


def _money(description: str, **kwargs) -> Money:
    return Money(allow_negative=True, metadata={"description": description}, **kwargs)


class FiguresOut(Schema):
    filings = fields.Integer(required=True, metadata={"description": "filings approved"})
    planned_investment = _money("their eligible investment", required=True)
    new_loans = fields.Integer(required=True, metadata={"description": "contracts starting"})
    contract_principal = _money("their contract principal", required=True)
    disbursed = _money("disbursements dated in the month, voided ones left out", required=True)
    balance = _money("principal outstanding at the month's end", required=True)
    subsidy_owed = _money("the period's subsidy lines still in their batch (5001)", required=True)
    subsidy_paid = _money("subsidy paid in the month, by payment date (1001)", required=True)
    claim_count = fields.Integer(required=True, metadata={"description": "claims made"})
    claims = _money("the compensation those claims are due", required=True)
    compensation_owed = _money("the period's claim and shortfall lines (5002)", required=True)
    recoveries = _money("the pools' shares of recoveries lined (a credit to 5002)", required=True)
    compensation_paid = _money("compensation paid in the month, by payment date", required=True)
    pool_cash = _money("pool cash (1101) at the month's end; in a group only when `by` is `pool`")


class GroupFiguresOut(FiguresOut):
    key = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "the group's code; null: no loan to group by (未归属)"},
    )


class GroupOut(GroupFiguresOut):
    name = fields.String(required=True)


class MonthOut(Schema):
    month = fields.String(required=True)
    groups = fields.List(fields.Nested(GroupFiguresOut), required=True)
    total = fields.Nested(FiguresOut, required=True)


class ProgrammeReportOut(Document):
    from_ = fields.String(data_key="from", required=True)
    to = fields.String(required=True)
    by = fields.String(required=True, validate=validate.OneOf(DIMENSIONS))
    figures = fields.List(fields.String(), required=True)
    groups = fields.List(
        fields.Nested(GroupOut),
        required=True,
        metadata={
            "description": "each group's figures over the range (balances: the last month's)"
        },
    )
    months = fields.List(fields.Nested(MonthOut), required=True)
    total = fields.Nested(FiguresOut, required=True)


def _report(query: dict) -> read.ProgrammeReport:
    asked = read.report_range(query.get("from_"), query.get("to"), query.get("by"), business_date())
    return read.programme_report(session(), asked)


@blp.route("/programme")
class ProgrammeReport(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.arguments(ProgrammeQuery, location="query")
    @blp.response(200, ProgrammeReportOut)
    def get(self, query):
        """Per month and per group: filings, new loans, disbursed, balance, subsidy owed and
        paid, claims, compensation owed and paid, recoveries and pool cash (422 when `to` is
        before `from` or the range is longer than 120 months)."""
        return read.report_wire(_report(query))


@blp.route("/programme.xlsx")
class ProgrammeReportXlsx(MethodView):
    @endpoint(*STAFF_ROLES)
    @blp.arguments(ProgrammeQuery, location="query")
    @blp.doc(
        responses={
            "200": {
                "description": "the report as XLSX: sheets 按月 (month totals), 按{dimension} "
                "(group totals) and 明细 (month × group), Chinese headers, a 合计 row",
                "content": {XLSX_MIMETYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    )
    def get(self, query):
        report = _report(query)
        asked = report.range
        name = f"programme-{asked.from_period}-{asked.to_period}-{asked.by}.xlsx"
        return Response(
            programme_report_xlsx(report),
            mimetype=XLSX_MIMETYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


BLUEPRINTS = [blp]
