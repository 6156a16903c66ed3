"""The outbox: every message planned once, claimed by one process, sent at least once, retried
with back-off and recorded with its outcome.

- Planning inserts a row per dedupe key with INSERT … ON CONFLICT DO NOTHING: a restart, a second
  run or a second process planning the same message adds nothing.
- Sending claims rows with one UPDATE … WHERE status = 'pending' (or a claim older than
  `claim_timeout_minutes`, left by a process that died mid-send) under a claim token of its own,
  then reads back the rows carrying that token: two processes never hold the same row.
- A delivered row becomes `sent`; a failed one goes back to `pending` with its next attempt
  `retry_delay` later, or becomes `failed` after `max_attempts`.
- Rows that are done (sent, failed, skipped) are deleted after `retention_days`; reminders and
  escalations are kept at least `KEEP_FOR_ESCALATION`, because escalation reads past reminders
  and a deleted escalation could be planned again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, and_, bindparam, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from planning.config.settings import NotifySettings
from planning.notify.schedule import HISTORY_WEEKS, retry_delay
from planning.store.models_notify import OutboxMessage

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
STATUSES: tuple[str, ...] = (PENDING, SENDING, SENT, FAILED, SKIPPED)
OUTCOME_MAX = 500
DONE: tuple[str, ...] = (SENT, FAILED, SKIPPED)
# Escalation follows a run of reminders back HISTORY_WEEKS; its memory is kept a week longer than
# that, whatever the retention.
KEEP_FOR_ESCALATION = timedelta(weeks=HISTORY_WEEKS + 1)


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


@dataclass(frozen=True)
class Result:
    """How one claimed row's send went (planning.notify.channels.Delivery, flattened)."""

    message: OutboxMessage
    ok: bool
    outcome: str
    permanent: bool = False


# One statement for every outcome, so it is compiled once and run per row with its values.
_RECORD = (
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id) == bindparam("message_id"),
        col(OutboxMessage.claimed_by) == bindparam("token"),
        col(OutboxMessage.status) == SENDING,
    )
    .values(
        status=bindparam("new_status"),
        sent_at=bindparam("new_sent_at"),
        next_attempt_at=bindparam("new_next_attempt_at"),
        outcome=bindparam("new_outcome"),
        attempts=bindparam("new_attempts"),
    )
)


def _outcome_values(
    result: Result, *, token: str, now: datetime, settings: NotifySettings
) -> dict[str, object]:
    """The values recording one result: its new status, attempts, next try and outcome."""
    attempts = result.message.attempts + 1
    status, text, next_at = SENT, result.outcome, now
    if not result.ok:
        give_up = result.permanent or attempts >= settings.max_attempts
        status = FAILED if give_up else PENDING
        if not give_up:
            text = f"{text}; attempt {attempts} of {settings.max_attempts}"
            next_at = now + retry_delay(attempts, settings)
    return {
        "message_id": result.message.id,
        "token": token,
        "new_status": status,
        "new_sent_at": now if result.ok else None,
        "new_next_attempt_at": next_at,
        "new_outcome": text[:OUTCOME_MAX],
        "new_attempts": attempts,
    }


def record_results(
    *,
    engine: Engine,
    token: str,
    results: Sequence[Result],
    now: datetime,
    settings: NotifySettings,
) -> list[str]:
    """Record several sends in one transaction; each row's new status ("" when this process no
    longer held its claim, so another process's result stands)."""
    statuses = []
    with engine.begin() as conn:
        for result in results:
            values = _outcome_values(result, token=token, now=now, settings=settings)
            held = conn.execute(_RECORD, values).rowcount == 1
            statuses.append(str(values["new_status"]) if held else "")
    return statuses


def record_sent(
    *, engine: Engine, token: str, message: OutboxMessage, now: datetime, outcome: str
) -> bool:
    """Mark a claimed row sent; False when this process no longer holds the claim."""
    result = Result(message=message, ok=True, outcome=outcome)
    settings = NotifySettings()
    return record_results(
        engine=engine, token=token, results=[result], now=now, settings=settings
    ) == [SENT]


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
    result = Result(message=message, ok=False, outcome=outcome, permanent=permanent)
    [status] = record_results(
        engine=engine, token=token, results=[result], now=now, settings=settings
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


def cleanup(*, engine: Engine, now: datetime, retention_days: int) -> int:
    """Delete the outbox rows that are done (sent, failed, skipped) and whose outcome is older
    than the retention (reminders and escalations: at least KEEP_FOR_ESCALATION); how many were
    deleted. A done row's next_attempt_at is the moment of its outcome (its planning, if
    skipped)."""
    cutoff = now - timedelta(days=retention_days)
    history_cutoff = min(cutoff, now - KEEP_FOR_ESCALATION)
    remembered = col(OutboxMessage.kind).in_(("reminder", "escalation"))
    statement = delete(OutboxMessage).where(
        col(OutboxMessage.status).in_(DONE),
        or_(
            and_(~remembered, col(OutboxMessage.next_attempt_at) < cutoff),
            and_(remembered, col(OutboxMessage.next_attempt_at) < history_cutoff),
        ),
    )
    with engine.begin() as conn:
        return int(conn.execute(statement).rowcount or 0)
