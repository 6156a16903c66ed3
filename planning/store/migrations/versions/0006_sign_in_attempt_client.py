"""failed sign-ins remember the client they came from

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A failed password sign-in is counted per client (the requester's address) and account, so one
client's wrong passwords slow down that client only; the account as a whole is slowed down only
past a much higher ceiling. Rows from before this revision have no client and count as one
unknown client.
"""

from collections.abc import Sequence

from alembic import op

from planning.store.migrations import ddl

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.add_column(ddl.string("client", 64, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.drop_column("client")
