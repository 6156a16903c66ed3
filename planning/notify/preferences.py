"""Each person's say in what reaches them: their channel, a pause until a day, opting out, and
(stakeholders) the weekly roadmap summary.

A person changes their own; a director changes anyone's. Every change is audited. The channel is
a name (email, slack, teams, webhook); its URL stays in the server's secrets.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from planning.access.permissions import Actor, require_self_or_director
from planning.notify.schedule import Preference
from planning.notify.secrets import CHANNELS
from planning.store.audit import record_event, snapshot
from planning.store.models import Person, utcnow
from planning.store.models_notify import NotifyPreference
from planning.validation import InputError

ENTITY = "notify_preference"


def preference_of(*, session: Session, person_id: int) -> Preference:
    """A person's preference (the defaults when they never set one)."""
    row = session.get(NotifyPreference, person_id)
    if row is None:
        return Preference()
    return Preference(
        channel=row.channel,
        paused_until=row.paused_until,
        opted_out=row.opted_out,
        roadmap_summary=row.roadmap_summary,
    )


def all_preferences(*, session: Session) -> dict[int, Preference]:
    """Every stored preference by person id (people missing here have the defaults)."""
    return {
        row.person_id: Preference(
            channel=row.channel,
            paused_until=row.paused_until,
            opted_out=row.opted_out,
            roadmap_summary=row.roadmap_summary,
        )
        for row in session.exec(select(NotifyPreference)).all()
    }


def set_preference(
    *,
    session: Session,
    actor: Actor,
    person_id: int,
    channel: str,
    paused_until: date | None = None,
    opted_out: bool = False,
    roadmap_summary: bool = False,
) -> Preference:
    """Store how a person wants to be reached (themselves or a director); audited."""
    require_self_or_director(actor, person_id, "change how someone is notified")
    problems = []
    if session.get(Person, person_id) is None:
        problems.append(f"there is no person with id {person_id}")
    if channel not in CHANNELS:
        problems.append(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if paused_until is not None and not isinstance(paused_until, date):
        problems.append("paused until must be a day")
    if not isinstance(opted_out, bool) or not isinstance(roadmap_summary, bool):
        problems.append("opted out and roadmap summary are yes or no")
    if problems:
        raise InputError(problems)
    row = session.get(NotifyPreference, person_id, with_for_update=True)
    before = snapshot(row)
    if row is None:
        row = NotifyPreference(person_id=person_id)
    else:
        row.version += 1
    row.channel = channel
    row.paused_until = paused_until
    row.opted_out = opted_out
    row.roadmap_summary = roadmap_summary
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=person_id,
        action="create" if before is None else "update",
        before=before,
        after=snapshot(row),
    )
    return preference_of(session=session, person_id=person_id)
