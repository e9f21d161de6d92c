"""The audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import AuditEntry
from loanledger.services.read.paging import Page, keyset_page


def audit_trail(
    db: Session,
    since: dt.datetime | None = None,
    entity: str | None = None,
    action: str | None = None,
    *,
    limit: int,
    cursor: str | None,
) -> Page:
    """A page of audit entries (rows), oldest first: from `since`, of one entity or action."""
    stmt = select(AuditEntry.__table__)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    for column, value in ((AuditEntry.entity, entity), (AuditEntry.action, action)):
        if value:
            stmt = stmt.where(column == value)
    return keyset_page(db, stmt, [AuditEntry.id], limit=limit, cursor=cursor)
