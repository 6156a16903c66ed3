"""A person's own settings (their language, how they are notified): one row per person, changed
by the person or a director, checked whole and audited. No row means the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from planning.access.permissions import Actor, require_self_or_director
from planning.i18n import gettext as _
from planning.store.audit import record_changed, snapshot
from planning.store.models import Person, utcnow
from planning.validation import InputError

Row = TypeVar("Row", bound=SQLModel)


def save_person_setting(
    *,
    session: Session,
    actor: Actor,
    person_id: int,
    model: type[Row],
    entity: str,
    doing: str,
    values: Mapping[str, Any],
    problems: list[str],
) -> Row:
    """Write a person's settings row (themselves or a director): refused with every problem of
    `values` and a missing person, created or its version advanced, and audited."""
    require_self_or_director(actor, person_id, doing)
    if session.get(Person, person_id) is None:
        problems = [_("there is no person with id {id}").format(id=person_id), *problems]
    if problems:
        raise InputError(problems)
    row = session.get(model, person_id, with_for_update=True)
    before = snapshot(row)
    if row is None:
        row = model(person_id=person_id, **values)
    else:
        row.version += 1  # type: ignore[attr-defined]
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    record_changed(
        session=session,
        actor=actor,
        entity=entity,
        record=row,
        action="create" if before is None else "update",
        before=before,
        entity_id=person_id,
    )
    return row
