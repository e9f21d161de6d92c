"""The business date: 'today' for every rule, kept in the database.

With the manual business date allowed (development, test) an admin moves it forward;
otherwise it follows the Asia/Shanghai calendar.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import BusinessDate
from loanledger.services.audit import record
from loanledger.services.errors import Conflict

SHANGHAI = ZoneInfo("Asia/Shanghai")


class BackwardsDate(Conflict):
    """The business date only moves forward (409 business_date_backwards)."""

    def __init__(self, message: str):
        super().__init__("business_date_backwards", message, "date")


def shanghai_today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


def today(db: Session, *, manual: bool = True) -> dt.date:
    if not manual:
        return shanghai_today()  # production: no query on every request
    today = db.scalar(_TODAY)
    return shanghai_today() if today is None else today


_TODAY = select(BusinessDate.today).where(BusinessDate.id == 1)  # built once: read per request


def set_today(db: Session, new_date: dt.date, actor: str) -> dt.date:
    row = db.get(BusinessDate, 1, with_for_update=True)
    if row is None:
        db.add(BusinessDate(id=1, today=new_date))
        record(
            db,
            actor,
            "business_date.set",
            "business_date",
            "1",
            None,
            {"date": new_date.isoformat()},
        )
        return new_date
    if new_date < row.today:
        raise BackwardsDate(f"the business date is {row.today}; it cannot move back to {new_date}")
    if new_date != row.today:
        record(
            db,
            actor,
            "business_date.set",
            "business_date",
            "1",
            {"date": row.today.isoformat()},
            {"date": new_date.isoformat()},
        )
        row.today = new_date
    return new_date
