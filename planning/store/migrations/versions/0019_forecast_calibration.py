"""the forecast calibration kept in the store

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

The calibration the live forecasts use (planning.okrs.backtest_saved), kept per quarter's past
and set of metric definitions, so a starting process does not replay the past quarters again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_calibration",
        sa.Column("past_end", sa.Date(), nullable=False),
        sa.Column("metrics_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("observations_version", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("calibration", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("fitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("past_end", "metrics_key"),
    )


def downgrade() -> None:
    op.drop_table("forecast_calibration")
