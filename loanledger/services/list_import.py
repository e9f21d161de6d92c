"""POST /enterprise-lists/{list_code}/imports: the 名录库 as the bureau receives it, a CSV
(UTF-8 with or without BOM, or GB18030) or an XLSX with one row per membership.

Columns, found by their header (the first of the first five rows naming the USCC column, so
a title row above it is fine), in any order; names compared without blanks, `*` and a
trailing parenthesis (`起始日期（含）`):

| field | headers | |
|---|---|---|
| `uscc` | uscc, 统一社会信用代码, 社会信用代码, 信用代码 | required; a text cell |
| `name` | name, 企业名称, 单位名称, 名称 | needed to register an unknown enterprise |
| `from` | from, 起始日期, 纳入日期, 入库日期, 开始日期, 生效日期 | required |
| `to` | to, 截止日期, 截至日期, 终止日期, 结束日期, 退出日期, 移出日期 | empty: still a member |
| `established_on` | established_on, 成立日期 | needed to register an unknown enterprise |

Other columns (序号, 镇街, 行业…) are ignored and named in the answer (`ignored_columns`).
Dates: date cells, or text `2024-01-01`, `2024/1/1`, `2024.1.1` or `2024年1月1日`.

Each row states one membership exactly as `PUT …/members/{uscc}` does
(`services.enterprise_lists`), in file order. A USCC nobody registered is registered from
its row (`registry.create_enterprise`: name and 成立日期; an enterprise cannot exist without
its founding date, which the subsidy's age rule reads) when its check character is right
(GB 32100-2015). A registered enterprise is never changed: the row's name is not compared.

All or nothing: every row is checked first, and one bad row refuses the whole file with
every row's errors (`ListImportRefused`, 422, each error naming its spreadsheet row and
column); nothing is written. A file wrong as a whole (unreadable, no header, a required
column missing, a column twice) is `FileRefused`, as for the loan imports.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError
from loanledger.domain.uscc import uscc_valid
from loanledger.persistence.tables import Enterprise
from loanledger.services import audit, enterprise_lists, locks, registry, spreadsheets
from loanledger.services.errors import Conflict
from loanledger.services.facts import in_sets
from loanledger.services.imports import Spooled
from loanledger.services.spreadsheets import CellError, FileRefused, Reader

FIELDS = ("uscc", "name", "from", "to", "established_on")
REQUIRED = ("uscc", "from")
HEADERS: dict[str, tuple[str, ...]] = {
    "uscc": ("uscc", "统一社会信用代码", "社会信用代码", "信用代码"),
    "name": ("name", "企业名称", "单位名称", "名称"),
    "from": ("from", "起始日期", "纳入日期", "入库日期", "开始日期", "生效日期"),
    "to": ("to", "截止日期", "截至日期", "终止日期", "结束日期", "退出日期", "移出日期"),
    "established_on": ("established_on", "成立日期"),
}
CAPTIONS = {name: headers[1] for name, headers in HEADERS.items()}
COLUMN_KINDS = {
    "uscc": "code",
    "name": "text",
    "from": "date",
    "to": "date",
    "established_on": "date",
}
HEADER_ROWS = 5  # the header is looked for in the first five rows
MAX_ROWS = 50_000
MAX_NAME = 255
MAX_PROBLEMS = 1000  # errors in the answer (its detail says when there are more)
_ALIASES = {alias.lower(): name for name, aliases in HEADERS.items() for alias in aliases}
_BLANKS = re.compile(r"[\s\u3000*＊]+")
_TRAILING_NOTE = re.compile(r"[(（][^()（）]*[)）]$")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日", re.ASCII)
R = TypeVar("R")  # a file's row, as its Layout reads it
E = TypeVar("E")  # and one problem of a row
F = TypeVar("F")  # and what the import keeps of the file


# ===================================================================== row problems
@dataclass(frozen=True)
class RowError:
    """One problem of one row. `reason` names the sentence a page shows (web/i18n.py,
    LIST_IMPORT_REASONS), with `args`; `code` and `message` are the API's."""

    row: int
    column: str | None
    code: str
    reason: str
    message: str
    args: dict[str, Any] = field(default_factory=dict)

    def problem(self) -> dict[str, Any]:
        path = f"rows[{self.row}]" + (f".{self.column}" if self.column else "")
        return {"field": path, "code": self.code, "message": f"row {self.row}: {self.message}"}


class ListImportRefused(DomainError):
    """Rows of the file are refused, so the whole file is (422): `errors`, every one of
    them in row order; the answer lists the first MAX_PROBLEMS with the path
    `rows[<row as the spreadsheet numbers it>].<field>`."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: (e.row, FIELDS.index(e.column or "uscc")))
        shown = [e.problem() for e in self.errors[:MAX_PROBLEMS]]
        first = self.errors[0]
        super().__init__(
            first.code,
            first.message,
            shown[0]["field"],
            **refused_rows(self.errors, shown, "the file", "nothing was imported"),
        )


def refused_rows(errors: list[Any], shown: list[dict[str, Any]], file: str, so: str) -> dict:
    """What a file refused row by row answers beside its first error (the 名录库, the return
    file): the problems shown, the detail, and how many rows were refused."""
    rows = len({e.row for e in errors})
    more = (
        f" (the first {len(shown)} of {len(errors)} errors are listed)"
        if len(errors) > len(shown)
        else ""
    )
    return {
        "problems": shown,
        "detail": f"{rows} row(s) of {file} are refused, so {so}{more}",
        "members": {"rows_refused": rows},
    }


# ===================================================================== reading the file
@dataclass
class ListRow:
    number: int  # as the spreadsheet numbers it
    uscc: str | None = None
    name: str | None = None
    from_on: dt.date | None = None
    to_on: dt.date | None = None
    established_on: dt.date | None = None


@dataclass
class ListFile:
    rows: list[ListRow]
    errors: list[RowError]
    header_row: int
    ignored_columns: list[str]
    file_format: str
    encoding: str | None


def header_key(text: str) -> str:
    """A header cell as it is compared with the known names: without blanks, `*` and a
    trailing parenthesis, in lower case (`起始日期（含）` → `起始日期`). The return file of a
    payment file (`payment_results`) compares its headers the same way."""
    return _TRAILING_NOTE.sub("", _BLANKS.sub("", text)).lower()


def header_field(text: str) -> str | None:
    """The field a header cell names, or None."""
    return _ALIASES.get(header_key(text))


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD (what the readers make of date cells and of 2024/1/1) or 2024年1月1日."""
    match = _CHINESE_DATE.fullmatch(text)
    if match:
        year, month, day = match.groups()
        text = f"{year}-{int(month):02d}-{int(day):02d}"
    if not _ISO.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class Layout(Generic[R, E]):
    """How one kind of file import finds its header row and reads a row: the 名录库 here,
    the bank's return file in services.payment_results. The loop around them is one."""

    field_of: Callable[[str], str | None]  # a header cell's text -> its field, or None
    key_field: str  # the header row is the first of HEADER_ROWS that names this field
    example: str  # the columns a refusal names when no row does
    check: Callable[[list[str | None], int], None]  # check_header with the file's tables
    row: Callable[[Reader, int, list[str | None], list[Any]], tuple[R, list[E]]]
    max_rows: int
    too_many_code: str = "invalid_format"
    # rows passed over besides blank ones (a 合计 row the file's own program added)
    skip: Callable[[Reader, list[str | None], list[Any]], bool] | None = None


@dataclass(frozen=True)
class Table(Generic[R, E]):
    rows: list[R]
    errors: list[E]
    header_row: int
    ignored: list[str]  # header texts that name no field


def find_header(
    reader: Reader, rows: Iterator[list[Any]], layout: Layout[R, E]
) -> tuple[int, list[str | None], list[str]]:
    """(header row, field by position, ignored header texts)."""
    for number in range(1, HEADER_ROWS + 1):
        cells = next(rows, None)
        if cells is None:
            break
        texts = [reader.text(raw) for raw in cells]
        names = [layout.field_of(t) if t else None for t in texts]
        if layout.key_field in names:
            layout.check(names, number)
            ignored = [t for t, n in zip(texts, names, strict=True) if t and n is None]
            return number, names, ignored
    raise FileRefused(
        "invalid_format",
        f"no header row: one of the first {HEADER_ROWS} rows must name the columns, "
        f"e.g. {layout.example}",
    )


def read_table(reader: Reader, layout: Layout[R, E]) -> Table[R, E]:
    """Every row below the header with its own errors; FileRefused when the file as a whole
    cannot be read (no header, no rows, too many rows)."""
    rows: list[R] = []
    errors: list[E] = []
    with contextlib.closing(reader.rows()) as cells_of:
        header_row, names, ignored = find_header(reader, cells_of, layout)
        for number, cells in enumerate(cells_of, start=header_row + 1):
            if all(reader.blank(raw) for raw in cells):
                continue
            if layout.skip is not None and layout.skip(reader, names, cells):
                continue
            if len(rows) == layout.max_rows:
                raise FileRefused(
                    layout.too_many_code,
                    f"the file has more than {layout.max_rows:,} rows: split it",
                )
            row, row_errors = layout.row(reader, number, names, cells)
            rows.append(row)
            errors += row_errors
    if not rows:
        raise FileRefused("invalid_format", "the file has a header but no rows")
    return Table(rows, errors, header_row, ignored)


def check_header(
    names: list[str | None],
    number: int,
    *,
    captions: dict[str, str],
    headers: dict[str, tuple[str, ...]],
    required: tuple[str, ...] | list[str] | frozenset[str],
) -> None:
    """A file's header row (`names`: each column's field, or None) names no field twice and
    every required one; otherwise the file is refused with every problem. Shared by the file
    imports that read a header of field names or captions (this one, the bank's return file)."""
    errors = []
    seen: set[str] = set()
    for position, name in enumerate(names):
        if name is None:
            continue
        if name in seen:
            errors.append(
                {
                    "column": name,
                    "code": "invalid_format",
                    "message": f"column {spreadsheets.column_letter(position)} of row {number}: "
                    f"a second column for {name} ({captions[name]})",
                }
            )
        seen.add(name)
    errors += [
        {
            "column": name,
            "code": "required",
            "message": f"the column {name} ({' / '.join(headers[name][1:])}) is missing",
        }
        for name in required
        if name not in seen
    ]
    if errors:
        raise FileRefused(errors[0]["code"], errors[0]["message"], errors=errors)


def _check_header(names: list[str | None], number: int) -> None:
    check_header(names, number, captions=CAPTIONS, headers=HEADERS, required=REQUIRED)


def _cell(reader: Reader, name: str, raw: Any) -> Any:
    value = reader.value(COLUMN_KINDS[name], raw)
    return value.strip() if isinstance(value, str) else value


def _row(
    reader: Reader, number: int, names: list[str | None], cells: list[Any]
) -> tuple[ListRow, list[RowError]]:
    row, errors = ListRow(number), []

    def error(column: str, code: str, reason: str, message: str, **args: Any) -> None:
        errors.append(RowError(number, column, code, reason, message, args))

    for position, raw in enumerate(cells[: len(names)]):
        name = names[position]
        if name is None:
            continue
        try:
            value = _cell(reader, name, raw)
        except CellError as refused:
            error(name, refused.code or "invalid_format", "cell", refused.message)
            continue
        if value in (None, ""):
            continue
        if COLUMN_KINDS[name] == "date":
            day = parse_date(value)
            if day is None:
                error(name, "invalid_format", "bad_date", f"{value!r} is not a date YYYY-MM-DD")
            elif name == "from":
                row.from_on = day
            elif name == "to":
                row.to_on = day
            else:
                row.established_on = day
        elif name == "uscc":
            row.uscc = value
        elif len(value) > MAX_NAME:
            error(name, "invalid_format", "too_long", f"longer than {MAX_NAME} characters")
        else:
            row.name = value
    for name in REQUIRED:
        if getattr(row, "from_on" if name == "from" else name) is None and not any(
            e.column == name for e in errors
        ):
            error(name, "required", "required", f"{name} ({CAPTIONS[name]}) is empty")
    if row.from_on is not None and row.to_on is not None and row.to_on < row.from_on:
        error(
            "to",
            "invalid_format",
            "to_before_from",
            f"to {row.to_on} is before from {row.from_on}",
        )
    return row, errors


def read_file(source: IO[bytes]) -> ListFile:
    """The file's rows and each row's own errors (the header and the cells; not yet what
    the database says). FileRefused when the file as a whole cannot be read."""
    return read_file_as(source, LAYOUT, ListFile)


def read_file_as(source: IO[bytes], layout: Layout[R, E], into: Callable[..., F]) -> F:
    """`into(rows, errors, header_row, ignored, file_format, encoding)` of the file read by
    `layout`: what the 名录库 and the return file both keep of a file."""

    def read(reader: Reader) -> F:
        table = read_table(reader, layout)
        return into(
            table.rows,
            table.errors,
            table.header_row,
            table.ignored,
            reader.file_format,
            reader.encoding,
        )

    return spreadsheets.read_with(source, read)


LAYOUT: Layout[ListRow, RowError] = Layout(
    field_of=header_field,
    key_field="uscc",
    example="统一社会信用代码 (uscc) and 起始日期 (from)",
    check=_check_header,
    row=_row,
    max_rows=MAX_ROWS,
)


# ===================================================================== checking against the database
def _check_rows(
    db: Session, rows: list[ListRow], flagged: set[tuple[int, str | None]]
) -> tuple[list[RowError], set[str]]:
    """Rows that are fine by themselves but not together or not for the register: an
    unknown USCC that cannot be registered, one enterprise given two ways, two rows of one
    enterprise whose intervals overlap. Also the USCCs of the rows that are registered.
    `flagged`: the (row, column) cells already refused, not to be reported twice."""
    errors: list[RowError] = []
    usccs = sorted({r.uscc for r in rows if r.uscc})
    known: set[str] = set()
    for where in in_sets(db, Enterprise.uscc, usccs):
        known.update(db.scalars(select(Enterprise.uscc).where(where)))
    first_of: dict[str, ListRow] = {}
    earlier: dict[str, list[ListRow]] = {}
    for row in rows:
        if row.uscc is None:
            continue
        if row.uscc not in known:
            errors += [
                e
                for e in _new_enterprise_errors(row, first_of.setdefault(row.uscc, row))
                if (e.row, e.column) not in flagged
            ]
        if row.from_on is None:
            continue
        for other in earlier.get(row.uscc, []):
            assert other.from_on is not None
            if (row.to_on is None or other.from_on <= row.to_on) and (
                other.to_on is None or row.from_on <= other.to_on
            ):
                errors.append(
                    RowError(
                        row.number,
                        "from",
                        "invalid_format",
                        "overlaps_row",
                        f"the interval overlaps row {other.number} of the same enterprise",
                        {"other": other.number},
                    )
                )
                break
        earlier.setdefault(row.uscc, []).append(row)
    return errors, known


def _new_enterprise_errors(row: ListRow, first: ListRow) -> list[RowError]:
    assert row.uscc is not None
    if not uscc_valid(row.uscc):
        return [
            RowError(
                row.number,
                "uscc",
                "invalid_uscc",
                "invalid_uscc",
                f"{row.uscc!r} is not registered, and not a USCC with a valid check character "
                "(GB 32100-2015)",
            )
        ]
    errors = []
    for column, caption, value in (
        ("name", "企业名称", row.name),
        ("established_on", "成立日期", row.established_on),
    ):
        if value is None:
            errors.append(
                RowError(
                    row.number,
                    column,
                    "required",
                    f"new_needs_{column}",
                    f"{row.uscc} is not registered: registering it needs its {column} ({caption})",
                )
            )
    if (
        not errors
        and first is not row
        and (row.name, row.established_on)
        != (
            first.name,
            first.established_on,
        )
    ):
        errors.append(
            RowError(
                row.number,
                "name",
                "invalid_format",
                "differs_from_row",
                f"row {first.number} registers {row.uscc} with another name or 成立日期",
                {"other": first.number},
            )
        )
    return errors


# ===================================================================== the use case
@dataclass(frozen=True)
class ListImport:
    list_code: str
    filename: str
    sha256: str
    size_bytes: int
    file_format: str
    encoding: str | None
    header_row: int
    rows: int
    added: int
    changed: int
    unchanged: int
    enterprises_created: list[str]
    ignored_columns: list[str]

    def doc(self) -> dict[str, Any]:
        return {
            "list_code": self.list_code,
            "filename": self.filename,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "format": self.file_format,
            "encoding": self.encoding,
            "header_row": self.header_row,
            "rows": self.rows,
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "enterprises_created": list(self.enterprises_created),
            "ignored_columns": list(self.ignored_columns),
        }


def import_list(
    db: Session, list_code: str, upload: Spooled, filename: str, actor: str, today: dt.date
) -> ListImport:
    """Read, check and apply the file (module doc); audited as `enterprise_list.import`
    besides each enterprise registered and each membership added or changed. Refused: an
    unknown list (422 unknown_list), the file (FileRefused), its rows (ListImportRefused)."""
    locks.exclusive(db, enterprise_lists.list_lock(list_code))
    enterprise_lists.known_list(db, list_code)
    parsed = read_file(upload.file)
    checked, known = _check_rows(db, parsed.rows, {(e.row, e.column) for e in parsed.errors})
    errors = parsed.errors + checked
    if errors:
        raise ListImportRefused(errors)
    counts = {enterprise_lists.ADDED: 0, enterprise_lists.CHANGED: 0, enterprise_lists.UNCHANGED: 0}
    created: list[str] = []
    stored = enterprise_lists.memberships_of(db, list_code, [r.uscc for r in parsed.rows if r.uscc])
    for row in parsed.rows:
        assert row.uscc is not None and row.from_on is not None  # checked above
        if row.uscc not in known:
            registry.create_enterprise(
                db,
                {"uscc": row.uscc, "name": row.name, "established_on": row.established_on},
                actor,
                today,
            )
            known.add(row.uscc)
            created.append(row.uscc)
        try:
            change = enterprise_lists.apply_membership(
                db,
                list_code,
                row.uscc,
                row.from_on,
                row.to_on,
                stored.setdefault(row.uscc, []),
                actor,
            )
        except Conflict as conflict:
            code = conflict.code or "invalid_state"
            errors.append(
                RowError(row.number, "from", code, "overlaps_memberships", conflict.message)
            )
            continue
        counts[change.outcome] += 1
    if errors:
        raise ListImportRefused(errors)
    result = ListImport(
        list_code=list_code,
        filename=filename,
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        file_format=parsed.file_format,
        encoding=parsed.encoding,
        header_row=parsed.header_row,
        rows=len(parsed.rows),
        added=counts[enterprise_lists.ADDED],
        changed=counts[enterprise_lists.CHANGED],
        unchanged=counts[enterprise_lists.UNCHANGED],
        enterprises_created=created,
        ignored_columns=parsed.ignored_columns,
    )
    summary = result.doc()
    del summary["list_code"]
    audit.record(db, actor, "enterprise_list.import", "enterprise_list", list_code, None, summary)
    return result
