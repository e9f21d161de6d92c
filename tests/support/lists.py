"""Enterprise-list (名录库) files as the bureau receives them, and their upload through the API."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from loanledger.domain.uscc import uscc_with_check
from tests.support.api import API, ok

# The small world of the 名录库 tests: two registered enterprises and list SGS.
USCC_A = uscc_with_check("91442000MA4UJX9X1")
USCC_B = uscc_with_check("91442000MA4WKP2Q2")
LIST = "SGS"
LIST_NAME = "上规上限培育企业名录库"

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


def list_world(staff) -> dict:
    """Business date 2024-03-01, enterprises A and B registered, list SGS created by an
    administrator; the list's answer (201)."""
    staff.set_business_date("2024-03-01")
    for uscc, name in (
        (USCC_A, "中山市华星五金制品有限公司"),
        (USCC_B, "中山市美灯照明科技有限公司"),
    ):
        body = {"uscc": uscc, "name": name, "established_on": "2012-01-01"}
        ok(staff.request("clerk", "POST", "/enterprises", body))
    body = {"list_code": LIST, "name": LIST_NAME}
    return ok(staff.request("admin", "POST", "/enterprise-lists", body), 201)
