"""GET /batches/{batch_id}/payment-file.xlsx and .csv: an approved batch as the payment file
the bureau hands to 国库集中支付 (api.md, "what the bureau publishes and sends").

One row per payee still to be paid (payment status `pending`): a payee already paid, or
whose payment failed (carried into a later batch), is not paid by this file, and a payee
with nothing to pay never was. Each row carries the name and account copied at submission
(`batch_payees`, domain.md §7 v2) — never the enterprise's current account — the amount in
figures and in 大写 (`domain.capitals`, as on the voucher), the purpose (用途), the batch and
a reference per row (the voucher's number). A last row, 合计, holds the count and the sum.

The `收款人代码` column (USCC, or a bank's code) is the column the return file
(`services.payment_results`) reads the payee from, so the treasury can send the file back
with its results added. Only for a batch that has been approved and is not fully paid
(409 `invalid_state` otherwise, or when nothing is left to pay). Each download is audited
(`batch.payment_file_downloaded`): it hands out bank accounts.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from loanledger.domain.capitals import yuan_in_capitals
from loanledger.domain.money import format_fen
from loanledger.domain.pools import SZD
from loanledger.domain.vocabulary import BatchKind, BatchStatus, PaymentStatus
from loanledger.services import audit, read
from loanledger.services.errors import Conflict, NotFound
from loanledger.services.spreadsheets import spreadsheet_safe

PAYABLE = (BatchStatus.APPROVED, BatchStatus.PARTIALLY_PAID)
ENCODINGS = ("utf-8", "gb18030")  # utf-8 is written with a BOM, so that Excel reads it as such
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTAL = "合计"
COLUMNS = (
    "序号",
    "收款人代码",
    "收款人名称",
    "收款账户名称",
    "收款账号",
    "开户银行",
    "金额（元）",
    "金额大写",
    "用途",
    "批次号",
    "业务参考号",
)
# 用途 by purpose_key: the payment file is Chinese whatever the page's language (the voucher
# shows the same keys through web.i18n's "voucher.purpose_<key>").
PURPOSES: dict[str, str] = {
    "subsidy": "数字贷贷款贴息资金",
    "compensation": "数字贷风险补偿资金",
    "pool_claim": "%(pool)s代偿资金",
}


@dataclass(frozen=True)
class PaymentRow:
    number: int
    payee_id: str
    name: str
    holder: str
    account_number: str
    bank_name: str
    amount_fen: int
    purpose: str
    batch_id: int
    reference: str  # the voucher's number (bureau/voucher.html): period-batch-payee row

    def cells(self) -> list[Any]:
        return [
            self.number,
            self.payee_id,
            self.name,
            self.holder,
            self.account_number,
            self.bank_name,
            format_fen(self.amount_fen),
            yuan_in_capitals(self.amount_fen),
            self.purpose,
            self.batch_id,
            self.reference,
        ]


@dataclass(frozen=True)
class PaymentFile:
    batch_id: int
    period: str
    rows: list[PaymentRow]

    @property
    def total_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows)

    def total_cells(self) -> list[Any]:
        total = self.total_fen
        return [
            TOTAL,
            "",
            f"共 {len(self.rows)} 笔",
            "",
            "",
            "",
            format_fen(total),
            yuan_in_capitals(total),
            "",
            self.batch_id,
            "",
        ]

    def filename(self, suffix: str) -> str:
        return f"payment-file-{self.batch_id}.{suffix}"


def purpose_key(kind: str, pool_code: str | None) -> str:
    """What a batch pays for, the one decision behind 用途 (payment file and voucher): 数字贷's
    interest subsidy, 数字贷's risk compensation (pool SZD), or another pool's 代偿 to the
    banks (助保贷's ZBD), which names that pool."""
    if kind == BatchKind.SUBSIDY:
        return "subsidy"
    return "compensation" if pool_code in (None, SZD) else "pool_claim"


def purpose(kind: str, period: str, pool_code: str | None, pool_name: str | None = None) -> str:
    """用途 as the voucher words it: the month and what it pays for (purpose_key)."""
    words = PURPOSES[purpose_key(kind, pool_code)] % {"pool": pool_name or pool_code}
    return f"{period} {words}"


def payment_file(db: Session, batch_id: int) -> PaymentFile:
    """The rows to pay (module doc); NotFound, or Conflict when there is nothing to pay."""
    batch = read.batch(db, batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id}")
    if batch.status not in PAYABLE:
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; a payment file is made for an approved "
            "batch that is not fully paid",
            "status",
        )
    payees = [
        p for p in read.batch_payees(db, batch.id) if p.payment_status == PaymentStatus.PENDING
    ]
    if not payees:
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} has no payee left to pay (each is paid or failed)",
            "status",
        )
    shown = read.payees_shown(db, batch.status, payees)
    pool = read.risk_pool(db, batch.pool_code) if batch.pool_code else None
    words = purpose(batch.kind, batch.period, batch.pool_code, pool.name if pool else None)
    rows = []
    for number, p in enumerate(payees, start=1):
        payee = shown[p.payee_id]
        account = payee.account
        rows.append(
            PaymentRow(
                number=number,
                payee_id=p.payee_id,
                name=payee.name,
                holder=(account.holder or "") if account else "",
                account_number=account.number if account else "",
                bank_name=(account.bank_name or "") if account else "",
                amount_fen=p.pays_fen,
                purpose=words,
                batch_id=batch.id,
                reference=f"{batch.period.replace('-', '')}-{batch.id}-{p.id}",
            )
        )
    return PaymentFile(batch.id, batch.period, rows)


def record_download(db: Session, doc: PaymentFile, actor: str, file_format: str) -> None:
    """A clerk who took the accounts out of the service is something an auditor wants to see."""
    audit.record(
        db,
        actor,
        "batch.payment_file_downloaded",
        "batch",
        str(doc.batch_id),
        None,
        {"format": file_format, "payees": len(doc.rows), "total": format_fen(doc.total_fen)},
    )


# ------------------------------------------------------------------ writing
def _text(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula is defused; numbers stay."""
    return spreadsheet_safe(value) if isinstance(value, str) else value


def to_csv(doc: PaymentFile, encoding: str = "utf-8") -> bytes:
    """CSV: UTF-8 with a BOM (Excel then reads it as UTF-8), or GB18030 without one."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in doc.rows:
        writer.writerow([_text(v) for v in row.cells()])
    writer.writerow([_text(v) for v in doc.total_cells()])
    if encoding == "gb18030":
        return out.getvalue().encode("gb18030")
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


# Columns written as numbers (序号, 金额, 批次号); every other one is a text cell, so that an
# account number keeps every digit.
_NUMBER_COLUMNS = {0: "0", 6: "#,##0.00", 9: "0"}


def to_xlsx(doc: PaymentFile) -> bytes:
    """One sheet 付款清单: the header on row 1, a row per payee, the 合计 row last."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet, active
    sheet.title = "付款清单"
    for column, caption in enumerate(COLUMNS, start=1):
        head = sheet.cell(row=1, column=column, value=caption)
        head.font, head.fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        sheet.column_dimensions[head.column_letter].width = max(10, 2 * len(caption) + 4)
    for letter, width in (("C", 34), ("D", 34), ("E", 24), ("F", 24), ("H", 40), ("I", 28)):
        sheet.column_dimensions[letter].width = width
    lines = [row.cells() for row in doc.rows] + [doc.total_cells()]
    for number, cells in enumerate(lines, start=2):
        for position, value in enumerate(cells):
            cell = sheet.cell(row=number, column=position + 1)
            if position in _NUMBER_COLUMNS and value != TOTAL:
                # Decimal, not float: the cell holds the amount exactly as the figures say.
                cell.value = Decimal(value) if position == 6 else value
                cell.number_format = _NUMBER_COLUMNS[position]
            else:
                cell.value = _text(value)
                cell.number_format = "@"
        if cells[0] == TOTAL:
            for position in range(len(cells)):
                sheet.cell(row=number, column=position + 1).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
