"""The audit trail: who changed what, when, before and after. Every write records one event."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel

from planning.store.engine import AREAS, OKRS, PEOPLE, WORK, bump_plan
from planning.store.models import AuditEvent, Person, PersonRead

# The data-version area each audited entity belongs to; an entity not listed advances every area,
# so a cached read can never miss a write by being keyed too narrowly.
ENTITY_AREAS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        (
            "objective",
            "key_result",
            "check_in",
            "kr_grade",
            "period_close",
            "quarter_draft",
            "okr_template",
        ),
        (OKRS,),
    ),
    **dict.fromkeys(
        ("initiative", "initiative_dependency", "decision", "weekly_plan"),
        (WORK,),
    ),
    **dict.fromkeys(
        ("person", "time_off", "api_token", "share_link", "notify_preference"),
        (PEOPLE,),
    ),
}


def snapshot(record: SQLModel | None, *, exclude: set[str] | None = None) -> dict[str, Any] | None:
    """A JSON-ready copy of a record's fields for the before/after of an audit event."""
    if record is None:
        return None
    out: dict[str, Any] = {}
    for key, value in record.model_dump(exclude=exclude or {"password_hash"}).items():
        out[key] = _jsonable(value)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record_event(
    *,
    session: Session,
    actor: Person | PersonRead | None,
    entity: str,
    entity_id: int | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    areas: tuple[str, ...] | None = None,
) -> AuditEvent:
    """Add an audit event and advance the plan data version and those of `areas` (by default
    the entity's area; every area for an entity not in ENTITY_AREAS), in the caller's
    transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
    )
    session.add(event)
    bump_plan(session, areas if areas is not None else ENTITY_AREAS.get(entity, AREAS))
    return event


def record_created(
    *,
    session: Session,
    actor: Person | PersonRead | None,
    entity: str,
    record: SQLModel,
    exclude: set[str] | None = None,
) -> None:
    """Add a new record, flush it for its id and audit its creation, in the caller's
    transaction (`exclude` keeps secrets such as hashes out of the event)."""
    record_changed(
        session=session,
        actor=actor,
        entity=entity,
        record=record,
        action="create",
        before=None,
        exclude=exclude,
    )


def record_deleted(
    *, session: Session, actor: Person | PersonRead | None, entity: str, record: SQLModel
) -> None:
    """Delete a record and audit it as it stood, in the caller's transaction."""
    before = snapshot(record)
    session.delete(record)
    record_event(
        session=session,
        actor=actor,
        entity=entity,
        entity_id=getattr(record, "id", None),
        action="delete",
        before=before,
    )
    session.flush()


def record_changed(
    *,
    session: Session,
    actor: Person | PersonRead | None,
    entity: str,
    record: SQLModel,
    action: str,
    before: dict[str, Any] | None,
    exclude: set[str] | None = None,
    entity_id: int | None = None,
) -> None:
    """Save a changed record, flush it and audit the change from `before` to the record as it
    now stands, in the caller's transaction (`exclude` keeps fields out of the event's after;
    `entity_id` names a record whose key is not its `id`)."""
    session.add(record)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity=entity,
        entity_id=getattr(record, "id", None) if entity_id is None else entity_id,
        action=action,
        before=before,
        after=snapshot(record, exclude=exclude),
    )
