"""A period's reconciliation document (`services.read.reconciliation`) for a spreadsheet:
`reconciliation_csv` and `reconciliation_xlsx`, the same on the API and the pages.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from loanledger.domain.money import MONEY_PATTERN
from loanledger.services.read.reconciliation import DISCREPANCY_KEYS
from loanledger.services.spreadsheets import spreadsheet_safe

# ------------------------------------------------------------------ spreadsheets
CHECK_CAPTIONS = {"name": "核对项", "ok": "是否通过", "detail": "明细"}
DISCREPANCY_CAPTIONS = {
    "check": "核对项",
    "entity": "对象类型",
    "batch_id": "批次号",
    "entry_id": "凭证号",
    "account": "科目",
    "payee_id": "收款人",
    "bank_code": "银行代码",
    "event_id": "事件编号",
    "measure": "核对内容",
    "unit": "单位",
    "expected": "应为",
    "actual": "实际",
    "difference": "差额（实际−应为）",
}
CSV_COLUMNS = ("row", "period", "name", "ok", "detail", *DISCREPANCY_KEYS[1:])
_NUMBER = re.compile(MONEY_PATTERN, re.ASCII)


def _cell(value: Any) -> Any:
    """Text as a spreadsheet should show it: booleans as true/false, the detail as JSON, a
    formula-looking text defused (a plain number such as -12.50 is left as it is)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return value
    return spreadsheet_safe(value)


def _csv_rows(doc: dict[str, Any]) -> list[list[Any]]:
    """One table: a `summary` row (the overall ok), a `check` row per check, then a
    `discrepancy` row per discrepancy (its check under `name`)."""
    blank = [""] * (len(CSV_COLUMNS) - 5)
    rows = [["summary", doc["period"], "reconciliation", doc["ok"], "", *blank]]
    rows += [
        ["check", doc["period"], c["name"], c["ok"], c["detail"], *blank] for c in doc["checks"]
    ]
    rows += [
        ["discrepancy", doc["period"], d["check"], False, ""] + [d[k] for k in DISCREPANCY_KEYS[1:]]
        for d in doc["discrepancies"]
    ]
    return [[_cell(v) for v in row] for row in rows]


def reconciliation_csv(doc: dict[str, Any]) -> bytes:
    """The document as CSV, UTF-8 with a BOM so that Excel reads it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(_csv_rows(doc))
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def reconciliation_xlsx(doc: dict[str, Any]) -> bytes:
    """Three sheets (概要 summary, 核对项 checks, 差异 discrepancies); on the last two row 1
    holds the Chinese captions, row 2 the English keys, the data starts on row 3."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None  # a new workbook has one sheet, active
    summary.title = "概要 summary"
    for number, (caption, key, value) in enumerate(
        (
            ("期间", "period", doc["period"]),
            ("全部通过", "ok", doc["ok"]),
            ("核对项数", "checks", len(doc["checks"])),
            ("差异数", "discrepancies", len(doc["discrepancies"])),
        ),
        start=1,
    ):
        summary.cell(row=number, column=1, value=caption).font = Font(bold=True)
        summary.cell(row=number, column=2, value=key).font = Font(color="808080")
        plain = isinstance(value, int) and not isinstance(value, bool)
        summary.cell(row=number, column=3, value=value if plain else _cell(value))
    summary.column_dimensions["A"].width = 14
    summary.column_dimensions["C"].width = 14

    def table(title: str, captions: dict[str, str], rows: list[dict[str, Any]]) -> None:
        sheet = workbook.create_sheet(title)
        for column, key in enumerate(captions, start=1):
            head = sheet.cell(row=1, column=column, value=captions[key])
            head.font, head.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
            sheet.cell(row=2, column=column, value=key).font = Font(color="808080")
            sheet.column_dimensions[head.column_letter].width = max(12, 2 * len(captions[key]) + 2)
            for number, row in enumerate(rows, start=3):
                value = row[key]
                if isinstance(value, int) and not isinstance(value, bool):
                    sheet.cell(row=number, column=column, value=value)
                else:
                    sheet.cell(row=number, column=column, value=_cell(value)).number_format = "@"
        sheet.freeze_panes = "A3"

    table("核对项 checks", CHECK_CAPTIONS, doc["checks"])
    table("差异 discrepancies", DISCREPANCY_CAPTIONS, doc["discrepancies"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
