"""Batches: the list, one batch, its lines (filtered, in pages), its payees (with the name and
account the batch prints for each; filtered, sorted, in pages, with the batch's totals) and the
reason codes its lines carry; one line; claims; the names of payees.

The batch page's two tables find a payee the same way (`payee_matching`): by a piece of its
name, its USCC or bank code, or its bank's name, in any case."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, bindparam, func, or_, select
from sqlalchemy.orm import Session

from loanledger.domain.vocabulary import BatchStatus, PayeeType, PaymentStatus
from loanledger.persistence.tables import Bank, Batch, BatchPayee, Claim, Enterprise, Line
from loanledger.services.read.loans import enterprise_matching, like_escaped
from loanledger.services.read.paging import Page, keyset_page
from loanledger.services.read.sorting import NumberedPage, Sort, Sorts, numbered_page


def batches(
    db: Session, period: str | None = None, kind: str | None = None, status: str | None = None
) -> list[Row]:
    """Batches by period, subsidy before compensation."""
    stmt = select(Batch.__table__).order_by(Batch.period, Batch.kind.desc(), Batch.pool_code)
    for column, value in ((Batch.period, period), (Batch.kind, kind), (Batch.status, status)):
        if value:
            stmt = stmt.where(column == value)
    return list(db.execute(stmt).all())


BATCH_SORTS = Sorts(
    {
        "id": Batch.id,
        "period": Batch.period,
        "kind": Batch.kind,
        "status": Batch.status,
        "total": Batch.total_fen,
        "payees": Batch.payee_count,
        "lines": Batch.line_count,
        "publicity_ends_on": Batch.publicity_ends_on,
    },
    Sort("period", descending=True),  # the newest month first, subsidy before compensation
    [Batch.kind, Batch.id],
)


def batches_numbered(
    db: Session, page: int, sort: Sort = BATCH_SORTS.default, *, size: int
) -> NumberedPage:
    """Page `page` (from 1) of every batch in `sort` order, `size` a page (the dashboard)."""
    return numbered_page(db, select(Batch.__table__), BATCH_SORTS.order_by(sort), page, size)


def batch(db: Session, batch_id: int) -> Row | None:
    return db.execute(_BATCH, {"batch_id": batch_id}).one_or_none()


_BATCH = select(Batch.__table__).where(Batch.id == bindparam("batch_id"))  # every lines page


def line(db: Session, line_id: int) -> Row | None:
    return db.execute(select(Line.__table__).where(Line.id == line_id)).one_or_none()


# ------------------------------------------------------------------ a batch's lines
@dataclass(frozen=True)
class LineFilter:
    payee_id: str | None = None
    kind: str | None = None
    status: str | None = None
    payee: str | None = None  # a piece of the payee's name, USCC, bank code or bank name


def payee_matching(payee_id, q: str, *names) -> ColumnElement[bool]:
    """The payee in column `payee_id` (a USCC or a bank code) matches `q`: a piece of that id,
    of the enterprise's or the bank's name, or of one of `names` (e.g. the name a batch
    copied), in any case (`ilike` on both engines; % and _ are literal)."""
    pattern = "%" + like_escaped(q) + "%"
    return or_(
        enterprise_matching(payee_id, q),
        payee_id.in_(select(Bank.bank_code).where(Bank.name.ilike(pattern, escape="\\"))),
        *(name.ilike(pattern, escape="\\") for name in names),
    )


def _lines_of(batch_id: int, f: LineFilter, columns=(Line.__table__,)):
    stmt = select(*columns).where(Line.batch_id == batch_id)
    for column, value in (
        (Line.payee_id, f.payee_id),
        (Line.kind, f.kind),
        (Line.status, f.status),
    ):
        if value:
            stmt = stmt.where(column == value)
    if f.payee:
        stmt = stmt.where(payee_matching(Line.payee_id, f.payee))
    return stmt


def batch_lines(
    db: Session, batch_id: int, f: LineFilter, *, limit: int, cursor: str | None
) -> Page:
    """A keyset page of the batch's lines that pass the filter, in line order (the API):
    every column but the breakdown, which the page does not show (GET /lines/{id} does),
    and whose JSON would be decoded for every row."""
    stmt = _lines_of(batch_id, f, _PAGE_COLUMNS)
    return keyset_page(db, stmt, [Line.id], limit=limit, cursor=cursor)


_PAGE_COLUMNS = tuple(c for c in Line.__table__.c if c.key != "breakdown")


def _payee_name(payee_id):
    """The payee's current name (enterprise or bank) as a column to sort by."""
    return func.coalesce(
        select(Enterprise.name).where(Enterprise.uscc == payee_id).scalar_subquery(),
        select(Bank.name).where(Bank.bank_code == payee_id).scalar_subquery(),
        payee_id,
    )


LINE_SORTS = Sorts(
    {
        "id": Line.id,
        "kind": Line.kind,
        "payee": _payee_name(Line.payee_id),
        "contract_no": Line.contract_no,
        "period_start": Line.period_start,
        "interest": Line.interest_fen,
        "computed": Line.computed_fen,
        "capped": Line.capped_fen,
        "amount": Line.amount_fen,
        "status": Line.status,
    },
    Sort("id"),
    [Line.id],
)


def batch_lines_numbered(
    db: Session,
    batch_id: int,
    f: LineFilter,
    page: int,
    sort: Sort = LINE_SORTS.default,
    *,
    size: int,
) -> NumberedPage:
    """Page `page` (from 1) of the batch's lines that pass the filter, in `sort` order,
    `size` a page (the batch page)."""
    return numbered_page(db, _lines_of(batch_id, f), LINE_SORTS.order_by(sort), page, size)


def batch_reason_codes(db: Session, batch_id: int) -> list[str]:
    """The reason codes the batch's lines carry, in order of first appearance."""
    seen: dict[str, None] = {}
    for reasons in db.scalars(select(Line.reasons).where(Line.batch_id == batch_id)):
        for code in reasons or []:
            seen.setdefault(code, None)
    return list(seen)


# ------------------------------------------------------------------ payees
def batch_payees(db: Session, batch_id: int) -> list[Row]:
    return list(
        db.execute(
            select(BatchPayee.__table__)
            .where(BatchPayee.batch_id == batch_id)
            .order_by(BatchPayee.payee_id)
        ).all()
    )


def _shown_name(batch_status: str):
    """The name the batch prints for the payee (payees_shown) as a column to sort by."""
    current = _payee_name(BatchPayee.payee_id)
    if batch_status in PRINTS_THE_COPY:
        return func.coalesce(BatchPayee.payee_name, current)
    return current


PAYEE_COLUMNS = {
    "payee_id": BatchPayee.payee_id,
    "total": BatchPayee.total_fen,
    "pays": BatchPayee.pays_fen,
    "carried_out": BatchPayee.carried_out_fen,
    "payment_status": BatchPayee.payment_status,
    "paid_on": BatchPayee.paid_on,
    "reference": BatchPayee.reference,
}


def payee_sorts(batch_status: str) -> Sorts:
    """The payees table's sortable columns: its name is the one the batch prints."""
    return Sorts(
        {"name": _shown_name(batch_status), **PAYEE_COLUMNS},
        Sort("name"),
        [BatchPayee.payee_id],
    )


def _payees_of(batch_id: int, batch_status: str, q: str | None):
    stmt = select(BatchPayee.__table__).where(BatchPayee.batch_id == batch_id)
    if q:
        copied = (BatchPayee.payee_name,) if batch_status in PRINTS_THE_COPY else ()
        stmt = stmt.where(payee_matching(BatchPayee.payee_id, q, *copied))
    return stmt


def batch_payees_numbered(
    db: Session,
    batch: Row,
    q: str | None,
    page: int,
    sort: Sort | None = None,
    *,
    size: int,
    to_pay: bool = False,
) -> NumberedPage:
    """Page `page` of the batch's payees matching `q` (payee_matching; all when None), in
    `sort` order (by the name the batch prints unless asked), `size` a page; with `to_pay`
    only those with something to pay (the payments page: not payment_status none)."""
    sorts = payee_sorts(batch.status)
    stmt = _payees_of(batch.id, batch.status, q)
    if to_pay:
        stmt = stmt.where(BatchPayee.payment_status != PaymentStatus.NONE)
    return numbered_page(db, stmt, sorts.order_by(sort or sorts.default), page, size)


def batch_pending_payees(db: Session, batch_id: int) -> int:
    """How many of the batch's payees wait for their payment result (every page of them)."""
    return int(
        db.scalar(
            select(func.count(BatchPayee.id)).where(
                BatchPayee.batch_id == batch_id,
                BatchPayee.payment_status == PaymentStatus.PENDING,
            )
        )
        or 0
    )


@dataclass(frozen=True)
class PayeeTotals:
    count: int
    total_fen: int
    pays_fen: int
    carried_out_fen: int


def batch_payee_totals(db: Session, batch_id: int) -> PayeeTotals:
    """Σ of every payee of the batch (the figures above its paged table)."""
    count, total, pays, carried = db.execute(
        select(
            func.count(BatchPayee.id),
            func.coalesce(func.sum(BatchPayee.total_fen), 0),
            func.coalesce(func.sum(BatchPayee.pays_fen), 0),
            func.coalesce(func.sum(BatchPayee.carried_out_fen), 0),
        ).where(BatchPayee.batch_id == batch_id)
    ).one()
    return PayeeTotals(int(count), int(total), int(pays), int(carried))


def batch_payees_page(db: Session, batch_id: int, *, limit: int, cursor: str | None) -> Page:
    return keyset_page(
        db,
        select(BatchPayee.__table__).where(BatchPayee.batch_id == batch_id),
        [BatchPayee.id],
        limit=limit,
        cursor=cursor,
    )


def batch_payees_of(db: Session, batch_id: int, payee_ids: Iterable[str]) -> list[Row]:
    """The batch's payees among `payee_ids` (those a page of its lines names)."""
    ids = sorted(set(payee_ids))
    rows: list[Row] = []
    for i in range(0, len(ids), 900):
        rows += db.execute(
            select(BatchPayee.__table__).where(
                BatchPayee.batch_id == batch_id, BatchPayee.payee_id.in_(ids[i : i + 900])
            )
        ).all()
    return rows


def batch_payee(db: Session, batch_id: int, payee_id: str) -> Row | None:
    return db.execute(
        select(BatchPayee.__table__).where(
            BatchPayee.batch_id == batch_id, BatchPayee.payee_id == payee_id
        )
    ).one_or_none()


# What the batch prints for a payee (domain.md §7 v2): a submitted batch prints the name and
# account copied at submission (services.payouts.submit); a batch not yet submitted (or
# rejected back to ready) prints the payee's current ones.
PRINTS_THE_COPY = frozenset(
    {
        BatchStatus.SUBMITTED,
        BatchStatus.APPROVED,
        BatchStatus.PARTIALLY_PAID,
        BatchStatus.PAID,
    }
)
# In flight: submitted or approved, not fully paid; an account changed since is noted.
IN_FLIGHT = frozenset({BatchStatus.SUBMITTED, BatchStatus.APPROVED, BatchStatus.PARTIALLY_PAID})


@dataclass(frozen=True)
class PayeeAccount:
    holder: str | None
    number: str
    bank_name: str | None

    def wire(self) -> dict[str, str | None]:
        return {"holder": self.holder, "number": self.number, "bank_name": self.bank_name}


@dataclass(frozen=True)
class PayeeShown:
    name: str
    account: PayeeAccount | None
    # the enterprise's account now differs from the one copied at submission (in flight only)
    account_changed: bool = False


def _account(holder: str | None, number: str | None, bank_name: str | None):
    return None if number is None else PayeeAccount(holder, number, bank_name)


def payees_shown(db: Session, batch_status: str, payees: Iterable[Row]) -> dict[str, PayeeShown]:
    """payee id → the name and account the batch prints for it, for rows of batch_payees of
    one batch (the API's GET /batches/{id}/payees, the batch page, the voucher)."""
    payees = list(payees)
    ids = sorted({p.payee_id for p in payees})
    current: dict[str, Row] = {}
    banks: dict[str, str] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        current.update(
            (row.uscc, row)
            for row in db.execute(
                select(
                    Enterprise.uscc,
                    Enterprise.name,
                    Enterprise.account_holder,
                    Enterprise.account_number,
                    Enterprise.account_bank_name,
                ).where(Enterprise.uscc.in_(chunk))
            )
        )
        banks.update(
            db.execute(select(Bank.bank_code, Bank.name).where(Bank.bank_code.in_(chunk))).all()
        )
    copied = batch_status in PRINTS_THE_COPY
    shown: dict[str, PayeeShown] = {}
    for p in payees:
        now = current.get(p.payee_id) if p.payee_type == PayeeType.ENTERPRISE else None
        now_account = (
            _account(now.account_holder, now.account_number, now.account_bank_name)
            if now is not None
            else None
        )
        now_name = now.name if now is not None else banks.get(p.payee_id, p.payee_id)
        if copied and p.payee_name is not None:
            account = _account(p.account_holder, p.account_number, p.account_bank_name)
            shown[p.payee_id] = PayeeShown(
                p.payee_name,
                account,
                batch_status in IN_FLIGHT and now is not None and now_account != account,
            )
        else:
            shown[p.payee_id] = PayeeShown(now_name, now_account)
    return shown


def payee_names(db: Session, payee_ids: Iterable[str]) -> dict[str, str]:
    """payee id (USCC or bank code) → name; unknown ids are absent."""
    ids = sorted(set(payee_ids))
    names: dict[str, str] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        names.update(
            db.execute(
                select(Enterprise.uscc, Enterprise.name).where(Enterprise.uscc.in_(chunk))
            ).all()
        )
        names.update(
            db.execute(select(Bank.bank_code, Bank.name).where(Bank.bank_code.in_(chunk))).all()
        )
    return names


def batch_kinds(db: Session, batch_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(batch_ids))
    if not ids:
        return {}
    return dict(db.execute(select(Batch.id, Batch.kind).where(Batch.id.in_(ids))).all())


# ------------------------------------------------------------------ claims
def claims(db: Session, period: str | None = None, *, limit: int, cursor: str | None) -> Page:
    """A page of claims (rows) in claim order, of one period or all."""
    stmt = select(Claim.__table__)
    if period:
        stmt = stmt.where(Claim.period == period)
    return keyset_page(db, stmt, [Claim.id], limit=limit, cursor=cursor)
