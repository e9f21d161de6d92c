"""payout month: objections, calendar days, payment records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 15:41:20.191405
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('holiday','workday')", name=op.f('ck_calendar_days_kind')),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    op.create_table('objections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('resolved_by', sa.String(length=128), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'open') = (resolved_by IS NULL)", name=op.f('ck_objections_resolved_when_closed')),
    sa.CheckConstraint("status IN ('open','upheld','dismissed')", name=op.f('ck_objections_status')),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_objections_batch_id_batches')),
    sa.ForeignKeyConstraint(['line_id'], ['lines.id'], name=op.f('fk_objections_line_id_lines')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('uq_objections_open_line', ['line_id'], unique=True,
                              sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.create_index(batch_op.f('ix_objections_uscc'), ['uscc'], unique=False)

    with op.batch_alter_table('batch_payees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_to_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('recorded_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_batch_payees_carried_to_batch_id_batches'), 'batches', ['carried_to_batch_id'], ['id'])

    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rejected_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('batches', schema=None) as batch_op:
        batch_op.drop_column('rejected_at')
        batch_op.drop_column('rejected_by')

    with op.batch_alter_table('batch_payees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_batch_payees_carried_to_batch_id_batches'), type_='foreignkey')
        batch_op.drop_column('recorded_at')
        batch_op.drop_column('recorded_by')
        batch_op.drop_column('carried_to_batch_id')

    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_uscc'))
        batch_op.drop_index('uq_objections_open_line')
        batch_op.drop_index(batch_op.f('ix_objections_batch_id'))

    op.drop_table('objections')
    op.drop_table('calendar_days')
