"""POST /batches/{batch_id}/payment-results: the bank's (or the treasury's) return file of a
payment file, a CSV (UTF-8 with or without BOM, or GB18030) or an XLSX with one row per
payee, recorded as `POST /batches/{batch_id}/payments` records it (`payouts.record_payments`).

Columns, found by their header (the first of the first five rows naming the payee column),
in any order; names compared as the 名录库 import compares them (`list_import.header_key`):

| field | headers | |
|---|---|---|
| `payee` | payee, payee_id, 收款人代码, 统一社会信用代码, 收款人编号, 银行代码 | required: what the payment file's 收款人代码 holds |
| `status` | status, 支付状态, 状态, 支付结果, 结果 | required: paid / failed, 成功 / 失败, 已支付 / 支付失败 … |
| `paid_on` | paid_on, 支付日期, 付款日期, 交易日期 | required when paid |
| `reference` | reference, 银行流水号, 支付流水号, 流水号, 交易流水号 | required when paid |
| `reason` | reason, failure_reason, 失败原因, 退票原因, 备注 | kept with the reference of a failed payment |
| `amount` | amount, 金额, 支付金额, 付款金额 | when given, must be what the batch pays the payee |

Other columns (the payment file's 序号, 收款人名称, 收款账号…) are ignored; so is its 合计
row. So the payment file itself, with 支付状态, 支付日期 and 银行流水号 filled in, is a
return file.

All or nothing: every row is checked first — its cells, then against the batch (a payee
unknown or not of this batch, with nothing to pay, listed twice, an amount that differs, a
result other than the one already recorded, paid_on in the future or before the approval)
— and one bad row refuses the file with every row's errors in Chinese (`ResultsRefused`,
422, each naming its spreadsheet row and column); nothing is recorded. A file wrong as a
whole is `FileRefused`, as for every import. Otherwise the rows go through
`payouts.record_payments` in the caller's one transaction. The same file sent again
changes nothing: every row is `unchanged` and nothing is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError
from loanledger.domain.money import format_fen, parse_yuan
from loanledger.domain.vocabulary import BatchStatus, PaymentStatus
from loanledger.services import audit, payouts, read
from loanledger.services.errors import Conflict, NotFound
from loanledger.services.imports import Spooled
from loanledger.services.list_import import (
    MAX_ROWS,
    Layout,
    check_header,
    header_key,
    parse_date,
    read_file_as,
    refused_rows,
)
from loanledger.services.spreadsheets import CellError, Reader

FIELDS = ("payee", "status", "paid_on", "reference", "reason", "amount")
REQUIRED = ("payee", "status")
HEADERS: dict[str, tuple[str, ...]] = {
    "payee": ("payee", "payee_id", "收款人代码", "统一社会信用代码", "收款人编号", "银行代码"),
    "status": ("status", "支付状态", "状态", "支付结果", "结果"),
    "paid_on": ("paid_on", "支付日期", "付款日期", "交易日期"),
    "reference": ("reference", "银行流水号", "支付流水号", "流水号", "交易流水号"),
    "reason": ("reason", "failure_reason", "失败原因", "退票原因", "备注"),
    "amount": ("amount", "金额", "支付金额", "付款金额"),
}
CAPTIONS = {
    "payee": "收款人代码",
    "status": "支付状态",
    "paid_on": "支付日期",
    "reference": "银行流水号",
    "reason": "失败原因",
    "amount": "金额",
}
COLUMN_KINDS = {
    "payee": "identifier",  # an 18-character USCC as a number cell has lost digits: refused
    "status": "text",
    "paid_on": "date",
    "reference": "identifier",
    "reason": "text",
    "amount": "money",
}
STATUS_WORDS = {
    PaymentStatus.PAID: ("paid", "成功", "已支付", "支付成功", "付款成功", "已付款"),
    PaymentStatus.FAILED: ("failed", "失败", "支付失败", "付款失败", "退票"),
}
MAX_REFERENCE = 255  # batch_payees.reference
MAX_PROBLEMS = 1000
TOTAL_ROW = "合计"
_STATUS = {word.lower(): status for status, words in STATUS_WORDS.items() for word in words}
_ALIASES = {alias.lower(): name for name, aliases in HEADERS.items() for alias in aliases}

# Why a row is refused, in Chinese (the API's message; web/i18n.py has the same sentences
# for the pages, in either language): reason → (code, sentence with %(…)s arguments).
REASONS: dict[str, tuple[str, str]] = {
    "cell": (
        "invalid_format",
        "单元格无法读取：收款人代码和流水号须为文本格式，日期须为日期或文本 YYYY-MM-DD，金额须为数字。",
    ),
    "required": ("required", "必填项为空。"),
    "bad_status": (
        "invalid_format",
        "无法识别的支付状态“%(value)s”：应为 paid/failed、成功/失败 或 已支付/支付失败。",
    ),
    "bad_date": (
        "invalid_format",
        "不是有效的日期，应为 YYYY-MM-DD（或 2024/1/1、2024年1月1日）。",
    ),
    "bad_amount": ("invalid_format", "不是有效的金额（单位元，最多两位小数）。"),
    "too_long": ("invalid_format", "银行流水号和失败原因合计超过255个字符。"),
    "paid_needs_date": ("required", "已支付的须填写支付日期。"),
    "paid_needs_reference": ("required", "已支付的须填写银行流水号。"),
    "future_date": ("future_date", "支付日期 %(date)s 晚于当前业务日期 %(today)s。"),
    "before_approval": (
        "invalid_format",
        "支付日期 %(date)s 早于批次的审批日期 %(approved_on)s。",
    ),
    "unknown_payee": ("unknown_target", "收款人 %(payee)s 不存在（不是已登记的企业或银行）。"),
    "not_in_batch": ("unknown_target", "收款人 %(payee)s 不在本批次中。"),
    "nothing_to_pay": ("invalid_state", "收款人 %(payee)s 在本批次中无需支付。"),
    "duplicate": ("invalid_format", "与第 %(other)s 行是同一收款人。"),
    "amount_mismatch": (
        "invalid_format",
        "金额 %(given)s 与本批次应付该收款人的 %(expected)s 不符。",
    ),
    "already_recorded": (
        "invalid_state",
        "该收款人的支付结果已登记（%(recorded)s %(paid_on)s %(reference)s），与文件不同，不能更改。",
    ),
}


# ===================================================================== row problems
@dataclass(frozen=True)
class RowError:
    """One problem of one row: `reason` names its sentence (REASONS), with `args`."""

    row: int
    column: str | None
    reason: str
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return REASONS[self.reason][0]

    @property
    def sentence(self) -> str:
        text = REASONS[self.reason][1]
        if not self.args:
            return text
        args = dict(self.args)
        if "recorded" in args:  # a payment status, in words
            args["recorded"] = STATUS_WORDS[args["recorded"]][2]
        return text % args

    def problem(self) -> dict[str, Any]:
        path = f"rows[{self.row}]" + (f".{self.column}" if self.column else "")
        where = f"第 {self.row} 行" + (f" {CAPTIONS[self.column]}" if self.column else "")
        return {"field": path, "code": self.code, "message": f"{where}：{self.sentence}"}


class ResultsRefused(DomainError):
    """Rows of the return file are refused, so the whole file is (422): `errors`, every one
    of them in row order; the answer lists the first MAX_PROBLEMS."""

    def __init__(self, errors: list[RowError]):
        self.errors = sorted(errors, key=lambda e: (e.row, FIELDS.index(e.column or "payee")))
        shown = [e.problem() for e in self.errors[:MAX_PROBLEMS]]
        super().__init__(
            self.errors[0].code,
            shown[0]["message"],
            shown[0]["field"],
            **refused_rows(self.errors, shown, "the return file", "no payment was recorded"),
        )


# ===================================================================== reading the file
@dataclass
class ResultRow:
    number: int  # as the spreadsheet numbers it
    payee: str | None = None
    status: str | None = None
    paid_on: dt.date | None = None
    reference: str | None = None
    reason: str | None = None
    amount_fen: int | None = None

    def stored_reference(self) -> str | None:
        """What batch_payees.reference keeps: the bank's reference, and why a payment failed
        (there is no column of its own for the reason)."""
        return payouts.stored_reference(self.reference, self.reason)


@dataclass
class ResultsFile:
    rows: list[ResultRow]
    errors: list[RowError]
    header_row: int
    ignored_columns: list[str]
    file_format: str
    encoding: str | None


def _check_header(names: list[str | None], number: int) -> None:
    check_header(names, number, captions=CAPTIONS, headers=HEADERS, required=REQUIRED)


def _value(row: ResultRow, name: str, value: str) -> RowError | None:
    """Sets the row's field from a cell's text; the cell's error, if it is refused."""
    if name == "status":
        status = _STATUS.get(value.lower())
        if status is None:
            return RowError(row.number, name, "bad_status", {"value": value[:40]})
        row.status = status
    elif name == "paid_on":
        row.paid_on = parse_date(value)
        if row.paid_on is None:
            return RowError(row.number, name, "bad_date")
    elif name == "amount":
        try:
            row.amount_fen = parse_yuan(value.replace(",", "").removeprefix("¥"))
        except ValueError:
            return RowError(row.number, name, "bad_amount")
    else:
        setattr(row, name, value)
    return None


def _row(
    reader: Reader, number: int, names: list[str | None], cells: list[Any]
) -> tuple[ResultRow, list[RowError]]:
    row, errors = ResultRow(number), []
    for position, raw in enumerate(cells[: len(names)]):
        name = names[position]
        if name is None:
            continue
        try:
            value = reader.value(COLUMN_KINDS[name], raw)
        except CellError:
            errors.append(RowError(number, name, "cell"))
            continue
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            continue
        error = _value(row, name, str(value))
        if error is not None:
            errors.append(error)
    refused = {e.column for e in errors}
    errors += [
        RowError(number, name, "required")
        for name in REQUIRED
        if getattr(row, name) is None and name not in refused
    ]
    if row.status == PaymentStatus.PAID:
        if row.paid_on is None and "paid_on" not in refused:
            errors.append(RowError(number, "paid_on", "paid_needs_date"))
        if not row.reference and "reference" not in refused:
            errors.append(RowError(number, "reference", "paid_needs_reference"))
    stored = row.stored_reference()
    if stored is not None and len(stored) > MAX_REFERENCE:
        errors.append(RowError(number, "reference", "too_long"))
    return row, errors


def _is_total_row(reader: Reader, names: list[str | None], cells: list[Any]) -> bool:
    """The payment file's 合计 row, sent back with the rest: no payee, 合计 in a cell."""
    payee = names.index("payee")
    if payee < len(cells) and not reader.blank(cells[payee]):
        return False
    return any(reader.text(raw) == TOTAL_ROW for raw in cells)


def read_file(source: IO[bytes]) -> ResultsFile:
    """The file's rows and each row's own errors (not yet what the batch says)."""
    return read_file_as(source, LAYOUT, ResultsFile)


LAYOUT: Layout[ResultRow, RowError] = Layout(
    field_of=lambda text: _ALIASES.get(header_key(text)),
    key_field="payee",
    example="收款人代码 (payee) and 支付状态 (status)",
    check=_check_header,
    row=_row,
    max_rows=MAX_ROWS,
    too_many_code="too_many_rows",
    skip=_is_total_row,
)


# ===================================================================== checking against the batch
def _check_rows(
    db: Session, batch, rows: list[ResultRow], today: dt.date, refused: set[tuple[int, str]]
) -> list[RowError]:
    payees = {p.payee_id: p for p in read.batch_payees(db, batch.id)}
    strangers = {r.payee for r in rows if r.payee and r.payee not in payees}
    known = set(read.payee_names(db, strangers)) if strangers else set()
    errors: list[RowError] = []
    first_row: dict[str, int] = {}

    def error(row: ResultRow, column: str, reason: str, **args: Any) -> None:
        if (row.number, column) not in refused:
            errors.append(RowError(row.number, column, reason, args))

    for row in rows:
        if row.paid_on is not None and row.paid_on > today:
            error(row, "paid_on", "future_date", date=row.paid_on, today=today)
        elif row.paid_on is not None and batch.approved_on and row.paid_on < batch.approved_on:
            error(
                row, "paid_on", "before_approval", date=row.paid_on, approved_on=batch.approved_on
            )
        if row.payee is None:
            continue
        if row.payee in first_row:
            error(row, "payee", "duplicate", other=first_row[row.payee])
            continue
        first_row[row.payee] = row.number
        payee = payees.get(row.payee)
        if payee is None:
            reason = "not_in_batch" if row.payee in known else "unknown_payee"
            error(row, "payee", reason, payee=row.payee)
            continue
        if payee.payment_status == PaymentStatus.NONE:
            error(row, "payee", "nothing_to_pay", payee=row.payee)
            continue
        if row.amount_fen is not None and row.amount_fen != payee.pays_fen:
            error(
                row,
                "amount",
                "amount_mismatch",
                given=format_fen(row.amount_fen),
                expected=format_fen(payee.pays_fen),
            )
        if payee.payment_status != PaymentStatus.PENDING and row.status is not None:
            recorded = (payee.payment_status, payee.paid_on, payee.reference)
            if recorded != (row.status, row.paid_on, row.stored_reference()):
                error(
                    row,
                    "status",
                    "already_recorded",
                    recorded=payee.payment_status,
                    paid_on=payee.paid_on or "",
                    reference=payee.reference or "",
                )
    return errors


# ===================================================================== the use case
@dataclass(frozen=True)
class ResultsImport:
    batch_id: int
    batch_status: str
    filename: str
    sha256: str
    size_bytes: int
    file_format: str
    encoding: str | None
    header_row: int
    rows: int
    paid: int
    failed: int
    unchanged: int
    ignored_columns: list[str]

    def doc(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "batch_status": self.batch_status,
            "filename": self.filename,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "format": self.file_format,
            "encoding": self.encoding,
            "header_row": self.header_row,
            "rows": self.rows,
            "paid": self.paid,
            "failed": self.failed,
            "unchanged": self.unchanged,
            "ignored_columns": list(self.ignored_columns),
        }


def import_results(
    db: Session, batch_id: int, upload: Spooled, filename: str, actor: str, today: dt.date
) -> ResultsImport:
    """Read, check and record the file (module doc). Refused: an unknown batch (404), a
    batch not approved (409 invalid_state), the file (FileRefused), its rows
    (ResultsRefused). Audited as `batch.payment_results` (besides each payment) when it
    recorded anything."""
    batch = read.batch(db, batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id}")
    if batch.status not in (*payouts.APPROVED, BatchStatus.PAID):
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; payments are recorded for an approved batch",
            "status",
        )
    parsed = read_file(upload.file)
    refused = {(e.row, e.column or "") for e in parsed.errors}
    errors = parsed.errors + _check_rows(db, batch, parsed.rows, today, refused)
    if errors:
        raise ResultsRefused(errors)
    pending = {
        p.payee_id
        for p in read.batch_payees(db, batch.id)
        if p.payment_status == PaymentStatus.PENDING
    }
    results = [
        payouts.PaymentResult(r.payee, r.status, r.paid_on, r.stored_reference())
        for r in parsed.rows
        if r.payee is not None and r.status is not None
    ]
    after = payouts.record_payments(db, batch.id, results, actor, today)
    recorded = [r for r in results if r.payee_id in pending]
    result = ResultsImport(
        batch_id=batch.id,
        batch_status=after.status,
        filename=filename,
        sha256=upload.sha256,
        size_bytes=upload.size_bytes,
        file_format=parsed.file_format,
        encoding=parsed.encoding,
        header_row=parsed.header_row,
        rows=len(parsed.rows),
        paid=sum(r.status == PaymentStatus.PAID for r in recorded),
        failed=sum(r.status == PaymentStatus.FAILED for r in recorded),
        unchanged=len(results) - len(recorded),
        ignored_columns=parsed.ignored_columns,
    )
    if recorded:
        summary = result.doc()
        del summary["batch_id"]
        audit.record(db, actor, "batch.payment_results", "batch", str(batch.id), None, summary)
    return result
