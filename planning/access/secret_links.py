"""What API tokens and share links have in common: a secret kept only as its digest, a last use
noted at most once a minute (bookkeeping: no audit event, no data version), and an audited
revocation."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from planning.access.permissions import Actor
from planning.store.audit import record_changed, snapshot
from planning.store.models_access import ApiToken, ShareLink

LAST_USED_GRANULARITY = timedelta(minutes=1)


class Used(Protocol):
    """A stored secret whose last use is noted."""

    last_used_at: datetime | None


def token_digest(secret: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8", errors="surrogatepass")).hexdigest()


def use_is_stale(record: Used, now: datetime) -> bool:
    """Whether the record's last use is older than LAST_USED_GRANULARITY (or never noted)."""
    return record.last_used_at is None or now - record.last_used_at >= LAST_USED_GRANULARITY


def note_last_use(*, session: Session, record: Used | None, now: datetime) -> bool:
    """Advance the record's last use if it is stale; True if written."""
    if record is None or not use_is_stale(record, now):
        return False
    record.last_used_at = now
    session.add(record)
    return True


def record_revoked(
    *,
    session: Session,
    actor: Actor | None,
    entity: str,
    record: ApiToken | ShareLink,
    now: datetime,
) -> None:
    """Mark a token or link revoked at `now` and audit it, its digest kept out of the event."""
    before = snapshot(record, exclude={"token_hash"})
    record.revoked_at = now
    record_changed(
        session=session,
        actor=actor,
        entity=entity,
        record=record,
        action="revoke",
        before=before,
        exclude={"token_hash"},
    )
