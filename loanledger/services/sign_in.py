"""Password sign-in (API tokens and web pages), throttled per user name.

After FAILURES_ALLOWED failed sign-ins for a name within WINDOW, every attempt for that name
is refused, right password or not, until the oldest counted failure leaves the window: a
guesser gets ten tries per quarter-hour instead of as many as the server answers. Per name,
not per address: behind a load balancer the address is the balancer's, and a name is what a
guesser aims at. The failures are rows, so every API process counts the same ones. The
price: someone who fails on purpose keeps a user out for a window; refused attempts are not
counted, so it lasts only as long as they keep failing, and the log shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from loanledger.domain.errors import Refusal
from loanledger.persistence.db import as_utc
from loanledger.persistence.tables import SignInFailure, User
from loanledger.services import identity

FAILURES_ALLOWED = 10
WINDOW = dt.timedelta(minutes=15)
NAME_CHARS = 64  # users.username's length: a longer name is no user's

log = logging.getLogger(__name__)


class TooManyAttempts(Refusal):
    """The name is throttled (429 rate_limited), with the seconds until it may try again."""

    status = 429

    def __init__(self, retry_after_seconds: int):
        message = (
            f"too many failed sign-ins for this username; try again in {retry_after_seconds} s"
        )
        super().__init__(
            "rate_limited", message, "username", headers={"Retry-After": str(retry_after_seconds)}
        )
        self.retry_after_seconds = retry_after_seconds


def sign_in(
    db: Session, username: str, password: str, now: dt.datetime | None = None
) -> User | None:
    """The user, or None for a wrong name or password (the failure is added: the caller commits
    it even though it refuses). Raises TooManyAttempts while the name is throttled."""
    now = now or dt.datetime.now(dt.UTC)
    name = username[:NAME_CHARS]
    count, oldest = db.execute(
        select(func.count(), func.min(SignInFailure.failed_at)).where(
            SignInFailure.username == name, SignInFailure.failed_at > now - WINDOW
        )
    ).one()
    if count >= FAILURES_ALLOWED:
        raise TooManyAttempts(max(1, math.ceil((as_utc(oldest) + WINDOW - now).total_seconds())))
    user = identity.authenticate_password(db, username, password)
    if user is None:
        db.add(SignInFailure(username=name, failed_at=now))
        db.flush()
        if count + 1 == FAILURES_ALLOWED:
            log.warning("sign-in throttled for %s after %d failures", name, FAILURES_ALLOWED)
        return None
    db.execute(delete(SignInFailure).where(SignInFailure.username == name))
    return user


def purge(db: Session, now: dt.datetime) -> int:
    """Failures that no longer count. Flushes; the caller commits."""
    # A DELETE's result is a CursorResult, though Session.execute is typed as any Result.
    deleted = cast(
        CursorResult[Any],
        db.execute(delete(SignInFailure).where(SignInFailure.failed_at <= now - WINDOW)),
    )
    return int(deleted.rowcount or 0)
