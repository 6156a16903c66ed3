"""the forecast calibration kept in the store

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

The calibration the live forecasts use (planning.okrs.backtest_saved), kept per quarter's past
and set of metric definitions, so a starting process does not replay the past quarters again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_calibration",
        sa.Column("past_end", sa.Date(), nullable=False),
        ddl.string("metrics_key", 64),
        sa.Column("observations_version", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        ddl.string("calibration"),
        ddl.timestamp("fitted_at"),
        sa.PrimaryKeyConstraint("past_end", "metrics_key"),
    )


def downgrade() -> None:
    op.drop_table("forecast_calibration")
