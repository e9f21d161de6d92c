"""filing completion

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:37:59.698788
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # domain.md §2 (v2): a filing's completion (验收). Nullable: every filing so far is not
    # completed; who completed it and when is in the audit, as for a revocation.
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('completion_note', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_filings_completion_note_dated'),
            'completion_note IS NULL OR completed_on IS NOT NULL',
        )


def downgrade() -> None:
    with op.batch_alter_table('filings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_filings_completion_note_dated'), type_='check')
        batch_op.drop_column('completion_note')
        batch_op.drop_column('completed_on')
