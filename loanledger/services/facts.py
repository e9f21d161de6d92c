"""Loads loans with their live events in sets and turns them into domain facts.

One query for the loans, one for all their events: never a query per loan.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, Row, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from loanledger.domain.subsidy import LoanFacts
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import Loan, LoanEvent, Product

CHUNK = 900  # under SQLite's bound-parameter limit
PG_CHUNK = 20_000  # PostgreSQL: one array parameter, `= ANY(:values)`; no parameter limit


@dataclass
class LoanData:
    loan: Loan | Row  # a read-only row (load_loans), or the ORM Loan a use case holds
    events: list[Any] = field(default_factory=list)  # LoanEvent rows, in received order
    voided_ids: set[str] = field(default_factory=set)  # bank event_ids voided
    # Its product's subsidy_eligible (domain.md §2, v2), as load_loans reads it with the loan;
    # None when loaded without it (load_loan), and then facts() refuses to guess.
    subsidy_eligible: bool | None = None
    _live: dict[str, list[Any]] | None = field(default=None, repr=False)
    _intervals: list[tuple[dt.date, dt.date, str]] | None = field(default=None, repr=False)
    _facts: LoanFacts | None = field(default=None, repr=False)

    def live(self, kind: str) -> list[Any]:
        if self._live is None:
            grouped: dict[str, list[Any]] = defaultdict(list)
            for e in self.events:
                if e.event_id not in self.voided_ids:
                    grouped[e.type].append(e)
            self._live = grouped
        return self._live.get(kind, [])

    def append(self, event: Any) -> None:
        """An event accepted in this request, not yet written: later checks must see it."""
        self.events.append(event)
        self._facts = None
        if event.type == "void":
            self.voided_ids.add(event.target_event_id)
            self._live = self._intervals = None  # a live event just died: regroup on the next read
            return
        if self._live is not None:
            self._live[event.type].append(event)
        if event.type == "interest" and self._intervals is not None:
            bisect.insort(self._intervals, (event.period_start, event.period_end, event.event_id))

    def interest_overlapping(
        self, start: dt.date, end: dt.date
    ) -> tuple[dt.date, dt.date, str] | None:
        """The live interest record overlapping [start, end), if any, in O(log n).
        Live records never overlap each other (intake refuses it), so sorted by start they
        are sorted by end too: of those starting before `end`, only the last can reach `start`."""
        if self._intervals is None:
            self._intervals = sorted(
                (e.period_start, e.period_end, e.event_id) for e in self.live("interest")
            )
        i = bisect.bisect_left(self._intervals, (end,))
        if i and self._intervals[i - 1][1] > start:
            return self._intervals[i - 1]
        return None

    def disbursements(self) -> list[tuple[dt.date, int]]:
        return [(e.on_date, e.amount_fen) for e in self.live("disbursement")]

    def repayments(self) -> list[tuple[dt.date, int]]:
        return [(e.on_date, e.amount_fen) for e in self.live("repayment")]

    def delinquencies(self) -> list[tuple[dt.date, int, str | None, int]]:
        return [
            (e.on_date, e.days_past_due, e.classification, e.id) for e in self.live("delinquency")
        ]

    def first_disbursement(self) -> dt.date | None:
        dates = [d for d, _ in self.disbursements()]
        return min(dates) if dates else None

    def settlement_date(self) -> dt.date | None:
        dates = [e.on_date for e in self.live("settlement")]
        return min(dates) if dates else None

    def interest_records(self) -> list[Any]:
        """Every interest record, voided ones included: a voided record is owed zero. Rows of
        `events`: Core rows from load_loans, LoanEvents from load_loan, pending ones in intake."""
        return [e for e in self.events if e.type == "interest"]

    def facts(self) -> LoanFacts:
        """The same object for every record of the loan (until an event is appended): the
        close computes each record with it, and the domain caches step functions by it."""
        if self._facts is None:
            self._facts = self._make_facts()
        return self._facts

    def _make_facts(self) -> LoanFacts:
        loan = self.loan
        if self.subsidy_eligible is None:
            raise RuntimeError("a loan's facts need its product's subsidy_eligible: load_loans")
        return LoanFacts(
            bank_code=loan.bank_code,
            contract_no=loan.contract_no,
            annual_rate_e4=loan.annual_rate_e4,
            start_date=loan.start_date,
            maturity_date=loan.original_maturity_date,
            disbursements=tuple(self.disbursements()),
            repayments=tuple(self.repayments()),
            rate_changes=tuple((e.on_date, e.rate_e4, e.id) for e in self.live("rate_change")),
            delinquencies=tuple(self.delinquencies()),
            link_problem=loan.link_problem if loan.filing_no is None else None,
            subsidy_eligible=self.subsidy_eligible,
        )


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def in_sets(db: Session, column, values: list) -> Iterable[Any]:
    """WHERE clauses selecting `column` in `values`, as few statements as the engine allows:
    IN lists of 900 on SQLite, one `= ANY(array)` per 20,000 values on PostgreSQL."""
    if not values:
        return
    if is_postgres(db):
        # A real array parameter: PostgreSQL folds it to a constant and hashes it (a cast from
        # text would be evaluated on every row).
        array = ARRAY(BigInteger if isinstance(values[0], int) else String)
        for chunk in chunks(values, PG_CHUNK):
            yield column == any_(bindparam(None, chunk, type_=array))
    else:
        for chunk in chunks(values):
            yield column.in_(chunk)


class Among:
    """A statement built once for rows whose `column` is among some values, run as in_sets
    chunks them: `IN (…)` (an expanding parameter) on SQLite, `= ANY(:values)` on
    PostgreSQL. For the reads of every request, where building and keying the statement
    cost more than running it. `make(condition)` is the statement with that condition."""

    def __init__(self, column, make: Callable[[Any], Any], array_type=String):
        self._sqlite = make(column.in_(bindparam("values", expanding=True)))
        self._postgres = make(column == any_(bindparam("values", type_=ARRAY(array_type))))

    def rows(self, db: Session, values: list) -> Iterable[Row]:
        if not values:
            return
        postgres = is_postgres(db)
        statement = self._postgres if postgres else self._sqlite
        for chunk in chunks(values, PG_CHUNK if postgres else CHUNK):
            yield from reader(db).execute(statement, {"values": chunk})


def reader(db: Session):
    """The session's connection, for Core reads: plain rows without the ORM's result layer
    (autoflushing first, as `Session.execute` would)."""
    if db.autoflush:
        db.flush()
    return db.connection()


# The product's flag comes with the loan: the subsidy needs it (a tiny table to join).
_LOANS = select(Loan.__table__, Product.subsidy_eligible.label("product_subsidy_eligible")).join(
    Product, Product.product_code == Loan.product_code
)


def load_loans(db: Session, loan_ids: Iterable[int]) -> dict[int, LoanData]:
    ids = sorted(set(loan_ids))
    out: dict[int, LoanData] = {}
    for where_id, where_loan in zip(
        in_sets(db, Loan.id, ids), in_sets(db, LoanEvent.loan_id, ids), strict=True
    ):
        events = select(LoanEvent.__table__).where(where_loan).order_by(LoanEvent.id)
        _load_into(db, out, _LOANS.where(where_id), events)
    return out


def load_enterprise_loans(db: Session, uscc: str) -> dict[int, LoanData]:
    """Every loan of one enterprise with its events, as load_loans gives them, in its two
    queries (the loans chosen by their enterprise, not by ids read first)."""
    out: dict[int, LoanData] = {}
    _load_into(db, out, _ENTERPRISE_LOANS, _ENTERPRISE_EVENTS, {"uscc": uscc})
    return out


def load_contract_enterprise_loans(
    db: Session, bank_code: str, contract_no: str
) -> dict[int, LoanData]:
    """Every loan of the enterprise whose loan is the bank's `contract_no`, that loan among
    them (nothing when there is no such loan), in the same two queries: the enterprise is
    found inside them, not read first."""
    out: dict[int, LoanData] = {}
    values = {"bank_code": bank_code, "contract_no": contract_no}
    _load_into(db, out, _CONTRACT_ENTERPRISE_LOANS, _CONTRACT_ENTERPRISE_EVENTS, values)
    return out


# Built once (the loan view reads an enterprise's loans on every request).
def _of_enterprise(uscc) -> tuple[Any, Any]:
    """The statements of an enterprise's loans and of their events, `uscc` a bound value or
    a scalar subquery."""
    loans = _LOANS.where(Loan.uscc == uscc)
    events = (
        select(LoanEvent.__table__)
        .where(LoanEvent.loan_id.in_(select(Loan.id).where(Loan.uscc == uscc)))
        .order_by(LoanEvent.id)
    )
    return loans, events


_ENTERPRISE_LOANS, _ENTERPRISE_EVENTS = _of_enterprise(bindparam("uscc"))
_CONTRACT_ENTERPRISE_LOANS, _CONTRACT_ENTERPRISE_EVENTS = _of_enterprise(
    select(Loan.uscc)
    .where(Loan.bank_code == bindparam("bank_code"), Loan.contract_no == bindparam("contract_no"))
    .scalar_subquery()
)


def _load_into(db: Session, out: dict[int, LoanData], loans, events, values=None) -> None:
    """`loans` (rows of _LOANS) and `events` (rows of loan_events, by id): statements."""
    for loan in reader(db).execute(loans, values):
        out[loan.id] = LoanData(loan, subsidy_eligible=bool(loan.product_subsidy_eligible))
    # Core rows (attribute access like the ORM's, a fraction of the cost): read-only facts.
    for event in reader(db).execute(events, values):
        data = out[event.loan_id]
        data.events.append(event)
        if event.type == "void":
            data.voided_ids.add(event.target_event_id)


def load_loan(db: Session, loan: Loan | Row) -> LoanData:
    data = LoanData(loan)
    for event in db.scalars(
        select(LoanEvent).where(LoanEvent.loan_id == loan.id).order_by(LoanEvent.id)
    ):
        data.events.append(event)
        if event.type == "void":
            assert event.target_event_id is not None  # a void names its target (EVENT_FIELDS)
            data.voided_ids.add(event.target_event_id)
    return data
