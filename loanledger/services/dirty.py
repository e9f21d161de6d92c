"""Marks what changed since the last close, so the close recomputes only that.

Every service that changes data a subsidy or claim depends on calls `mark` in the same
transaction as the change. Scopes: 'loan' (loan id), 'filing' (filing_no), 'enterprise'
(uscc), 'all' (reference data every loan depends on, e.g. the LPR table).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from loanledger.persistence.tables import DirtyMark
from loanledger.services import locks


def mark(db: Session, scope: str, key: str | int) -> None:
    """Also takes the close lock in shared mode: a close (exclusive) then either sees this
    change whole or starts after it commits, so it never consumes a mark it did not read."""
    assert scope in ("loan", "filing", "enterprise", "all"), scope
    locks.shared(db, locks.CLOSE)
    db.add(DirtyMark(scope=scope, key=str(key)))
