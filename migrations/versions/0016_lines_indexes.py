"""perf: indexes on lines for the loan view (bank_code, contract_no) and a batch's lines page
(batch_id, id)

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"  # after the notices (re-chained at the merge)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The loan view lists the loan's lines by (bank_code, contract_no): a table scan before
    # (25 ms a view at 100,000 lines on PostgreSQL; docs/performance.md).
    op.create_index("ix_lines_bank_contract", "lines", ["bank_code", "contract_no"])
    # A batch's lines page is `batch_id = ? AND id > ? ORDER BY id LIMIT n`: without it the
    # plan was the whole batch sorted (150 ms at 100,000 lines) or the primary key filtered
    # from the first line of every earlier batch.
    op.create_index("ix_lines_batch_line", "lines", ["batch_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_lines_batch_line", table_name="lines")
    op.drop_index("ix_lines_bank_contract", table_name="lines")
