"""Periods: which there are, the last closed and the next to close, each period's view and
what each month's batches pay (the dashboard's chart)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from loanledger.domain.dates import next_period
from loanledger.domain.money import format_fen
from loanledger.domain.vocabulary import BatchKind, PeriodStatus
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import Batch, Period

CHART_MONTHS = 24


def period_names(db: Session) -> list[str]:
    """Every period with a row, and the one after the last, oldest first."""
    names = list(db.scalars(select(Period.period).order_by(Period.period)))
    if names and next_period(names[-1]) not in names:
        names.append(next_period(names[-1]))
    return names


def periods(db: Session) -> list[dict[str, Any]]:
    """The period list (GET /periods, the dashboard): each period's view, oldest first."""
    return [period_view(db, p) for p in period_names(db)]


def first_closed_period(db: Session) -> str | None:
    return db.scalar(select(func.min(Period.period)).where(Period.status == PeriodStatus.CLOSED))


def last_closed_period(db: Session) -> str | None:
    return db.scalar(select(func.max(Period.period)).where(Period.status == PeriodStatus.CLOSED))


def next_closable_period(db: Session, today: dt.date) -> str:
    """The month a clerk closes next: after the last closed one; before any, last month."""
    last = last_closed_period(db)
    if last:
        return next_period(last)
    first_of_month = today.replace(day=1)
    previous = first_of_month - dt.timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def batch_summary(batch: Row | Batch) -> dict[str, Any]:
    return {
        "batch_id": batch.id,
        "period": batch.period,
        "kind": batch.kind,
        "status": batch.status,
        "total": format_fen(batch.total_fen),
        "payee_count": batch.payee_count,
        "line_count": batch.line_count,
        "publicity_ends_on": batch.publicity_ends_on.isoformat()
        if batch.publicity_ends_on
        else None,
        "budget_year": batch.budget_year,  # v2: the year its approval was charged to
    }


def period_view(db: Session, period: str) -> dict[str, Any]:
    row = db.get(Period, period)
    batches = db.execute(
        select(Batch.__table__).where(Batch.period == period).order_by(Batch.kind.desc())
    ).all()
    totals = {b.kind: b.total_fen for b in batches}
    return {
        "period": period,
        "status": row.status if row else PeriodStatus.OPEN,
        "closed_at": as_utc(row.closed_at).isoformat() if row and row.closed_at else None,
        "subsidy_total": format_fen(totals.get(BatchKind.SUBSIDY, 0)),
        "compensation_total": format_fen(totals.get(BatchKind.COMPENSATION, 0)),
        "batches": [batch_summary(b) for b in batches],
    }


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
    for period in db.scalars(select(Period.period).where(Period.status == PeriodStatus.CLOSED)):
        by_period.setdefault(period, {})
    months = sorted(by_period)[-CHART_MONTHS:]
    return [
        MonthTotals(
            p, by_period[p].get(BatchKind.SUBSIDY, 0), by_period[p].get(BatchKind.COMPENSATION, 0)
        )
        for p in months
    ]
