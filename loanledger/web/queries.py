"""Read-only queries the pages need and no service offers yet. They only SELECT; every
change goes through a service (close, payouts, objections)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from loanledger.domain.dates import next_period
from loanledger.persistence.tables import Bank, Batch, BatchPayee, Enterprise, Line, Loan, Objection, Period

PAGE_SIZE = 200
CHART_MONTHS = 24


# ------------------------------------------------------------------ periods and batches
def period_names(db: Session) -> list[str]:
    """Every period with a row, and the one after the last (as GET /periods lists them)."""
    names = list(db.scalars(select(Period.period).order_by(Period.period)))
    if names and next_period(names[-1]) not in names:
        names.append(next_period(names[-1]))
    return names


def next_closable(db: Session, today: dt.date) -> str:
    """The month a clerk closes next: after the last closed one; before any, last month."""
    last = db.scalar(select(func.max(Period.period)).where(Period.status == "closed"))
    if last:
        return next_period(last)
    first_of_month = today.replace(day=1)
    previous = first_of_month - dt.timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def all_batches(db: Session) -> list[Batch]:
    return list(db.scalars(select(Batch).order_by(Batch.period.desc(), Batch.kind.desc())))


@dataclass(frozen=True)
class MonthTotals:
    period: str
    subsidy_fen: int
    compensation_fen: int


def monthly_totals(db: Session) -> list[MonthTotals]:
    """What each closed month's batches pay, by kind (the chart), oldest first."""
    rows = db.execute(select(Batch.period, Batch.kind, Batch.total_fen))
    by_period: dict[str, dict[str, int]] = {}
    for period, kind, total_fen in rows:
        by_period.setdefault(period, {})[kind] = int(total_fen)
    for period in db.scalars(select(Period.period).where(Period.status == "closed")):
        by_period.setdefault(period, {})
    months = sorted(by_period)[-CHART_MONTHS:]
    return [MonthTotals(p, by_period[p].get("subsidy", 0), by_period[p].get("compensation", 0)) for p in months]


# ------------------------------------------------------------------ lines
@dataclass(frozen=True)
class LineFilter:
    payee_id: str | None = None
    kind: str | None = None
    status: str | None = None


def _filtered(stmt, f: LineFilter):
    if f.payee_id:
        stmt = stmt.where(Line.payee_id == f.payee_id)
    if f.kind:
        stmt = stmt.where(Line.kind == f.kind)
    if f.status:
        stmt = stmt.where(Line.status == f.status)
    return stmt


def batch_lines(db: Session, batch_id: int, f: LineFilter, page: int) -> tuple[list[Line], int]:
    base = _filtered(select(Line).where(Line.batch_id == batch_id), f)
    count = db.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.scalars(base.order_by(Line.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return list(rows), int(count or 0)


def batch_reason_codes(db: Session, batch_id: int) -> list[str]:
    seen: dict[str, None] = {}
    for reasons in db.scalars(select(Line.reasons).where(Line.batch_id == batch_id)):
        for code in reasons or []:
            seen.setdefault(code, None)
    return list(seen)


def batch_payee(db: Session, batch_id: int, payee_id: str) -> BatchPayee | None:
    return db.scalar(select(BatchPayee).where(BatchPayee.batch_id == batch_id, BatchPayee.payee_id == payee_id))


def batch_payees(db: Session, batch_id: int) -> list[BatchPayee]:
    return list(db.scalars(select(BatchPayee).where(BatchPayee.batch_id == batch_id).order_by(BatchPayee.payee_id)))


def open_objections_by_line(db: Session, line_ids: Iterable[int]) -> dict[int, Objection]:
    ids = list(line_ids)
    if not ids:
        return {}
    rows = db.scalars(select(Objection).where(Objection.line_id.in_(ids), Objection.status == "open"))
    return {o.line_id: o for o in rows}


def payee_names(db: Session, payee_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(payee_ids))
    if not ids:
        return {}
    names: dict[str, str] = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        names.update(db.execute(select(Enterprise.uscc, Enterprise.name).where(Enterprise.uscc.in_(chunk))).all())
        names.update(db.execute(select(Bank.bank_code, Bank.name).where(Bank.bank_code.in_(chunk))).all())
    return names


# ------------------------------------------------------------------ objections
def objections(db: Session, status: str | None = None, uscc: str | None = None,
               batch_id: int | None = None) -> list[tuple[Objection, Line]]:
    stmt = select(Objection, Line).join(Line, Line.id == Objection.line_id)
    if batch_id is not None:
        stmt = stmt.where(Objection.batch_id == batch_id)
    if status:
        stmt = stmt.where(Objection.status == status)
    if uscc:
        stmt = stmt.where(Objection.uscc == uscc)
    return list(db.execute(stmt.order_by(Objection.id.desc()).limit(1000)).all())


# ------------------------------------------------------------------ registry
def enterprises(db: Session, q: str | None, limit: int = 500) -> list[Enterprise]:
    stmt = select(Enterprise).order_by(Enterprise.name, Enterprise.uscc)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Enterprise.name.like(pattern, escape="\\"), Enterprise.uscc.like(pattern, escape="\\")))
    return list(db.scalars(stmt.limit(limit)))


def find_loan(db: Session, bank_code: str, contract_no: str) -> Loan | None:
    return db.scalar(select(Loan).where(Loan.bank_code == bank_code, Loan.contract_no == contract_no))


# ------------------------------------------------------------------ an enterprise's own
def my_loans(db: Session, uscc: str) -> list[Loan]:
    return list(db.scalars(select(Loan).where(Loan.uscc == uscc).order_by(Loan.start_date, Loan.bank_code,
                                                                          Loan.contract_no)))


def _my_lines_clause(uscc: str, loans: list[Loan]):
    own = and_(Line.payee_type == "enterprise", Line.payee_id == uscc)
    keys = [(loan.bank_code, loan.contract_no) for loan in loans]
    if not keys:
        return own
    # Lines about the enterprise's loans paid to its bank (policy payee "bank") are its too.
    return or_(own, tuple_(Line.bank_code, Line.contract_no).in_(keys))


def my_lines(db: Session, uscc: str, loans: list[Loan], limit: int = 1000) -> list[tuple[Line, Batch]]:
    stmt = (select(Line, Batch).join(Batch, Batch.id == Line.batch_id)
            .where(_my_lines_clause(uscc, loans), Batch.kind == "subsidy")
            .order_by(Line.period.desc(), Line.id.desc()).limit(limit))
    return list(db.execute(stmt).all())


def my_line(db: Session, uscc: str, line_id: int) -> Line | None:
    line = db.get(Line, line_id)
    if line is None:
        return None
    if line.payee_type == "enterprise" and line.payee_id == uscc:
        return line
    if line.bank_code and line.contract_no:
        loan = find_loan(db, line.bank_code, line.contract_no)
        if loan is not None and loan.uscc == uscc:
            return line
    return None


def my_payments(db: Session, uscc: str) -> list[tuple[BatchPayee, Batch]]:
    stmt = (select(BatchPayee, Batch).join(Batch, Batch.id == BatchPayee.batch_id)
            .where(BatchPayee.payee_type == "enterprise", BatchPayee.payee_id == uscc)
            .order_by(Batch.period.desc(), Batch.id.desc()))
    return list(db.execute(stmt).all())
