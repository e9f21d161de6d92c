"""The audit trail: who changed what, when, with the state before and after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from loanledger.persistence.tables import AuditEntry
from loanledger.services.read.paging import Page, keyset_page
from loanledger.services.read.sorting import NumberedPage, Sort, Sorts, numbered_page


@dataclass(frozen=True)
class AuditFilter:
    """Each given condition narrows the trail; `until` is exclusive."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None


def _selected(where: AuditFilter) -> Select:
    stmt = select(AuditEntry.__table__)
    if where.since is not None:
        stmt = stmt.where(AuditEntry.at >= where.since)
    if where.until is not None:
        stmt = stmt.where(AuditEntry.at < where.until)
    for column, value in (
        (AuditEntry.actor, where.actor),
        (AuditEntry.action, where.action),
        (AuditEntry.entity, where.entity),
        (AuditEntry.entity_id, where.entity_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    return stmt


def audit_trail(
    db: Session,
    since: dt.datetime | None = None,
    entity: str | None = None,
    action: str | None = None,
    *,
    limit: int,
    cursor: str | None,
    where: AuditFilter | None = None,
) -> Page:
    """A page of audit entries (rows), oldest first: from `since`, of one entity or action,
    or as `where` narrows it (the auditor's page)."""
    where = where or AuditFilter(since=since, entity=entity, action=action)
    return keyset_page(db, _selected(where), [AuditEntry.id], limit=limit, cursor=cursor)


AUDIT_SORTS = Sorts(
    {
        "id": AuditEntry.id,
        "at": AuditEntry.at,
        "actor": AuditEntry.actor,
        "action": AuditEntry.action,
        "entity": AuditEntry.entity,
    },
    Sort("id"),
    [AuditEntry.id],
)


def audit_numbered(
    db: Session, where: AuditFilter, page: int, sort: Sort = AUDIT_SORTS.default, *, size: int
) -> NumberedPage:
    """Page `page` of the entries `where` selects, in `sort` order (oldest first unless
    asked), with their count: the auditor's page."""
    return numbered_page(db, _selected(where), AUDIT_SORTS.order_by(sort), page, size)


def audit_rows(db: Session, where: AuditFilter, *, at_most: int) -> Iterator:
    """Every entry `where` selects, oldest first, at most `at_most` (an export), fetched in
    chunks so a long trail is never held in memory at once."""
    stmt = _selected(where).order_by(AuditEntry.id).limit(at_most)
    yield from db.execute(stmt.execution_options(yield_per=1000))
