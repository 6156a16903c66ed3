"""alignment to several parents and key results contributing to other objectives

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

An objective keeps its first parent in ``objective.parent_id``; further parents are rows of
``objective_alignment``. A key result counts towards other objectives of its quarter through
``kr_contribution``, each with a weight. Loops and bad weights are refused by the domain
(planning.okrs.alignment).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "objective_alignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        ddl.timestamp("created_at"),
        *ddl.foreign_keys(
            objective_id="objective.id", parent_id="objective.id", created_by="person.id"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("objective_id", "parent_id", name="uq_alignment_pair"),
    )
    ddl.create_indexes("objective_alignment", "objective_id", "parent_id")
    op.create_table(
        "kr_contribution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_result_id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        ddl.timestamp("created_at"),
        *ddl.foreign_keys(
            key_result_id="key_result.id", objective_id="objective.id", created_by="person.id"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_result_id", "objective_id", name="uq_contribution_pair"),
    )
    ddl.create_indexes("kr_contribution", "key_result_id", "objective_id")


def downgrade() -> None:
    ddl.drop_indexes("kr_contribution", "objective_id", "key_result_id")
    op.drop_table("kr_contribution")
    ddl.drop_indexes("objective_alignment", "parent_id", "objective_id")
    op.drop_table("objective_alignment")
