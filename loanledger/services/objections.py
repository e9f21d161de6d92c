"""Objections during 公示 (domain.md §7): an enterprise objects to its line; a clerk upholds
(the line is held back and recomputed at the next close) or dismisses it."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError
from loanledger.domain.ledger import hold_entry
from loanledger.domain.money import format_fen
from loanledger.domain.payees import payee_total
from loanledger.domain.vocabulary import (
    OBJECTABLE_LINE_KINDS,
    OBJECTION_RESOLUTIONS,
    BatchStatus,
    LineStatus,
    ObjectionStatus,
    PayeeType,
    PaymentStatus,
)
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import Batch, BatchPayee, Line, LoanEvent, Objection, RecordState
from loanledger.services import audit, dirty, ledger, notices
from loanledger.services.errors import Conflict, NotFound
from loanledger.services.payouts import get_batch

HOLDABLE_BATCH_STATUSES = (BatchStatus.PUBLICITY, BatchStatus.READY)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def objection_wire(o: Objection) -> dict[str, Any]:
    return {
        "objection_id": o.id,
        "line_id": o.line_id,
        "batch_id": o.batch_id,
        "uscc": o.uscc,
        "reason": o.reason,
        "status": o.status,
        "created_by": o.created_by,
        "created_at": as_utc(o.created_at).isoformat(),
        "resolution_note": o.resolution_note,
        "resolved_by": o.resolved_by,
        "resolved_at": as_utc(o.resolved_at).isoformat() if o.resolved_at else None,
    }


def get_objection(db: Session, objection_id: int, uscc: str | None = None) -> Objection:
    o = db.get(Objection, objection_id, populate_existing=True)
    if o is None or (uscc is not None and o.uscc != uscc):
        raise NotFound(f"objection {objection_id}")
    return o


def file_objection(
    db: Session, line_id: int, uscc: str, reason: str, actor: str, today: dt.date
) -> Objection:
    line = db.get(Line, line_id)
    if line is None or line.payee_type != PayeeType.ENTERPRISE or line.payee_id != uscc:
        raise NotFound(f"line {line_id}")  # another enterprise's line is not shown to exist
    batch = get_batch(
        db, line.batch_id, for_update=True
    )  # a submit waits for this, or this sees it
    ends_on = batch.publicity_ends_on  # None only off 公示: a close sets it on a batch in 公示
    if batch.status != BatchStatus.PUBLICITY or ends_on is None or today > ends_on:
        raise Conflict(
            "invalid_state",
            f"公示 of batch {batch.id} ended on {batch.publicity_ends_on}; "
            "objections are taken during 公示 only",
            "line_id",
        )
    if line.kind not in OBJECTABLE_LINE_KINDS:
        raise Conflict(
            "invalid_state",
            f"a {line.kind} line is not about an interest record; "
            "object to the interest or adjustment line instead",
            "line_id",
        )
    if line.status != LineStatus.ACTIVE:
        raise Conflict("invalid_state", f"line {line.id} is already held back", "line_id")
    objection = Objection(
        line_id=line.id,
        batch_id=batch.id,
        uscc=uscc,
        reason=reason,
        status=ObjectionStatus.OPEN,
        created_by=actor,
    )
    try:
        with db.begin_nested():
            db.add(objection)
            db.flush()
    except IntegrityError:
        raise Conflict(
            "invalid_state", f"line {line.id} already has an open objection", "line_id"
        ) from None
    audit.record(
        db, actor, "objection.file", "objection", str(objection.id), None, objection_wire(objection)
    )
    return objection


def resolve(
    db: Session, objection_id: int, resolution: str, note: str, actor: str, today: dt.date
) -> Objection:
    if resolution not in OBJECTION_RESOLUTIONS:
        raise DomainError(
            "invalid_format",
            f"a resolution is one of {', '.join(OBJECTION_RESOLUTIONS)}",
            "resolution",
        )
    if not note or not note.strip():
        # The enterprise reads why its objection was upheld or dismissed: every way in (API,
        # page) must give a reason.
        raise DomainError("required", "a resolution needs a note saying why", "note")
    objection = get_objection(db, objection_id)
    if objection.status != ObjectionStatus.OPEN:
        raise Conflict(
            "invalid_state", f"objection {objection.id} is already {objection.status}", "resolution"
        )
    line = db.get_one(Line, objection.line_id)  # a foreign key: the line is there
    hold = _hold_line(db, line, actor, today) if resolution == ObjectionStatus.UPHELD else None
    # An UPDATE's result is a CursorResult, though Session.execute is typed as any Result.
    done = cast(
        CursorResult[Any],
        db.execute(
            update(Objection)
            .where(Objection.id == objection.id, Objection.status == ObjectionStatus.OPEN)
            .values(status=resolution, resolution_note=note, resolved_by=actor, resolved_at=_now())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    if done != 1:
        raise Conflict(
            "invalid_state", f"objection {objection.id} was resolved meanwhile", "resolution"
        )
    objection = get_objection(db, objection.id)
    audit.record(
        db,
        actor,
        f"objection.{resolution}",
        "objection",
        str(objection.id),
        {"status": ObjectionStatus.OPEN},
        {"status": resolution, "note": note, "hold": hold},
    )
    notices.objection_resolved(db, objection)  # the enterprise is told, in this transaction
    return objection


def _hold_line(db: Session, line: Line, actor: str, today: dt.date) -> dict[str, Any]:
    """Take the line out of its batch: the payee's total and the batch's total shrink, the
    close postings are reversed (one balanced entry), and the record is marked for the next
    close, which computes it afresh as if this line had never been granted."""
    batch: Batch = get_batch(db, line.batch_id, for_update=True)
    if batch.status not in HOLDABLE_BATCH_STATUSES:
        raise Conflict(
            "invalid_state",
            f"batch {batch.id} is {batch.status}; a line is held back only "
            "before the batch is submitted",
            "resolution",
        )
    payee = db.scalars(
        select(BatchPayee).where(
            BatchPayee.batch_id == batch.id, BatchPayee.payee_id == line.payee_id
        )
    ).one()
    before, after = payee_total([payee.total_fen]), payee_total([payee.total_fen - line.amount_fen])
    payee.total_fen, payee.pays_fen, payee.carried_out_fen = (
        after.total_fen,
        after.pays_fen,
        after.carried_out_fen,
    )
    payee.payment_status = PaymentStatus.PENDING if after.pays_fen > 0 else PaymentStatus.NONE
    batch.total_fen += after.pays_fen - before.pays_fen
    line.status = LineStatus.HELD
    entry = hold_entry(
        batch.kind,
        line.payee_id,
        line.amount_fen,
        before.carried_out_fen,
        after.carried_out_fen,
        f"{batch.period} batch {batch.id}: line {line.id} held back after an upheld objection",
        pool=batch.pool_code,
    )
    entry_id = ledger.post(db, entry, today, period=batch.period, batch_id=batch.id)
    state = db.get(RecordState, line.event_pk)
    if state is not None:
        state.granted_fen -= line.amount_fen
        state.line_count -= 1
    # An objectable line (interest, adjustment) is about one interest record: event_pk is set.
    loan_id = db.execute(
        select(LoanEvent.loan_id).where(LoanEvent.id == line.event_pk)
    ).scalar_one()
    dirty.mark(db, "loan", loan_id)
    return {
        "line_id": line.id,
        "amount": format_fen(line.amount_fen),
        "batch_total": format_fen(batch.total_fen),
        "entry_id": entry_id,
    }
