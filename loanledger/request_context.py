"""Per-request plumbing: the database session, who is calling, the business date.

Beside app.py, so that the API and the web pages share it without one importing the other."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Principal:
    kind: str  # "bank" | "user"
    bank_code: str | None = None
    username: str | None = None
    role: str | None = None
    uscc: str | None = None
    key_id: str | None = None

    @property
    def actor(self) -> str:
        return f"bank:{self.bank_code}" if self.kind == "bank" else f"user:{self.username}"


def session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["loanledger"].sessionmaker()
    return g.db_session


def principal() -> Principal:
    return g.principal


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()
        db_session.close()


def manual_business_date() -> bool:
    """Whether an administrator may set the business date here (development, test), or it
    follows the Shanghai calendar (production): the API's PUT and the page both ask this."""
    return current_app.extensions["loanledger"].settings.allow_manual_business_date


def business_date():
    """Today's business date (the database's, or the Shanghai calendar's in production)."""
    from loanledger.services import clock

    return clock.today(session(), manual=manual_business_date())


def path_period(period: str) -> str:
    """A `{period}` path segment: a real month YYYY-MM, or the resource is not found."""
    from loanledger.domain.dates import parse_period
    from loanledger.services.errors import NotFound

    try:
        parse_period(period)
    except ValueError:
        raise NotFound(f"period {period}") from None
    return period


def advance_publicity() -> None:
    """Any request may move batches whose 公示 is over to `ready` (api.md). A GET does not
    commit its session, so the move is a unit of work of its own, before the GET reads."""
    from loanledger.services import payouts
    from loanledger.services.unit_of_work import unit_of_work

    with unit_of_work(session()) as db:
        payouts.refresh_publicity(db, business_date())
