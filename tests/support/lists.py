"""Enterprise-list (名录库) files as the bureau receives them, and their upload through the API."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from tests.support.api import API

CHINESE_HEADER = [
    "序号",
    "统一社会信用代码",
    "企业名称",
    "纳入日期",
    "截止日期",
    "成立日期",
    "所属镇街",
]


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    """`encoding` "utf-8-sig" writes the BOM Excel writes."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], *, text_columns: tuple[int, ...] = ()) -> bytes:
    """A workbook whose first sheet holds `rows` as typed cells (dates as date cells); the
    cells of `text_columns` (0-based) are formatted as text, as a careful clerk does."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c, value=value)
            if c - 1 in text_columns:
                cell.number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload_list(
    staff, list_code: str, data: bytes, filename: str = "名录.csv", role: str = "clerk"
):
    return staff.client.post(
        f"{API}/enterprise-lists/{list_code}/imports",
        data={"file": (io.BytesIO(data), filename)},
        headers=staff.headers(role),
        content_type="multipart/form-data",
    )
