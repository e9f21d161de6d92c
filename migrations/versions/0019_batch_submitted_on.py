"""pages: a batch's submission on the business date (`batches.submitted_on`), beside the
approval's (`approved_on`), so the batch page shows 提交日期 in business dates

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 09:00:00

`payouts.submit` sets it to the business date from now on, and the `batch.submit` audit entry
records it (`after.submitted_on`). A batch submitted before this migration gets it from the
audit trail: the latest `batch.submit` entry of the batch (a rejected batch is submitted
again), its `after.submitted_on` when the entry recorded one, else the calendar day of the
entry's timestamp in Asia/Shanghai (where the business date follows that calendar in
production). A batch whose entry is missing falls back to its own `submitted_at` the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _shanghai_day(column: str, dialect: str) -> str:
    """The Asia/Shanghai calendar day of a UTC timestamp column. SQLite keeps timestamps as
    UTC text without an offset and has no time zones; Shanghai is UTC+8 all year (no daylight
    saving since 1991), so the fixed offset gives the same day."""
    if dialect == "sqlite":
        return f"date({column}, '+8 hours')"
    return f"CAST(({column} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


def _recorded_day(dialect: str) -> str:
    """`after.submitted_on` of the audit entry, as a date (NULL when it was not recorded)."""
    if dialect == "sqlite":
        return "date(json_extract(a.\"after\", '$.submitted_on'))"
    return "CAST((a.\"after\" ->> 'submitted_on') AS DATE)"


def backfill_sql(dialect: str) -> str:
    """One set-based UPDATE, the same statement on both engines but for the two fragments
    above (a JSON field and a time zone are spelt differently)."""
    latest_submit = (
        f"SELECT COALESCE({_recorded_day(dialect)}, {_shanghai_day('a.at', dialect)})"
        " FROM audit_log a"
        " WHERE a.entity = 'batch' AND a.action = 'batch.submit'"
        " AND a.entity_id = CAST(batches.id AS TEXT)"
        " ORDER BY a.id DESC LIMIT 1"
    )
    return (
        "UPDATE batches SET submitted_on = COALESCE(("
        + latest_submit
        + f"), {_shanghai_day('batches.submitted_at', dialect)})"
        " WHERE submitted_at IS NOT NULL"
    )


def upgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submitted_on", sa.Date(), nullable=True))
    op.execute(sa.text(backfill_sql(op.get_bind().dialect.name)))


def downgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("submitted_on")
