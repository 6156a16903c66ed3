"""named drafts of a week's plan

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-06

A scenario keeps a director's trial changes to the week's plan apart from the initiatives until it
is committed (planning.work.scenarios); a week may hold several, each with its own name.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from planning.store.migrations import ddl

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ddl.create_table(
        "plan_scenario",
        ddl.id_key(),
        ddl.string("week", 8),
        ddl.string("name", 80),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        ddl.timestamp("created_at"),
        ddl.timestamp("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        *ddl.foreign_keys(created_by="person.id"),
        sa.UniqueConstraint("week", "name", name="uq_plan_scenario_week_name"),
        indexed=("week",),
    )


def downgrade() -> None:
    ddl.drop_table("plan_scenario", indexed=("week",))
