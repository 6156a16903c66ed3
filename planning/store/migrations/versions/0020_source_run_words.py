"""a source run keeps its notes, and its words in every language

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

A run records the notes its converter made on what it read (orders on another day in the team's
time zone, rows read), and keeps its error and notes in each language Quarterdeck speaks as JSON
text, so every reader reads them in their own. Runs recorded before hold '' in both and show
their error as it was written.
"""

from collections.abc import Sequence

from alembic import op

from planning.store.migrations import ddl

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_run", schema=None) as batch_op:
        batch_op.add_column(ddl.empty_text("error_words"))
        batch_op.add_column(ddl.empty_text("notes"))


def downgrade() -> None:
    with op.batch_alter_table("source_run", schema=None) as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("error_words")
