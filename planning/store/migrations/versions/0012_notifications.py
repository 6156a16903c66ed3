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
import sqlmodel
from alembic import op

from planning.store.migrations import ddl

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "notify_preference",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", text(length=20), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("roadmap_summary", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", moment(), nullable=False),
        *ddl.foreign_keys(person_id="person.id"),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", text(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", text(length=20), nullable=False),
        sa.Column("week", text(length=8), nullable=False),
        sa.Column("item", text(length=60), nullable=False),
        sa.Column("channel", text(length=20), nullable=False),
        sa.Column("subject", text(length=300), nullable=False),
        sa.Column("body_text", text(), nullable=False),
        sa.Column("body_html", text(), nullable=False),
        sa.Column("body_markdown", text(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("status", text(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", moment(), nullable=False),
        sa.Column("claimed_by", text(length=80), nullable=True),
        sa.Column("claimed_at", moment(), nullable=True),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("sent_at", moment(), nullable=True),
        sa.Column("outcome", text(length=500), nullable=False),
        *ddl.foreign_keys(person_id="person.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_message_dedupe_key"),
    )
    op.create_index("ix_outbox_message_status_due", "outbox_message", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_message_person_id", "outbox_message", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_person_id", table_name="outbox_message")
    op.drop_index("ix_outbox_message_status_due", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_table("notify_preference")
