"""What is kept only for a while: Idempotency-Keys (≥ 7 days), signature nonces (600 s) and
failed sign-ins (the throttle's window, services.sign_in).

`purge_expired` deletes what is past its time; `loanledger purge` runs it, and a scheduler
job may call it as often as it likes (it is idempotent and cheap: the tables are indexed on
their timestamps).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from loanledger.persistence.tables import IdempotencyRecord, Nonce
from loanledger.services import sign_in

# The same as config.Settings' defaults (tests/integration/test_retention.py checks it).
DEFAULT_IDEMPOTENCY_TTL_DAYS = 7
DEFAULT_NONCE_TTL_SECONDS = 600


def purge_expired(
    db: Session,
    now: dt.datetime,
    *,
    idempotency_ttl_days: int = DEFAULT_IDEMPOTENCY_TTL_DAYS,
    nonce_ttl_seconds: int = DEFAULT_NONCE_TTL_SECONDS,
) -> dict[str, int]:
    """Delete Idempotency-Keys created more than `idempotency_ttl_days` before `now` and
    nonces seen more than `nonce_ttl_seconds` before it, and failed sign-ins that no longer
    count. Flushes; the caller commits.
    Returns the counts deleted."""
    assert now.tzinfo is not None, "now must be timezone-aware (UTC)"
    assert idempotency_ttl_days >= 7, "api.md: keys are kept at least 7 days"
    assert nonce_ttl_seconds >= 600, "api.md: a nonce is refused if seen in the last 600 s"
    # A DELETE's result is a CursorResult, though Session.execute is typed as any Result.
    keys = cast(
        CursorResult[Any],
        db.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.created_at < now - dt.timedelta(days=idempotency_ttl_days)
            )
        ),
    ).rowcount
    nonces = cast(
        CursorResult[Any],
        db.execute(
            delete(Nonce).where(Nonce.seen_at < now - dt.timedelta(seconds=nonce_ttl_seconds))
        ),
    ).rowcount
    return {
        "idempotency_keys": int(keys or 0),
        "nonces": int(nonces or 0),
        "sign_in_failures": sign_in.purge(db, now),
    }
