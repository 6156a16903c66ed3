"""an initiative's expected lift names the filters it is measured on

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

lift_filters maps a dimension to a value ({"device": "mobile"}); existing initiatives get {}
(the metric over everything, as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lift_filters", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    # The default only fills existing rows; new rows get theirs from the application.
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.alter_column("lift_filters", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("initiative", schema=None) as batch_op:
        batch_op.drop_column("lift_filters")
