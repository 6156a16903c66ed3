"""observation daily totals

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

Each measure's total over all its series per day (observation_daily), the rollup unfiltered
metric reads and the forecast backtest sum instead of every observation; filled here from the
observations an upgraded store already holds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observation_daily",
        ddl.string("measure", 64),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("measure", "day"),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO observation_daily (measure, day, total, rows) "
        "SELECT s.measure, o.day, SUM(o.value), COUNT(*) "
        "FROM observation o JOIN series s ON s.id = o.series_id "
        "GROUP BY s.measure, o.day"
    )


def downgrade() -> None:
    op.drop_table("observation_daily")
