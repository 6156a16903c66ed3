"""The outbox: every message planned once, claimed by one process, sent at least once, retried
with back-off and recorded with its outcome.

- Planning inserts a row per dedupe key with INSERT … ON CONFLICT DO NOTHING: a restart, a second
  run or a second process planning the same message adds nothing.
- Sending claims rows with one UPDATE … WHERE status = 'pending' (or a claim older than
  `claim_timeout_minutes`, left by a process that died mid-send) under a claim token of its own,
  then reads back the rows carrying that token: two processes never hold the same row.
- A delivered row becomes `sent`; a failed one goes back to `pending` with its next attempt
  `retry_delay` later, or becomes `failed` after `max_attempts`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from planning.config import NotifySettings
from planning.notify.schedule import retry_delay
from planning.store.models import OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
STATUSES: tuple[str, ...] = (PENDING, SENDING, SENT, FAILED, SKIPPED)
OUTCOME_MAX = 500


@dataclass(frozen=True)
class Planned:
    """A message to add to the outbox (status pending, or skipped with the reason)."""

    dedupe_key: str
    person_id: int
    kind: str
    week: str
    item: str
    channel: str
    subject: str
    body_text: str
    body_html: str
    body_markdown: str
    items: tuple[str, ...] = ()
    skipped: str | None = None  # why it is not sent (paused, opted out, no channel)


def existing_keys(*, session: Session, keys: Sequence[str]) -> set[str]:
    """The dedupe keys among `keys` that the outbox already holds."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found.update(
            session.exec(
                select(OutboxMessage.dedupe_key).where(col(OutboxMessage.dedupe_key).in_(chunk))
            ).all()
        )
    return found


def enqueue(*, engine: Engine, messages: Sequence[Planned], now: datetime) -> int:
    """Add the messages the outbox does not hold yet; the number added."""
    if not messages:
        return 0
    rows = [
        {
            "dedupe_key": m.dedupe_key,
            "person_id": m.person_id,
            "kind": m.kind,
            "week": m.week,
            "item": m.item,
            "channel": m.channel,
            "subject": m.subject[:300],
            "body_text": m.body_text,
            "body_html": m.body_html,
            "body_markdown": m.body_markdown,
            "items": list(m.items),
            "status": SKIPPED if m.skipped else PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "outcome": (m.skipped or "")[:OUTCOME_MAX],
        }
        for m in messages
    ]
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    added = 0
    with engine.begin() as conn:
        for start in range(0, len(rows), 200):
            statement = (
                dialect.insert(table)
                .values(rows[start : start + 200])
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(table.c.id)
            )
            added += len(conn.execute(statement).all())
    return added


def _claimable(now: datetime, settings: NotifySettings) -> ColumnElement[bool]:
    stale = now - timedelta(minutes=settings.claim_timeout_minutes)
    return or_(
        and_(col(OutboxMessage.status) == PENDING, col(OutboxMessage.next_attempt_at) <= now),
        and_(col(OutboxMessage.status) == SENDING, col(OutboxMessage.claimed_at) < stale),
    )


def claim(
    *, engine: Engine, settings: NotifySettings, now: datetime, limit: int = 1000
) -> tuple[str, list[OutboxMessage]]:
    """Claim up to `limit` due rows for this process: (its claim token, the rows, detached)."""
    token = uuid.uuid4().hex
    with Session(engine) as session:
        ids = list(
            session.exec(
                select(OutboxMessage.id)
                .where(_claimable(now, settings))
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(limit)
            ).all()
        )
    if not ids:
        return token, []
    with engine.begin() as conn:
        conn.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), _claimable(now, settings))
            .values(status=SENDING, claimed_by=token, claimed_at=now)
        )
    with Session(engine, expire_on_commit=False) as session:
        rows = list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.claimed_by == token, OutboxMessage.status == SENDING)
                .order_by(col(OutboxMessage.id))
            ).all()
        )
        for row in rows:
            session.expunge(row)
    return token, rows


def record_sent(
    *, engine: Engine, token: str, message_id: int, now: datetime, outcome: str
) -> bool:
    """Mark a claimed row sent; False when this process no longer holds the claim."""
    with engine.begin() as conn:
        result = conn.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == message_id,
                col(OutboxMessage.claimed_by) == token,
                col(OutboxMessage.status) == SENDING,
            )
            .values(
                status=SENT,
                sent_at=now,
                attempts=OutboxMessage.attempts + 1,
                outcome=outcome[:OUTCOME_MAX],
            )
        )
    return result.rowcount == 1


def record_failure(
    *,
    engine: Engine,
    token: str,
    message: OutboxMessage,
    now: datetime,
    outcome: str,
    settings: NotifySettings,
    permanent: bool = False,
) -> str:
    """Put a failed row back for a later attempt, or mark it failed; its new status."""
    attempts = message.attempts + 1
    give_up = permanent or attempts >= settings.max_attempts
    status = FAILED if give_up else PENDING
    next_at = now if give_up else now + retry_delay(attempts, settings)
    text = outcome if give_up else f"{outcome}; attempt {attempts} of {settings.max_attempts}"
    with engine.begin() as conn:
        conn.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == message.id,
                col(OutboxMessage.claimed_by) == token,
                col(OutboxMessage.status) == SENDING,
            )
            .values(
                status=status,
                attempts=attempts,
                next_attempt_at=next_at,
                outcome=text[:OUTCOME_MAX],
            )
        )
    return status


def outbox_rows(
    *, session: Session, status: str | None = None, limit: int = 500
) -> list[OutboxMessage]:
    """The newest outbox rows (optionally of one status), newest first."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.exec(query).all())


def reminded_weeks(*, session: Session, person_id: int, since_week: str) -> dict[str, set[str]]:
    """For each item, the weeks a reminder to this person listed it (from `since_week` on)."""
    found: dict[str, set[str]] = {}
    for week, items in session.exec(
        select(OutboxMessage.week, OutboxMessage.items).where(
            OutboxMessage.person_id == person_id,
            OutboxMessage.kind == "reminder",
            col(OutboxMessage.week) >= since_week,
        )
    ).all():
        for item in items or []:
            found.setdefault(str(item), set()).add(str(week))
    return found
