"""File imports (POST /imports): a bank's CSV or XLSX of loans or events, through bulk intake.

An upload is spooled to a temporary file while its SHA-256 is computed (`spool`), then read
in two passes, so no more than one chunk of rows is ever held in memory:

1. `stage` reads the file — CSV in UTF-8 (with or without BOM), else GB18030; or XLSX with
   openpyxl in read-only mode — finds the header row (row 1, or row 2 under the template's
   row of Chinese captions), turns every non-empty row into the wire dict a JSON body would
   carry, and writes it as one JSON line to a temporary file. What is wrong with the file as
   a whole (empty, unreadable, unknown / duplicate / missing columns, more than MAX_ROWS
   rows) refuses it before anything is written (`FileRefused`).
2. `run` sends the staged rows in chunks of at most 5,000 through `bulk.ingest_loans` /
   `bulk.ingest_events` (atomic=False) and keeps every rejected row's errors with the row
   number a spreadsheet shows and the column (field name) concerned.

An import's life is `pending` → `running` → `done` (or `failed` when refused as a whole). For
now all of it happens inside the POST request, in its transaction, so a client only ever
sees `done` or `failed`; the states are in the table so that a background worker can take
`pending` jobs over later without changing the API (docs/decisions-imports.md).
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import io
import json
import re
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from marshmallow import ValidationError, fields as ma_fields, validate
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.wire.messages import flatten_messages
from loanledger.wire.fields import Key, Money, Rate, StrictDate
from loanledger.wire.schemas import BulkEventIn, LoanIn
from loanledger.domain.events import EVENT_FIELDS
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import ImportJob, ImportRowError, utcnow
from loanledger.services import bulk
from loanledger.services.audit import record

KINDS = ("loans", "events")
MAX_ROWS = 200_000
CHUNK_ROWS = bulk.MAX_ITEMS
MAX_STORED_ERRORS = 100_000         # per import; error_count still counts them all
MAX_SHOWN_ERRORS = 1000             # in GET /imports/{id}
MAX_XLSX_UNPACKED_BYTES = 256 * 1024 * 1024
SPOOL_CHUNK_BYTES = 64 * 1024
ROW_PATH = "rows"                   # error paths from bulk look like rows[3].amount
TEMPLATE_ROWS = 1000                # template rows formatted and validated below the header

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"     # Excel 97–2003 (OLE2)

SCHEMAS = {"loans": LoanIn(), "events": BulkEventIn()}
_EVENT_LEAD = ("event_id", "type", "contract_no")
COLUMNS: dict[str, tuple[str, ...]] = {
    "loans": tuple(LoanIn._declared_fields),
    "events": _EVENT_LEAD + tuple(n for n in BulkEventIn._declared_fields if n not in _EVENT_LEAD),
}
REQUIRED_COLUMNS = {
    kind: tuple(n for n in COLUMNS[kind] if SCHEMAS[kind]._declared_fields[n].required) for kind in KINDS
}
# Codes whose digits a number cell would lose (18 characters): text cells only.
TEXT_ONLY = frozenset({"uscc"})
# Identifiers: a whole-number cell of at most 15 digits (exact in Excel) is read as its digits.
IDENTIFIERS = frozenset({"product_code", "filing_no"})

CAPTIONS = {
    "contract_no": "合同编号", "product_code": "产品代码", "uscc": "统一社会信用代码", "filing_no": "备案编号",
    "principal": "合同金额(元)", "annual_rate": "年利率(%)", "start_date": "起始日", "maturity_date": "到期日",
    "repayment_method": "还款方式", "interest_settlement": "结息方式",
}
EVENT_CAPTIONS = {
    "event_id": "事件编号", "type": "类型", "contract_no": "合同编号", "date": "日期", "amount": "金额(元)",
    "principal": "本金(元)", "period_start": "计息起始日", "period_end": "计息截止日(不含)", "paid_on": "付息日",
    "interest": "利息(元)", "penalty_interest": "罚息(元)", "compound_interest": "复利(元)", "effective_on": "生效日",
    "annual_rate": "年利率(%)", "as_of": "逾期基准日", "days_past_due": "逾期天数", "classification": "五级分类",
    "target_event_id": "被撤销事件编号", "reason": "原因",
}


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
class FileRefused(Exception):
    """The file as a whole cannot be imported (422). `errors`: [{column, code, message}]."""

    def __init__(self, code: str, message: str, column: str | None = None,
                 errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.errors = errors or [{"column": column, "code": code, "message": message}]


class CellError(Exception):
    def __init__(self, message: str, code: str = "invalid_format"):
        super().__init__(message)
        self.code, self.message = code, message


# ===================================================================== spooling
@dataclass
class Spooled:
    file: IO[bytes]
    sha256: str
    size_bytes: int


@contextlib.contextmanager
def spool(stream: IO[bytes]) -> Iterator[Spooled]:
    """Copy an upload into a temporary file in chunks, hashing as it goes."""
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as target:
        while chunk := stream.read(SPOOL_CHUNK_BYTES):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
        target.seek(0)
        yield Spooled(target, digest.hexdigest(), size)


# ===================================================================== pass 1: stage
@dataclass
class Staged:
    lines: IO[str]          # one JSON line per non-empty row: [row number, wire item, [errors]]
    rows: int
    header_row: int
    file_format: str
    encoding: str | None


class _Reader:
    """One file format: its rows, header texts, blank test and cell conversion."""

    file_format = ""
    encoding: str | None = None

    def rows(self) -> Iterator[list[Any]]:
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


class CsvReader(_Reader):
    file_format = "csv"

    def __init__(self, source: IO[bytes], encoding: str):
        self.source, self.codec = source, encoding
        self.encoding = {"utf-8-sig": "utf-8", "gb18030": "gb18030"}[encoding]

    def rows(self) -> Iterator[list[Any]]:
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


class XlsxReader(_Reader):
    file_format = "xlsx"

    def __init__(self, source: IO[bytes]):
        self.source = source

    def _check_archive(self) -> None:
        try:
            with zipfile.ZipFile(self.source) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            raise FileRefused("invalid_format", "the file is not a readable XLSX workbook") from None
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise FileRefused("invalid_format", f"the workbook unpacks to more than "
                                                f"{MAX_XLSX_UNPACKED_BYTES // 2**20} MiB")
        self.source.seek(0)

    def rows(self) -> Iterator[list[Any]]:
        import openpyxl  # noqa: PLC0415 - only imports need it

        self._check_archive()
        try:
            with _quiet():
                workbook = openpyxl.load_workbook(self.source, read_only=True, data_only=True)
        except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
            raise FileRefused("invalid_format", "the file is not a readable XLSX workbook") from None
        try:
            if not workbook.worksheets:
                raise FileRefused("invalid_format", "the workbook has no worksheet")
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # a wrong <dimension> must not cut rows off
            cells = sheet.iter_rows(min_row=1)
            while True:
                try:
                    with _quiet():
                        row = next(cells)
                except StopIteration:
                    return
                except Exception:  # noqa: BLE001 - malformed sheet XML, forbidden entities, ...
                    raise FileRefused("invalid_format", "the worksheet cannot be read") from None
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
        raise CellError("must be a text cell: as a number it loses digits (format the column as text)")
    if kind_of_column == "date":
        raise CellError("a date must be a date cell or text YYYY-MM-DD")
    if kind_of_column == "integer":
        return int(value) if float(value).is_integer() else value  # a fraction: the schema refuses it
    if kind_of_column == "identifier":
        if isinstance(value, int) and abs(value) < 10**15:
            return str(value)
        raise CellError("must be a text cell: this number may have lost digits (format the column as text)")
    # repr of a float is the shortest decimal that reads back as it, which is what Excel shows:
    # 1234.5 → "1234.5"; 1000.005 or 0.30000000000000004 keep their decimals and are refused
    # by the schema (more than two), never rounded.
    number = Decimal(str(value))
    if kind_of_column == "rate":
        if "%" in number_format:  # a cell formatted as 3.45% holds 0.0345
            number *= 100
        return format(number.normalize(), "f")
    return format(number, "f")


def _header(kind: str, reader: _Reader, first: list[Any], second: list[Any] | None) -> tuple[int, list[str]]:
    """(header row number, names by position): row 1, or row 2 under a row of captions."""
    known = set(COLUMNS[kind])
    for number, row in ((1, first), (2, second)):
        if row is not None:
            names = [reader.text(raw) for raw in row]
            if known.intersection(names):
                _check_header(kind, names, number)
                return number, names
    raise FileRefused("invalid_format", f"no header row: row 1 (or row 2, under the template's captions) "
                                        f"must name the columns, e.g. {COLUMNS[kind][0]}")


def _check_header(kind: str, names: list[str], number: int) -> None:
    known, seen, errors = set(COLUMNS[kind]), set(), []
    for position, name in enumerate(names):
        where = f"column {column_letter(position)} of row {number}"
        if not name:
            continue
        if name not in known:
            errors.append({"column": name, "code": "invalid_format",
                           "message": f"{where}: {name!r} is not a field of {kind} "
                                      f"(the fields are {', '.join(COLUMNS[kind])})"})
        elif name in seen:
            errors.append({"column": name, "code": "invalid_format", "message": f"{where}: {name} appears twice"})
        seen.add(name)
    for name in REQUIRED_COLUMNS[kind]:
        if name not in seen:
            errors.append({"column": name, "code": "required", "message": f"the column {name} is missing"})
    if errors:
        raise FileRefused(errors[0]["code"], errors[0]["message"], errors=errors)


def _convert(kind: str, reader: _Reader, names: list[str], kinds: dict[str, str],
             cells: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    item: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for position, raw in enumerate(cells):
        name = names[position] if position < len(names) else ""
        if not name:
            if not reader.blank(raw):
                errors.append({"column": None, "code": "unknown_field",
                               "message": f"column {column_letter(position)} has a value but no field name "
                                          f"in the header"})
            continue
        try:
            value = reader.value(kinds[name], raw)
        except CellError as error:
            errors.append({"column": name, "code": error.code, "message": error.message})
            continue
        if value is not None:
            item[name] = value
    if errors:  # the row is refused here: report its other format errors with these
        errors = sorted(errors + _format_errors(kind, item, {e["column"] for e in errors}),
                        key=lambda e: (e["column"] or "", ))
    return item, errors


def _format_errors(kind: str, item: dict[str, Any], unreadable: set[str | None]) -> list[dict[str, Any]]:
    """What the wire schema says of the readable cells of a row some cells of which were not."""
    try:
        SCHEMAS[kind].load(item, partial=tuple(n for n in unreadable if n))
    except ValidationError as error:
        return [{"column": _column(kind, e["field"]), "code": e["code"], "message": e["message"]}
                for e in flatten_messages(error.messages)]
    return []


def stage(source: IO[bytes], kind: str) -> Staged:
    """Pass 1: the file's rows as JSON lines in a temporary file (see the module doc)."""
    source.seek(0)
    head = source.read(8)
    if not head:
        raise FileRefused("invalid_format", "the file is empty")
    if head.startswith(XLSX_MAGIC):
        return _stage(kind, XlsxReader(source))
    if head.startswith(XLS_MAGIC):
        raise FileRefused("invalid_format", "an Excel 97–2003 (.xls) workbook: save it as .xlsx or CSV")
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8 strictly first: GB18030 would read it as mojibake
        try:
            return _stage(kind, CsvReader(source, encoding))
        except UnicodeDecodeError:
            continue
    raise FileRefused("invalid_format", "the file is neither an XLSX workbook nor CSV text in UTF-8 or GB18030")


def _stage(kind: str, reader: _Reader) -> Staged:
    lines = tempfile.TemporaryFile("w+", encoding="utf-8")
    try:
        with contextlib.closing(reader.rows()) as rows:
            first, second = next(rows, None), next(rows, None)
            if first is None:
                raise FileRefused("invalid_format", "the file is empty")
            header_row, names = _header(kind, reader, first, second)
            kinds = {name: column_kind(kind, name) for name in names if name}
            data: Iterable[list[Any]] = rows if header_row == 2 or second is None else _prepend(second, rows)
            count = 0
            for number, cells in enumerate(data, start=header_row + 1):
                if all(reader.blank(raw) for raw in cells):
                    continue
                count += 1
                if count > MAX_ROWS:
                    raise FileRefused("too_many_rows", f"the file has more than {MAX_ROWS:,} rows: split it")
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


# ===================================================================== pass 2: run
def _column(kind: str, field: str | None) -> str | None:
    """rows[3].amount → amount; rows[3] or None → None (the row as a whole)."""
    if not field:
        return None
    match = re.fullmatch(rf"{ROW_PATH}\[\d+\](?:\.([^.\[]+).*)?", field)
    if match:
        return match.group(1)
    return field if field in COLUMNS[kind] else None


def _chunks(lines: IO[str], size: int) -> Iterator[list[list[Any]]]:
    chunk: list[list[Any]] = []
    for line in lines:
        chunk.append(json.loads(line))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(db: Session, job: ImportJob, staged: Staged, today: dt.date) -> None:
    """Pass 2: the staged rows through bulk intake, chunk by chunk, counting and keeping errors."""
    ingest = bulk.ingest_loans if job.kind == "loans" else bulk.ingest_events
    for chunk in _chunks(staged.lines, CHUNK_ROWS):
        items, numbers, errors = [], [], []
        for number, item, row_errors in chunk:
            if row_errors:
                job.rejected += 1
                errors.extend({"row": number, **error} for error in row_errors)
            else:
                items.append(item)
                numbers.append(number)
        if items:
            outcome = ingest(db, job.bank_code, items, today, atomic=False, path=ROW_PATH)
            job.accepted += outcome.accepted
            job.duplicates += outcome.duplicates
            job.rejected += outcome.rejected
            errors.extend(
                {"row": numbers[result["index"]], "column": _column(job.kind, error.get("field")),
                 "code": error["code"], "message": error["message"]}
                for result in outcome.results for error in result.get("errors", ())
            )
        errors.sort(key=lambda error: error["row"])  # stable: a row's errors keep their order
        _keep_errors(db, job, errors)


def _keep_errors(db: Session, job: ImportJob, errors: list[dict[str, Any]]) -> None:
    room = max(0, MAX_STORED_ERRORS - job.error_count)
    if errors[:room]:
        db.execute(insert(ImportRowError.__table__), [
            {"import_id": job.id, "row": e["row"], "column_name": e["column"], "code": e["code"],
             "message": e["message"][:2000]}
            for e in errors[:room]
        ])
    job.error_count += len(errors)


# ===================================================================== the use case
def find_import(db: Session, bank_code: str, sha256: str) -> ImportJob | None:
    """The earlier import of the same file by the same bank (refused files do not count)."""
    return db.scalar(select(ImportJob).where(ImportJob.bank_code == bank_code, ImportJob.file_key == sha256))


def start(db: Session, bank_code: str, kind: str, upload: Spooled, filename: str,
          actor: str) -> tuple[ImportJob, bool]:
    """(job, created): a new `pending` import, or the earlier import of the same file."""
    assert kind in KINDS
    earlier = find_import(db, bank_code, upload.sha256)
    if earlier is not None:
        return earlier, False
    job = ImportJob(bank_code=bank_code, kind=kind, filename=filename, sha256=upload.sha256,
                    file_key=upload.sha256, size_bytes=upload.size_bytes, status="pending",
                    rows=0, accepted=0, duplicates=0, rejected=0, error_count=0, created_by=actor,
                    created_at=utcnow())
    try:
        with db.begin_nested():
            db.add(job)
            db.flush()
    except IntegrityError:  # the same file, sent twice at once: the other one won
        earlier = find_import(db, bank_code, upload.sha256)
        if earlier is None:
            raise
        return earlier, False
    return job, True


def process(db: Session, job: ImportJob, source: IO[bytes], today: dt.date) -> ImportJob:
    """pending → running → done. A file refused as a whole: `failed`, its errors kept on the
    job, and FileRefused raised (nothing else was written: rows are staged before any intake)."""
    assert job.status == "pending"
    job.status, job.started_at = "running", utcnow()
    db.flush()
    try:
        staged = stage(source, job.kind)
    except FileRefused as refused:
        job.status, job.file_key, job.finished_at = "failed", None, utcnow()
        _keep_errors(db, job, [{"row": None, **error} for error in refused.errors])
        db.flush()
        raise
    with staged.lines:
        job.file_format, job.encoding, job.header_row = staged.file_format, staged.encoding, staged.header_row
        job.rows = staged.rows
        run(db, job, staged, today)
    job.status, job.finished_at = "done", utcnow()
    db.flush()
    record(db, job.created_by, "import.done", "import", str(job.id), None, {
        "kind": job.kind, "filename": job.filename, "sha256": job.sha256, "rows": job.rows,
        "accepted": job.accepted, "duplicates": job.duplicates, "rejected": job.rejected,
    })
    return job


# ===================================================================== reading it back
def errors_of(db: Session, job: ImportJob, limit: int | None = None) -> list[dict[str, Any]]:
    stmt = select(ImportRowError).where(ImportRowError.import_id == job.id).order_by(ImportRowError.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [{"row": e.row, "column": e.column_name, "code": e.code, "message": e.message} for e in db.scalars(stmt)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def errors_csv(db: Session, job: ImportJob) -> bytes:
    """row,column,code,message — UTF-8 with a BOM, so that Excel reads it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "code", "message"])
    for error in errors_of(db, job):
        writer.writerow([spreadsheet_safe("" if v is None else v)
                         for v in (error["row"], error["column"], error["code"], error["message"])])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


# ===================================================================== templates
def _choices(kind: str, name: str) -> tuple[str, ...] | None:
    for validator in SCHEMAS[kind]._declared_fields[name].validators:
        if isinstance(validator, validate.OneOf):
            return tuple(validator.choices)
    return None


NUMBER_FORMATS = {"money": "0.00", "rate": "0.0000", "date": "yyyy-mm-dd", "integer": "0",
                  "code": "@", "identifier": "@", "text": "@"}


@functools.lru_cache(maxsize=len(KINDS))
def template(kind: str) -> bytes:
    """The XLSX template: captions (row 1), field names (row 2), formats and validation below."""
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    captions = CAPTIONS if kind == "loans" else EVENT_CAPTIONS
    workbook = Workbook()
    sheet = workbook.active
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
            rule = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                  showErrorMessage=True, errorTitle="取值无效", error="请从下拉列表中选择")
        elif kind_of_column == "date":
            rule = DataValidation(type="date", operator="between", formula1="DATE(1990,1,1)",
                                  formula2="DATE(2099,12,31)", allow_blank=True, showErrorMessage=True,
                                  errorTitle="日期无效", error="请输入日期，如 2023-02-01")
        elif kind_of_column == "integer":
            rule = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                  showErrorMessage=True, errorTitle="数值无效", error="请输入非负整数")
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
        "第1行为中文标题，第2行为字段名：导入按第2行识别各列，请勿修改；数据从第3行开始，空行忽略。",
        "日期：日期单元格或文本 YYYY-MM-DD；金额：单位元，最多两位小数（多于两位将被拒绝，不做四舍五入）。",
        "年利率：百分数的数值，如 3.45 表示年利率 3.45%。",
        "统一社会信用代码、合同编号、事件编号等列为文本格式：请勿改为数字，否则会丢失位数。",
        "也可另存为 CSV（UTF-8 或 GB18030 编码，第一行为字段名）后导入。",
    ]
    if kind == "events":
        lines.append("各类型需填写的字段（其余留空）：")
        for event_type, (required, optional) in EVENT_FIELDS.items():
            extra = f"；可选 {', '.join(optional)}" if optional else ""
            lines.append(f"  {event_type}: {', '.join(required)}{extra}")
    for number, text in enumerate(lines, start=1):
        sheet.cell(row=number, column=1, value=text)
    sheet.column_dimensions["A"].width = 100


def view(db: Session, job: ImportJob) -> dict[str, Any]:
    def stamp(value: dt.datetime | None) -> str | None:
        return as_utc(value).isoformat() if value is not None else None

    return {
        "import_id": job.id, "kind": job.kind, "filename": job.filename, "sha256": job.sha256,
        "size_bytes": job.size_bytes, "format": job.file_format, "encoding": job.encoding,
        "status": job.status, "header_row": job.header_row, "rows": job.rows, "accepted": job.accepted,
        "duplicates": job.duplicates, "rejected": job.rejected, "error_count": job.error_count,
        "errors": errors_of(db, job, MAX_SHOWN_ERRORS),
        "created_at": stamp(job.created_at), "started_at": stamp(job.started_at),
        "finished_at": stamp(job.finished_at),
    }
