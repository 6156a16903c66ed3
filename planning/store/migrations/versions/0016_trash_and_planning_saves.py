"""trash and planning saves

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06

Deleted objectives, key results and initiatives wait 30 days in the trash with the rows linked to
them; each save of the weekly planning table is recorded so the last one can be undone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trash_item",
        sa.Column("id", sa.Integer(), nullable=False),
        ddl.string("entity", 20),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        ddl.string("title", 200),
        sa.Column("trashed_by", sa.Integer(), nullable=True),
        ddl.timestamp("trashed_at"),
        sa.Column("purge_on", sa.Date(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("cleared", sa.JSON(), nullable=False),
        *ddl.foreign_keys(trashed_by="person.id"),
        sa.PrimaryKeyConstraint("id"),
    )
    ddl.create_indexes("trash_item", "trashed_at")
    op.create_table(
        "planning_save",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.Integer(), nullable=True),
        ddl.timestamp("saved_at"),
        sa.Column("rows", sa.JSON(), nullable=False),
        ddl.timestamp("undone_at", nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        *ddl.foreign_keys(saved_by="person.id", undone_by="person.id"),
        sa.PrimaryKeyConstraint("id"),
    )
    ddl.create_indexes("planning_save", "saved_at")


def downgrade() -> None:
    ddl.drop_indexes("planning_save", "saved_at")
    op.drop_table("planning_save")
    ddl.drop_indexes("trash_item", "trashed_at")
    op.drop_table("trash_item")
