"""period close and key result grades

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "period_close",
        ddl.id_key(),
        ddl.string("period", 7),
        sa.Column("as_of", sa.Date(), nullable=False),
        ddl.string("note"),
        sa.Column("closed_by", sa.Integer(), nullable=False),
        ddl.timestamp("closed_at"),
        sa.Column("objectives", sa.JSON(), nullable=False),
        *ddl.foreign_keys(closed_by="person.id"),
        sa.UniqueConstraint("period", name="uq_period_close_period"),
    )
    ddl.create_table(
        "kr_grade",
        ddl.id_key(),
        sa.Column("period_close_id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("suggested", sa.Float(), nullable=False),
        sa.Column("grade", sa.Float(), nullable=False),
        ddl.string("reason"),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *ddl.foreign_keys(
            key_result_id="key_result.id",
            objective_id="objective.id",
            period_close_id="period_close.id",
        ),
        sa.UniqueConstraint("period_close_id", "key_result_id", name="uq_kr_grade_close_kr"),
        indexed=("period_close_id",),
    )


def downgrade() -> None:
    ddl.drop_table("kr_grade", indexed=("period_close_id",))
    op.drop_table("period_close")
