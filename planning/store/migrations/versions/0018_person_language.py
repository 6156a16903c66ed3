"""each person's language

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-06

A person's own choice of language (planning.access.languages); people without a row read the
team's language from settings.yaml.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_language",
        sa.Column("person_id", sa.Integer(), nullable=False),
        ddl.string("language", 10),
        sa.Column("version", sa.Integer(), nullable=False),
        ddl.timestamp("updated_at"),
        *ddl.foreign_keys(person_id="person.id"),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("person_language")
