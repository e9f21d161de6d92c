"""Who may work at the same time.

PostgreSQL: transaction-level advisory locks (released at COMMIT/ROLLBACK, so a killed
process never leaves one behind). SQLite: every write transaction starts with
BEGIN IMMEDIATE (persistence.db), which already serialises writers.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session

from loanledger.persistence.db import is_postgres


def _key(name: str) -> int:
    return zlib.crc32(name.encode())


def exclusive(db: Session, name: str) -> None:
    if is_postgres(db):
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(name)})


def shared(db: Session, name: str) -> None:
    if is_postgres(db):
        db.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": _key(name)})


def try_exclusive(db: Session, name: str) -> bool:
    if is_postgres(db):
        return bool(db.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _key(name)}))
    return True


CLOSE = "loanledger:close"
