"""What an enterprise sees of its own: its loans, its lines, its payments and objections,
the same on `GET /me/subsidies` and on the portal.

Its lines (docs/decisions-payout.md, "Roles") are the subsidy lines paid to it and those
about its own loans, which a policy with `payee: bank` pays to its bank. It objects only to
a line paid to it, during 公示 (domain.md §7).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Row, and_, exists, or_, select
from sqlalchemy.orm import Session

from loanledger.domain.vocabulary import (
    OBJECTABLE_LINE_KINDS,
    BatchKind,
    BatchStatus,
    LineKind,
    LineStatus,
    ObjectionStatus,
    PayeeType,
    PaymentStatus,
)
from loanledger.persistence.tables import Batch, BatchPayee, Line, Loan, Objection
from loanledger.services.read.loans import MAX_CARRIES
from loanledger.services.read.objections import ObjectionLine, objections
from loanledger.services.read.registry import APPROVED_STATUSES, enterprise


class EnterpriseLine(NamedTuple):
    line: Row
    batch: Row
    has_open_objection: bool
    can_object: bool
    # Where the line's money is paid (batch_payees): its payee's row in its batch, or, when
    # that payment failed, the row of the batch it was carried to (followed to the last).
    payment: Row | None = None

    @property
    def own_status(self) -> str:
        """Where this line's money stands for the enterprise, whatever its batch's status
        says of the other payees: held back (an upheld objection); the batch's status until
        it is approved (公示中, 待提交, 待审批); then its payee's payment status (已支付,
        待支付, 支付失败, 无需支付) — a batch 部分支付 may have paid this line in full."""
        if self.line.status == LineStatus.HELD:
            return LineStatus.HELD
        if self.batch.status not in APPROVED_STATUSES or self.payment is None:
            return self.batch.status
        return self.payment.payment_status


class EnterprisePayment(NamedTuple):
    payee: Row
    batch: Row


@dataclass(frozen=True)
class EnterpriseSubsidies:
    """Everything oldest first."""

    uscc: str
    enterprise: Row | None
    loans: list[Row]
    lines: list[EnterpriseLine]
    payments: list[EnterprisePayment]
    objections: list[ObjectionLine]
    granted_fen: dict[tuple[str, str], int]  # (bank_code, contract_no) → granted_by_loan


def enterprise_subsidies(db: Session, uscc: str, today: dt.date) -> EnterpriseSubsidies:
    """Its loans, lines, payments and objections (GET /me/subsidies, /portal)."""
    lines = enterprise_lines(db, uscc, today)
    return EnterpriseSubsidies(
        uscc,
        enterprise(db, uscc),
        enterprise_loans(db, uscc),
        lines,
        enterprise_payments(db, uscc),
        list(reversed(objections(db, uscc=uscc))),
        granted_by_loan(lines),
    )


def enterprise_loans(db: Session, uscc: str) -> list[Row]:
    return list(
        db.execute(
            select(Loan.__table__).where(Loan.uscc == uscc).order_by(Loan.start_date, Loan.id)
        ).all()
    )


def _its_line(uscc: str):
    paid_to_it = and_(Line.payee_type == PayeeType.ENTERPRISE, Line.payee_id == uscc)
    about_its_loan = exists().where(
        Loan.uscc == uscc, Loan.bank_code == Line.bank_code, Loan.contract_no == Line.contract_no
    )
    return and_(
        or_(paid_to_it, about_its_loan),
        Line.batch_id.in_(select(Batch.id).where(Batch.kind == BatchKind.SUBSIDY)),
    )


def enterprise_lines(db: Session, uscc: str, today: dt.date) -> list[EnterpriseLine]:
    """Its lines by period, each with its batch and whether it can object to it today."""
    rows = db.execute(
        select(Line.__table__).where(_its_line(uscc)).order_by(Line.period, Line.id)
    ).all()
    return _with_batches(db, uscc, list(rows), today)


def enterprise_line(db: Session, uscc: str, line_id: int, today: dt.date) -> EnterpriseLine | None:
    """One of its lines; None for a line that is not its own (or no line at all)."""
    rows = db.execute(select(Line.__table__).where(Line.id == line_id, _its_line(uscc))).all()
    found = _with_batches(db, uscc, list(rows), today)
    return found[0] if found else None


def _with_batches(db: Session, uscc: str, lines: list[Row], today: dt.date) -> list[EnterpriseLine]:
    ids = sorted({line.batch_id for line in lines})
    batches = (
        {b.id: b for b in db.execute(select(Batch.__table__).where(Batch.id.in_(ids)))}
        if ids
        else {}
    )
    open_lines = set(
        db.scalars(
            select(Objection.line_id).where(
                Objection.uscc == uscc, Objection.status == ObjectionStatus.OPEN
            )
        )
    )
    payees = _payees_of(db, lines)
    out = []
    for line in lines:
        batch, has_open = batches[line.batch_id], line.id in open_lines
        out.append(
            EnterpriseLine(
                line,
                batch,
                has_open,
                can_object(uscc, line, batch, today, has_open),
                payees.get((line.batch_id, line.payee_id)),
            )
        )
    return out


def _payees_of(db: Session, lines: list[Row]) -> dict[tuple[int, str], Row]:
    """(batch_id, payee_id) → the batch_payees row where each line's money is paid: its
    payee's row in its batch, or the row a failed payment was carried to (MAX_CARRIES)."""
    payee_ids = sorted({line.payee_id for line in lines})
    rows: dict[tuple[int, str], Row] = {}
    wanted = {line.batch_id for line in lines}
    for _ in range(MAX_CARRIES):
        if not wanted:
            break
        found = db.execute(
            select(BatchPayee.__table__).where(
                BatchPayee.batch_id.in_(sorted(wanted)), BatchPayee.payee_id.in_(payee_ids)
            )
        ).all()
        rows.update({(row.batch_id, row.payee_id): row for row in found})
        wanted = {
            row.carried_to_batch_id
            for row in found
            if row.payment_status == PaymentStatus.FAILED and row.carried_to_batch_id
        } - {batch_id for batch_id, _payee in rows}

    def last(key: tuple[int, str]) -> Row | None:
        row = rows.get(key)
        for _ in range(MAX_CARRIES):
            if row is None or row.payment_status != PaymentStatus.FAILED:
                break
            carried = rows.get((row.carried_to_batch_id, row.payee_id))
            if carried is None:
                break
            row = carried
        return row

    keys = {(line.batch_id, line.payee_id) for line in lines}
    return {key: row for key in keys if (row := last(key)) is not None}


def can_object(uscc: str, line: Row, batch: Row, today: dt.date, has_open_objection: bool) -> bool:
    """Whether the enterprise may object to the line today: its batch is in 公示, the line is
    paid to it, is about an interest record, is not held back and has no open objection."""
    in_publicity = (
        batch.status == BatchStatus.PUBLICITY
        and batch.publicity_ends_on is not None
        and today <= batch.publicity_ends_on
    )
    return (
        in_publicity
        and line.payee_type == PayeeType.ENTERPRISE
        and line.payee_id == uscc
        and line.kind in OBJECTABLE_LINE_KINDS
        and line.status == LineStatus.ACTIVE
        and not has_open_objection
    )


def granted_by_loan(lines: list[EnterpriseLine]) -> dict[tuple[str, str], int]:
    """(bank_code, contract_no) → the subsidy its active lines grant (carried lines aside)."""
    granted: dict[tuple[str, str], int] = defaultdict(int)
    for line, *_rest in lines:
        if (
            line.status == LineStatus.ACTIVE
            and line.kind != LineKind.CARRIED
            and line.contract_no is not None
        ):
            granted[(line.bank_code, line.contract_no)] += line.amount_fen
    return dict(granted)


def enterprise_payments(db: Session, uscc: str) -> list[EnterprisePayment]:
    """Its payee rows, by batch."""
    payees = db.execute(
        select(BatchPayee.__table__)
        .where(BatchPayee.payee_type == PayeeType.ENTERPRISE, BatchPayee.payee_id == uscc)
        .order_by(BatchPayee.batch_id)
    ).all()
    ids = sorted({p.batch_id for p in payees})
    batches = (
        {b.id: b for b in db.execute(select(Batch.__table__).where(Batch.id.in_(ids)))}
        if ids
        else {}
    )
    return [EnterprisePayment(p, batches[p.batch_id]) for p in payees]
