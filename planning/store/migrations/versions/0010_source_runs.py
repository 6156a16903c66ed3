"""runs of configured data sources, and the lock row that keeps one runner per source on SQLite

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_run",
        ddl.id_key(),
        ddl.string("source", 40),
        ddl.string("trigger", 20),
        ddl.timestamp("started_at"),
        ddl.timestamp("finished_at", nullable=True),
        ddl.string("status", 20),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("since_day", sa.Date(), nullable=True),
        sa.Column("through_day", sa.Date(), nullable=True),
        ddl.string("measures", 2000),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        ddl.string("error", 4000),
        *ddl.foreign_keys(batch_id="import_batch.id"),
    )
    op.create_index("ix_source_run_source_started", "source_run", ["source", "started_at"])
    op.create_table(
        "source_lock",
        ddl.string("source", 40),
        ddl.string("holder", 200),
        ddl.timestamp("acquired_at"),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("source_lock")
    op.drop_index("ix_source_run_source_started", table_name="source_run")
    op.drop_table("source_run")
