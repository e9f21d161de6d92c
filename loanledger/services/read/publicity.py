"""The public 公示 list (api.md, "what the bureau publishes"): the subsidy batches now in 公示,
as the bureau posts them on its website, for anyone, without sign-in.

What is published, per batch: its period, the first and last working day of 公示 (the last is
also the last day to object) and, per enterprise, its name, its USCC with the middle ten
characters masked, the projects (filings) and banks of its subsidised loans, and the subsidy
of this batch. Nothing else: no account, no contract or loan number, no line or objection.

Decisions (docs/decisions-publicity.md):
- A batch is listed while it is in 公示 and its last day has not passed (the business date);
  the day after, it is gone (404), even before anything moved it to `ready`: a list that
  still invited objections after the deadline would mislead.
- An enterprise's amount is the sum of its active interest and adjustment lines in the batch:
  the subsidy decided in this close, which is what 公示 is about and what an objection can
  challenge. A line held back after an upheld objection is not listed; carried lines (a
  failed payment paid again, a receivable netted) were decided and published before.
- An enterprise whose amount comes to zero or less (a correction that takes back more than
  this month grants) is not listed: the list names who receives a subsidy.
- The totals are the sums of what is listed (enterprises, amount).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from loanledger.domain.money import format_fen
from loanledger.domain.uscc import masked_uscc
from loanledger.domain.vocabulary import (
    OBJECTABLE_LINE_KINDS,
    BatchKind,
    BatchStatus,
    LineStatus,
)
from loanledger.domain.workdays import publicity_start
from loanledger.persistence.tables import (
    Bank,
    Batch,
    Enterprise,
    Filing,
    Line,
    Loan,
    LoanEvent,
    Period,
)
from loanledger.services import workcalendar


@dataclass(frozen=True)
class PublicEntry:
    """One enterprise of a published list."""

    enterprise_name: str
    uscc_masked: str
    projects: tuple[str, ...]
    banks: tuple[str, ...]
    amount_fen: int


@dataclass(frozen=True)
class PublicList:
    """One subsidy batch in 公示, as published. `objection_until` is the last day (inclusive)
    on which an enterprise may object: the last working day of 公示."""

    batch_id: int
    period: str
    starts_on: dt.date
    ends_on: dt.date
    entries: tuple[PublicEntry, ...]

    @property
    def objection_until(self) -> dt.date:
        return self.ends_on

    @property
    def total_fen(self) -> int:
        return sum(entry.amount_fen for entry in self.entries)

    @property
    def enterprise_count(self) -> int:
        return len(self.entries)


def is_published(batch, today: dt.date) -> bool:
    """Whether the public list shows the batch today (a Batch or its row): the same rule as
    the query below, for a page that has the batch already."""
    return (
        batch.kind == BatchKind.SUBSIDY
        and batch.status == BatchStatus.PUBLICITY
        and batch.publicity_ends_on is not None
        and batch.publicity_ends_on >= today
    )


def _batches_in_publicity(db: Session, today: dt.date, batch_id: int | None):
    stmt = (
        select(Batch.id, Batch.period, Batch.publicity_ends_on, Period.business_date)
        .join(Period, Period.period == Batch.period)
        .where(
            Batch.kind == BatchKind.SUBSIDY,
            Batch.status == BatchStatus.PUBLICITY,
            Batch.publicity_ends_on >= today,
        )
        .order_by(Batch.period.desc(), Batch.id)
    )
    if batch_id is not None:
        stmt = stmt.where(Batch.id == batch_id)
    return db.execute(stmt).all()


def _amounts(db: Session, batch_ids: list[int]):
    """(batch, uscc, name, project, bank, amount in fen) per loan's filing and bank."""
    return db.execute(
        select(
            Line.batch_id,
            Loan.uscc,
            Enterprise.name,
            Filing.project_name,
            Bank.name,
            func.sum(Line.amount_fen),
        )
        .join(LoanEvent, LoanEvent.id == Line.event_pk)
        .join(Loan, Loan.id == LoanEvent.loan_id)
        .join(Enterprise, Enterprise.uscc == Loan.uscc)
        .join(Bank, Bank.bank_code == Loan.bank_code)
        .outerjoin(Filing, Filing.filing_no == Loan.filing_no)
        .where(
            Line.batch_id.in_(batch_ids),
            Line.status == LineStatus.ACTIVE,
            Line.kind.in_(OBJECTABLE_LINE_KINDS),
        )
        .group_by(Line.batch_id, Loan.uscc, Enterprise.name, Filing.project_name, Bank.name)
    ).all()


def _entries(rows) -> dict[int, tuple[PublicEntry, ...]]:
    grouped: dict[tuple[int, str], list] = defaultdict(list)
    for batch_id, uscc, name, project, bank, amount_fen in rows:
        grouped[(batch_id, uscc)].append((name, project, bank, int(amount_fen)))
    by_batch: dict[int, list[PublicEntry]] = defaultdict(list)
    for (batch_id, uscc), parts in grouped.items():
        amount_fen = sum(part[3] for part in parts)
        if amount_fen <= 0:
            continue
        by_batch[batch_id].append(
            PublicEntry(
                enterprise_name=parts[0][0],
                uscc_masked=masked_uscc(uscc),
                projects=tuple(sorted({p[1] for p in parts if p[1]})),
                banks=tuple(sorted({p[2] for p in parts})),
                amount_fen=amount_fen,
            )
        )
    return {
        batch_id: tuple(sorted(entries, key=lambda e: (e.enterprise_name, e.uscc_masked)))
        for batch_id, entries in by_batch.items()
    }


def _window(business_date: dt.date | None, ends_on: dt.date, is_workday) -> tuple[dt.date, dt.date]:
    """(first, last working day) of a batch's 公示; the last is the last day to object. A
    period closed before closes kept their business date starts on its last day."""
    return publicity_start(business_date or ends_on, ends_on, is_workday), ends_on


def publicity_windows(db: Session, batch_ids: Iterable[int]) -> dict[int, tuple[dt.date, dt.date]]:
    """batch_id → (first, last working day of 公示) for each batch of `batch_ids` that has
    one, whether it is still in 公示 or not: the public list's dates, and the portal's 公示期
    and 公示截止 (the last day an enterprise may object)."""
    wanted = sorted(set(batch_ids))
    if not wanted:
        return {}
    rows = db.execute(
        select(Batch.id, Batch.publicity_ends_on, Period.business_date)
        .join(Period, Period.period == Batch.period)
        .where(Batch.id.in_(wanted), Batch.publicity_ends_on.is_not(None))
    ).all()
    is_workday = workcalendar.is_workday_rule(db)
    return {r.id: _window(r.business_date, r.publicity_ends_on, is_workday) for r in rows}


def publicity_lists(db: Session, today: dt.date, batch_id: int | None = None) -> list[PublicList]:
    """The subsidy batches in 公示 on `today`, newest period first (only `batch_id`'s when
    given: an empty list when that batch is not, or no longer, in 公示)."""
    batches = _batches_in_publicity(db, today, batch_id)
    if not batches:
        return []
    is_workday = workcalendar.is_workday_rule(db)
    entries = _entries(_amounts(db, [b.id for b in batches]))
    out = []
    for b in batches:
        starts_on, ends_on = _window(b.business_date, b.publicity_ends_on, is_workday)
        out.append(PublicList(b.id, b.period, starts_on, ends_on, entries.get(b.id, ())))
    return out


def publicity_list(db: Session, today: dt.date, batch_id: int) -> PublicList | None:
    """One batch's published list, or None when it is not (or no longer) in 公示."""
    found = publicity_lists(db, today, batch_id)
    return found[0] if found else None


def how_to_object(until: dt.date, contact: str | None = None) -> str:
    """How and until when to object, in the words the bureau publishes (Chinese: the list is
    the bureau's notice). `contact` is the bureau's telephone or address, when it set one."""
    text = (
        f"对名单有异议的企业，请于{until.year}年{until.month}月{until.day}日（含）前"
        "登录企业端（我的贴息），对相应的贴息明细提出异议并说明理由。"
    )
    if contact:
        text += f"咨询：{contact}。"
    return text


def publicity_doc(public: PublicList, contact: str | None = None) -> dict:
    """The list in wire form: amounts as yuan strings, dates ISO."""
    return {
        "batch_id": public.batch_id,
        "period": public.period,
        "publicity_starts_on": public.starts_on.isoformat(),
        "publicity_ends_on": public.ends_on.isoformat(),
        "objection": {
            "until": public.objection_until.isoformat(),
            "how": how_to_object(public.objection_until, contact),
        },
        "enterprise_count": public.enterprise_count,
        "total": format_fen(public.total_fen),
        "enterprises": [
            {
                "name": e.enterprise_name,
                "uscc_masked": e.uscc_masked,
                "projects": list(e.projects),
                "banks": list(e.banks),
                "amount": format_fen(e.amount_fen),
            }
            for e in public.entries
        ],
    }
