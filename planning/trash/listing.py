"""What the Trash view lists: deleted and archived objectives, key results and initiatives, each
with who put it there, when, and the day it is gone for good (items whose day has come are never
listed, whether or not the purge has run)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from planning.i18n import N_
from planning.store.models import Person
from planning.store.models_trash import TrashItem
from planning.trash.bin import ENTITY_WORDS, archived_goals, local_day, purge_day


@dataclass(frozen=True)
class TrashEntry:
    """One line of the trash: a deleted item (trash_item_id set) or an archived goal (version
    set, restored by unarchiving it)."""

    entity: str
    entity_id: int
    kind: str  # Objective, Key result, Initiative (in English: translated where shown)
    title: str
    how: str  # Deleted, Archived
    since: date
    by: str
    gone_on: date
    trash_item_id: int | None = None
    version: int | None = None


def trash_entries(*, session: Session, today: date) -> list[TrashEntry]:
    """Everything in the trash on `today`, the soonest to go first."""
    names = {int(i or 0): str(n) for i, n in session.exec(select(Person.id, Person.name)).all()}
    entries: list[TrashEntry] = []
    items = session.exec(select(TrashItem).where(col(TrashItem.purge_on) > today)).all()
    for item in items:
        assert item.id is not None
        entries.append(
            TrashEntry(
                entity=item.entity,
                entity_id=item.entity_id,
                kind=ENTITY_WORDS.get(item.entity, item.entity),
                title=item.title,
                how=N_("Deleted"),
                since=local_day(item.trashed_at),
                by=names.get(item.trashed_by or 0, "—"),
                gone_on=item.purge_on,
                trash_item_id=item.id,
            )
        )
    for goal in archived_goals(session):
        gone_on = purge_day(goal.archived_on)
        if gone_on <= today:
            continue
        entries.append(
            TrashEntry(
                entity=goal.entity,
                entity_id=goal.entity_id,
                kind=ENTITY_WORDS[goal.entity],
                title=goal.title,
                how=N_("Archived"),
                since=goal.archived_on,
                by="—",
                gone_on=gone_on,
                version=goal.version,
            )
        )
    return sorted(entries, key=lambda e: (e.gone_on, e.kind, e.title))
