"""v1 policies keep v1 rules: each stored policy document gets the v2 keys with v1's values

Revision ID: 0012
Revises: 0011 (written on 0007; relinked after main's 0009 and 0011, so that a database
already at 0011 still gets it: it is a data change that depends on no schema after 0007)
Create Date: 2026-12-06 03:00:00

domain.md v2 adds `subsidy_window_anchor` (default `enterprise`) and `eligible_industries`
(default `["C"]`) to the policy. A record is computed with the version in force on its
paid_on, now and in every later adjustment (§3), so a version stored before v2 must go on
meaning what it meant: each loan its own window (`loan`) and no industry rule (null).
Otherwise the first close after the upgrade would recompute every old record under v2's
rules and pay or claw back the difference. A document that already has a key keeps it.
A version saved after the upgrade says what it wants (docs/domain-decisions.md, "Policy
versions written before v2").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

V1_RULES = {"subsidy_window_anchor": "loan", "eligible_industries": None}

# The table as this revision knows it (never the models: they move on after this file).
policy_versions = sa.table(
    "policy_versions", sa.column("version", sa.Integer), sa.column("document", sa.JSON)
)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(policy_versions.c.version, policy_versions.c.document))
    for version, document in rows.all():
        missing = {k: v for k, v in V1_RULES.items() if k not in document}
        if missing:
            connection.execute(
                policy_versions.update()
                .where(policy_versions.c.version == version)
                .values(document={**document, **missing})
            )


def downgrade() -> None:
    # Version 1's code refuses a document with keys it does not know: take them out again.
    connection = op.get_bind()
    rows = connection.execute(sa.select(policy_versions.c.version, policy_versions.c.document))
    for version, document in rows.all():
        if any(k in document for k in V1_RULES):
            connection.execute(
                policy_versions.update()
                .where(policy_versions.c.version == version)
                .values(document={k: v for k, v in document.items() if k not in V1_RULES})
            )
