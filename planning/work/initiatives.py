"""Initiatives: proposing and creating them, editing them (assigning, linking to key results,
setting the expected lift, moving their status by editing) and the record helpers every write
shares. Status updates, dropping and idea triage are in `status_updates`; the statuses and their
moves in `initiative_status`; field checks and drafts in `initiative_input`; reads in
`initiative_reads`.

Who may do what (DESIGN §1, enforced here whatever the page shows):

- A director creates initiatives in any status for any owner and edits every field of any of them.
- A member proposes ideas (status idea, owned by themselves) and, on the initiatives they own,
  edits the descriptive fields (title, description, dates, effort, linked key results, expected
  lift) and posts status updates. Owner, scoring inputs, shipped date and status moves that take
  an idea into the plan, drop work or revive it are the director's.
- A stakeholder changes nothing.

Status moves follow TRANSITIONS. Moving to done sets the shipped date (today unless given) and
100 % complete; reopening done work clears its shipped date. A status change made by editing
(the weekly planning table, the edit form) also appends a status update saying who moved it, so
the history always ends with the initiative's current status.

Every write checks the version the editor read (a newer one is never overwritten), validates the
whole input first (all problems reported together, nothing written), and records an audit event,
all inside the caller's session: the caller's transaction commits or rolls back as one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlmodel import Session

from planning import clock
from planning.access.permissions import (
    Actor,
    PermissionDenied,
    is_director,
    require_member_or_director,
    require_owner_or_director,
)
from planning.config import AppConfig
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_event, snapshot
from planning.store.models import (
    Initiative,
    InitiativeKeyResult,
    InitiativeRead,
    InitiativeStatus,
    StatusUpdate,
    utcnow,
)
from planning.store.trash_rows import trashed_while_open
from planning.store.versioning import check_and_bump
from planning.validation import InputError, clean_text
from planning.work import system_notes
from planning.work.initiative_input import (
    DESCRIPTION_MAX,
    DIRECTOR_FIELDS,
    EDITABLE_FIELDS,
    TITLE_MAX,
    InitiativeDraft,
    check_date,
    check_effort,
    check_key_results,
    check_lift_filters,
    check_lift_pct,
    check_owner,
    check_state,
    clean_scores,
    credited_estimator,
    field_label,
    kept_lift,
)
from planning.work.initiative_reads import ENTITY, key_result_ids
from planning.work.initiative_status import (
    STATUS_ORDER,
    S,
    apply_status_effects,
    status_label,
    transition_problem,
)

# --- reading helpers ---------------------------------------------------------------------------


def load_for_update(session: Session, initiative_id: int) -> Initiative:
    """The initiative locked for this write, or InputError when it does not exist."""
    initiative = session.get(Initiative, initiative_id, with_for_update=True)
    if initiative is None:
        trashed = trashed_while_open(session, entity="initiative", entity_id=initiative_id)
        raise InputError([trashed or _("initiative {id} does not exist").format(id=initiative_id)])
    return initiative


def audit_state(initiative: Initiative, kr_ids: Sequence[int]) -> dict[str, Any]:
    """What the audit trail records of an initiative: its fields and linked key results."""
    state = snapshot(initiative) or {}
    state["key_result_ids"] = list(kr_ids)
    return state


def audit_initiative(
    session: Session,
    actor: Actor,
    initiative: Initiative,
    action: str,
    links: Sequence[int],
    *,
    before: dict[str, Any] | None = None,
) -> None:
    """Audit an initiative's creation or change (from `before`) as it now stands, with the key
    results it is linked to; the write itself was already allowed."""
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=initiative.id,
        action=action,
        before=before,
        after=audit_state(initiative, links),
    )


def _set_links(
    session: Session, initiative_id: int, old: Sequence[int], new: Sequence[int]
) -> None:
    for kr_id in set(old) - set(new):
        link = session.get(InitiativeKeyResult, (initiative_id, kr_id))
        if link is not None:
            session.delete(link)
    for kr_id in sorted(set(new) - set(old)):
        session.add(InitiativeKeyResult(initiative_id=initiative_id, key_result_id=kr_id))


_STATE_FIELDS = (
    "title",
    "description",
    "owner_id",
    "start_date",
    "target_date",
    "shipped_date",
    "effort_weeks",
    "percent_complete",
    "lift_metric",
    "lift_pct",
)


def current_state(initiative: Initiative) -> dict[str, Any]:
    """The editable fields of an initiative as plain values, compared before and after a change."""
    state: dict[str, Any] = {name: getattr(initiative, name) for name in _STATE_FIELDS}
    state["lift_filters"] = dict(initiative.lift_filters or {})
    state["status"] = initiative.status.value
    state["scores"] = {k: dict(v) for k, v in (initiative.scores or {}).items()}
    return state


def initiative_name(initiative: Initiative) -> str:
    """How a conflict message names the initiative."""
    return _("Initiative “{title}”").format(title=initiative.title)


def refuse_if_stale(initiative: Initiative, expected_version: int) -> None:
    """Raise ConflictError before any validation when the editor read an older version."""
    if initiative.version != expected_version:
        check_and_bump(
            initiative, expected_version=expected_version, what=initiative_name(initiative)
        )


def acting_id(actor: Actor) -> int:
    """The id of the person making a change (a saved person), recorded as its author."""
    if actor.id is None:
        raise PermissionDenied(_("Only a saved team member can make changes."))
    return int(actor.id)


def post_status_update(session: Session, actor: Actor, initiative: Initiative, note: str) -> None:
    """Post the initiative's status, health and progress as they now stand, with the actor's
    note on what changed (every change of status or health made outside an update is posted)."""
    assert initiative.id is not None
    session.add(
        StatusUpdate(
            initiative_id=initiative.id,
            status=initiative.status,
            health=initiative.health,
            percent_complete=initiative.percent_complete,
            note=note,
            author_id=acting_id(actor),
        )
    )


# --- writes ------------------------------------------------------------------------------------


def create_initiative(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    draft: InitiativeDraft,
    today: date | None = None,
) -> InitiativeRead:
    """Create an initiative (directors: any; members: an idea they own) with its KR links."""
    require_member_or_director(actor, N_("propose initiatives"))
    director = is_director(actor)
    if not director:
        if draft.status != S.idea:
            raise PermissionDenied(
                _(
                    "Members propose ideas; only a director can create an initiative that is "
                    "{status}."
                ).format(status=_(status_label(draft.status)))
            )
        if draft.owner_id != actor.id:
            raise PermissionDenied(
                _("Members propose ideas for themselves; only a director can assign another owner.")
            )
        if any(draft.scores.values()):
            raise PermissionDenied(_("Only a director can score initiatives."))
    problems: list[str] = []
    title, found = clean_text(
        draft.title, what=field_label("title"), max_length=TITLE_MAX, required=True
    )
    problems += found
    description, found = clean_text(
        draft.description,
        what=field_label("description"),
        max_length=DESCRIPTION_MAX,
        required=False,
        multiline=True,
    )
    problems += found
    if draft.status not in STATUS_ORDER:
        problems.append(
            _("unknown status {status}; use one of {known}").format(
                status=repr(draft.status), known=", ".join(STATUS_ORDER)
            )
        )
    check_owner(session, draft.owner_id, problems)
    state: dict[str, Any] = {
        "status": draft.status,
        "start_date": check_date(draft.start_date, field_label("start_date"), problems),
        "target_date": check_date(draft.target_date, field_label("target_date"), problems),
        "shipped_date": None,
        "percent_complete": 0,
        "lift_metric": draft.lift_metric or None,
        "lift_pct": check_lift_pct(draft.lift_pct, problems),
        "lift_filters": check_lift_filters(draft.lift_filters, problems),
    }
    effort = check_effort(draft.effort_weeks, problems)
    scores = clean_scores({}, draft.scores, config, problems)
    kr_ids = check_key_results(session, draft.key_result_ids, problems)
    if draft.status == S.dropped:
        problems.append(_("a new initiative cannot start out dropped"))
    today = today or clock.today()
    apply_status_effects(state, S.idea, False, today)
    check_state(state, config, problems)
    if problems:
        raise InputError(problems)

    initiative = Initiative(
        title=title,
        description=description,
        owner_id=draft.owner_id,
        status=InitiativeStatus(draft.status),
        start_date=state["start_date"],
        target_date=state["target_date"],
        shipped_date=state["shipped_date"],
        effort_weeks=effort,
        percent_complete=state["percent_complete"],
        scores=scores,
        lift_metric=state["lift_metric"],
        lift_pct=state["lift_pct"],
        lift_filters=state["lift_filters"],
        lift_estimator_id=credited_estimator(
            stored=(None, None),
            stored_by=None,
            new=(state["lift_metric"], state["lift_pct"]),
            editor_id=actor.id,
        ),
    )
    session.add(initiative)
    session.flush()
    assert initiative.id is not None
    _set_links(session, initiative.id, [], kr_ids)
    audit_initiative(session, actor, initiative, "create", kr_ids)
    session.flush()
    return InitiativeRead.model_validate(initiative)


def update_initiative(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    today: date | None = None,
) -> InitiativeRead:
    """Change some fields of an initiative; `changes` maps field names to their new values.

    Fields: title, description, owner_id, status, start_date, target_date, shipped_date,
    effort_weeks, lift_metric, lift_pct, lift_filters, key_result_ids (the full new set) and scores
    ({framework_id: {input: value}}; only the frameworks named are replaced, None clears one).
    """
    initiative = load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, N_("edit this initiative"))
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise InputError(
            [_("{field} cannot be edited").format(field=repr(name)) for name in unknown]
        )
    director = is_director(actor)
    if not director:
        denied = sorted(set(changes) & DIRECTOR_FIELDS)
        if denied:
            names = ", ".join(field_label(n) for n in denied)
            raise PermissionDenied(
                _("Only a director can change the {fields} of an initiative.").format(fields=names)
            )
    refuse_if_stale(initiative, expected_version)
    old_links = key_result_ids(session=session, initiative_id=initiative_id)

    problems: list[str] = []
    state = current_state(initiative)
    new_links = old_links
    for name, value in changes.items():
        if name == "title":
            state["title"], found = clean_text(
                value, what=field_label("title"), max_length=TITLE_MAX, required=True
            )
            problems += found
        elif name == "description":
            state["description"], found = clean_text(
                value,
                what=field_label("description"),
                max_length=DESCRIPTION_MAX,
                required=False,
                multiline=True,
            )
            problems += found
        elif name == "owner_id":
            check_owner(session, value, problems)
            state["owner_id"] = value
        elif name == "status":
            found_problem = transition_problem(initiative.status.value, value, director=director)
            if found_problem:
                problems.append(found_problem)
            state["status"] = value
        elif name in {"start_date", "target_date", "shipped_date"}:
            state[name] = check_date(value, field_label(name), problems)
        elif name == "effort_weeks":
            state["effort_weeks"] = check_effort(value, problems)
        elif name == "lift_metric":
            state["lift_metric"] = value or None
        elif name == "lift_pct":
            state["lift_pct"] = kept_lift(initiative.lift_pct, check_lift_pct(value, problems))
        elif name == "lift_filters":
            state["lift_filters"] = check_lift_filters(value, problems)
        elif name == "scores":
            state["scores"] = clean_scores(state["scores"], value, config, problems)
        elif name == "key_result_ids":
            new_links = check_key_results(session, value, problems, already=old_links)
    old_status = initiative.status.value
    if not problems:
        apply_status_effects(state, old_status, "shipped_date" in changes, today or clock.today())
        check_state(state, config, problems)
    if problems:
        raise InputError(problems)
    if state == current_state(initiative) and new_links == old_links:
        return InitiativeRead.model_validate(initiative)  # nothing to write

    before = audit_state(initiative, old_links)
    check_and_bump(initiative, expected_version=expected_version, what=initiative_name(initiative))
    initiative.lift_estimator_id = credited_estimator(
        stored=(initiative.lift_metric, initiative.lift_pct),
        stored_by=initiative.lift_estimator_id,
        new=(state["lift_metric"], state["lift_pct"]),
        editor_id=actor.id,
    )
    for name, value in state.items():
        setattr(initiative, name, InitiativeStatus(value) if name == "status" else value)
    initiative.updated_at = utcnow()
    _set_links(session, initiative_id, old_links, new_links)
    if state["status"] != old_status:
        post_status_update(
            session,
            actor,
            initiative,
            system_notes.status_changed(old_status, state["status"], actor.name),
        )
    session.add(initiative)
    audit_initiative(session, actor, initiative, "update", new_links, before=before)
    session.flush()
    return InitiativeRead.model_validate(initiative)


def assign_owner(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    owner_id: int,
) -> InitiativeRead:
    """Give an initiative a new owner (directors only)."""
    return update_initiative(
        session=session,
        actor=actor,
        config=config,
        initiative_id=initiative_id,
        expected_version=expected_version,
        changes={"owner_id": owner_id},
    )


def change_status(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    status: str,
    today: date | None = None,
) -> InitiativeRead:
    """Move an initiative to another status (directors; owners post a status update instead)."""
    return update_initiative(
        session=session,
        actor=actor,
        config=config,
        initiative_id=initiative_id,
        expected_version=expected_version,
        changes={"status": status},
        today=today,
    )


def set_expected_lift(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    metric_id: str | None,
    lift_pct: float | None,
    filters: Mapping[str, str] | None = None,
) -> InitiativeRead:
    """Set (or clear, with None and None) the expected relative lift on a metric, measured
    on the filters given (device, channel, product line; none: the metric over everything)."""
    return update_initiative(
        session=session,
        actor=actor,
        config=config,
        initiative_id=initiative_id,
        expected_version=expected_version,
        changes={"lift_metric": metric_id, "lift_pct": lift_pct, "lift_filters": filters},
    )


def link_key_result(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    key_result_id: int,
) -> InitiativeRead:
    """Link an initiative to one more key result it should move."""
    return _relink(session, actor, config, initiative_id, expected_version, key_result_id, True)


def unlink_key_result(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    key_result_id: int,
) -> InitiativeRead:
    """Remove one key result from an initiative's links."""
    return _relink(session, actor, config, initiative_id, expected_version, key_result_id, False)


def _relink(
    session: Session,
    actor: Actor,
    config: AppConfig,
    initiative_id: int,
    expected_version: int,
    key_result_id: int,
    linked: bool,
) -> InitiativeRead:
    """Add (`linked`) or remove one key result link, refused when it already is that way."""
    initiative = load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, N_("edit this initiative"))
    current = key_result_ids(session=session, initiative_id=initiative_id)
    if linked and key_result_id in current:
        raise InputError([_("key result {id} is already linked").format(id=key_result_id)])
    if not linked and key_result_id not in current:
        raise InputError(
            [_("key result {id} is not linked to this initiative").format(id=key_result_id)]
        )
    wanted = [*current, key_result_id] if linked else [k for k in current if k != key_result_id]
    return update_initiative(
        session=session,
        actor=actor,
        config=config,
        initiative_id=initiative_id,
        expected_version=expected_version,
        changes={"key_result_ids": wanted},
    )
