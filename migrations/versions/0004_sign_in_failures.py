"""sign-in failures

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 20:18:04.097011
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('sign_in_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_failures'))
    )
    op.create_index(op.f('ix_sign_in_failures_failed_at'), 'sign_in_failures', ['failed_at'], unique=False)
    op.create_index('ix_sign_in_failures_username_failed_at', 'sign_in_failures', ['username', 'failed_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_sign_in_failures_username_failed_at', table_name='sign_in_failures')
    op.drop_index(op.f('ix_sign_in_failures_failed_at'), table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
