"""notification preferences and the outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

notify_preference holds each person's channel, pause and opt-out (no row: the defaults);
outbox_message holds every reminder, escalation, digest and roadmap summary, one row per
dedupe key (person, kind, ISO week, item).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from planning.store.migrations import ddl

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notify_preference",
        sa.Column("person_id", sa.Integer(), nullable=False),
        ddl.string("channel", 20),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("roadmap_summary", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        ddl.timestamp("updated_at"),
        *ddl.foreign_keys(person_id="person.id"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "outbox_message",
        ddl.id_key(),
        ddl.string("dedupe_key", 200),
        sa.Column("person_id", sa.Integer(), nullable=False),
        ddl.string("kind", 20),
        ddl.string("week", 8),
        ddl.string("item", 60),
        ddl.string("channel", 20),
        ddl.string("subject", 300),
        ddl.string("body_text"),
        ddl.string("body_html"),
        ddl.string("body_markdown"),
        sa.Column("items", sa.JSON(), nullable=False),
        ddl.string("status", 10),
        sa.Column("attempts", sa.Integer(), nullable=False),
        ddl.timestamp("next_attempt_at"),
        ddl.string("claimed_by", 80, nullable=True),
        ddl.timestamp("claimed_at", nullable=True),
        ddl.timestamp("created_at"),
        ddl.timestamp("sent_at", nullable=True),
        ddl.string("outcome", 500),
        *ddl.foreign_keys(person_id="person.id"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_message_dedupe_key"),
    )
    op.create_index("ix_outbox_message_status_due", "outbox_message", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_message_person_id", "outbox_message", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_person_id", table_name="outbox_message")
    op.drop_index("ix_outbox_message_status_due", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_table("notify_preference")
