"""an initiative's expected lift names the filters it is measured on

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

lift_filters maps a dimension to a value ({"device": "mobile"}); existing initiatives get {}
(the metric over everything, as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN: rebuilding the initiative table on SQLite would trip the foreign keys
    # of the tables that point at it. The server default fills existing rows with {}.
    op.add_column(
        "initiative",
        sa.Column("lift_filters", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE initiative DROP COLUMN lift_filters")
        return
    op.drop_column("initiative", "lift_filters")
