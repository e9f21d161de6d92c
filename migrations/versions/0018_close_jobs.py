"""pages: the month's close as a job (the page enqueues it, a worker runs it, the page shows
its progress), instead of inside the web request

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 08:10:00

`close_jobs`: one row per close asked for on the pages; at most one open (pending or
running) per period, by a partial unique index (both engines have them).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('pending','running')"


def upgrade() -> None:
    op.create_table(
        "close_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("loans_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("loans_total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','running','done','failed')", name=op.f("ck_close_jobs_status")
        ),
        sa.CheckConstraint(
            "loans_done >= 0 AND loans_total >= 0", name=op.f("ck_close_jobs_progress_sign")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_close_jobs")),
    )
    op.create_index(op.f("ix_close_jobs_period"), "close_jobs", ["period"])
    op.create_index(
        "uq_close_jobs_open_period",
        "close_jobs",
        ["period"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_close_jobs_open_period", table_name="close_jobs")
    op.drop_index(op.f("ix_close_jobs_period"), table_name="close_jobs")
    op.drop_table("close_jobs")
