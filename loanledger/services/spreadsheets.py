"""Spreadsheets of loans and events: reading a bank's CSV or XLSX into wire items, writing
CSV a spreadsheet opens safely, and the XLSX templates. The use case is `imports`.

`stage` reads the file — CSV in UTF-8 (with or without BOM), else GB18030; or XLSX with
openpyxl in read-only mode — finds the header row (row 1, or row 2 under the template's row of
Chinese captions), turns every non-empty row into the wire dict a JSON body would carry, and
writes it as one JSON line to a temporary file. What is wrong with the file as a whole
(empty, unreadable, unknown / duplicate / missing columns, more than MAX_ROWS rows) refuses it
before anything is written (`FileRefused`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import itertools
import json
import re
import tempfile
import time
import warnings
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any, TypeVar

from marshmallow import ValidationError, validate
from marshmallow import fields as ma_fields

from loanledger.domain.errors import Refusal
from loanledger.domain.events import EVENT_FIELDS
from loanledger.wire.fields import Key, Money, Rate, StrictDate
from loanledger.wire.messages import flatten_messages
from loanledger.wire.schemas import BulkEventIn, LoanIn

KINDS = ("loans", "events")
MAX_ROWS = 200_000
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
# Bounds checked before and while a workbook is read (issue 14 item 4: a 1.9 KB file with one
# row numbered 50,000,000 kept a worker busy until it was killed; one with 14.5 million shared
# strings took 1.35 GB). Rows by their number, not only the filled ones; a legitimate file of
# MAX_ROWS rows with ten text columns has far fewer distinct strings than this.
MAX_ROW_NUMBER = MAX_ROWS + 100  # a title, a header and blank rows above the data
MAX_COLUMNS = 200
MAX_SHARED_STRINGS = 4_000_000
MAX_READ_SECONDS = 120.0
ROW_PATH = "rows"  # error paths from bulk look like rows[3].amount
TEMPLATE_ROWS = 1000  # template rows formatted and validated below the header

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 (OLE2)

SCHEMAS = {"loans": LoanIn(), "events": BulkEventIn()}
_EVENT_LEAD = ("event_id", "type", "contract_no")
COLUMNS: dict[str, tuple[str, ...]] = {
    "loans": tuple(LoanIn._declared_fields),
    "events": _EVENT_LEAD + tuple(n for n in BulkEventIn._declared_fields if n not in _EVENT_LEAD),
}
REQUIRED_COLUMNS = {
    kind: tuple(n for n in COLUMNS[kind] if SCHEMAS[kind]._declared_fields[n].required)
    for kind in KINDS
}
# Codes whose digits a number cell would lose (18 characters): text cells only.
TEXT_ONLY = frozenset({"uscc"})
# Identifiers: a whole-number cell of at most 15 digits (exact in Excel) is read as its digits.
IDENTIFIERS = frozenset({"product_code", "filing_no"})

CAPTIONS = {
    "contract_no": "合同编号",
    "product_code": "产品代码",
    "uscc": "统一社会信用代码",
    "filing_no": "备案编号",
    "principal": "合同金额(元)",
    "annual_rate": "年利率(%)",
    "start_date": "起始日",
    "maturity_date": "到期日",
    "repayment_method": "还款方式",
    "interest_settlement": "结息方式",
}
EVENT_CAPTIONS = {
    "event_id": "事件编号",
    "type": "类型",
    "contract_no": "合同编号",
    "date": "日期",
    "amount": "金额(元)",
    "principal": "本金(元)",
    "period_start": "计息起始日",
    "period_end": "计息截止日(不含)",
    "paid_on": "付息日",
    "interest": "利息(元)",
    "penalty_interest": "罚息(元)",
    "compound_interest": "复利(元)",
    "effective_on": "生效日",
    "annual_rate": "年利率(%)",
    "as_of": "逾期基准日",
    "days_past_due": "逾期天数",
    "classification": "五级分类",
    "target_event_id": "被撤销事件编号",
    "reason": "原因",
}

# The words of the coded columns: the template's dropdowns offer them, and a file may carry
# either these words or the codes (the API's, which a CSV written by a program keeps).
CHOICE_WORDS: dict[str, dict[str, str]] = {
    "repayment_method": {
        "bullet": "到期一次还本付息",
        "equal_installment": "等额本息",
        "equal_principal": "等额本金",
        "interest_only": "按期付息到期还本",
    },
    "interest_settlement": {"monthly": "按月结息", "quarterly": "按季结息"},
    "type": {
        "disbursement": "放款",
        "repayment": "还本",
        "interest": "付息",
        "rate_change": "利率调整",
        "delinquency": "逾期报告",
        "recovery": "追偿回收",
        "settlement": "结清",
        "void": "作废",
    },
    "classification": {
        "normal": "正常",
        "special_mention": "关注",
        "substandard": "次级",
        "doubtful": "可疑",
        "loss": "损失",
    },
}
CODE_OF_WORD = {
    name: {word: code for code, word in words.items()} for name, words in CHOICE_WORDS.items()
}


def captions_of(kind: str) -> dict[str, str]:
    """Field name → the Chinese caption the template heads its column with."""
    return CAPTIONS if kind == "loans" else EVENT_CAPTIONS


def caption_of(kind: str, name: str) -> str | None:
    return captions_of(kind).get(name)


def choice_word(name: str, code: str) -> str:
    """A coded column's value in the template's words (the code itself when it has none)."""
    return CHOICE_WORDS.get(name, {}).get(code, code)


def _caption_key(text: str) -> str:
    """A caption as typed by hand: full-width brackets and spaces do not matter."""
    return text.replace("（", "(").replace("）", ")").replace(" ", "").replace("\u3000", "")


MIN_CAPTIONS = 2  # a header row of captions names at least this many columns


@functools.cache
def _fields_by_caption(kind: str) -> dict[str, str]:
    return {_caption_key(caption): name for name, caption in captions_of(kind).items()}


def column_kind(kind: str, name: str) -> str:
    """How a cell of this column is read: money, rate, date, integer, code, identifier or text."""
    field = SCHEMAS[kind]._declared_fields[name]
    if isinstance(field, Money):
        return "money"
    if isinstance(field, Rate):
        return "rate"
    if isinstance(field, StrictDate):
        return "date"
    if isinstance(field, ma_fields.Integer):
        return "integer"
    if name in TEXT_ONLY:
        return "code"
    if isinstance(field, Key) or name in IDENTIFIERS:
        return "identifier"
    return "text"


def column_letter(position: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as a spreadsheet names columns)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# ===================================================================== refusals
class FileRefused(Refusal):
    """The file as a whole cannot be imported (422). `errors`: [{column, code, message}], as
    kept on the import; the answer lists them by field (the column, else `file`) and names
    the import (`import_id`, added by `imports.process`)."""

    status = 422

    def __init__(
        self,
        code: str,
        message: str,
        column: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        self.errors = errors or [{"column": column, "code": code, "message": message}]
        problems = [
            {"field": e["column"] or "file", "code": e["code"], "message": e["message"]}
            for e in self.errors
        ]
        super().__init__(code, message, column, problems=problems)


class CellError(Refusal):
    """One cell's value is refused: it becomes an error of its row, never an answer of its own."""

    def __init__(self, message: str, code: str = "invalid_format"):
        super().__init__(code, message)


# ===================================================================== reading (an import's pass 1)
T = TypeVar("T")


class Budget:
    """How much reading a caller can afford: a request reads a small file itself, but never
    for long enough to outlive a server worker's timeout; past the budget the file goes to
    the import worker (`OverBudget`), which reads without one."""

    def __init__(self, rows: int, seconds: float):
        self.rows, self.deadline = rows, time.monotonic() + seconds

    def check(self, count: int, read: int) -> None:
        """`count` non-empty rows staged, `read` rows read (blank ones included)."""
        if count > self.rows or (read % 100 == 0 and time.monotonic() > self.deadline):
            raise OverBudget()


class OverBudget(Exception):  # not an error: a signal to hand the file on
    """The file is more than the caller's budget (not a refusal: nothing is wrong with it)."""


@dataclass
class Staged:
    lines: IO[str]  # one JSON line per non-empty row: [row number, wire item, [errors]]
    rows: int
    header_row: int
    file_format: str
    encoding: str | None


class Reader:
    """One file format: its rows, header texts, blank test and cell conversion."""

    file_format = ""
    encoding: str | None = None

    def rows(self) -> Generator[list[Any], None, None]:  # a generator: _stage closes it
        raise NotImplementedError

    def text(self, raw: Any) -> str:
        raise NotImplementedError

    def blank(self, raw: Any) -> bool:
        raise NotImplementedError

    def value(self, column_kind_: str, raw: Any) -> Any:
        raise NotImplementedError


DATE_TEXT = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:00(?::00)?)?", re.ASCII)


def text_value(kind_of_column: str, raw: str) -> Any:
    """A text cell (every CSV cell) as the wire value; None when empty."""
    text = raw.strip()
    if not text:
        return None
    if "\x00" in text:  # PostgreSQL text cannot hold it
        raise CellError("the cell contains a NUL character")
    if kind_of_column == "date":
        match = DATE_TEXT.fullmatch(text)
        if match:  # Excel's CSV writes 2023/2/1: year first, so never ambiguous
            year, month, day = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    if kind_of_column == "integer" and re.fullmatch(r"[0-9]{1,9}", text):
        return int(text)
    return text


class CsvReader(Reader):
    file_format = "csv"

    def __init__(self, source: IO[bytes], encoding: str):
        self.source, self.codec = source, encoding
        self.encoding = {"utf-8-sig": "utf-8", "gb18030": "gb18030"}[encoding]

    def rows(self) -> Generator[list[Any], None, None]:
        self.source.seek(0)
        if self.source.read(3) == b"\xef\xbb\xbf":
            self.encoding = "utf-8-bom"
        self.source.seek(0)
        text = io.TextIOWrapper(self.source, encoding=self.codec, errors="strict", newline="")
        try:
            yield from csv.reader(text)
        except csv.Error as error:
            raise FileRefused("invalid_format", f"the CSV cannot be read: {error}") from None
        finally:
            text.detach()  # leave the spooled file open

    def text(self, raw: str) -> str:
        return raw.strip().lstrip("\ufeff")

    def blank(self, raw: str) -> bool:
        return not raw.strip()

    def value(self, kind_of_column: str, raw: str) -> Any:
        return text_value(kind_of_column, raw)


@contextlib.contextmanager
def _quiet():
    """openpyxl warns about workbook parts it drops (extensions, missing styles): not our concern."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class XlsxReader(Reader):
    file_format = "xlsx"

    def __init__(self, source: IO[bytes], read_seconds: float | None = None):
        self.source = source
        self.read_seconds = MAX_READ_SECONDS if read_seconds is None else read_seconds

    def _check_archive(self) -> None:
        try:
            with zipfile.ZipFile(self.source) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
                if unpacked > MAX_XLSX_UNPACKED_BYTES:
                    raise FileRefused(
                        "invalid_format",
                        f"the workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // 2**20} MiB",
                    )
                strings = _shared_string_count(archive)
        except (zipfile.BadZipFile, OSError, ValueError):
            raise FileRefused(
                "invalid_format", "the file is not a readable XLSX workbook"
            ) from None
        if strings > MAX_SHARED_STRINGS:
            raise FileRefused(
                "too_many_rows",
                f"the workbook holds more than {MAX_SHARED_STRINGS:,} distinct texts: "
                "it is not a loan file, or split it",
            )
        self.source.seek(0)

    def rows(self) -> Generator[list[Any], None, None]:
        import openpyxl

        self._check_archive()
        try:
            with _quiet():
                workbook = openpyxl.load_workbook(self.source, read_only=True, data_only=True)
        except Exception:
            raise FileRefused(
                "invalid_format", "the file is not a readable XLSX workbook"
            ) from None
        try:
            if not workbook.worksheets:
                raise FileRefused("invalid_format", "the workbook has no worksheet")
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # a wrong <dimension> must not cut rows off
            # Read no further than MAX_COLUMNS: a cell in column XFD would widen every row.
            cells = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS + 1)
            deadline = time.monotonic() + self.read_seconds
            for number in itertools.count(1):
                try:
                    with _quiet():
                        row = next(cells)
                except StopIteration:
                    return
                except Exception:
                    raise FileRefused("invalid_format", "the worksheet cannot be read") from None
                _check_bounds(number, row, deadline, self.read_seconds)
                yield list(row)
        finally:
            workbook.close()  # read-only mode keeps the archive open until closed

    def text(self, raw: Any) -> str:
        value = raw.value
        return "" if value is None else str(value).strip()

    def blank(self, raw: Any) -> bool:
        value = raw.value
        return value is None or (isinstance(value, str) and not value.strip())

    def value(self, kind_of_column: str, raw: Any) -> Any:
        value = raw.value
        if value is None:
            return None
        if raw.data_type == "e":
            raise CellError(f"the cell holds the error {value}")
        if isinstance(value, str):
            return text_value(kind_of_column, value)
        if isinstance(value, bool):
            raise CellError("a TRUE/FALSE cell is not a value of this column")
        if isinstance(value, (dt.datetime, dt.date)):
            return _date_cell(kind_of_column, value)
        if isinstance(value, (int, float)):
            return _number_cell(kind_of_column, value, raw.number_format or "")
        raise CellError("a time cell is not a value of this column")


def _shared_string_count(archive: zipfile.ZipFile) -> int:
    """How many <si> entries xl/sharedStrings.xml holds, counted in a stream of its bytes
    (openpyxl would build them all as Python strings before the first row)."""
    try:
        member = archive.open("xl/sharedStrings.xml")
    except KeyError:
        return 0
    count, tail = 0, b""
    with member:
        while chunk := member.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<si>") + data.count(b"<si ")
            tail = data[-3:]  # a tag cut at the chunk's end is whole, and counted, next time
            if count > MAX_SHARED_STRINGS:
                return count
    return count


def _check_bounds(number: int, row: Any, deadline: float, read_seconds: float) -> None:
    if number > MAX_ROW_NUMBER:
        raise FileRefused(
            "too_many_rows", f"the worksheet goes past row {MAX_ROW_NUMBER:,}: split the file"
        )
    if len(row) > MAX_COLUMNS and any(c.value is not None for c in row[MAX_COLUMNS:]):
        raise FileRefused("invalid_format", f"the worksheet has more than {MAX_COLUMNS} columns")
    if number % 1000 == 0 and time.monotonic() > deadline:
        raise FileRefused(
            "invalid_format",
            f"the workbook takes more than {read_seconds:.0f} s to read: split it",
        )


def _date_cell(kind_of_column: str, value: dt.date) -> str:
    if kind_of_column != "date":
        raise CellError("a date cell where text or a number belongs (format the column as text)")
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            raise CellError("a date must be a day, without a time of day")
        value = value.date()
    return value.isoformat()


def _number_cell(kind_of_column: str, value: int | float, number_format: str) -> Any:
    if kind_of_column == "code":
        raise CellError(
            "must be a text cell: as a number it loses digits (format the column as text)"
        )
    if kind_of_column == "date":
        raise CellError("a date must be a date cell or text YYYY-MM-DD")
    if kind_of_column == "integer":
        return (
            int(value) if float(value).is_integer() else value
        )  # a fraction: the schema refuses it
    if kind_of_column == "identifier":
        if isinstance(value, int) and abs(value) < 10**15:
            return str(value)
        raise CellError(
            "must be a text cell: this number may have lost digits (format the column as text)"
        )
    # repr of a float is the shortest decimal that reads back as it, which is what Excel shows:
    # 1234.5 → "1234.5"; 1000.005 or 0.30000000000000004 keep their decimals and are refused
    # by the schema (more than two), never rounded.
    number = Decimal(str(value))
    if kind_of_column == "rate":
        if "%" in number_format:  # a cell formatted as 3.45% holds 0.0345
            number *= 100
        return format(number.normalize(), "f")
    return format(number, "f")


def _header(
    kind: str, reader: Reader, first: list[Any], second: list[Any] | None
) -> tuple[int, list[str]]:
    """(header row number, names by position): row 1, or row 2 under a row of captions. A
    header row names the columns by field name, or by the template's Chinese captions (a
    file whose row of field names was deleted, or a CSV headed in Chinese)."""
    known = set(COLUMNS[kind])
    rows = [(1, [reader.text(raw) for raw in first])]
    if second is not None:
        rows.append((2, [reader.text(raw) for raw in second]))
    for number, names in rows:  # field names first: the template's row 2 under its captions
        if known.intersection(names):
            _check_header(kind, names, number)
            return number, names
    by_caption = _fields_by_caption(kind)
    number, texts = rows[0]
    # Two captions at least: one alone may be a title above the table, not a header.
    if sum(_caption_key(text) in by_caption for text in texts) >= MIN_CAPTIONS:
        names = [by_caption.get(_caption_key(text), text) for text in texts]
        _check_header(kind, names, number)
        return number, names
    raise FileRefused(
        "invalid_format",
        f"no header row: row 1 (or row 2, under the template's captions) "
        f"must name the columns, e.g. {COLUMNS[kind][0]}, or row 1 by the template's "
        f"Chinese captions, e.g. {caption_of(kind, COLUMNS[kind][0])}",
    )


def _check_header(kind: str, names: list[str], number: int) -> None:
    known, seen, errors = set(COLUMNS[kind]), set(), []
    for position, name in enumerate(names):
        where = f"column {column_letter(position)} of row {number}"
        if not name:
            continue
        if name not in known:
            errors.append(
                {
                    "column": name,
                    "code": "invalid_format",
                    "message": f"{where}: {name!r} is not a field of {kind} "
                    f"(the fields are {', '.join(COLUMNS[kind])})",
                }
            )
        elif name in seen:
            errors.append(
                {
                    "column": name,
                    "code": "invalid_format",
                    "message": f"{where}: {name} appears twice",
                }
            )
        seen.add(name)
    for name in REQUIRED_COLUMNS[kind]:
        if name not in seen:
            errors.append(
                {"column": name, "code": "required", "message": f"the column {name} is missing"}
            )
    if errors:
        raise FileRefused(errors[0]["code"], errors[0]["message"], errors=errors)


def _convert(
    kind: str, reader: Reader, names: list[str], kinds: dict[str, str], cells: list[Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    item: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for position, raw in enumerate(cells):
        name = names[position] if position < len(names) else ""
        if not name:
            if not reader.blank(raw):
                errors.append(
                    {
                        "column": None,
                        "code": "unknown_field",
                        "message": f"column {column_letter(position)} has a value but no field name "
                        f"in the header",
                    }
                )
            continue
        try:
            value = reader.value(kinds[name], raw)
        except CellError as error:
            errors.append({"column": name, "code": error.code, "message": error.message})
            continue
        if isinstance(value, str) and name in CODE_OF_WORD:
            value = CODE_OF_WORD[name].get(value, value)  # the template's word, else as given
        if value is not None:
            item[name] = value
    if errors:  # the row is refused here: report its other format errors with these
        errors = sorted(
            errors + _format_errors(kind, item, {e["column"] for e in errors}),
            key=lambda e: (e["column"] or "",),
        )
    return item, errors


def _format_errors(
    kind: str, item: dict[str, Any], unreadable: set[str | None]
) -> list[dict[str, Any]]:
    """What the wire schema says of the readable cells of a row some cells of which were not."""
    try:
        SCHEMAS[kind].load(item, partial=tuple(n for n in unreadable if n))
    except ValidationError as error:
        return [
            {"column": column_of(kind, e["field"]), "code": e["code"], "message": e["message"]}
            for e in flatten_messages(error.messages)
        ]
    return []


def read_with(
    source: IO[bytes], read: Callable[[Reader], T], read_seconds: float | None = None
) -> T:
    """`read(reader)` with the reader the file's first bytes call for: XLSX; or CSV in UTF-8
    (with or without BOM), read again as GB18030 when UTF-8 fails anywhere (strictly first:
    GB18030 would read UTF-8 as mojibake). What `read` returns; FileRefused when no reader
    can read the file. The loan and event imports (`stage`) and the enterprise-list import
    (`list_import`) read files this way. `read_seconds`: how long a workbook may take to read
    (MAX_READ_SECONDS unless said: the import worker, bound by no request, allows more)."""
    source.seek(0)
    head = source.read(8)
    if not head:
        raise FileRefused("invalid_format", "the file is empty")
    if head.startswith(XLSX_MAGIC):
        return read(XlsxReader(source, read_seconds))
    if head.startswith(XLS_MAGIC):
        raise FileRefused(
            "invalid_format", "an Excel 97–2003 (.xls) workbook: save it as .xlsx or CSV"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return read(CsvReader(source, encoding))
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        "invalid_format", "the file is neither an XLSX workbook nor CSV text in UTF-8 or GB18030"
    )


def stage(
    source: IO[bytes],
    kind: str,
    budget: Budget | None = None,
    read_seconds: float | None = None,
    tick: Callable[[], None] | None = None,
) -> Staged:
    """Pass 1: the file's rows as JSON lines in a temporary file (see the module doc);
    OverBudget as soon as the file is more than `budget`; `tick()` every TICK_ROWS rows read
    (the import worker's heartbeat while it reads)."""
    return read_with(source, lambda reader: _stage(kind, reader, budget, tick), read_seconds)


TICK_ROWS = 1000


def _stage(
    kind: str,
    reader: Reader,
    budget: Budget | None = None,
    tick: Callable[[], None] | None = None,
) -> Staged:
    # Closed by the Staged it is handed to (or below, on a refusal), not at the end of a block.
    lines = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
    try:
        with contextlib.closing(reader.rows()) as rows:
            first, second = next(rows, None), next(rows, None)
            if first is None:
                raise FileRefused("invalid_format", "the file is empty")
            header_row, names = _header(kind, reader, first, second)
            kinds = {name: column_kind(kind, name) for name in names if name}
            data: Iterable[list[Any]] = (
                rows if header_row == 2 or second is None else _prepend(second, rows)
            )
            count = 0
            for number, cells in enumerate(data, start=header_row + 1):
                if tick is not None and number % TICK_ROWS == 0:
                    tick()
                if all(reader.blank(raw) for raw in cells):
                    if budget is not None:
                        budget.check(count, number)
                    continue
                count += 1
                if budget is not None:
                    budget.check(count, number)
                if count > MAX_ROWS:
                    raise FileRefused(
                        "too_many_rows", f"the file has more than {MAX_ROWS:,} rows: split it"
                    )
                item, errors = _convert(kind, reader, names, kinds, cells)
                lines.write(json.dumps([number, item, errors], ensure_ascii=False) + "\n")
        if count == 0:
            raise FileRefused("invalid_format", "the file has a header but no rows")
        lines.seek(0)
        return Staged(lines, count, header_row, reader.file_format, reader.encoding)
    except BaseException:
        lines.close()
        raise


def _prepend(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield first
    yield from rest


# ===================================================================== error paths
def column_of(kind: str, field: str | None) -> str | None:
    """rows[3].amount → amount; rows[3] or None → None (the row as a whole)."""
    if not field:
        return None
    match = re.fullmatch(rf"{ROW_PATH}\[\d+\](?:\.([^.\[]+).*)?", field)
    if match:
        return match.group(1)
    return field if field in COLUMNS[kind] else None


# ===================================================================== writing
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def error_rows_csv(errors: Iterable[dict[str, Any]]) -> bytes:
    """row,column,code,message — UTF-8 with a BOM, so that Excel reads it as UTF-8."""
    return safe_csv(
        ["row", "column", "code", "message"],
        ((e["row"], e["column"], e["code"], e["message"]) for e in errors),
    )


def safe_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """A CSV a spreadsheet opens safely: UTF-8 with a BOM (Excel then reads it as UTF-8), no
    cell a spreadsheet would run as a formula, None as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe("" if v is None else v) for v in row])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


# ===================================================================== templates
def _choices(kind: str, name: str) -> tuple[str, ...] | None:
    for validator in SCHEMAS[kind]._declared_fields[name].validators:
        if isinstance(validator, validate.OneOf):
            return tuple(validator.choices)
    return None


NUMBER_FORMATS = {
    "money": "0.00",
    "rate": "0.0000",
    "date": "yyyy-mm-dd",
    "integer": "0",
    "code": "@",
    "identifier": "@",
    "text": "@",
}


@functools.lru_cache(maxsize=len(KINDS))
def template(kind: str) -> bytes:
    """The XLSX template: captions (row 1), field names (row 2), formats and validation below."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    captions = captions_of(kind)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet, active
    sheet.title = "贷款" if kind == "loans" else "事件"
    last = 2 + TEMPLATE_ROWS
    for position, name in enumerate(COLUMNS[kind]):
        letter, kind_of_column = column_letter(position), column_kind(kind, name)
        caption = sheet.cell(row=1, column=position + 1, value=captions[name])
        caption.font = Font(bold=True)
        caption.fill = PatternFill("solid", fgColor="DDEBF7")
        caption.alignment = Alignment(horizontal="center")
        key = sheet.cell(row=2, column=position + 1, value=name)
        key.font = Font(color="808080")
        sheet.column_dimensions[letter].width = max(14, 2 * len(captions[name]) + 2, len(name) + 2)
        number_format = NUMBER_FORMATS[kind_of_column]
        for row in range(3, last + 1):
            sheet.cell(row=row, column=position + 1).number_format = number_format
        cells = f"{letter}3:{letter}{last}"
        choices = _choices(kind, name)
        if choices:
            choices = tuple(choice_word(name, code) for code in choices)
            rule = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="取值无效",
                error="请从下拉列表中选择",
            )
        elif kind_of_column == "date":
            rule = DataValidation(
                type="date",
                operator="between",
                formula1="DATE(1990,1,1)",
                formula2="DATE(2099,12,31)",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="日期无效",
                error="请输入日期，如 2023-02-01",
            )
        elif kind_of_column == "integer":
            rule = DataValidation(
                type="whole",
                operator="greaterThanOrEqual",
                formula1="0",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="数值无效",
                error="请输入非负整数",
            )
        else:
            continue
        rule.add(cells)
        sheet.add_data_validation(rule)
    sheet.freeze_panes = "A3"
    _instructions(workbook.create_sheet("说明"), kind)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _instructions(sheet, kind: str) -> None:
    lines = [
        "导入说明（只读取第一个工作表）",
        "第1行为中文标题，第2行为字段名：导入按第2行识别各列，请勿修改；数据从第3行开始，空行忽略。"
        "（删去第2行时按第1行的中文标题识别各列。）",
        "带下拉列表的列（还款方式、结息方式、类型、五级分类）：从下拉列表中选择中文，也可填写对应的英文代码。",
        "日期：日期单元格或文本 YYYY-MM-DD；金额：单位元，最多两位小数（多于两位将被拒绝，不做四舍五入）。",
        "年利率：百分数的数值，如 3.45 表示年利率 3.45%。",
        "统一社会信用代码、合同编号、事件编号等列为文本格式：请勿改为数字，否则会丢失位数。",
        "也可另存为 CSV（UTF-8 或 GB18030 编码，第一行为字段名）后导入。",
    ]
    if kind == "events":
        lines.append("各类型需填写的字段（其余留空）：")
        for event_type, (required, optional) in EVENT_FIELDS.items():
            named = [EVENT_CAPTIONS[n] for n in required]
            extra = f"；可选 {'、'.join(EVENT_CAPTIONS[n] for n in optional)}" if optional else ""
            lines.append(
                f"  {choice_word('type', event_type)}（{event_type}）：{'、'.join(named)}{extra}"
            )
    for number, text in enumerate(lines, start=1):
        sheet.cell(row=number, column=1, value=text)
    sheet.column_dimensions["A"].width = 100
