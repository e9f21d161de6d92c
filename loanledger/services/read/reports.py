"""The programme report (统计报表, GET /reports/programme and its page): per month and per
group of one dimension, the programme's figures in integer fen (and counts).

Each figure family is one query grouped by month and group in SQL; Python only adds the
running balances up and lays the rows out. The figures are the ledger's and the batches' own,
so the report reconciles with the trial balance (tests/support/reports.py checks it):

- `filings`, `planned_investment_fen`: filings approved in the month (`approved_on`), and their
  eligible investment (计划投资). A later revocation does not take a filing out of its month.
- `new_loans`, `contract_principal_fen`: loans whose contract starts in the month
  (`start_date`), and their contract principal as it stands now (after any amendment).
- `disbursed_fen`: disbursements dated in the month, less those later voided.
- `balance_fen`: principal outstanding at the month's end, disbursed less repaid up to that
  day (voided events left out), as the close's daily balance counts it.
- `subsidy_owed_fen`: the month's subsidy lines (interest and adjustment, carried amounts left
  out) that are still in their batch (a line held back after an objection is not owed) — the
  debit of 5001 贴息支出 in the journal entries of the period.
- `subsidy_paid_fen`: subsidy paid in the month by payment date: the lines of every payee paid
  that month (a failed payment carried and paid later counts when it is paid) — the credit of
  1001 in the month's payment entries.
- `claim_count`, `claims_fen`: claims made in the month's close (the NPL's period), and the
  compensation each is due.
- `compensation_owed_fen`: the month's claim and shortfall lines (as much as each pool's cash
  allowed) — with `recoveries_fen` the movement of 5002 风险补偿支出 in the period's entries.
- `recoveries_fen`: the pools' shares of recoveries lined in the month (a credit to 5002),
  as a positive amount.
- `compensation_paid_fen`: compensation paid in the month by payment date, net of the
  recovery shares deducted in the same payment — the credit of 1101 in the payment entries.
- `pool_cash_fen`: the balance of 1101 风险补偿资金池存款 at the month's end (deposits, less
  compensation paid, plus receivables settled). It belongs to a pool, so a group has it only
  when the report is by pool; the month's total always has it.

Groups (`by`): `bank` (the loan's bank), `product`, `town` (the enterprise's town), `industry`
(the enterprise's GB/T 4754 division: the section letter and two digits, `C38`; a code of a
section alone stays a letter) and `pool` (the pool the loan's product named at registration).
A line is grouped by its loan (an interest line by its event's loan, a claim's or recovery's
by the claim's loan). A carried line has no loan: it is grouped by the paid bank or the batch's
pool where the dimension has one, else in the group `None` (未归属). A filing is grouped by its
enterprise for town and industry, and by the first loan linked to it for bank, product and
pool (`None` while no loan is linked): each filing is counted once, so the groups add up.

Totals: the flows (counts and amounts) are summed over the months; `balance_fen` and
`pool_cash_fen` are stocks, so the total is the last month's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column, select
from sqlalchemy.orm import Session, aliased

from loanledger.domain.dates import next_period, parse_period, period_bounds, period_of
from loanledger.domain.errors import DomainError
from loanledger.domain.ledger import POOL_CASH, pool_of
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import BatchKind, LineKind, LineStatus, PaymentStatus
from loanledger.persistence.db import is_postgres
from loanledger.persistence.tables import (
    Bank,
    Batch,
    BatchPayee,
    Claim,
    Enterprise,
    Filing,
    JournalEntry,
    Line,
    Loan,
    LoanEvent,
    Posting,
    Product,
    RiskPool,
)

DIMENSIONS = ("bank", "product", "town", "industry", "pool")
MAX_MONTHS = 120
DEFAULT_MONTHS = 12
# The figures in the order every answer lists them; `_fen` ones are money.
FIGURES = (
    "filings",
    "planned_investment_fen",
    "new_loans",
    "contract_principal_fen",
    "disbursed_fen",
    "balance_fen",
    "subsidy_owed_fen",
    "subsidy_paid_fen",
    "claim_count",
    "claims_fen",
    "compensation_owed_fen",
    "recoveries_fen",
    "compensation_paid_fen",
    "pool_cash_fen",
)
STOCKS = ("balance_fen", "pool_cash_fen")  # balances at the month's end, not flows
OWED_SUBSIDY_KINDS = (LineKind.INTEREST, LineKind.ADJUSTMENT)
OWED_COMPENSATION_KINDS = (LineKind.CLAIM, LineKind.SHORTFALL)

Group = str | None
# GROUP BY the first two columns by position: an expression with bound parameters (to_char's
# format, a CASE's date) would otherwise be two different expressions to PostgreSQL.
BY_MONTH_AND_GROUP: tuple[ColumnElement[Any], ...] = (literal_column("1"), literal_column("2"))
Cells = dict[tuple[str, Group], dict[str, int]]


@dataclass(frozen=True)
class ReportRange:
    from_period: str
    to_period: str
    by: str

    @property
    def months(self) -> list[str]:
        out, month = [], self.from_period
        while month <= self.to_period:
            out.append(month)
            month = next_period(month)
        return out

    @property
    def first_day(self) -> dt.date:
        return period_bounds(self.from_period)[0]

    @property
    def last_day(self) -> dt.date:
        return period_bounds(self.to_period)[1]


@dataclass
class ProgrammeReport:
    range: ReportRange
    groups: list[Group]  # every group with a figure in the range, in key order (None last)
    group_names: dict[Group, str]
    cells: Cells  # (month, group) → figures; a group only in the months it has a figure
    month_totals: dict[str, dict[str, int]]
    pool_cash: dict[tuple[str, Group], int]  # (month, pool) → cash at the month's end, any `by`
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def months(self) -> list[str]:
        return self.range.months

    def group_totals(self, group: Group) -> dict[str, int]:
        """A group's figures over the range: flows summed, stocks at the last month."""
        rows = [self.cells.get((m, group)) for m in self.months]
        return _total([r or _zeros(self.range.by == "pool") for r in rows])


# ------------------------------------------------------------------ the range asked for
def report_range(
    from_text: str | None, to_text: str | None, by: str | None, today: dt.date
) -> ReportRange:
    """The months and dimension asked for, refused (422 naming the field) when a month is not
    YYYY-MM, `to` is before `from`, the range is longer than MAX_MONTHS or `by` is unknown.
    Without `to`, the business date's month; without `from`, the DEFAULT_MONTHS up to `to`."""
    to_period = _period(to_text, "to") if to_text else period_of(today)
    if from_text:
        from_period = _period(from_text, "from")
    else:
        index = max(_month_index(to_period) - DEFAULT_MONTHS, 12)  # never before 0001-01
        from_period = f"{index // 12:04d}-{index % 12 + 1:02d}"
    if to_period < from_period:
        raise DomainError("invalid_format", f"to {to_period} is before from {from_period}", "to")
    span = _month_index(to_period) - _month_index(from_period) + 1
    if span > MAX_MONTHS:
        raise DomainError(
            "invalid_format", f"{span} months asked; a report covers at most {MAX_MONTHS}", "to"
        )
    by = by or "bank"
    if by not in DIMENSIONS:
        raise DomainError("invalid_format", f"by must be one of {', '.join(DIMENSIONS)}", "by")
    return ReportRange(from_period, to_period, by)


def _period(text: str, name: str) -> str:
    try:
        parse_period(text)
    except ValueError:
        raise DomainError("invalid_format", f"{name} is not a month YYYY-MM", name) from None
    return text


def _month_index(period: str) -> int:
    year, month = parse_period(period)
    return year * 12 + month


# ------------------------------------------------------------------ the report
def programme_report(db: Session, asked: ReportRange) -> ProgrammeReport:
    cells: Cells = {}
    for family in (
        _filings,
        _new_loans,
        _disbursed,
        _balances,
        _subsidy_owed,
        _subsidy_paid,
        _claims,
        _compensation_owed,
        _compensation_paid,
    ):
        _merge(cells, family(db, asked))
    pool_cash = _pool_cash(db, asked)  # (month, pool) → cash
    if asked.by == "pool":
        _merge(cells, {k: {"pool_cash_fen": v} for k, v in pool_cash.items()})
    with_pool = asked.by == "pool"
    for figures in cells.values():
        for name in FIGURES:
            figures.setdefault(name, 0)
        if not with_pool:
            figures.pop("pool_cash_fen")
    cells = {k: v for k, v in cells.items() if any(v.values())}
    groups = sorted({g for _m, g in cells}, key=lambda g: (g is None, g or ""))
    month_totals = _month_totals(asked.months, cells, pool_cash)
    report = ProgrammeReport(
        asked, groups, _group_names(db, asked.by, groups), cells, month_totals, pool_cash
    )
    report.totals = _total([month_totals[m] for m in asked.months])
    return report


def _month_totals(
    months: list[str], cells: Cells, pool_cash: dict[tuple[str, Group], int]
) -> dict[str, dict[str, int]]:
    """Each month's figures summed over its groups, and every pool's cash (whatever `by`)."""
    totals = {m: dict.fromkeys(FIGURES, 0) for m in months}
    for (month, _group), figures in cells.items():
        total = totals[month]
        for name, value in figures.items():
            total[name] += value
    for month in months:
        totals[month]["pool_cash_fen"] = 0
    for (month, _pool), cash_fen in pool_cash.items():
        totals[month]["pool_cash_fen"] += cash_fen
    return totals


def _zeros(with_pool: bool) -> dict[str, int]:
    return {name: 0 for name in FIGURES if with_pool or name != "pool_cash_fen"}


def _total(rows: list[dict[str, int]]) -> dict[str, int]:
    out = {name: sum(r[name] for r in rows) for name in rows[0] if name not in STOCKS}
    for name in STOCKS:
        if name in rows[0]:
            out[name] = rows[-1][name]
    return {name: out[name] for name in FIGURES if name in out}


def _merge(cells: Cells, part: dict[tuple[str, Group], dict[str, int]]) -> None:
    for key, figures in part.items():
        cells.setdefault(key, {}).update(figures)


def _group_names(db: Session, by: str, groups: list[Group]) -> dict[Group, str]:
    """The name a group is shown by: a bank's, a product's or a pool's own; a town or an
    industry division is its own name."""
    named: dict[Group, str] = {}
    keys = [g for g in groups if g is not None]
    tables = {
        "bank": (Bank.bank_code, Bank.name),
        "product": (Product.product_code, Product.name),
        "pool": (RiskPool.pool_code, RiskPool.name),
    }
    if by in tables and keys:
        code, name = tables[by]
        named.update((k, n) for k, n in db.execute(select(code, name).where(code.in_(keys))))
    return {g: named.get(g, g or "") for g in groups}


# ------------------------------------------------------------------ SQL helpers
def _month(db: Session, column: Any) -> ColumnElement[str]:
    """YYYY-MM of a date column, in the database."""
    if is_postgres(db):
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _loan_key(by: str, loan: Any, enterprise: Any) -> ColumnElement[Any]:
    """The group of a loan's row (the loan and its enterprise joined)."""
    if by == "bank":
        return loan.bank_code
    if by == "product":
        return loan.product_code
    if by == "town":
        return enterprise.town
    if by == "industry":
        return func.substr(enterprise.industry_code, 1, 3)
    return loan.risk_pool


def _rows(db: Session, stmt: Any, names: Iterable[str]) -> dict[tuple[str, Group], dict[str, int]]:
    """(month, group, figure…) rows as cells; NULL sums as 0."""
    names = tuple(names)
    out: dict[tuple[str, Group], dict[str, int]] = {}
    for month, group, *values in db.execute(stmt):
        out[(month, group)] = {n: int(v or 0) for n, v in zip(names, values, strict=True)}
    return out


def _within(column: Any, asked: ReportRange) -> ColumnElement[bool]:
    return and_(column >= asked.first_day, column <= asked.last_day)


# ------------------------------------------------------------------ the figure families
def _filings(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    columns: list[Any] = [Filing.approved_on, Filing.uscc, Filing.eligible_investment_fen]
    stmt = select(*columns).where(_within(Filing.approved_on, asked))
    by_loan = asked.by not in ("town", "industry")
    if by_loan:  # each filing with the first loan linked to it: one join, grouped by filing
        linked = aliased(Loan)
        stmt = (
            stmt.add_columns(func.min(linked.id).label("loan_id"))
            .outerjoin(linked, linked.filing_no == Filing.filing_no)
            .group_by(Filing.filing_no, *columns)
        )
    filings = stmt.subquery()
    month = _month(db, filings.c.approved_on)
    stmt = (
        select(
            month,
            _loan_key(asked.by, Loan, Enterprise),
            func.count(),
            func.sum(filings.c.eligible_investment_fen),
        )
        .select_from(filings)
        .join(Enterprise, Enterprise.uscc == filings.c.uscc)
        .group_by(*BY_MONTH_AND_GROUP)
    )
    if by_loan:
        stmt = stmt.outerjoin(Loan, Loan.id == filings.c.loan_id)
    return _rows(db, stmt, ("filings", "planned_investment_fen"))


def _new_loans(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    month = _month(db, Loan.start_date)
    key = _loan_key(asked.by, Loan, Enterprise)
    stmt = (
        select(month, key, func.count(), func.sum(Loan.principal_fen))
        .select_from(Loan)
        .join(Enterprise, Enterprise.uscc == Loan.uscc)
        .where(_within(Loan.start_date, asked))
        .group_by(*BY_MONTH_AND_GROUP)
    )
    return _rows(db, stmt, ("new_loans", "contract_principal_fen"))


def _event_flows(
    db: Session, asked: ReportRange, types: tuple[str, ...], *, opening: bool
) -> dict[tuple[str, Group], int]:
    """Σ amount of the loans' events of `types` (a repayment negative) per month and group,
    voided ones taken out again in their own month; with `opening`, everything before the
    range summed under the month ''."""
    out: dict[tuple[str, Group], int] = {}
    for voided in (False, True):
        event = aliased(LoanEvent)
        month = _month(db, event.on_date)
        bucket = (
            case((event.on_date < asked.first_day, literal("")), else_=month) if opening else month
        )
        amount = case((event.type == "repayment", -event.amount_fen), else_=event.amount_fen)
        stmt = select(bucket, _loan_key(asked.by, Loan, Enterprise), func.sum(amount))
        if voided:  # from each void to its target, through the unique (bank, event_id) index
            void = aliased(LoanEvent)
            stmt = (
                stmt.select_from(void)
                .join(
                    event,
                    and_(event.bank_code == void.bank_code, event.event_id == void.target_event_id),
                )
                .where(void.type == "void")
            )
        else:
            stmt = stmt.select_from(event)
        stmt = (
            stmt.join(Loan, Loan.id == event.loan_id)
            .join(Enterprise, Enterprise.uscc == Loan.uscc)
            .where(event.type.in_(types), event.on_date <= asked.last_day)
            .group_by(*BY_MONTH_AND_GROUP)
        )
        if not opening:
            stmt = stmt.where(event.on_date >= asked.first_day)
        sign = -1 if voided else 1
        for month_text, group, total in db.execute(stmt):
            out[(month_text, group)] = out.get((month_text, group), 0) + sign * int(total or 0)
    return out


def _disbursed(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    flows = _event_flows(db, asked, ("disbursement",), opening=False)
    return {k: {"disbursed_fen": v} for k, v in flows.items()}


def _balances(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    flows = _event_flows(db, asked, ("disbursement", "repayment"), opening=True)
    return {k: {"balance_fen": v} for k, v in _running(flows, asked.months).items()}


def _running(
    flows: dict[tuple[str, Group], int], months: list[str]
) -> dict[tuple[str, Group], int]:
    """Month-end balances from the flows per (month, group) and the opening ones (month '')."""
    groups = {g for _m, g in flows}
    out: dict[tuple[str, Group], int] = {}
    for group in groups:
        running = flows.get(("", group), 0)
        for month in months:
            running += flows.get((month, group), 0)
            if running:
                out[(month, group)] = running
    return out


def _line_loan_joins(stmt: Any, asked: ReportRange) -> tuple[Any, ColumnElement[Any]]:
    """Lines joined to their loan (through the event or the claim) and its enterprise, and
    the group: the loan's, else the paid bank or the batch's pool (a carried line)."""
    stmt = (
        stmt.outerjoin(LoanEvent, LoanEvent.id == Line.event_pk)
        .outerjoin(Claim, Claim.id == Line.claim_id)
        .outerjoin(Loan, Loan.id == func.coalesce(LoanEvent.loan_id, Claim.loan_id))
        .outerjoin(Enterprise, Enterprise.uscc == Loan.uscc)
    )
    key = _loan_key(asked.by, Loan, Enterprise)
    if asked.by == "bank":
        key = func.coalesce(key, Line.bank_code)
    elif asked.by == "pool":
        key = func.coalesce(key, Batch.pool_code)
    return stmt, key


def _owed(
    db: Session, asked: ReportRange, kind: str, amounts: dict[str, ColumnElement[int]]
) -> dict[tuple[str, Group], dict[str, int]]:
    """Active lines of batches of `kind` by their period (the close's month)."""
    stmt = select().select_from(Line).join(Batch, Batch.id == Line.batch_id)
    stmt, key = _line_loan_joins(stmt, asked)
    stmt = (
        stmt.add_columns(Line.period, key, *(func.sum(a) for a in amounts.values()))
        .where(
            Batch.kind == kind,
            Line.status == LineStatus.ACTIVE,
            Line.period >= asked.from_period,
            Line.period <= asked.to_period,
        )
        .group_by(*BY_MONTH_AND_GROUP)
    )
    return _rows(db, stmt, amounts)


def _subsidy_owed(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    owed = case((Line.kind.in_(OWED_SUBSIDY_KINDS), Line.amount_fen), else_=0)
    return _owed(db, asked, BatchKind.SUBSIDY, {"subsidy_owed_fen": owed})


def _compensation_owed(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    owed = case((Line.kind.in_(OWED_COMPENSATION_KINDS), Line.amount_fen), else_=0)
    recovered = case((Line.kind == LineKind.RECOVERY_SHARE, -Line.amount_fen), else_=0)
    return _owed(
        db,
        asked,
        BatchKind.COMPENSATION,
        {"compensation_owed_fen": owed, "recoveries_fen": recovered},
    )


def _paid(
    db: Session, asked: ReportRange, kind: str, name: str
) -> dict[tuple[str, Group], dict[str, int]]:
    """Active lines of the payees paid, by the month of the payment: together the payment."""
    month = _month(db, BatchPayee.paid_on)
    stmt = (
        select()
        .select_from(BatchPayee)
        .join(Batch, Batch.id == BatchPayee.batch_id)
        .join(
            Line,
            and_(Line.batch_id == BatchPayee.batch_id, Line.payee_id == BatchPayee.payee_id),
        )
    )
    stmt, key = _line_loan_joins(stmt, asked)
    stmt = (
        stmt.add_columns(month, key, func.sum(Line.amount_fen))
        .where(
            Batch.kind == kind,
            BatchPayee.payment_status == PaymentStatus.PAID,
            _within(BatchPayee.paid_on, asked),
            Line.status == LineStatus.ACTIVE,
        )
        .group_by(*BY_MONTH_AND_GROUP)
    )
    return _rows(db, stmt, (name,))


def _subsidy_paid(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    return _paid(db, asked, BatchKind.SUBSIDY, "subsidy_paid_fen")


def _compensation_paid(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    return _paid(db, asked, BatchKind.COMPENSATION, "compensation_paid_fen")


def _claims(db: Session, asked: ReportRange) -> dict[tuple[str, Group], dict[str, int]]:
    key = Claim.pool_code if asked.by == "pool" else _loan_key(asked.by, Loan, Enterprise)
    stmt = (
        select(Claim.period, key, func.count(), func.sum(Claim.compensation_fen))
        .select_from(Claim)
        .join(Loan, Loan.id == Claim.loan_id)
        .join(Enterprise, Enterprise.uscc == Loan.uscc)
        .where(Claim.period >= asked.from_period, Claim.period <= asked.to_period)
        .group_by(*BY_MONTH_AND_GROUP)
    )
    return _rows(db, stmt, ("claim_count", "claims_fen"))


def _pool_cash(db: Session, asked: ReportRange) -> dict[tuple[str, Group], int]:
    """Each pool's cash (1101:{pool}) at each month's end, by the postings' dates."""
    month = _month(db, JournalEntry.posted_on)
    bucket = case((JournalEntry.posted_on < asked.first_day, literal("")), else_=month)
    stmt = (
        select(bucket, Posting.account, func.sum(Posting.amount_fen))
        .select_from(Posting)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.base_account == POOL_CASH, JournalEntry.posted_on <= asked.last_day)
        .group_by(*BY_MONTH_AND_GROUP)
    )
    flows: dict[tuple[str, Group], int] = {}
    for month_text, account, total in db.execute(stmt):
        key = (month_text, pool_of(account))
        flows[key] = flows.get(key, 0) + int(total or 0)
    return _running(flows, asked.months)


# ------------------------------------------------------------------ the answer on the wire
def wire_name(figure: str) -> str:
    """'subsidy_owed_fen' -> 'subsidy_owed': money is a yuan string on the wire."""
    return figure.removesuffix("_fen")


def figures_wire(figures: dict[str, int]) -> dict[str, Any]:
    return {
        wire_name(name): format_fen(value) if name.endswith("_fen") else value
        for name, value in figures.items()
    }


def report_wire(report: ProgrammeReport) -> dict[str, Any]:
    """GET /reports/programme: per month its groups' figures and its total, per group its
    figures over the range, and the grand total. A group's `pool_cash` is there only by pool."""
    return {
        "from": report.range.from_period,
        "to": report.range.to_period,
        "by": report.range.by,
        "figures": [wire_name(name) for name in FIGURES],
        "groups": [
            {"key": g, "name": report.group_names[g], **figures_wire(report.group_totals(g))}
            for g in report.groups
        ],
        "months": [
            {
                "month": month,
                "groups": [
                    {"key": g, **figures_wire(report.cells[(month, g)])}
                    for g in report.groups
                    if (month, g) in report.cells
                ],
                "total": figures_wire(report.month_totals[month]),
            }
            for month in report.months
        ],
        "total": figures_wire(report.totals),
    }


__all__ = [
    "DIMENSIONS",
    "FIGURES",
    "MAX_MONTHS",
    "ProgrammeReport",
    "ReportRange",
    "programme_report",
    "report_range",
    "report_wire",
]
