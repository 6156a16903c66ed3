"""trash and planning saves

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06

Deleted objectives, key results and initiatives wait 30 days in the trash with the rows linked to
them; each save of the weekly planning table is recorded so the last one can be undone.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from planning.store.migrations import ddl

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ddl.create_table(
        "trash_item",
        ddl.id_key(),
        ddl.string("entity", 20),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        ddl.string("title", 200),
        sa.Column("trashed_by", sa.Integer(), nullable=True),
        ddl.timestamp("trashed_at"),
        sa.Column("purge_on", sa.Date(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("cleared", sa.JSON(), nullable=False),
        *ddl.foreign_keys(trashed_by="person.id"),
        indexed=("trashed_at",),
    )
    ddl.create_table(
        "planning_save",
        ddl.id_key(),
        sa.Column("saved_by", sa.Integer(), nullable=True),
        ddl.timestamp("saved_at"),
        sa.Column("rows", sa.JSON(), nullable=False),
        ddl.timestamp("undone_at", nullable=True),
        sa.Column("undone_by", sa.Integer(), nullable=True),
        *ddl.foreign_keys(saved_by="person.id", undone_by="person.id"),
        indexed=("saved_at",),
    )


def downgrade() -> None:
    ddl.drop_table("planning_save", indexed=("saved_at",))
    ddl.drop_table("trash_item", indexed=("trashed_at",))
