"""share links, password sign-in sessions and failed attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "share_link",
        ddl.id_key(),
        ddl.string("label", 120),
        ddl.string("token_hash", 64),
        sa.Column("created_by", sa.Integer(), nullable=False),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("revoked_at", nullable=True),
        ddl.timestamp("last_used_at", nullable=True),
        *ddl.foreign_keys(created_by="person.id"),
        sa.UniqueConstraint("token_hash", name="uq_share_link_hash"),
    )
    ddl.create_table(
        "sign_in_session",
        ddl.id_key(),
        sa.Column("person_id", sa.Integer(), nullable=False),
        ddl.string("token_hash", 64),
        ddl.timestamp("created_at"),
        ddl.timestamp("expires_at"),
        ddl.timestamp("ended_at", nullable=True),
        *ddl.foreign_keys(person_id="person.id"),
        sa.UniqueConstraint("token_hash", name="uq_sign_in_session_hash"),
        indexed=("person_id",),
    )
    op.create_table(
        "sign_in_attempt",
        ddl.id_key(),
        ddl.string("email", 254),
        ddl.timestamp("at"),
    )
    op.create_index("ix_sign_in_attempt_email_at", "sign_in_attempt", ["email", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_email_at", table_name="sign_in_attempt")
    op.drop_table("sign_in_attempt")
    ddl.drop_table("sign_in_session", indexed=("person_id",))
    op.drop_table("share_link")
