"""pages: a user's display name (pages show people, not `user:clerk`), and bank users who
sign in to the pages and see only their own bank

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_V1 = "role IN ('admin','clerk','approver','auditor','enterprise')"
ROLES = "role IN ('admin','clerk','approver','auditor','enterprise','bank')"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "bank_code",
                sa.String(32),
                sa.ForeignKey("banks.bank_code", name=op.f("fk_users_bank_code_banks")),
                nullable=True,
            )
        )
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), ROLES)
        batch_op.create_check_constraint(
            op.f("ck_users_bank_code"), "role <> 'bank' OR bank_code IS NOT NULL"
        )
        batch_op.create_index(op.f("ix_users_bank_code"), ["bank_code"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_users_bank_code"))
        batch_op.drop_constraint(op.f("ck_users_bank_code"), type_="check")
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_users_role"), ROLES_V1)
        batch_op.drop_column("bank_code")
        batch_op.drop_column("display_name")
