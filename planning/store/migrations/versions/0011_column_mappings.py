"""saved column mappings for wide files

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

A director maps a wide file's columns (date, dimensions, measures) once and saves the mapping
under a name that later uploads, the command line and sources reuse.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "column_mapping",
        ddl.id_key(),
        ddl.string("name", 80),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        *ddl.foreign_keys(created_by="person.id"),
        sa.UniqueConstraint("name", name="uq_column_mapping_name"),
    )


def downgrade() -> None:
    op.drop_table("column_mapping")
