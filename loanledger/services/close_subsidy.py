"""Subsidy lines of one close (domain.md §4.5–4.6): owed now minus granted before.

Only what new data can change is recomputed: the loans marked dirty since the last
close, widened to every loan of the same enterprise (the investment cap and the lapse rule
couple a filing's loans, and W0 — domain.window, v2 — the loans of an enterprise), and every
record without a state yet. The annual cap couples the records of
one enterprise-year, so every touched enterprise-year is re-allocated as a whole, reusing
the stored `computed` of records whose loans did not change. `full=True` recomputes
everything; a test proves both give the same lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from loanledger.domain.caps import allocate_annual_cap_by_record
from loanledger.domain.money import format_fen, format_rate, format_ratio
from loanledger.domain.subsidy import RecordResult
from loanledger.domain.vocabulary import LineKind, PayeeType
from loanledger.persistence.tables import DirtyMark, Loan, LoanEvent, RecordState
from loanledger.services import collector
from loanledger.services.facts import in_sets, load_loans, reader
from loanledger.services.policy_book import PolicyBook
from loanledger.services.subsidy_facts import SubsidyFacts


@dataclass
class LineDraft:
    record_key: str
    kind: str
    payee_type: str
    payee_id: str
    amount_fen: int
    bank_code: str | None = None
    contract_no: str | None = None
    event_id: str | None = None
    event_pk: int | None = None
    claim_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    interest_fen: int | None = None
    computed_fen: int | None = None
    capped_fen: int | None = None
    reasons: list[str] = field(default_factory=list)
    policy_version: int | None = None
    breakdown: dict[str, Any] | None = None


@dataclass
class _Item:
    """One interest record inside a touched enterprise-year."""

    event_pk: int
    loan_id: int
    uscc: str
    bank_code: str
    contract_no: str
    event_id: str
    paid_on: dt.date
    period_start: dt.date
    period_end: dt.date
    interest_fen: int
    computed_fen: int
    reasons: tuple[str, ...]
    version: int
    breakdown: dict[str, Any] | None

    @property
    def order(self):
        return (self.paid_on, self.bank_code, self.contract_no, self.period_start, self.event_pk)


@dataclass
class SubsidyResult:
    lines: list[LineDraft]
    state_inserts: list[dict[str, Any]]
    state_updates: list[dict[str, Any]]
    consumed_mark_id: int
    records_computed: int


# ------------------------------------------------------------------ scope
CHUNK_LOANS = (
    10_000  # loans computed at once: whole enterprises, so the annual cap stays in one chunk
)


def _marked(db: Session, last_day: dt.date, *, full: bool) -> tuple[bool, set[int], int]:
    """(every loan?, the loans the marks and unprocessed records name, the last mark read).
    The marks are streamed: a million of them are read without keeping a row each."""
    max_id, everything = 0, full
    ids: set[int] = set()
    filings: set[str] = set()
    enterprises: set[str] = set()
    for mark_id, scope, key in reader(db).execute(
        select(DirtyMark.id, DirtyMark.scope, DirtyMark.key).execution_options(yield_per=50_000)
    ):
        max_id = max(max_id, mark_id)
        if everything:
            continue
        if scope == "all":
            everything = True
        elif scope == "loan":
            ids.add(int(key))
        elif scope == "filing":
            filings.add(key)
        elif scope == "enterprise":
            enterprises.add(key)
    if everything:
        return True, set(), max_id
    for where in in_sets(db, Loan.filing_no, sorted(filings)):
        ids.update(reader(db).scalars(select(Loan.id).where(where)))
    for where in in_sets(db, Loan.uscc, sorted(enterprises)):
        ids.update(reader(db).scalars(select(Loan.id).where(where)))
    unprocessed = (
        select(LoanEvent.loan_id)
        .outerjoin(RecordState, RecordState.event_pk == LoanEvent.id)
        .where(
            LoanEvent.type == "interest",
            LoanEvent.on_date <= last_day,
            RecordState.event_pk.is_(None),
        )
    )
    ids.update(reader(db).scalars(unprocessed.execution_options(yield_per=50_000)))
    return False, ids, max_id


def _with_enterprise_siblings(db: Session, ids: set[int]) -> list[tuple[str, int]]:
    """(uscc, id) of every loan of the enterprises of the loans `ids`: a backdated disbursement
    on one loan moves W0 for the others, and a filing's loans are all its enterprise's. Two
    queries per set, whatever the anchor (a policy version may use any)."""
    usccs: set[str] = set()
    for where in in_sets(db, Loan.id, sorted(ids)):
        usccs.update(reader(db).scalars(select(Loan.uscc).where(where)))
    return [
        (uscc, loan_id)
        for where in in_sets(db, Loan.uscc, sorted(usccs))
        for loan_id, uscc in reader(db).execute(select(Loan.id, Loan.uscc).where(where))
    ]


def loan_chunks(
    db: Session, last_day: dt.date, *, full: bool, size: int | None = None
) -> tuple[list[list[int]], int]:
    """The dirty loans (widened to their enterprises' loans) as chunks of about `size` loans in
    uscc order, each holding whole enterprises; and the last mark read."""
    size = size or CHUNK_LOANS
    everything, ids, max_id = _marked(db, last_day, full=full)
    if everything:
        pairs = [
            (uscc, i)
            for i, uscc in reader(db).execute(
                select(Loan.id, Loan.uscc).execution_options(yield_per=50_000)
            )
        ]
    else:
        pairs = _with_enterprise_siblings(db, ids)
    del ids
    pairs.sort()
    out: list[list[int]] = []
    current: list[int] = []
    previous = None
    for uscc, loan_id in pairs:
        if len(current) >= size and uscc != previous:
            out.append(current)
            current = []
        current.append(loan_id)
        previous = uscc
    if current:
        out.append(current)
    return out, max_id


@lru_cache(maxsize=1024)
def _ratio_text(ratio) -> str:
    return format_ratio(ratio)


@lru_cache(maxsize=4096)
def _rate_text(rate_e4: int) -> str:
    return format_rate(rate_e4)


def breakdown_of(result: RecordResult) -> dict[str, Any]:
    return {
        # exact fen before the one rounding, as a fraction: never through a float
        "exact_fen": f"{result.exact.numerator}/{result.exact.denominator}",
        "segments": [
            {
                "from": s.start.isoformat(),
                "to": s.end.isoformat(),
                "balance": format_fen(s.balance_fen),
                "subsidised_balance": format_fen(s.subsidised_fen),
                "rate": _rate_text(s.rate_e4),
                "subsidised_rate": _rate_text(s.subsidised_rate_e4),
                "ratio": _ratio_text(s.ratio),
                "days": s.days,
            }
            for s in result.segments
        ],
        "removed_days": dict(sorted(result.removed_days.items())),
    }


# ------------------------------------------------------------------ the computation
Sink = Callable[[list[LineDraft], list[dict[str, Any]], list[dict[str, Any]]], None]


def subsidy_lines(
    db: Session,
    last_day: dt.date,
    book: PolicyBook,
    lpr_table,
    *,
    full: bool = False,
    sink: Sink | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SubsidyResult:
    """The lines and record states of the close, a chunk of whole enterprises at a time.
    With a `sink`, each chunk's (lines, state inserts, state updates) goes to it and is
    dropped, so memory stays bounded by the chunk; without one, they are returned.
    `progress(loans priced, loans to price)` is called before the first chunk and after each."""
    chunks, max_mark = loan_chunks(db, last_day, full=full)
    out = SubsidyResult([], [], [], max_mark, 0)
    loans_total, loans_done = sum(len(c) for c in chunks), 0
    if progress is not None:
        progress(0, loans_total)
    chunks.reverse()
    while chunks:
        ids = chunks.pop()  # each chunk's ids are dropped once it is done
        lines, inserts, updates, computed = _chunk_lines(db, ids, last_day, book, lpr_table)
        out.records_computed += computed
        if sink is None:
            out.lines.extend(lines)
            out.state_inserts.extend(inserts)
            out.state_updates.extend(updates)
        else:
            sink(lines, inserts, updates)
        del lines, inserts, updates
        loans_done += len(ids)
        if progress is not None:
            progress(loans_done, loans_total)
        collector.between_chunks()
    return out


def _chunk_lines(db: Session, ids: list[int], last_day: dt.date, book: PolicyBook, lpr_table):
    """One chunk: every loan of its enterprises (loan_chunks widened the dirty loans to them),
    so the facts that couple loans — a filing's, an anchor's — are all here."""
    loans = load_loans(db, ids)
    facts = SubsidyFacts(db, loans, book)
    fresh: dict[int, _Item] = {}
    for data in loans.values():
        for event in data.interest_records():
            if event.on_date <= last_day:
                result, version = facts.compute(data, event, lpr_table)
                fresh[event.id] = _item(
                    data.loan,
                    event,
                    result.computed_fen,
                    result.reasons,
                    version,
                    breakdown_of(result),
                )
    touched = {(i.uscc, i.paid_on.year) for i in fresh.values()}
    states = _states_in(db, touched)
    items = _stored_items(db, touched, last_day, fresh, states)
    items.update(fresh)
    lines, inserts, updates = _allocate(items, states, book)
    return lines, inserts, updates, len(fresh)


def _item(loan: Loan | Row, event, computed_fen: int, reasons, version: int, breakdown) -> _Item:
    return _Item(
        event.id,
        loan.id,
        loan.uscc,
        loan.bank_code,
        loan.contract_no,
        event.event_id,
        event.on_date,
        event.period_start,
        event.period_end,
        event.interest_fen,
        computed_fen,
        tuple(reasons),
        version,
        breakdown,
    )


def _states_in(db: Session, touched: set[tuple[str, int]]) -> dict[int, Any]:
    usccs = sorted({u for u, _ in touched})
    out: dict[int, Any] = {}
    for where in in_sets(db, RecordState.uscc, usccs):
        for state in reader(db).execute(select(RecordState.__table__).where(where)):
            if (state.uscc, state.year) in touched:
                out[state.event_pk] = state
    return out


def _stored_items(db, touched, last_day, fresh, states) -> dict[int, _Item]:
    """Records of unchanged loans in a touched enterprise-year: their stored `computed`.
    Only a record with a state can be one (no state ⇒ unprocessed ⇒ its loan was dirty ⇒ fresh)."""
    out: dict[int, _Item] = {}
    wanted = sorted(pk for pk in states if pk not in fresh)
    columns = (
        LoanEvent.id,
        LoanEvent.loan_id,
        LoanEvent.event_id,
        LoanEvent.on_date,
        LoanEvent.period_start,
        LoanEvent.period_end,
        LoanEvent.interest_fen,
        Loan.uscc,
        Loan.bank_code,
        Loan.contract_no,
    )
    for where in in_sets(db, LoanEvent.id, wanted):
        rows = (
            reader(db)
            .execute(
                select(*columns)
                .join(Loan, Loan.id == LoanEvent.loan_id)
                .where(LoanEvent.type == "interest", LoanEvent.on_date <= last_day, where)
            )
            .all()
        )
        for r in rows:
            if (r.uscc, r.on_date.year) not in touched:
                continue
            state = states[r.id]
            out[r.id] = _Item(
                r.id,
                r.loan_id,
                r.uscc,
                r.bank_code,
                r.contract_no,
                r.event_id,
                r.on_date,
                r.period_start,
                r.period_end,
                r.interest_fen,
                state.computed_fen,
                tuple(x for x in state.reasons if x != "annual_cap"),
                state.policy_version,
                None,
            )
    return out


def _allocate(items: dict[int, _Item], states: dict[int, Any], book: PolicyBook):
    by_year: dict[tuple[str, int], list[_Item]] = defaultdict(list)
    for item in items.values():
        by_year[(item.uscc, item.paid_on.year)].append(item)
    lines: list[LineDraft] = []
    inserts: list[dict[str, Any]] = []  # RecordState rows, as _settle builds them
    updates: list[dict[str, Any]] = []
    for key in sorted(by_year):
        group = sorted(by_year[key], key=lambda i: i.order)
        caps = [book.version(i.version).annual_cap_per_enterprise_fen for i in group]
        granted = allocate_annual_cap_by_record([i.computed_fen for i in group], caps)
        for item, (owed_fen, capped_fen) in zip(group, granted, strict=True):
            line, row, is_new = _settle(item, owed_fen, capped_fen, states.get(item.event_pk), book)
            if line is not None:
                lines.append(line)
            if row is not None:
                (inserts if is_new else updates).append(row)
    return lines, inserts, updates


def _settle(item: _Item, owed_fen: int, capped_fen: int, state: Any, book: PolicyBook):
    granted_before = state.granted_fen if state else 0
    amount_fen = owed_fen - granted_before
    reasons = list(item.reasons) + (["annual_cap"] if capped_fen > 0 else [])
    line = None
    if amount_fen != 0:
        payee_type = book.version(item.version).payee
        line = LineDraft(
            record_key=f"i:{item.event_pk}",
            kind=LineKind.ADJUSTMENT if state and state.line_count else LineKind.INTEREST,
            payee_type=payee_type,
            payee_id=item.uscc if payee_type == PayeeType.ENTERPRISE else item.bank_code,
            amount_fen=amount_fen,
            bank_code=item.bank_code,
            contract_no=item.contract_no,
            event_id=item.event_id,
            event_pk=item.event_pk,
            period_start=item.period_start,
            period_end=item.period_end,
            interest_fen=item.interest_fen,
            computed_fen=item.computed_fen,
            capped_fen=capped_fen,
            reasons=reasons,
            policy_version=item.version,
            breakdown=item.breakdown,
        )
    row = {
        "event_pk": item.event_pk,
        "loan_id": item.loan_id,
        "uscc": item.uscc,
        "year": item.paid_on.year,
        "computed_fen": item.computed_fen,
        "capped_fen": capped_fen,
        "owed_fen": owed_fen,
        "granted_fen": owed_fen,
        "line_count": (state.line_count if state else 0) + (1 if line else 0),
        "reasons": reasons,
        "policy_version": item.version,
    }
    if state is not None and _unchanged(state, row):
        return line, None, False
    return line, row, state is None


def _unchanged(state: Any, row: dict[str, Any]) -> bool:
    return all(getattr(state, k) == v for k, v in row.items())
