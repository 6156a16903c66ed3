"""The notification tables: each person's preferences and the outbox of messages to send
(planning.notify)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from planning import clock


class NotifyPreference(SQLModel, table=True):
    """How one person wants to be reached (planning.notify.preferences); no row: the defaults."""

    __tablename__ = "notify_preference"
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    channel: str = Field(default="email", max_length=20)  # a channel name, never its URL
    paused_until: date | None = None  # nothing is sent before this day
    opted_out: bool = False
    roadmap_summary: bool = False  # stakeholders: the weekly roadmap summary
    version: int = Field(default=1)
    updated_at: datetime = Field(default_factory=clock.utcnow)


class OutboxMessage(SQLModel, table=True):
    """One message to one person, sent at least once and listed once (planning.notify.outbox).

    The dedupe key (person, kind, ISO week, item) is unique, so a restart or a second process
    planning the same message adds nothing. Status: pending, sending (claimed by one process),
    sent, failed (out of attempts) or skipped (paused, opted out, no channel).
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_message_dedupe_key"),
        Index("ix_outbox_message_status_due", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=20)  # reminder, escalation, digest, roadmap
    week: str = Field(max_length=8)  # ISO week, e.g. 2026-W48
    item: str = Field(default="", max_length=60)  # e.g. update:12, check_in:5; "" for the week
    channel: str = Field(max_length=20)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str
    body_markdown: str
    items: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=clock.utcnow)
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_at: datetime | None = None
    created_at: datetime = Field(default_factory=clock.utcnow)
    sent_at: datetime | None = None
    outcome: str = Field(default="", max_length=500)
