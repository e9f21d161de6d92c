"""The budget forecast and the policy what-if (issue 13): the close's computation, read-only.

Both price interest records with the close's own facts and functions (services/subsidy_facts,
domain.subsidy) a chunk of whole enterprises at a time (close_subsidy.loan_chunks), so the
annual cap of an enterprise-year is allocated in one place:
- `forecast(db, year)`: the closed months of `year` and the next as their subsidy
  batches paid them, the months after as the close would pay the records already reported but
  not yet closed plus the records each loan is assumed to report (domain.forecast), capped after
  what each enterprise was already granted in the year (record_states). GET
  /reports/forecast and the dashboard's 预计全年支出 / 预算 ask this one function.
- `what_if(db, doc, first, last, today)`: a draft policy document, validated as PUT /policy
  validates it and never saved, against the policy in force: every record of the years
  involved is recomputed under both (the reported ones and, after the last closed month, the
  assumed ones), so the two sides differ only by the policy. Inside a savepoint rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanledger.domain.errors import DomainError, PolicyInvalid
from loanledger.domain.facts import InterestRecord
from loanledger.domain.forecast import (
    assumed_records,
    covered_until,
    month_start,
    months,
    next_month,
    owed_after,
    split_by_record,
)
from loanledger.domain.policy import policy_from_doc
from loanledger.domain.vocabulary import BatchKind, LineKind, LineStatus
from loanledger.persistence.tables import Batch, Line, RecordState
from loanledger.services import collector, registry
from loanledger.services.close_subsidy import loan_chunks
from loanledger.services.facts import LoanData, in_sets, load_loans, reader
from loanledger.services.policy_book import PolicyBook
from loanledger.services.read.periods import last_closed_period
from loanledger.services.read.registry import budget_years
from loanledger.services.subsidy_facts import SubsidyFacts

MAX_WHAT_IF_MONTHS = 36
DRAFT_VERSION = 0  # saved versions are numbered from 1: the draft is never one of them
_AFTER_REPORTED = 2**62  # an assumed record comes after any reported one paid the same day
_UNLIMITED = 2**62  # the interest of a span of assumed months: each month is limited by its own


# ------------------------------------------------------------------ periods
def period_start(period: str) -> dt.date:
    return dt.date(int(period[:4]), int(period[5:7]), 1)


def period_of(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def first_open_month(db: Session) -> dt.date | None:
    """The first day of the month after the last closed one; None before any close."""
    last = last_closed_period(db)
    return None if last is None else next_month(period_start(last))


# ------------------------------------------------------------------ the engine
@dataclass(frozen=True)
class _Plan:
    first_open: dt.date  # records are assumed from this day on (the first month not closed)
    end: dt.date  # exclusive: the day after the last month asked about
    # what-if: every reported record paid on or after this day is recomputed (cap from zero);
    # None (forecast): only reported records without a record state, the cap after the states
    recompute_from: dt.date | None = None
    records_from: dt.date | None = None  # forecast: reported records paid before are left out


class Owed(NamedTuple):
    key: tuple  # ("r", event pk) for a reported record, ("a", loan id, month) for an assumed one
    month: dt.date  # the month it is counted in
    bank_code: str
    uscc: str
    owed_fen: int
    assumed: bool


class _Candidate(NamedTuple):
    data: LoanData
    record: InterestRecord
    key: tuple
    month: dt.date
    seq: int


def _owed(db: Session, plan: _Plan, books: list[PolicyBook]) -> Iterator[list[list[Owed]]]:
    """Per chunk of whole enterprises: the owed amounts of its records under each book."""
    lpr_table = registry.lpr_table(db)
    chunks, _ = loan_chunks(db, plan.end, full=True)
    for ids in chunks:
        loans = load_loans(db, ids)
        states = {} if plan.recompute_from else _states(db, ids)
        used: dict[tuple[str, int], int] = defaultdict(int)
        for uscc, year, owed_fen in states.values():
            used[(uscc, year)] += owed_fen
        candidates = [c for data in loans.values() for c in _candidates(data, plan, states)]
        yield [_priced(db, loans, candidates, book, lpr_table, used) for book in books]
        collector.between_chunks()


def _states(db: Session, ids: list[int]) -> dict[int, tuple[str, int, int]]:
    """event pk → (uscc, year, owed) of the records a close has already settled."""
    columns = (RecordState.event_pk, RecordState.uscc, RecordState.year, RecordState.owed_fen)
    return {
        pk: (uscc, year, owed_fen)
        for where in in_sets(db, RecordState.loan_id, ids)
        for pk, uscc, year, owed_fen in reader(db).execute(select(*columns).where(where))
    }


def _candidates(data: LoanData, plan: _Plan, states: dict) -> list[_Candidate]:
    out = []
    reported = []
    for event in data.interest_records():
        record = InterestRecord(
            event.period_start,
            event.period_end,
            event.on_date,
            event.interest_fen,
            event.event_id in data.voided_ids,
        )
        reported.append(record)
        if event.on_date >= plan.end or event.id in states:
            continue
        if plan.recompute_from is not None:
            if event.on_date < plan.recompute_from:
                continue
            month = month_start(event.on_date)
        else:
            if plan.records_from is not None and event.on_date < plan.records_from:
                continue
            # not closed yet: the next close pays it, also when it is paid in a closed month
            month = max(month_start(event.on_date), plan.first_open)
        out.append(_Candidate(data, record, ("r", event.id), month, event.id))
    for record in assumed_records(
        data.facts(),
        covered_until(reported),
        plan.first_open,
        plan.end,
        settled=data.settlement_date() is not None,
    ):
        key = ("a", data.loan.id, record.period_start.replace(day=1))
        out.append(_Candidate(data, record, key, month_start(record.paid_on), _AFTER_REPORTED))
    return out


def _priced(
    db: Session,
    loans: dict[int, LoanData],
    candidates: list[_Candidate],
    book: PolicyBook,
    lpr_table,
    used: dict[tuple[str, int], int],
) -> list[Owed]:
    """The candidates' owed amounts under `book`: each computed as the close computes it, then
    the annual cap per enterprise-year in §4.5 order after what is already `used`."""
    facts = SubsidyFacts(db, loans, book)
    by_year: dict[tuple[str, int], list[tuple[_Candidate, int, int]]] = defaultdict(list)
    for c, computed_fen, version in _computed(facts, candidates, book, lpr_table):
        by_year[(c.data.loan.uscc, c.record.paid_on.year)].append((c, computed_fen, version))
    out = []
    for key, group in by_year.items():
        group.sort(key=lambda g: _order(g[0]))
        owed = owed_after(
            used[key],
            [computed for _, computed, _ in group],
            [book.version(v).annual_cap_per_enterprise_fen for _, _, v in group],
        )
        for (c, _, _), owed_fen in zip(group, owed, strict=True):
            loan = c.data.loan
            out.append(Owed(c.key, c.month, loan.bank_code, loan.uscc, owed_fen, c.key[0] == "a"))
    return out


def _computed(
    facts: SubsidyFacts, candidates: list[_Candidate], book: PolicyBook, lpr_table
) -> Iterator[tuple[_Candidate, int, int]]:
    """(candidate, computed, version): a reported record alone; a loan's assumed months under
    one version together, in one computation split by month (domain.forecast.split_by_record)."""
    runs: dict[tuple[int, int], list[_Candidate]] = defaultdict(list)
    for c in candidates:
        if c.key[0] == "r":
            result, version = facts.compute_record(c.data, c.record, lpr_table)
            yield c, result.computed_fen, version
        else:
            runs[(c.data.loan.id, book.on(c.record.paid_on)[0])].append(c)
    for run in runs.values():
        first, last = run[0].record, run[-1].record
        span = InterestRecord(first.period_start, last.period_end, last.paid_on, _UNLIMITED, False)
        result, version = facts.compute_record(run[0].data, span, lpr_table)
        split = split_by_record(result.segments, [c.record for c in run])
        for c, computed_fen in zip(run, split, strict=True):
            yield c, computed_fen, version


def _order(c: _Candidate) -> tuple:
    """§4.5's order: paid_on, bank, contract, period start, order received."""
    loan = c.data.loan
    return (c.record.paid_on, loan.bank_code, loan.contract_no, c.record.period_start, c.seq)


# ------------------------------------------------------------------ the forecast
@dataclass(frozen=True)
class ForecastMonth:
    period: str
    closed: bool
    subsidy_fen: int  # closed: what its batch's interest and adjustment lines pay
    reported_fen: int = 0  # open: records reported, not closed yet
    assumed_fen: int = 0  # open: records assumed (balances and rates as last reported)


@dataclass(frozen=True)
class ForecastYear:
    year: int
    closed_fen: int
    forecast_fen: int
    budget_fen: int  # appropriated for the year (budgets)

    @property
    def total_fen(self) -> int:
        return self.closed_fen + self.forecast_fen


@dataclass(frozen=True)
class Forecast:
    year: int
    last_closed_period: str | None
    months: list[ForecastMonth]
    years: list[ForecastYear] = field(default_factory=list)


def forecast(db: Session, year: int, *, next_year: bool = True) -> Forecast:
    """The subsidy of `year` (and the next) month by month: closed months as paid, the rest
    as the close would pay it if balances and rates stay as last reported."""
    start = dt.date(year, 1, 1)
    end = dt.date(year + (2 if next_year else 1), 1, 1)
    first_open = max(first_open_month(db) or start, start)
    closed = _closed_subsidy(db, [period_of(m) for m in months(start, min(first_open, end))])
    reported: dict[dt.date, int] = defaultdict(int)
    assumed: dict[dt.date, int] = defaultdict(int)
    if first_open < end:
        plan = _Plan(first_open, end, records_from=start)
        for (owed,) in _owed(db, plan, [PolicyBook.load(db)]):
            for o in owed:
                (assumed if o.assumed else reported)[o.month] += o.owed_fen
    rows = [
        ForecastMonth(period_of(m), True, closed.get(period_of(m), 0))
        if m < first_open
        else ForecastMonth(period_of(m), False, reported[m] + assumed[m], reported[m], assumed[m])
        for m in months(start, end)
    ]
    return Forecast(year, last_closed_period(db), rows, _years(db, rows))


def _closed_subsidy(db: Session, periods: list[str]) -> dict[str, int]:
    """Per closed period: Σ its subsidy batch's interest and adjustment lines not held back."""
    if not periods:
        return {}
    query = (
        select(Line.period, func.sum(Line.amount_fen))
        .join(Batch, Batch.id == Line.batch_id)
        .where(
            Batch.kind == BatchKind.SUBSIDY,
            Line.kind.in_([LineKind.INTEREST, LineKind.ADJUSTMENT]),
            Line.status != LineStatus.HELD,
            Line.period.in_(periods),
        )
        .group_by(Line.period)
    )
    return {period: int(total) for period, total in db.execute(query)}


def _years(db: Session, rows: list[ForecastMonth]) -> list[ForecastYear]:
    wanted = sorted({int(r.period[:4]) for r in rows})
    budgets = {b.year: b.appropriated_fen for b in budget_years(db, wanted)}
    return [
        ForecastYear(
            y,
            sum(r.subsidy_fen for r in rows if r.closed and int(r.period[:4]) == y),
            sum(r.subsidy_fen for r in rows if not r.closed and int(r.period[:4]) == y),
            budgets.get(y, 0),
        )
        for y in wanted
    ]


# ------------------------------------------------------------------ the what-if
@dataclass(frozen=True)
class Compared:
    in_force_fen: int = 0
    draft_fen: int = 0

    @property
    def difference_fen(self) -> int:
        return self.draft_fen - self.in_force_fen

    def plus(self, in_force_fen: int, draft_fen: int) -> Compared:
        return Compared(self.in_force_fen + in_force_fen, self.draft_fen + draft_fen)


@dataclass(frozen=True)
class WhatIf:
    first: str
    last: str
    last_closed_period: str | None
    months: list[tuple[str, bool, Compared]]  # (period, closed?, figures)
    banks: list[tuple[str, Compared]]
    cells: list[tuple[str, str, Compared]]  # (period, bank, figures), non-zero ones
    total: Compared
    enterprises_changed: int


def what_if(db: Session, doc: Any, first: str, last: str) -> WhatIf:
    """The draft `doc` priced against the policy in force over the months first..last (YYYY-MM):
    closed ones recomputed, later ones forecast. Validated as PUT /policy validates (every
    problem named under `policy.`), never saved; computed inside a savepoint rolled back."""
    draft = _draft_policy(doc)
    start, end = _range(first, last)
    savepoint = db.begin_nested()
    try:
        return _what_if(db, draft, start, end, first, last)
    finally:
        savepoint.rollback()


def _draft_policy(doc: Any):
    try:
        return policy_from_doc(doc, ignore_fields=("version", "in_force_from"))
    except PolicyInvalid as exc:
        raise PolicyInvalid(
            [(f"policy.{f}" if f else "policy", code, message) for f, code, message in exc.errors]
        ) from None


def _range(first: str, last: str) -> tuple[dt.date, dt.date]:
    start, end = period_start(first), next_month(period_start(last))
    if end <= start:
        raise DomainError("invalid_format", f"to ({last}) is before from ({first})", "to")
    count = len(months(start, end))
    if count > MAX_WHAT_IF_MONTHS:
        raise DomainError(
            "invalid_format",
            f"from {first} to {last} is {count} months; at most {MAX_WHAT_IF_MONTHS}",
            "to",
        )
    return start, end


def _what_if(db, draft, start: dt.date, end: dt.date, first: str, last: str) -> WhatIf:
    year_start = dt.date(start.year, 1, 1)
    # Records are assumed from the first month not closed, and so from before `start` when
    # that is earlier in its year: they count toward the annual cap of the months asked.
    first_open = max(first_open_month(db) or year_start, year_start)
    plan = _Plan(first_open, end, recompute_from=year_start)
    in_force = PolicyBook.load(db)
    books = [in_force, PolicyBook([(DRAFT_VERSION, dt.date.min, draft)])]
    cells: dict[tuple[dt.date, str], Compared] = defaultdict(Compared)
    changed: set[str] = set()
    for now, then in _owed(db, plan, books):
        drafted = {o.key: o.owed_fen for o in then}
        for o in now:
            if o.month < start:
                continue  # earlier in the year: priced only for the annual cap
            draft_fen = drafted[o.key]
            cells[(o.month, o.bank_code)] = cells[(o.month, o.bank_code)].plus(
                o.owed_fen, draft_fen
            )
            if draft_fen != o.owed_fen:
                changed.add(o.uscc)
    return _what_if_answer(db, start, end, first_open, first, last, cells, len(changed))


def _what_if_answer(db, start, end, first_open, first, last, cells, changed) -> WhatIf:
    by_month: dict[dt.date, Compared] = defaultdict(Compared)
    by_bank: dict[str, Compared] = defaultdict(Compared)
    total = Compared()
    for (month, bank), c in cells.items():
        by_month[month] = by_month[month].plus(c.in_force_fen, c.draft_fen)
        by_bank[bank] = by_bank[bank].plus(c.in_force_fen, c.draft_fen)
        total = total.plus(c.in_force_fen, c.draft_fen)
    return WhatIf(
        first,
        last,
        last_closed_period(db),
        [(period_of(m), m < first_open, by_month[m]) for m in months(start, end)],
        sorted(by_bank.items()),
        [
            (period_of(m), bank, c)
            for (m, bank), c in sorted(cells.items())
            if c.in_force_fen or c.draft_fen
        ],
        total,
        changed,
    )
