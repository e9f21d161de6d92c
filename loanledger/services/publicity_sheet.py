"""The 公示名单 as an XLSX the bureau posts or prints (`GET /public/publicity/{id}.xlsx` and
the public page's download): a title row, the 公示 dates and how to object, a header row, a
row per enterprise and a totals row — made from the same document as the JSON answer
(`services.read.publicity_doc`), so the two cannot differ.

Amounts are numbers with two decimals (Decimal, never float, on the way in), so a person can
add them up in the spreadsheet; text that looks like a formula is defused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from decimal import Decimal
from typing import Any

from loanledger.services.spreadsheets import spreadsheet_safe

HEADERS = ("序号", "企业名称", "统一社会信用代码", "项目名称", "贷款银行", "贴息金额（元）")
WIDTHS = (6, 36, 22, 36, 26, 16)
MONEY_FORMAT = "#,##0.00"
FIRST_DATA_ROW = 5  # after the title, the dates, the objection notice and the header


def _chinese_date(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def title(doc: dict[str, Any]) -> str:
    year, month = doc["period"].split("-")
    return f"{year}年{int(month)}月数字贷贴息公示名单"


def document_tag(doc: dict[str, Any]) -> str:
    """An ETag for the workbook made from `doc`: the same list, the same tag."""
    canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    return "xlsx-" + hashlib.sha256(canonical).hexdigest()[:32]


def publicity_xlsx(doc: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet, active
    sheet.title = "公示名单"
    last_column = len(HEADERS)
    notes = (
        title(doc),
        f"公示期：{_chinese_date(doc['publicity_starts_on'])}至"
        f"{_chinese_date(doc['publicity_ends_on'])}（批次 {doc['batch_id']}）",
        doc["objection"]["how"],
    )
    for number, text in enumerate(notes, start=1):
        sheet.merge_cells(start_row=number, start_column=1, end_row=number, end_column=last_column)
        cell = sheet.cell(row=number, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, horizontal="center" if number == 1 else "left")
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    sheet.row_dimensions[3].height = 32
    for column, (caption, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        head = sheet.cell(row=FIRST_DATA_ROW - 1, column=column, value=caption)
        head.font, head.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[head.column_letter].width = width
    row = FIRST_DATA_ROW
    for number, entry in enumerate(doc["enterprises"], start=1):
        values = (
            number,
            spreadsheet_safe(entry["name"]),
            entry["uscc_masked"],
            spreadsheet_safe("、".join(entry["projects"])),
            spreadsheet_safe("、".join(entry["banks"])),
        )
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row, column=column, value=value)
        sheet.cell(
            row=row, column=last_column, value=Decimal(entry["amount"])
        ).number_format = MONEY_FORMAT
        row += 1
    sheet.cell(row=row, column=1, value="合计").font = Font(bold=True)
    sheet.cell(row=row, column=2, value=f"{doc['enterprise_count']}户").font = Font(bold=True)
    total = sheet.cell(row=row, column=last_column, value=Decimal(doc["total"]))
    total.number_format, total.font = MONEY_FORMAT, Font(bold=True)
    sheet.freeze_panes = f"A{FIRST_DATA_ROW}"
    sheet.print_title_rows = f"{FIRST_DATA_ROW - 1}:{FIRST_DATA_ROW - 1}"  # on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
