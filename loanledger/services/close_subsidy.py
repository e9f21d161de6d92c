"""Subsidy lines of one close (domain.md §4.5–4.6): owed now minus granted before.

Only what new data can change is recomputed: the loans marked dirty since the last
close, widened to every loan of the same filing (the investment cap and the lapse rule
couple them), and every record without a state yet. The annual cap couples the records of
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
from loanledger.domain.facts import EnterpriseFacts, FilingFacts, InterestRecord, filing_lapsed
from loanledger.domain.money import format_fen, format_rate, format_ratio
from loanledger.domain.subsidy import RecordResult, compute_record, subsidised_balances
from loanledger.domain.timeline import balance_segments
from loanledger.domain.vocabulary import LineKind, PayeeType
from loanledger.persistence.tables import (
    BlacklistEntry,
    DirtyMark,
    Enterprise,
    Filing,
    Loan,
    LoanEvent,
    RecordState,
)
from loanledger.services import collector
from loanledger.services.facts import LoanData, in_sets, load_loans, reader
from loanledger.services.policy_book import PolicyBook


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


def _with_filing_siblings(db: Session, ids: set[int]) -> list[tuple[str, int]]:
    """(uscc, id) of the loans and of every loan sharing a filing with one of them."""
    filings: set[str] = set()
    out: list[tuple[str, int]] = []
    for where in in_sets(db, Loan.id, sorted(ids)):
        for loan_id, uscc, filing_no in reader(db).execute(
            select(Loan.id, Loan.uscc, Loan.filing_no).where(where)
        ):
            out.append((uscc, loan_id))
            if filing_no:
                filings.add(filing_no)
    for where in in_sets(db, Loan.filing_no, sorted(filings)):
        out.extend(
            (uscc, loan_id)
            for loan_id, uscc in reader(db).execute(select(Loan.id, Loan.uscc).where(where))
            if loan_id not in ids
        )
    return out


def loan_chunks(
    db: Session, last_day: dt.date, *, full: bool, size: int | None = None
) -> tuple[list[list[int]], int]:
    """The dirty loans (widened to filing siblings) as chunks of about `size` loans in uscc order,
    each holding whole enterprises; and the last mark read."""
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
        pairs = _with_filing_siblings(db, ids)
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


# ------------------------------------------------------------------ facts
class _Facts:
    """Filings, enterprises and subsidised balances for the dirty loans, loaded in sets."""

    def __init__(self, db: Session, loans: dict[int, LoanData], book: PolicyBook):
        self.loans, self.book = loans, book
        filing_nos = sorted({d.loan.filing_no for d in loans.values() if d.loan.filing_no})
        usccs = sorted({d.loan.uscc for d in loans.values()})
        self.filings = {
            f.filing_no: f
            for where in in_sets(db, Filing.filing_no, filing_nos)
            for f in reader(db).execute(select(Filing.__table__).where(where))
        }
        self.enterprises = self._enterprises(db, usccs)
        self.members: dict[str, list[LoanData]] = defaultdict(list)
        for data in loans.values():
            if data.loan.filing_no:
                self.members[data.loan.filing_no].append(data)
        self.subsidised = self._subsidised()
        self._filing_facts: dict[tuple[str, int], FilingFacts] = {}

    @staticmethod
    def _enterprises(db: Session, usccs: list[str]) -> dict[str, EnterpriseFacts]:
        """One query per set: each enterprise with its blacklist entries (a row per entry, or
        one row of NULLs when it has none)."""
        established: dict[str, dt.date] = {}
        blacklist: dict[str, list] = {}
        query = select(
            Enterprise.uscc,
            Enterprise.established_on,
            BlacklistEntry.effective_from,
            BlacklistEntry.effective_to,
        ).outerjoin(BlacklistEntry, BlacklistEntry.uscc == Enterprise.uscc)
        for where in in_sets(db, Enterprise.uscc, usccs):
            for uscc, established_on, effective_from, effective_to in reader(db).execute(
                query.where(where)
            ):
                established[uscc] = established_on
                if effective_from is not None:
                    blacklist.setdefault(uscc, []).append((effective_from, effective_to))
        return {
            u: EnterpriseFacts(u, established_on, tuple(sorted(blacklist.get(u, ()))))
            for u, established_on in established.items()
        }

    def _subsidised(self):
        out = {
            data.loan.id: balance_segments(data.disbursements(), data.repayments())
            for data in self.loans.values()
            if data.loan.filing_no not in self.filings
        }
        for filing_no, members in self.members.items():
            if len(members) > 1:
                members = sorted(
                    members,
                    key=lambda d: (
                        d.first_disbursement() or dt.date.max,
                        d.loan.bank_code,
                        d.loan.contract_no,
                    ),
                )
            ordered = [
                (d.loan.id, balance_segments(d.disbursements(), d.repayments())) for d in members
            ]
            out.update(
                subsidised_balances(ordered, self.filings[filing_no].eligible_investment_fen)
            )
        return out

    def filing(self, filing_no: str | None, lapse_days: int) -> FilingFacts | None:
        if filing_no is None or filing_no not in self.filings:
            return None
        key = (filing_no, lapse_days)
        if key not in self._filing_facts:
            f = self.filings[filing_no]
            firsts = [d.first_disbursement() for d in self.members[filing_no]]
            self._filing_facts[key] = FilingFacts(
                f.filing_no,
                f.eligible_investment_fen,
                f.approved_on,
                f.revoked_on,
                bool(f.clawback),
                filing_lapsed(f.approved_on, [d for d in firsts if d is not None], lapse_days),
            )
        return self._filing_facts[key]

    def compute(self, data: LoanData, event: Any, lpr_table) -> tuple[RecordResult, int]:
        """One interest record: `event` is its loan_events row as load_loans reads it (Core)."""
        version, policy = self.book.on(event.on_date)
        record = InterestRecord(
            event.period_start,
            event.period_end,
            event.on_date,
            event.interest_fen,
            event.event_id in data.voided_ids,
        )
        result = compute_record(
            record,
            data.facts(),
            self.filing(data.loan.filing_no, policy.filing_lapse_days),
            self.enterprises[data.loan.uscc],
            policy,
            lpr_table,
            self.subsidised[data.loan.id],
        )
        return result, version


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
) -> SubsidyResult:
    """The lines and record states of the close, a chunk of whole enterprises at a time.
    With a `sink`, each chunk's (lines, state inserts, state updates) goes to it and is
    dropped, so memory stays bounded by the chunk; without one, they are returned."""
    chunks, max_mark = loan_chunks(db, last_day, full=full)
    out = SubsidyResult([], [], [], max_mark, 0)
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
        collector.between_chunks()
    return out


def _chunk_lines(db: Session, ids: list[int], last_day: dt.date, book: PolicyBook, lpr_table):
    """One chunk: its loans (every dirty loan of its enterprises), computed with their filings'
    other loans as facts (those are computed in their own enterprise's chunk)."""
    loans = load_loans(db, ids)
    filing_nos = sorted({d.loan.filing_no for d in loans.values() if d.loan.filing_no})
    siblings = [
        i
        for where in in_sets(db, Loan.filing_no, filing_nos)
        for i in reader(db).scalars(select(Loan.id).where(where))
        if i not in loans
    ]
    facts = _Facts(db, {**loans, **load_loans(db, siblings)} if siblings else loans, book)
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
