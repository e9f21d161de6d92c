"""Import bombs (issue 14 item 4): a workbook is bounded before and while it is read — rows by
their number, columns, shared strings, time — and refused with a clear message, never read
to the end of what it claims."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest

from loanledger.services import spreadsheets
from loanledger.services.spreadsheets import FileRefused

HEADER = list(spreadsheets.COLUMNS["loans"])
ROW = ["C-1", "P", "91442000MA4UJX9X3G", "1.00", "3.4500", "2023-01-10", "2024-01-10"]


def _workbook(build) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    build(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _refusal(data: bytes) -> FileRefused:
    with pytest.raises(FileRefused) as caught:
        spreadsheets.stage(io.BytesIO(data), "loans").lines.close()
    return caught.value


def test_one_row_numbered_fifty_million_is_refused_at_once():
    # The attack's row was numbered 50,000,000; Excel's last row, 1,048,576, is as telling.
    data = _workbook(lambda sheet: sheet.cell(row=1_048_576, column=1, value="C-1"))
    assert len(data) < 10_000  # a small file that claims a huge sheet
    started = time.monotonic()
    refused = _refusal(data)
    assert time.monotonic() - started < 30
    assert refused.code == "too_many_rows" and "200,100" in refused.message


def test_a_row_wider_than_the_bound_is_refused():
    data = _workbook(lambda sheet: sheet.cell(row=2, column=201, value="x"))
    refused = _refusal(data)
    assert "more than 200 columns" in refused.message


def test_a_cell_in_column_xfd_is_not_even_read():
    """Columns past the bound are never built: the file is read as if they were not there."""
    data = _workbook(lambda sheet: (sheet.append(ROW), sheet.cell(row=2, column=16_384, value="x")))
    started = time.monotonic()
    rows = spreadsheets.read_with(io.BytesIO(data), lambda reader: list(reader.rows()))
    assert time.monotonic() - started < 5 and max(len(r) for r in rows) <= 201


def _with_shared_strings(count: int) -> bytes:
    """A workbook whose sharedStrings.xml holds `count` entries (compressed, it stays tiny)."""
    plain = _workbook(lambda sheet: sheet.append(ROW))
    source, out = zipfile.ZipFile(io.BytesIO(plain)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        target.writestr(
            "xl/sharedStrings.xml",
            b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main">' + b"<si><t>x</t></si>" * count + b"</sst>",
        )
    return out.getvalue()


def test_millions_of_shared_strings_are_refused_before_openpyxl_reads_them(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_SHARED_STRINGS", 1_000)
    refused = _refusal(_with_shared_strings(1_001))
    assert refused.code == "too_many_rows" and "distinct texts" in refused.message
    # at the bound, the workbook is read (its rows are then checked as usual)
    staged = spreadsheets.stage(io.BytesIO(_with_shared_strings(1_000)), "loans")
    staged.lines.close()


def test_the_real_bound_counts_through_chunks():
    """Counted in a stream of 1 MiB chunks: a tag cut at a chunk's end counts once."""
    data = _with_shared_strings(300_000)  # 4.8 MB unpacked: several chunks
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert spreadsheets._shared_string_count(archive) == 300_000


def test_a_workbook_that_takes_too_long_is_refused(monkeypatch):
    monkeypatch.setattr(spreadsheets, "MAX_READ_SECONDS", 0.0)

    def rows(sheet):
        for i in range(1_500):
            sheet.append([f"C-{i}", *ROW[1:]])

    refused = _refusal(_workbook(rows))
    assert "to read" in refused.message
