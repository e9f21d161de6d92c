"""hardening: the database refuses a loan event without what its type requires

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:00:00

Before issue 14, a disbursement of "0.00" was stored with a NULL amount, and the loan view and
every close then failed until the bank voided it. The API refuses such amounts now; this adds
the same rule to the database (`ck_loan_events_required_columns`, the models' own text).

A database that already holds such rows keeps them (loan_events is append-only): each one not
yet voided gets a `void` event appended here, as the bank would have sent, its loan is marked
for the next close, and the audit trail says so. The constraint then applies to new rows only,
as PostgreSQL's NOT VALID does and as SQLite does when the table is rebuilt with its CHECK
constraints ignored for the copy (docs/security.md, "Amounts").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_loan_events_required_columns"
# A copy, not an import of the models: a migration is fixed once it has shipped.
REQUIRED_COLUMNS = (
    "(type NOT IN ('disbursement','repayment','recovery')"
    " OR (on_date IS NOT NULL AND amount_fen IS NOT NULL))"
    " AND (type <> 'interest' OR (on_date IS NOT NULL AND interest_fen IS NOT NULL"
    " AND period_start IS NOT NULL AND period_end IS NOT NULL))"
    " AND (type <> 'rate_change' OR (on_date IS NOT NULL AND rate_e4 IS NOT NULL))"
    " AND (type <> 'delinquency' OR (on_date IS NOT NULL AND days_past_due IS NOT NULL))"
    " AND (type <> 'settlement' OR on_date IS NOT NULL)"
    " AND (type <> 'void' OR (target_event_id IS NOT NULL AND reason IS NOT NULL))"
)
VOID_REASON = "migration 0013: stored without a required value (an amount of 0.00 before issue 14)"
ACTOR = "migration:0013"


def _incomplete(connection) -> list:
    return connection.execute(
        sa.text(
            "SELECT e.id, e.bank_code, e.event_id, e.loan_id, e.type FROM loan_events e"
            f" WHERE NOT ({REQUIRED_COLUMNS}) AND NOT EXISTS ("
            "  SELECT 1 FROM loan_events v WHERE v.type = 'void' AND v.loan_id = e.loan_id"
            "   AND v.target_event_id = e.event_id)"
            " ORDER BY e.id"
        )
    ).all()


def _void(connection, row, now: dt.datetime) -> None:
    event_id = f"void-0013-{row.id}"
    digest = hashlib.sha256(f"{event_id}|void|{row.event_id}|{VOID_REASON}".encode()).hexdigest()
    connection.execute(
        sa.text(
            "INSERT INTO loan_events (bank_code, event_id, loan_id, type, target_event_id,"
            " reason, content_hash, received_at)"
            " VALUES (:bank, :event_id, :loan_id, 'void', :target, :reason, :digest, :now)"
        ),
        {
            "bank": row.bank_code,
            "event_id": event_id,
            "loan_id": row.loan_id,
            "target": row.event_id,
            "reason": VOID_REASON,
            "digest": digest,
            "now": now,
        },
    )
    connection.execute(
        sa.text("INSERT INTO dirty_marks (scope, key) VALUES ('loan', :key)"),
        {"key": str(row.loan_id)},
    )
    audit = sa.table(
        "audit_log",
        sa.column("at"),
        sa.column("actor"),
        sa.column("action"),
        sa.column("entity"),
        sa.column("entity_id"),
        sa.column("before", sa.JSON),
        sa.column("after", sa.JSON),
    )
    connection.execute(
        sa.insert(audit).values(
            at=now,
            actor=ACTOR,
            action="loan_event.void",
            entity="loan_event",
            entity_id=f"{row.bank_code}/{row.event_id}",
            before={"type": row.type, "loan_id": row.loan_id},
            after={"void_event_id": event_id, "reason": VOID_REASON},
        )
    )


def upgrade() -> None:
    connection = op.get_bind()
    incomplete = _incomplete(connection)
    now = dt.datetime.now(dt.UTC)
    for row in incomplete:
        _void(connection, row, now)
    had_incomplete = bool(
        connection.scalar(sa.text(f"SELECT count(*) FROM loan_events WHERE NOT ({REQUIRED_COLUMNS})"))
    )
    if connection.dialect.name == "postgresql":
        # NOT VALID: checked for every new or changed row, not for the rows already there.
        suffix = " NOT VALID" if had_incomplete else ""
        op.execute(f"ALTER TABLE loan_events ADD CONSTRAINT {NAME} CHECK ({REQUIRED_COLUMNS}){suffix}")
        return
    if had_incomplete:
        op.execute("PRAGMA ignore_check_constraints = ON")
    try:
        with op.batch_alter_table("loan_events", schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(NAME), REQUIRED_COLUMNS)
    finally:
        if had_incomplete:
            op.execute("PRAGMA ignore_check_constraints = OFF")


def downgrade() -> None:
    # The appended voids stay: loan_events is append-only, and they are true.
    with op.batch_alter_table("loan_events", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
