"""payee snapshot at submission

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 00:28:42.368973
"""
from __future__ import annotations

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


BACKFILL = """
UPDATE batch_payees SET
  payee_name = COALESCE(
    (SELECT e.name FROM enterprises e
      WHERE e.uscc = batch_payees.payee_id AND batch_payees.payee_type = 'enterprise'),
    (SELECT b.name FROM banks b
      WHERE b.bank_code = batch_payees.payee_id AND batch_payees.payee_type = 'bank')),
  account_holder = (SELECT e.account_holder FROM enterprises e
      WHERE e.uscc = batch_payees.payee_id AND batch_payees.payee_type = 'enterprise'),
  account_number = (SELECT e.account_number FROM enterprises e
      WHERE e.uscc = batch_payees.payee_id AND batch_payees.payee_type = 'enterprise'),
  account_bank_name = (SELECT e.account_bank_name FROM enterprises e
      WHERE e.uscc = batch_payees.payee_id AND batch_payees.payee_type = 'enterprise')
WHERE batch_id IN (SELECT id FROM batches
                   WHERE status IN ('submitted', 'approved', 'partially_paid', 'paid'))
"""


def upgrade() -> None:
    with op.batch_alter_table('batch_payees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('account_holder', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('account_number', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('account_bank_name', sa.String(length=255), nullable=True))

    # Backfill the batches already submitted (submitted, approved, partially paid, paid).
    # Nothing recorded what the account was at their submission, so this copies the
    # enterprise's name and account as they are now: the best record there is (an account
    # changed between submission and this migration is not recoverable; see
    # docs/decisions-payout.md). A bank payee gets the bank's name and no account. Batches not
    # yet submitted keep NULL: the copy is made by services.payouts.submit.
    op.execute(sa.text(BACKFILL))


def downgrade() -> None:
    with op.batch_alter_table('batch_payees', schema=None) as batch_op:
        batch_op.drop_column('account_bank_name')
        batch_op.drop_column('account_number')
        batch_op.drop_column('account_holder')
        batch_op.drop_column('payee_name')
