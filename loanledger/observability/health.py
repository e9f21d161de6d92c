"""Liveness and readiness.

- `/healthz`: the process answers (no database). A load balancer or orchestrator restarts
  the process when this fails.
- `/readyz`: `SELECT 1` on the database and the schema at Alembic's head; 503 with a JSON
  body naming the checks that failed. The last integrity-check result (stored by the
  scheduler in `integrity_checks`, or reported to this process by `set_integrity`) is
  included as `integrity`; it is
  information, not a readiness condition (a ledger discrepancy is not cured by taking every
  API process out of the load balancer).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from typing import Any

from sqlalchemy import Engine

_integrity_lock = threading.Lock()
_integrity: dict[str, Any] | None = None


def set_integrity(ok: bool, detail: dict) -> None:
    """Record the result of the latest integrity check (called by the scheduler's job).
    Kept in this process's memory: /readyz of the process that ran the check reports it."""
    global _integrity
    with _integrity_lock:
        _integrity = {
            "ok": bool(ok),
            "detail": dict(detail),
            "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }


def get_integrity() -> dict[str, Any] | None:
    with _integrity_lock:
        return None if _integrity is None else dict(_integrity)


def clear_integrity() -> None:
    global _integrity
    with _integrity_lock:
        _integrity = None


@functools.cache
def alembic_heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    from loanledger.persistence.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def _reason(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return f"{type(original).__name__}: {lines[0] if lines else ''}"[:300]


def _stored_integrity(cursor) -> dict[str, Any] | None:
    """The scheduler's latest stored check (table integrity_checks), or None."""
    try:
        cursor.execute(
            "SELECT checked_at, ok, detail FROM integrity_checks ORDER BY id DESC LIMIT 1"
        )
        row = cursor.fetchone()
    except Exception:
        return None
    if row is None:
        return None
    checked_at, ok, detail = row
    if isinstance(detail, str):
        detail = json.loads(detail)
    if isinstance(checked_at, str):  # SQLite hands back text
        checked_at = dt.datetime.fromisoformat(checked_at)
    if checked_at.tzinfo is None:  # stored in UTC (persistence.db.as_utc)
        checked_at = checked_at.replace(tzinfo=dt.UTC)
    return {
        "ok": bool(ok),
        "detail": detail,
        "checked_at": checked_at.isoformat(timespec="seconds"),
    }


def readiness(engine: Engine) -> tuple[bool, dict[str, Any]]:
    """(ready, body). Never raises.

    On the DBAPI connection, not a SQLAlchemy one: the SQLite engine begins every SQLAlchemy
    transaction with BEGIN IMMEDIATE (the write lock), which a probe must not take."""
    checks: dict[str, Any] = {}
    stored = None
    try:
        raw = engine.raw_connection()
    except Exception as error:
        raw = None
        checks["database"] = {"ok": False, "error": _reason(error)}
        checks["schema"] = {"ok": False, "error": "not checked: the database is unreachable"}
    if raw is not None:
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("SELECT 1")
                cursor.fetchall()
                checks["database"] = {"ok": True}
            except Exception as error:
                checks["database"] = {"ok": False, "error": _reason(error)}
                checks["schema"] = {
                    "ok": False,
                    "error": "not checked: the database is unreachable",
                }
            if checks["database"]["ok"]:
                head = sorted(alembic_heads())
                try:
                    cursor.execute("SELECT version_num FROM alembic_version")
                    current = sorted(row[0] for row in cursor.fetchall())
                    checks["schema"] = {"ok": current == head, "revision": current, "head": head}
                except Exception as error:
                    checks["schema"] = {
                        "ok": False,
                        "revision": [],
                        "head": head,
                        "error": _reason(error),
                    }
                if checks["schema"]["ok"]:
                    stored = _stored_integrity(cursor)
            cursor.close()
        finally:
            try:
                raw.rollback()
                raw.close()
            except Exception:
                raw.invalidate()
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {
        "status": "ready" if not failed else "unavailable",
        "failed": failed,
        "checks": checks,
        "integrity": stored or get_integrity(),
    }
    return not failed, body
