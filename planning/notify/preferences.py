"""Each person's say in what reaches them: their channel, a pause until a day, opting out, and
(stakeholders) the weekly roadmap summary.

A person changes their own; a director changes anyone's. Every change is audited. The channel is
a name (email, slack, teams, webhook); its URL stays in the server's secrets.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from planning.access.permissions import Actor
from planning.access.person_settings import save_person_setting
from planning.i18n import N_
from planning.notify.schedule import Preference
from planning.notify.secrets import CHANNELS
from planning.store.models_notify import NotifyPreference

ENTITY = "notify_preference"


def preference_of(*, session: Session, person_id: int) -> Preference:
    """A person's preference (the defaults when they never set one)."""
    row = session.get(NotifyPreference, person_id)
    return Preference() if row is None else _preference(row)


def _preference(row: NotifyPreference) -> Preference:
    return Preference(
        channel=row.channel,
        paused_until=row.paused_until,
        opted_out=row.opted_out,
        roadmap_summary=row.roadmap_summary,
    )


def all_preferences(*, session: Session) -> dict[int, Preference]:
    """Every stored preference by person id (people missing here have the defaults)."""
    return {row.person_id: _preference(row) for row in session.exec(select(NotifyPreference)).all()}


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
    problems = []
    if channel not in CHANNELS:
        problems.append(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if paused_until is not None and not isinstance(paused_until, date):
        problems.append("paused until must be a day")
    if not isinstance(opted_out, bool) or not isinstance(roadmap_summary, bool):
        problems.append("opted out and roadmap summary are yes or no")
    save_person_setting(
        session=session,
        actor=actor,
        person_id=person_id,
        model=NotifyPreference,
        entity=ENTITY,
        doing=N_("change how someone is notified"),
        values={
            "channel": channel,
            "paused_until": paused_until,
            "opted_out": opted_out,
            "roadmap_summary": roadmap_summary,
        },
        problems=problems,
    )
    return preference_of(session=session, person_id=person_id)
