"""Status updates on an initiative: posting one (its owner or a director), dropping an initiative
with a reason (a director; a member may withdraw their own idea) and a director's triage of an
idea (accept to the backlog, or decline with a short reason). Each is a status update in the
history, validated whole, version-checked and audited inside the caller's session.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from planning import clock
from planning.access.permissions import (
    Actor,
    PermissionDenied,
    can_drop_initiative,
    is_director,
    require_director,
    require_owner_or_director,
)
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_event
from planning.store.engine import STATUS_NOTES, WORK
from planning.store.models import (
    Health,
    Initiative,
    InitiativeStatus,
    StatusUpdate,
    StatusUpdateRead,
    utcnow,
)
from planning.validation import InputError, clean_text, is_number
from planning.work import system_notes
from planning.work.initiative_input import NOTE_MAX, REASON_MAX, NewStatusUpdate, field_label
from planning.work.initiative_reads import ENTITY, key_result_ids
from planning.work.initiative_status import (
    HEALTH_ORDER,
    S,
    apply_status_effects,
    director_only_move,
    status_label,
    transition_problem,
)
from planning.work.initiatives import (
    acting_id,
    audit_state,
    current_state,
    load_for_update,
    refuse_if_stale,
)


def post_status_update(
    *,
    session: Session,
    actor: Actor,
    initiative_id: int,
    update: NewStatusUpdate,
    expected_version: int | None = None,
    today: date | None = None,
) -> StatusUpdateRead:
    """Append a status update; the initiative takes its status, health and % complete.

    The owner or a director may post. `expected_version`, when given, refuses the update if the
    initiative changed since the author read it.
    """
    initiative = load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, N_("post a status update"))
    return _post_update(
        session=session,
        actor=actor,
        initiative=initiative,
        update=update,
        expected_version=expected_version,
        today=today,
        action="status_update",
    )


def _post_update(
    *,
    session: Session,
    actor: Actor,
    initiative: Initiative,
    update: NewStatusUpdate,
    expected_version: int | None,
    today: date | None,
    action: str,
) -> StatusUpdateRead:
    """The write behind every status update, audited as `action` (the caller checked roles)."""
    initiative_id = int(initiative.id or 0)
    director = is_director(actor)
    if expected_version is not None:
        refuse_if_stale(initiative, expected_version)
    problems: list[str] = []
    status = str(update.status)
    health = str(update.health)
    transition = transition_problem(initiative.status.value, status, director=director)
    if transition and director_only_move(initiative.status.value, status, director=director):
        raise PermissionDenied(transition[0].upper() + transition[1:] + ".")
    if transition:
        problems.append(transition)
    if health not in HEALTH_ORDER:
        problems.append(
            _("unknown health {health}; use one of {choices}").format(
                health=repr(health), choices=", ".join(HEALTH_ORDER)
            )
        )
    percent = update.percent_complete
    if not is_number(percent) or float(percent) != int(percent):
        problems.append(
            _("{field} {value} is not a whole number").format(
                field=field_label("percent_complete"), value=repr(percent)
            )
        )
    elif not 0 <= int(percent) <= 100:
        problems.append(
            _("{field} {value} is not between 0 and 100").format(
                field=field_label("percent_complete"), value=int(percent)
            )
        )
    note, found = clean_text(
        update.note, what=N_("a note"), max_length=NOTE_MAX, required=True, multiline=True
    )
    if found and not note and isinstance(update.note, str | None):  # empty: say what it is for
        found = [_("a note is required: say in a line what changed")]
    problems += found
    if problems:
        raise InputError(problems)

    before = audit_state(initiative, key_result_ids(session=session, initiative_id=initiative_id))
    drawn_before = _drawn(initiative)
    state = current_state(initiative)
    old_status = state["status"]
    state["status"] = status
    state["percent_complete"] = int(percent)
    apply_status_effects(state, old_status, False, today or clock.today())
    initiative.status = InitiativeStatus(status)
    initiative.health = Health(health)
    initiative.percent_complete = state["percent_complete"]
    initiative.shipped_date = state["shipped_date"]
    # A note alone adds to the history and leaves every field someone may have open in an edit
    # form as it was: only a change of status, health, % complete or shipped date is a new
    # version, so a note never refuses another person's save.
    if _drawn(initiative) != drawn_before:
        initiative.version += 1
    initiative.updated_at = utcnow()
    row = StatusUpdate(
        initiative_id=initiative_id,
        status=initiative.status,
        health=initiative.health,
        percent_complete=initiative.percent_complete,
        note=note,
        author_id=acting_id(actor),
    )
    session.add(row)
    session.add(initiative)
    after = audit_state(initiative, before["key_result_ids"])
    after["note"] = note
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=initiative_id,
        action=action,
        before=before,
        after=after,
        # A note alone leaves every page that draws the work's state (Roadmap, Goals) cached.
        areas=(STATUS_NOTES,) if _drawn(initiative) == drawn_before else (WORK, STATUS_NOTES),
    )
    session.flush()
    return StatusUpdateRead.model_validate(row)


def _drawn(initiative: Initiative) -> tuple[object, ...]:
    """What of an initiative a status update may change besides its history: status, health,
    % complete and shipped date."""
    return (
        initiative.status,
        initiative.health,
        initiative.percent_complete,
        initiative.shipped_date,
    )


def drop_initiative(
    *,
    session: Session,
    actor: Actor,
    initiative_id: int,
    expected_version: int,
    reason: str,
    today: date | None = None,
) -> StatusUpdateRead:
    """Drop an initiative with a reason (a director; a member may withdraw their own idea)."""
    initiative = load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, N_("drop this initiative"))
    status = initiative.status.value
    if not can_drop_initiative(actor, initiative.owner_id, status):
        if status == S.dropped:
            raise PermissionDenied(_("Only a director can drop an initiative dropped already."))
        raise PermissionDenied(
            _(
                "Only a director can move an initiative from {status} to {dropped}; a member "
                "withdraws only their own idea."
            ).format(status=_(status_label(status)), dropped=_(status_label(S.dropped)))
        )
    text, problems = clean_text(
        reason, what=_("a reason"), max_length=NOTE_MAX, required=True, multiline=True
    )
    if problems:
        raise InputError([_("say why it is dropped: a reason is required")])
    note = system_notes.dropped(text)
    return _move(
        session, actor, initiative, S.dropped, note, expected_version, today, "status_update"
    )


# The notes that record a director's triage of an idea; This week reads them back to the person
# who proposed it.
ACCEPTED_NOTE = system_notes.ACCEPTED_NOTE
DECLINED_PREFIX = system_notes.DECLINED_PREFIX


def _triage(
    session: Session,
    actor: Actor,
    initiative_id: int,
    expected_version: int,
    action: str,
) -> Initiative:
    """The idea a director triages: refuses anyone else and anything that is not an idea."""
    require_director(actor, action)
    initiative = load_for_update(session, initiative_id)
    refuse_if_stale(initiative, expected_version)
    if initiative.status != S.idea:
        raise InputError(
            [
                _("“{title}” is {status}, not an idea: only ideas are triaged").format(
                    title=initiative.title, status=_(status_label(initiative.status.value))
                )
            ]
        )
    return initiative


def accept_idea(
    *,
    session: Session,
    actor: Actor,
    initiative_id: int,
    expected_version: int,
    today: date | None = None,
) -> StatusUpdateRead:
    """Accept an idea to the backlog (directors only): it becomes planned, keeping its fields."""
    initiative = _triage(session, actor, initiative_id, expected_version, N_("accept an idea"))
    note = system_notes.accepted(actor.name)
    return _move(
        session, actor, initiative, S.planned, note, expected_version, today, "accept_idea"
    )


def decline_idea(
    *,
    session: Session,
    actor: Actor,
    initiative_id: int,
    expected_version: int,
    reason: str,
    today: date | None = None,
) -> StatusUpdateRead:
    """Decline an idea with a short reason (directors only): it is dropped, the reason noted."""
    initiative = _triage(session, actor, initiative_id, expected_version, N_("decline an idea"))
    text, problems = clean_text(reason, what=N_("a reason"), max_length=REASON_MAX, required=True)
    if problems:
        if not text and isinstance(reason, str | None):
            problems = [_("say why the idea is declined: a short reason is required")]
        raise InputError(problems)
    note = system_notes.declined(text)
    return _move(
        session, actor, initiative, S.dropped, note, expected_version, today, "decline_idea"
    )


def _move(
    session: Session,
    actor: Actor,
    initiative: Initiative,
    status: S,
    note: str,
    expected_version: int,
    today: date | None,
    action: str,
) -> StatusUpdateRead:
    """Post a move to `status` as a status update keeping the initiative's health and % complete
    (a drop or a triage outcome), audited as `action`; the caller checked who may."""
    return _post_update(
        session=session,
        actor=actor,
        initiative=initiative,
        update=NewStatusUpdate(
            status=status,
            health=initiative.health.value,
            percent_complete=initiative.percent_complete,
            note=note,
        ),
        expected_version=expected_version,
        today=today,
        action=action,
    )
