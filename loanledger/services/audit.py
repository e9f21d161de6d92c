"""The audit trail: every state change, append-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from loanledger.persistence.tables import AuditEntry


def record(
    db: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    db.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )
