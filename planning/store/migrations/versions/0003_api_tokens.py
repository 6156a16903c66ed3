"""API tokens, and the token behind each API import batch

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        ddl.id_key(),
        ddl.string("name", 80),
        ddl.string("token_hash", 64),
        ddl.string("scopes", 200),
        sa.Column("created_by", sa.Integer(), nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.timestamp("last_used_at", nullable=True),
        *ddl.foreign_keys(created_by="person.id"),
        sa.UniqueConstraint("token_hash", name="uq_api_token_hash"),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_import_batch_api_token_id", "api_token", ["api_token_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_constraint("fk_import_batch_api_token_id", type_="foreignkey")
        batch_op.drop_column("api_token_id")
    op.drop_table("api_token")
