"""The report page (统计报表): a form for the months and the groups, the month totals and the
group totals as tables, the charts (subsidy and compensation owed per month stacked by group,
each pool's cash over the months) and the workbook's download. The figures are
`services.read.reports`, the same function as GET /reports/programme.

Who: every staff role, as for the API.
"""

from __future__ import annotations

from flask import render_template, request

from loanledger.domain.errors import DomainError
from loanledger.domain.vocabulary import STAFF_ROLES
from loanledger.request_context import business_date
from loanledger.request_context import session as db_session
from loanledger.services import read
from loanledger.services.read.reports import DIMENSIONS, FIGURES
from loanledger.services.reports import programme_report_xlsx
from loanledger.web import forms, report_chart, web
from loanledger.web.auth import roles_required
from loanledger.web.downloads import attachment


def _asked() -> read.ReportRange:
    args = request.args
    return read.report_range(
        args.get("from") or None, args.get("to") or None, args.get("by") or None, business_date()
    )


def _charts(report: read.ProgrammeReport) -> dict:
    def figure(name: str) -> dict:
        return {key: figures[name] for key, figures in report.cells.items()}

    return {
        "subsidy": report_chart.stacked(report.months, figure("subsidy_owed_fen")),
        "compensation": report_chart.stacked(report.months, figure("compensation_owed_fen")),
        "pool_cash": report_chart.lines(report.months, report.pool_cash),
    }


@web.get("/bureau/reports")
@roles_required(*STAFF_ROLES)
def report_page():
    try:
        asked = _asked()
    except DomainError as error:
        forms.flash_refusal(error)
        values = {k: request.args.get(k, "") for k in ("from", "to", "by")}
        page = render_template(
            "bureau/report.html", report=None, values=values, dimensions=DIMENSIONS
        )
        return page, 422
    report = read.programme_report(db_session(), asked)
    return render_template(
        "bureau/report.html",
        report=report,
        values={"from": asked.from_period, "to": asked.to_period, "by": asked.by},
        dimensions=DIMENSIONS,
        figures=FIGURES,
        group_figures=[n for n in FIGURES if n != "pool_cash_fen" or asked.by == "pool"],
        charts=_charts(report),
    )


@web.get("/bureau/reports.xlsx")
@roles_required(*STAFF_ROLES)
def report_xlsx():
    report = read.programme_report(db_session(), _asked())  # a bad range: the 422 page
    asked = report.range
    name = f"programme-{asked.from_period}-{asked.to_period}-{asked.by}.xlsx"
    return attachment(programme_report_xlsx(report), name)
