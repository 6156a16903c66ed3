"""An initiative's statuses and health: their labels, the moves between statuses each role may
make (TRANSITIONS; a member withdraws their own idea and moves their other work along, never back
to an idea nor to dropped) and what a move to or from done does to the shipped date and
% complete. Pure rules, no store.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from planning.i18n import N_, word_for
from planning.i18n import gettext as _
from planning.store.models import (
    Health,
    InitiativeStatus,
)

S = InitiativeStatus
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in InitiativeStatus)
HEALTH_ORDER: tuple[str, ...] = tuple(h.value for h in Health)
STATUS_LABELS: dict[str, str] = {
    "idea": N_("Idea"),
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "blocked": N_("Blocked"),
    "done": N_("Done"),
    "dropped": N_("Dropped"),
}
HEALTH_LABELS: dict[str, str] = {
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "off_track": N_("Off track"),
}

# Where an initiative may go from each status (staying put is always allowed).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.idea: frozenset({S.planned, S.in_progress, S.dropped}),
    S.planned: frozenset({S.idea, S.in_progress, S.blocked, S.done, S.dropped}),
    S.in_progress: frozenset({S.planned, S.blocked, S.done, S.dropped}),
    S.blocked: frozenset({S.planned, S.in_progress, S.done, S.dropped}),
    S.done: frozenset({S.in_progress}),
    S.dropped: frozenset({S.idea, S.planned}),
}
# Statuses of work that is still to do: the backlog.
OPEN_STATUSES: tuple[str, ...] = (S.idea, S.planned, S.in_progress, S.blocked)


def status_label(status: str) -> str:
    """A status as people write it: in_progress -> In progress."""
    return STATUS_LABELS.get(str(status), str(status))


# How the audit trail words what was done (an action not listed reads with its underscores as
# spaces; those an initiative's trail shows are listed, so they translate).
AUDIT_ACTION_WORDS = {
    "create": N_("created"),
    "update": N_("edited"),
    "status_update": N_("status update posted"),
    "demo": N_("loaded with the demo data"),
    "done": N_("marked done"),
    "delete": N_("deleted"),
    "copy": N_("copied"),
    "override": N_("overridden"),
    "close": N_("closed"),
    "revoke": N_("revoked"),
    "accept_idea": N_("accept idea"),
    "decline_idea": N_("decline idea"),
    "bulk_edit": N_("bulk edit"),
    "restore_from_trash": N_("restore from trash"),
    "undo_planning_save": N_("undo planning save"),
    "reopen": N_("reopen"),
}
# The records an initiative's trail names besides the initiative itself.
AUDIT_ENTITY_WORDS = {
    "status_update": N_("Status update"),
    "decision": N_("Decision"),
    "initiative_dependency": N_("Initiative dependency"),
}


def audit_action_text(action: str) -> str:
    """An audit-trail action as people read it: 'status_update demo' -> 'Status update: loaded
    with the demo data'; 'update' -> 'Edited' (in the reader's language)."""
    entity, _sep, done = str(action).rpartition(" ")
    words = word_for(AUDIT_ACTION_WORDS, done)
    if not entity:
        return words[:1].upper() + words[1:]
    named = AUDIT_ENTITY_WORDS.get(entity)
    return f"{_(named) if named else entity.replace('_', ' ').capitalize()}: {words}"


def _member_targets(current: str) -> frozenset[str]:
    if current == S.idea:
        return frozenset({S.dropped})  # withdraw one's own idea
    if current == S.dropped:
        return frozenset()
    return TRANSITIONS[current] - {S.idea, S.dropped}


def allowed_statuses(current: str, *, director: bool) -> list[str]:
    """Statuses an initiative in `current` may be moved to by this role, current one first."""
    targets = TRANSITIONS.get(current, frozenset()) if director else _member_targets(current)
    return [current, *(s for s in STATUS_ORDER if s in targets)]


def director_only_move(current: str, new: str, *, director: bool) -> bool:
    """Whether a move is refused only because a member asks for it (a director may make it)."""
    return (
        not director
        and new != current
        and new in TRANSITIONS.get(current, frozenset())
        and new not in _member_targets(current)
    )


def transition_problem(current: str, new: str, *, director: bool) -> str | None:
    """Why a status move is refused, or None when it is allowed (staying put always is), in the
    reader's language."""
    if new == current:
        return None
    if new not in STATUS_ORDER:
        return _("unknown status {status}; use one of {known}").format(
            status=repr(new), known=", ".join(STATUS_ORDER)
        )
    if new not in TRANSITIONS.get(current, frozenset()):
        reachable = [_(status_label(s)) for s in STATUS_ORDER if s in TRANSITIONS.get(current, ())]
        return _(
            "an initiative cannot move from {current} to {new}; from {current} it can move to "
            "{reachable}"
        ).format(
            current=_(status_label(current)),
            new=_(status_label(new)),
            reachable=", ".join(reachable),
        )
    if director_only_move(current, new, director=director):
        return _("only a director can move an initiative from {current} to {new}").format(
            current=_(status_label(current)), new=_(status_label(new))
        )
    return None


def apply_status_effects(
    state: dict[str, Any], old_status: str, explicit_shipped: bool, today: date
) -> None:
    """Done sets the shipped date and 100 %; leaving done clears the shipped date."""
    if state["status"] == S.done and old_status != S.done:
        state["shipped_date"] = state["shipped_date"] or today
        state["percent_complete"] = 100
    elif old_status == S.done and state["status"] != S.done and not explicit_shipped:
        state["shipped_date"] = None
