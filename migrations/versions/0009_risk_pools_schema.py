"""programme rules v2: risk pools, enterprise lists (名录库), the pool of products, loans,
deposits, claims and compensation batches

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 02:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERAGE_V1 = "coverage IN ('covered','not_covered','not_covered_capacity')"
COVERAGE_V2 = (
    "coverage IN ('covered','not_covered','not_covered_capacity','not_covered_eligibility')"
)


def upgrade() -> None:
    op.create_table(
        "enterprise_lists",
        sa.Column("list_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_code", name=op.f("pk_enterprise_lists")),
    )
    op.create_table(
        "enterprise_list_members",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("list_code", sa.String(length=64), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("from_on", sa.Date(), nullable=False),
        sa.Column("to_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "to_on IS NULL OR to_on >= from_on", name=op.f("ck_enterprise_list_members_interval")
        ),
        sa.ForeignKeyConstraint(
            ["list_code"],
            ["enterprise_lists.list_code"],
            name=op.f("fk_enterprise_list_members_list_code_enterprise_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["uscc"],
            ["enterprises.uscc"],
            name=op.f("fk_enterprise_list_members_uscc_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_list_members")),
        sa.UniqueConstraint(
            "list_code",
            "uscc",
            "from_on",
            name=op.f("uq_enterprise_list_members_list_code_uscc_from_on"),
        ),
    )
    op.create_index(
        "ix_enterprise_list_members_uscc",
        "enterprise_list_members",
        ["uscc", "list_code"],
        unique=False,
    )
    op.create_table(
        "risk_pools",
        sa.Column("pool_code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("operator", sa.String(length=255), nullable=False),
        sa.Column("eligibility", sa.String(length=16), nullable=False),
        sa.Column("list_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "eligibility IN ('filing','enterprise_list','any')",
            name=op.f("ck_risk_pools_eligibility"),
        ),
        sa.CheckConstraint(
            "(eligibility = 'enterprise_list') = (list_code IS NOT NULL)",
            name=op.f("ck_risk_pools_list_when_listed"),
        ),
        sa.ForeignKeyConstraint(
            ["list_code"],
            ["enterprise_lists.list_code"],
            name=op.f("fk_risk_pools_list_code_enterprise_lists"),
        ),
        sa.PrimaryKeyConstraint("pool_code", name=op.f("pk_risk_pools")),
    )
    # Every database has pool SZD (domain.md §2 v2): the one pool of version 1.
    op.execute(
        sa.text(
            "INSERT INTO risk_pools (pool_code, name, operator, eligibility, list_code, created_at)"
            " VALUES ('SZD', '数字贷风险补偿资金池', '中盈投资', 'filing', NULL, CURRENT_TIMESTAMP)"
        )
    )

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_pool", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_products_risk_pool_risk_pools"), "risk_pools", ["risk_pool"], ["pool_code"]
        )
    op.execute(sa.text("UPDATE products SET risk_pool = 'SZD' WHERE risk_covered"))

    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_pool", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_loans_risk_pool_risk_pools"), "risk_pools", ["risk_pool"], ["pool_code"]
        )
        batch_op.drop_constraint(op.f("ck_loans_coverage"), type_="check")
        batch_op.create_check_constraint(op.f("ck_loans_coverage"), COVERAGE_V2)
    # A version-1 loan of a covered product was judged against the one pool, SZD.
    op.execute(
        sa.text(
            "UPDATE loans SET risk_pool = 'SZD' WHERE product_code IN "
            "(SELECT product_code FROM products WHERE risk_covered)"
        )
    )

    with op.batch_alter_table("pool_deposits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_code", sa.String(length=16), nullable=True))
    op.execute(sa.text("UPDATE pool_deposits SET pool_code = 'SZD'"))
    with op.batch_alter_table("pool_deposits", schema=None) as batch_op:
        batch_op.alter_column("pool_code", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_pool_deposits_pool_code_risk_pools"),
            "risk_pools",
            ["pool_code"],
            ["pool_code"],
        )
        batch_op.create_index(
            batch_op.f("ix_pool_deposits_pool_code"), ["pool_code"], unique=False
        )

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_code", sa.String(length=16), nullable=True))
    op.execute(sa.text("UPDATE claims SET pool_code = 'SZD'"))
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.alter_column("pool_code", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_foreign_key(
            op.f("fk_claims_pool_code_risk_pools"), "risk_pools", ["pool_code"], ["pool_code"]
        )
        batch_op.create_index(batch_op.f("ix_claims_pool_code"), ["pool_code"], unique=False)

    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pool_code", sa.String(length=16), nullable=True))
    op.execute(sa.text("UPDATE batches SET pool_code = 'SZD' WHERE kind = 'compensation'"))
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_batches_pool_code_risk_pools"), "risk_pools", ["pool_code"], ["pool_code"]
        )
        batch_op.drop_constraint(op.f("uq_batches_period_kind"), type_="unique")
        batch_op.create_check_constraint(
            op.f("ck_batches_pool_when_paid"),
            "(kind = 'compensation') = (pool_code IS NOT NULL)",
        )
    op.create_index(
        "uq_batches_subsidy_period",
        "batches",
        ["period"],
        unique=True,
        sqlite_where=sa.text("kind = 'subsidy'"),
        postgresql_where=sa.text("kind = 'subsidy'"),
    )
    op.create_index(
        "uq_batches_compensation_period_pool",
        "batches",
        ["period", "pool_code"],
        unique=True,
        sqlite_where=sa.text("kind = 'compensation'"),
        postgresql_where=sa.text("kind = 'compensation'"),
    )


def downgrade() -> None:
    op.drop_index("uq_batches_compensation_period_pool", table_name="batches")
    op.drop_index("uq_batches_subsidy_period", table_name="batches")
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_batches_pool_when_paid"), type_="check")
        batch_op.create_unique_constraint(op.f("uq_batches_period_kind"), ["period", "kind"])
        batch_op.drop_constraint(op.f("fk_batches_pool_code_risk_pools"), type_="foreignkey")
        batch_op.drop_column("pool_code")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_pool_code"))
        batch_op.drop_constraint(op.f("fk_claims_pool_code_risk_pools"), type_="foreignkey")
        batch_op.drop_column("pool_code")
    with op.batch_alter_table("pool_deposits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pool_deposits_pool_code"))
        batch_op.drop_constraint(op.f("fk_pool_deposits_pool_code_risk_pools"), type_="foreignkey")
        batch_op.drop_column("pool_code")
    op.execute(sa.text("UPDATE loans SET coverage = 'not_covered' "
                       "WHERE coverage = 'not_covered_eligibility'"))
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_loans_coverage"), type_="check")
        batch_op.create_check_constraint(op.f("ck_loans_coverage"), COVERAGE_V1)
        batch_op.drop_constraint(op.f("fk_loans_risk_pool_risk_pools"), type_="foreignkey")
        batch_op.drop_column("risk_pool")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_products_risk_pool_risk_pools"), type_="foreignkey")
        batch_op.drop_column("risk_pool")
    op.drop_table("risk_pools")
    op.drop_index("ix_enterprise_list_members_uscc", table_name="enterprise_list_members")
    op.drop_table("enterprise_list_members")
    op.drop_table("enterprise_lists")
