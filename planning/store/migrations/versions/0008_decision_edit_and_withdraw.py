"""decisions carry a version and can be withdrawn

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

A director can edit a decision (checked against the version they read) or withdraw it; a
withdrawn decision keeps its row, marked with when and by whom.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(
            # The server default gives existing decisions version 1.
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(ddl.timestamp("withdrawn_at", nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_decision_withdrawn_by", "person", ["withdrawn_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint("fk_decision_withdrawn_by", type_="foreignkey")
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("version")
