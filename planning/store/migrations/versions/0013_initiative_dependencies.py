"""dependencies between initiatives

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

One initiative waits on another ("blocks / blocked by"); the pair is unique and cycles are refused
by the domain (planning.work.dependencies).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "initiative_dependency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        ddl.timestamp("created_at"),
        *ddl.foreign_keys(
            blocker_id="initiative.id", blocked_id="initiative.id", created_by="person.id"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("blocker_id", "blocked_id", name="uq_dependency_pair"),
    )
    ddl.create_indexes("initiative_dependency", "blocker_id", "blocked_id")


def downgrade() -> None:
    ddl.drop_indexes("initiative_dependency", "blocked_id", "blocker_id")
    op.drop_table("initiative_dependency")
