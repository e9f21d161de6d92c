"""The programme report (`services.read.reports`) as a workbook: GET
/reports/programme.xlsx and the report page's download, in Chinese for 工信局 and 财政局.

Three sheets, each with the figures as columns and a 合计 row at the bottom: 按月 (a row per
month: the month totals), 按{dimension} (a row per group over the range) and 明细 (a row per
month and group). Money is a number of yuan with two decimals (exact: a Decimal from fen),
counts are whole numbers; the running balances' total is the last month's, as in the JSON.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from loanledger.services.read.reports import FIGURES, ProgrammeReport
from loanledger.services.spreadsheets import spreadsheet_safe

FIGURE_CAPTIONS = {
    "filings": "备案项目数",
    "planned_investment_fen": "计划投资（元）",
    "new_loans": "新增贷款笔数",
    "contract_principal_fen": "合同金额（元）",
    "disbursed_fen": "放款金额（元）",
    "balance_fen": "月末贷款余额（元）",
    "subsidy_owed_fen": "应付贴息（元）",
    "subsidy_paid_fen": "已付贴息（元）",
    "claim_count": "代偿笔数",
    "claims_fen": "代偿金额（元）",
    "compensation_owed_fen": "应付风险补偿（元）",
    "recoveries_fen": "追偿分成（元）",
    "compensation_paid_fen": "已付风险补偿（元）",
    "pool_cash_fen": "资金池月末存款（元）",
}
DIMENSION_CAPTIONS = {
    "bank": "银行",
    "product": "产品",
    "town": "镇街",
    "industry": "行业",
    "pool": "资金池",
}
UNASSIGNED = "未归属"
TOTAL = "合计"
MONEY_FORMAT = "#,##0.00"


def _value(name: str, value: int | None) -> Any:
    if value is None:
        return None
    return Decimal(value).scaleb(-2) if name.endswith("_fen") else value


def _figures_row(figures: dict[str, int], names: tuple[str, ...]) -> list[Any]:
    return [_value(n, figures.get(n)) for n in names]


def programme_report_xlsx(report: ProgrammeReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    by = report.range.by
    group_names = tuple(n for n in FIGURES if n != "pool_cash_fen" or by == "pool")
    dimension = DIMENSION_CAPTIONS[by]
    book = Workbook()
    sheets: list[tuple[str, list[str], tuple[str, ...], list[list[Any]], list[Any]]] = [
        (
            "按月",
            ["月份"],
            FIGURES,
            [[m, *_figures_row(report.month_totals[m], FIGURES)] for m in report.months],
            [TOTAL, *_figures_row(report.totals, FIGURES)],
        ),
        (
            f"按{dimension}",
            [f"{dimension}代码", f"{dimension}名称"],
            group_names,
            [
                [
                    spreadsheet_safe(g or UNASSIGNED),
                    spreadsheet_safe(report.group_names[g] or UNASSIGNED),
                    *_figures_row(report.group_totals(g), group_names),
                ]
                for g in report.groups
            ],
            [TOTAL, "", *_figures_row(report.totals, group_names)],
        ),
        (
            "明细",
            ["月份", f"{dimension}代码", f"{dimension}名称"],
            group_names,
            [
                [
                    m,
                    spreadsheet_safe(g or UNASSIGNED),
                    spreadsheet_safe(report.group_names[g] or UNASSIGNED),
                    *_figures_row(report.cells[(m, g)], group_names),
                ]
                for m in report.months
                for g in report.groups
                if (m, g) in report.cells
            ],
            [TOTAL, "", "", *_figures_row(report.totals, group_names)],
        ),
    ]
    first = book.active
    assert first is not None  # a new workbook has one sheet, active; ours are made below
    book.remove(first)
    for title, keys, names, rows, total in sheets:
        sheet = book.create_sheet(title)
        sheet.append([*keys, *(FIGURE_CAPTIONS[n] for n in names)])
        for row in rows:
            sheet.append(row)
        sheet.append(total)
        for cell in sheet[1] + sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for column, name in enumerate(names, start=len(keys) + 1):
            if name.endswith("_fen"):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                    cell.number_format = MONEY_FORMAT
        sheet.freeze_panes = sheet.cell(row=2, column=len(keys) + 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
