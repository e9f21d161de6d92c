"""Chinese working days for 公示 (domain.md §7): official holidays off, 调休 make-up days on.

Three sources, in order: an administrator's own days (`calendar_days`), the
chinese-calendar package's data (State Council notices; it knows the years it covers),
and Monday–Friday for a year it does not cover.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.domain.workdays import weekday_rule
from loanledger.persistence.tables import CalendarDay
from loanledger.services import audit
from loanledger.services.errors import Conflict, NotFound


def _published(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package's data does not cover
        return weekday_rule(day)


def covered(year: int) -> bool:
    """Whether chinese-calendar has the State Council's notice for the year."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def is_workday_rule(db: Session) -> Callable[[dt.date], bool]:
    overrides = {row.day: row.kind == "workday" for row in db.scalars(select(CalendarDay))}

    def is_workday(day: dt.date) -> bool:
        if day in overrides:
            return overrides[day]
        return _published(day)

    return is_workday


def calendar_day_doc(row: CalendarDay) -> dict:
    return {
        "day": row.day.isoformat(),
        "kind": row.kind,
        "name": row.name,
        "created_by": row.created_by,
    }


def list_days(db: Session, year: int | None = None) -> list[CalendarDay]:
    stmt = select(CalendarDay).order_by(CalendarDay.day)
    if year is not None:
        stmt = stmt.where(
            CalendarDay.day >= dt.date(year, 1, 1), CalendarDay.day <= dt.date(year, 12, 31)
        )
    return list(db.scalars(stmt))


def add_day(
    db: Session, day: dt.date, kind: str, name: str, actor: str
) -> tuple[CalendarDay, bool]:
    """Add a holiday or make-up working day. The same day again with the same content is a
    no-op (False); with other content it is refused: batches may already count on it."""
    existing = db.get(CalendarDay, day)
    if existing is not None:
        if (existing.kind, existing.name) == (kind, name):
            return existing, False
        raise Conflict(
            "invalid_state", f"{day} is already a {existing.kind} ({existing.name})", "day"
        )
    row = CalendarDay(day=day, kind=kind, name=name, created_by=actor)
    db.add(row)
    db.flush()
    audit.record(
        db, actor, "calendar.add", "calendar_day", day.isoformat(), None, calendar_day_doc(row)
    )
    return row, True


def remove_day(db: Session, day: dt.date, actor: str) -> None:
    """Take back an administrator's day (a holiday entered by mistake): the day follows the
    published calendar again. A day not entered is refused (not_found), so a second click
    changes nothing."""
    row = db.get(CalendarDay, day)
    if row is None:
        raise NotFound(f"calendar day {day}")
    before = calendar_day_doc(row)
    db.delete(row)
    db.flush()
    audit.record(db, actor, "calendar.remove", "calendar_day", day.isoformat(), before, None)
