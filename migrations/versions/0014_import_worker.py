"""imports off the request thread: the stored upload, and the worker's claim and progress

Revision ID: 0014
Revises: 0013 (written on 0012; relinked after main's 0013, which it does not depend on)
Create Date: 2026-12-06 04:48:20

`import_files` holds the bytes of an upload left to the worker (deleted once the import is
done or failed), so that a worker on any machine can take it. `import_jobs` gains the
business date the file is judged by (`received_on`), the claim count (`attempts`), the rows
already committed (`lines_done`, where a retaken job resumes), the worker's last sign of
life (`heartbeat_at`) and who holds it (`worker`). Jobs before this revision are all done
or failed: the defaults describe them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_files",
        sa.Column(
            "import_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_jobs.id"], name=op.f("fk_import_files_import_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("import_id", name=op.f("pk_import_files")),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("lines_done", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("worker", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("worker")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("lines_done")
        batch_op.drop_column("attempts")
        batch_op.drop_column("received_on")
    op.drop_table("import_files")
