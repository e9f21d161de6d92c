"""Bank intake in sets: one item or 5,000, from JSON or from a file, through one path.

Each item is parsed with the wire schema (format errors), then checked against the
business rules with everything the set needs loaded once (intake.LoanBook / EventBook),
in the order given, so a later item sees the earlier ones. The accepted rows are written
together: COPY on PostgreSQL, one executemany elsewhere. With `atomic`, one rejection
refuses the whole request and nothing is written.

A set of 5,000 keeps tens of thousands of objects alive until its end (items, parsed data,
rows, the loans' facts): the cyclic garbage collector's automatic runs would traverse them
again and again, and its full runs the whole heap besides, about a third of the request's
CPU (measured, docs/performance.md). It is paused while a set is parsed, checked and written
(services/collector.py); reference counting frees the set when the request drops it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError, Refusal
from loanledger.domain.money import format_fen
from loanledger.persistence.db import write_rows
from loanledger.persistence.tables import AuditEntry, DirtyMark, Loan, LoanEvent, utcnow
from loanledger.services import collector, locks
from loanledger.services.intake import (
    EVENT_COLUMNS,
    LOAN_ID,
    EventBook,
    LoanBook,
    event_shape_errors,
)
from loanledger.wire.fastparse import fast_event
from loanledger.wire.messages import flatten_messages
from loanledger.wire.schemas import BulkEventIn, LoanIn

MAX_ITEMS = 5000
EVENT_COPY_COLUMNS = EVENT_COLUMNS  # an accepted event's row is a tuple in this order


@dataclass
class BulkOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "results": self.results,
        }

    def errors(self) -> list[dict[str, Any]]:
        return [e for r in self.results for e in r.get("errors", [])]


class BulkRefused(Refusal):
    """atomic=True and at least one item was rejected: nothing was written (422, listing
    every rejected item's errors)."""

    status = 422

    def __init__(self, outcome: BulkOutcome):
        errors = outcome.errors()
        message = (
            f"{outcome.rejected} of {len(outcome.results)} items were rejected; "
            "nothing was kept (atomic=true)"
        )
        super().__init__(errors[0]["code"], message, problems=errors)
        self.outcome = outcome


@dataclass
class _Item:
    index: int
    key: str | None
    data: dict[str, Any] | None
    errors: list[dict[str, Any]]


def _prefix(path: str, index: int) -> str:
    return f"{path}[{index}]." if path else ""


def parse(
    schema: Schema,
    raw_items: list[Any],
    path: str,
    *,
    shape: Callable | None = None,
    key: str,
    fast: Callable | None = None,
) -> list[_Item]:
    """Each item parsed: `fast` (when given) converts a plainly valid item whose shape is
    right, or returns None; then the schema and `shape` say what is wrong with it."""
    items = []
    for index, raw in enumerate(raw_items):
        data = fast(raw) if fast is not None and isinstance(raw, dict) else None
        if data is not None:  # the fast path checked the shape too
            items.append(_Item(index, data.get(key), data, []))
            continue
        prefix = _prefix(path, index)
        name = raw.get(key) if isinstance(raw, dict) else None
        if not isinstance(raw, dict):
            items.append(
                _Item(
                    index,
                    None,
                    None,
                    [
                        {
                            "field": prefix.rstrip(".") or None,
                            "code": "invalid_format",
                            "message": "each item must be a JSON object",
                        }
                    ],
                )
            )
            continue
        try:
            data = schema.load(raw)
        except ValidationError as exc:
            items.append(
                _Item(index, name, None, flatten_messages(exc.messages, prefix.rstrip(".")))
            )
            continue
        errors = shape(data, prefix) if shape else []
        items.append(_Item(index, name, None if errors else data, errors))
    return items


def _apply(
    items: list[_Item], book, key_name: str, path: str, atomic: bool
) -> tuple[BulkOutcome, list[Any]]:
    """The outcome, and the accepted rows as the book's check built them (an event's a tuple
    in EVENT_COLUMNS order, a loan's a dict)."""
    outcome, rows = BulkOutcome(), []
    for item in items:
        result: dict[str, Any] = {"index": item.index, key_name: item.key}
        if item.data is not None:
            try:
                status, row = book.check(item.data)
            except DomainError as exc:
                field_path = (
                    _prefix(path, item.index) + exc.field
                    if exc.field
                    else (path and f"{path}[{item.index}]")
                )
                item.errors = [
                    {"field": field_path or None, "code": exc.code, "message": exc.message}
                ]
            else:
                result["status"] = status
                if row is not None:
                    rows.append(row)
                    outcome.accepted += 1
                else:
                    outcome.duplicates += 1
        if item.errors:
            result.update(status="rejected", errors=item.errors)
            outcome.rejected += 1
        outcome.results.append(result)
    if atomic and outcome.rejected:
        raise BulkRefused(outcome)
    return outcome, rows


# ------------------------------------------------------------------ events
def ingest_events(
    db: Session,
    bank_code: str,
    raw_items: list[Any],
    today: dt.date,
    *,
    atomic: bool,
    path: str = "events",
) -> BulkOutcome:
    with collector.paused():  # see the module's docstring
        items = parse(
            BulkEventIn(),
            raw_items,
            path,
            shape=event_shape_errors,
            key="event_id",
            fast=fast_event,
        )
        return apply_events(db, bank_code, items, today, atomic=atomic, path=path)


def apply_events(
    db: Session, bank_code: str, items: list[_Item], today: dt.date, *, atomic: bool, path: str
) -> BulkOutcome:
    _lock(db, bank_code)
    book = EventBook(db, bank_code, [i.data for i in items if i.data is not None], today)
    outcome, rows = _apply(items, book, "event_id", path, atomic)
    write_events(db, rows)
    _mark_loans(db, sorted({row[LOAN_ID] for row in rows}))
    return outcome


def record_event(
    db: Session, loan: Loan, data: dict[str, Any], today: dt.date
) -> tuple[LoanEvent, bool]:
    """One event already parsed by the endpoint's schema: (event, created) or a DomainError."""
    outcome = _single(
        apply_events,
        db,
        loan.bank_code,
        {**data, "contract_no": loan.contract_no},
        today,
        data["event_id"],
    )
    # Accepted or a duplicate (_single raised otherwise): the event is there.
    event = db.scalars(
        select(LoanEvent).where(
            LoanEvent.bank_code == loan.bank_code, LoanEvent.event_id == data["event_id"]
        )
    ).one()
    return event, outcome.accepted == 1


def write_events(db: Session, rows: list[tuple]) -> None:
    """Rows are tuples in EVENT_COLUMNS order, as EventBook.check built them."""
    write_rows(db, LoanEvent.__table__, EVENT_COLUMNS, rows)


# ------------------------------------------------------------------ loans
def ingest_loans(
    db: Session,
    bank_code: str,
    raw_items: list[Any],
    today: dt.date,
    *,
    atomic: bool,
    path: str = "loans",
) -> BulkOutcome:
    with collector.paused():  # see the module's docstring
        items = parse(LoanIn(), raw_items, path, key="contract_no")
        return apply_loans(db, bank_code, items, today, atomic=atomic, path=path)


def apply_loans(
    db: Session, bank_code: str, items: list[_Item], today: dt.date, *, atomic: bool, path: str
) -> BulkOutcome:
    _lock(db, bank_code)
    book = LoanBook(db, bank_code, [i.data for i in items if i.data is not None], today)
    outcome, rows = _apply(items, book, "contract_no", path, atomic)
    if rows:
        ids = (
            db.execute(
                insert(Loan.__table__).returning(Loan.__table__.c.id, sort_by_parameter_order=True),
                rows,
            )
            .scalars()
            .all()
        )
        _mark_loans(db, ids)
        db.execute(
            insert(AuditEntry.__table__),
            [
                {
                    "at": utcnow(),
                    "actor": f"bank:{bank_code}",
                    "action": "loan.register",
                    "entity": "loan",
                    "entity_id": f"{bank_code}/{row['contract_no']}",
                    "before": None,
                    "after": {
                        "filing_no": row["filing_no"],
                        "link_problem": row["link_problem"],
                        "coverage": row["coverage"],
                        "principal": format_fen(row["principal_fen"]),
                    },
                }
                for row in rows
            ],
        )
    return outcome


def register_loan(
    db: Session, bank_code: str, data: dict[str, Any], today: dt.date
) -> tuple[Loan, bool]:
    outcome = _single(apply_loans, db, bank_code, data, today, data["contract_no"])
    # Accepted or a duplicate (_single raised otherwise): the loan is there.
    loan = db.scalars(
        select(Loan).where(Loan.bank_code == bank_code, Loan.contract_no == data["contract_no"])
    ).one()
    return loan, outcome.accepted == 1


# ------------------------------------------------------------------ shared
def _single(apply, db, bank_code, data, today, key) -> BulkOutcome:
    try:
        return apply(db, bank_code, [_Item(0, key, data, [])], today, atomic=True, path="")
    except BulkRefused as refused:
        error = refused.outcome.results[0]["errors"][0]
        raise DomainError(error["code"], error["message"], error["field"]) from None


def _lock(db: Session, bank_code: str) -> None:
    # A bank's writes one at a time (its unique event ids stay checkable in memory);
    # the close lock in shared mode so a close sees a request whole or not at all.
    locks.shared(db, locks.CLOSE)
    locks.exclusive(db, f"intake:{bank_code}")


def _mark_loans(db: Session, loan_ids: Sequence[int]) -> None:
    if loan_ids:
        db.execute(
            insert(DirtyMark.__table__), [{"scope": "loan", "key": str(i)} for i in loan_ids]
        )
