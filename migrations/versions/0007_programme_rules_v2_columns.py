"""programme rules v2: industry code, subsidy-eligible products, the batch's budget year

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 01:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # domain.md §2 (v2). Nullable: an enterprise made before v2 has no code; while the policy's
    # eligible_industries is on, it earns nothing until a clerk records one (docs/domain-decisions.md).
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("industry_code", sa.String(length=5), nullable=True))
    # Every product made before v2 was a 数字贷 product: true, as the spec's default.
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "subsidy_eligible", sa.Boolean(), server_default=sa.text("true"), nullable=False
            )
        )
    # domain.md §7 (v2): the year a subsidy approval is charged to (compensation is paid from
    # a pool, not a budget). Version 1 charged a batch to the
    # year of its period, so that is what the batches approved before this migration used.
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_year", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
    # The approval's business date was not kept before: its UTC calendar day is the best
    # record there is (payments are checked against it, none can be dated before).
    day = "date(approved_at)" if op.get_bind().dialect.name == "sqlite" else "approved_at::date"
    op.execute(sa.text(f"UPDATE batches SET approved_on = {day} WHERE approved_at IS NOT NULL"))
    op.execute(
        sa.text(
            "UPDATE batches SET budget_year = CAST(substr(period, 1, 4) AS INTEGER) "
            "WHERE approved_by IS NOT NULL AND kind = 'subsidy'"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("approved_on")
        batch_op.drop_column("budget_year")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("subsidy_eligible")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("industry_code")
