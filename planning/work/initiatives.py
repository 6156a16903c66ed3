"""Initiatives: proposing and creating them, editing, assigning, linking to key results, moving them
through their statuses, posting status updates, and reading them back with history and audit.

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

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from planning import clock
from planning.access.permissions import (
    Actor,
    PermissionDenied,
    is_director,
    require_director,
    require_member_or_director,
    require_owner_or_director,
)
from planning.config import EFFORT_INPUT_OF_FORMULA, AppConfig
from planning.periods import FIRST_YEAR, LAST_YEAR, YEAR_RANGE
from planning.store.audit import record_event, snapshot
from planning.store.models import (
    AuditEvent,
    Decision,
    Health,
    Initiative,
    InitiativeKeyResult,
    InitiativeRead,
    InitiativeStatus,
    KeyResult,
    Objective,
    Person,
    Role,
    StatusUpdate,
    StatusUpdateRead,
    utcnow,
)
from planning.store.versioning import check_and_bump
from planning.validation import InputError, clean_text, is_number
from planning.work.scoring import validate_inputs

ENTITY = "initiative"

S = InitiativeStatus
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in InitiativeStatus)
HEALTH_ORDER: tuple[str, ...] = tuple(h.value for h in Health)
STATUS_LABELS: dict[str, str] = {
    "idea": "Idea",
    "planned": "Planned",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "done": "Done",
    "dropped": "Dropped",
}
HEALTH_LABELS: dict[str, str] = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
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

TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
NOTE_MAX = 2_000
REASON_MAX = 300  # a decline reason is a short line
EFFORT_MAX_WEEKS = 520.0
LIFT_MIN, LIFT_MAX = -1.0, 10.0  # a relative change: above -100 %, at most +1,000 %

MEMBER_FIELDS: frozenset[str] = frozenset(
    {
        "title",
        "description",
        "start_date",
        "target_date",
        "effort_weeks",
        "lift_metric",
        "lift_pct",
        "lift_filters",
        "key_result_ids",
    }
)
DIRECTOR_FIELDS: frozenset[str] = frozenset({"owner_id", "status", "scores", "shipped_date"})
EDITABLE_FIELDS: frozenset[str] = MEMBER_FIELDS | DIRECTOR_FIELDS
FIELD_LABELS: dict[str, str] = {
    "title": "title",
    "description": "description",
    "owner_id": "owner",
    "status": "status",
    "health": "health",
    "start_date": "start date",
    "target_date": "target date",
    "shipped_date": "shipped date",
    "effort_weeks": "effort (person-weeks)",
    "percent_complete": "% complete",
    "scores": "scoring inputs",
    "lift_metric": "lift metric",
    "lift_pct": "expected lift",
    "lift_filters": "lift filters",
    "lift_estimator_id": "lift estimated by",
    "key_result_ids": "linked key results",
}


@dataclass(frozen=True)
class InitiativeDraft:
    """What a new initiative is created from."""

    title: str
    owner_id: int
    description: str = ""
    status: str = S.idea
    start_date: date | None = None
    target_date: date | None = None
    effort_weeks: float = 1.0
    lift_metric: str | None = None
    lift_pct: float | None = None
    lift_filters: Mapping[str, str] = field(default_factory=dict)
    scores: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    key_result_ids: Sequence[int] = ()


@dataclass(frozen=True)
class NewStatusUpdate:
    """One status update as its author types it: status, health, % complete and a note."""

    status: str
    health: str
    percent_complete: int
    note: str


@dataclass(frozen=True)
class InitiativeDetail:
    """One initiative with the names around it, its linked KRs, status history and audit trail."""

    initiative: InitiativeRead
    owner: str
    lift_estimator: str | None
    key_result_ids: tuple[int, ...]
    key_results: pd.DataFrame  # id, title, objective
    updates: pd.DataFrame  # at, author, status, health, percent_complete, note (newest first)
    audit: pd.DataFrame  # at, actor, action, changes (newest first)


# --- status rules (pure) -----------------------------------------------------------------------


def status_label(status: str) -> str:
    """A status as people write it: in_progress -> In progress."""
    return STATUS_LABELS.get(str(status), str(status))


# How the audit trail words what was done (an action not listed reads with its underscores as
# spaces).
AUDIT_ACTION_WORDS = {
    "create": "created",
    "update": "edited",
    "status_update": "status update posted",
    "demo": "loaded with the demo data",
    "done": "marked done",
    "delete": "deleted",
    "copy": "copied",
    "override": "overridden",
    "close": "closed",
    "revoke": "revoked",
}


def audit_action_text(action: str) -> str:
    """An audit-trail action as people read it: 'status_update demo' -> 'Status update: loaded
    with the demo data'; 'update' -> 'Edited'."""
    entity, _, done = str(action).rpartition(" ")
    words = AUDIT_ACTION_WORDS.get(done, done.replace("_", " "))
    if not entity:
        return words[:1].upper() + words[1:]
    return f"{entity.replace('_', ' ').capitalize()}: {words}"


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


def transition_problem(current: str, new: str, *, director: bool) -> str | None:
    """Why a status move is refused, or None when it is allowed (staying put always is)."""
    if new == current:
        return None
    if new not in STATUS_ORDER:
        return f"unknown status {new!r}; use one of {', '.join(STATUS_ORDER)}"
    if new not in TRANSITIONS.get(current, frozenset()):
        reachable = [status_label(s) for s in STATUS_ORDER if s in TRANSITIONS.get(current, ())]
        return (
            f"an initiative cannot move from {status_label(current)} to {status_label(new)}; "
            f"from {status_label(current)} it can move to {', '.join(reachable)}"
        )
    if not director and new not in _member_targets(current):
        return (
            f"only a director can move an initiative from {status_label(current)} "
            f"to {status_label(new)}"
        )
    return None


# --- validation helpers ------------------------------------------------------------------------


def _as_date(value: Any, what: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            problems.append(f"{what} {value.isoformat()} is outside the years {YEAR_RANGE}")
            return None
        return value
    problems.append(f"{what} {value!r} is not a date")
    return None


def _check_effort(value: Any, problems: list[str]) -> float:
    if not is_number(value):
        problems.append(f"effort {value!r} is not a number of person-weeks")
        return 0.0
    effort = float(value)
    if effort < 0:
        problems.append(f"effort {effort:g} person-weeks is below 0")
    elif effort > EFFORT_MAX_WEEKS:
        problems.append(f"effort {effort:g} person-weeks is above {EFFORT_MAX_WEEKS:g}")
    return effort


def _check_lift_pct(value: Any, problems: list[str]) -> float | None:
    if value is None:
        return None
    if not is_number(value):
        problems.append(f"expected lift {value!r} is not a number")
        return None
    lift = float(value)
    if not LIFT_MIN < lift <= LIFT_MAX:
        problems.append(
            f"expected lift {lift:+.1%} must be above {LIFT_MIN:.0%} and at most {LIFT_MAX:+.0%}"
        )
    return lift


def _clean_scores(
    current: Mapping[str, Any],
    changes: Any,
    config: AppConfig,
    problems: list[str],
) -> dict[str, Any]:
    """The stored scores with the changed frameworks replaced (None or {} clears one)."""
    if not isinstance(changes, Mapping):
        problems.append("scoring inputs must be given per framework")
        return dict(current)
    merged = {k: dict(v) for k, v in current.items() if isinstance(v, Mapping)}
    frameworks = config.scoring.frameworks
    for framework_id, inputs in changes.items():
        framework = frameworks.get(framework_id)
        if framework is None:
            problems.append(
                f"unknown scoring framework {framework_id!r}; use one of {', '.join(frameworks)}"
            )
            continue
        if inputs is None or (isinstance(inputs, Mapping) and not inputs):
            merged.pop(framework_id, None)
            continue
        if not isinstance(inputs, Mapping):
            problems.append(f"{framework.label} inputs must be named values")
            continue
        # An effort input the formula now derives from the person-weeks is dropped, not refused,
        # so inputs read from older data save as they are.
        derived = EFFORT_INPUT_OF_FORMULA.get(framework.formula)
        inputs = {k: v for k, v in inputs.items() if k != derived}
        extra = [k for k in inputs if k not in framework.inputs]
        if extra:
            problems.append(f"{framework.label} has no input {', '.join(map(repr, extra))}")
        found = validate_inputs(framework, inputs)
        problems.extend(f"{framework.label}: {p}" for p in found)
        if not found and not extra:
            merged[framework_id] = {k: float(inputs[k]) for k in framework.inputs}
    return merged


def _check_owner(session: Session, owner_id: Any, problems: list[str]) -> None:
    if not isinstance(owner_id, int) or isinstance(owner_id, bool):
        problems.append(f"owner {owner_id!r} is not a person")
        return
    owner = session.get(Person, owner_id)
    if owner is None:
        problems.append(f"owner {owner_id} does not exist")
    elif not owner.active:
        problems.append(f"{owner.name} is no longer active and cannot own initiatives")
    elif owner.role == Role.stakeholder:
        problems.append(f"{owner.name} is a stakeholder; initiatives are owned by the team")


def _check_key_results(
    session: Session, ids: Any, problems: list[str], already: Sequence[int] = ()
) -> list[int]:
    """Existing key result ids, sorted; archived ones only when they were linked already."""
    if isinstance(ids, str | bytes) or not isinstance(ids, Iterable):
        problems.append("linked key results must be a list of key result ids")
        return []
    cleaned: list[int] = []
    for kr_id in ids:
        if not isinstance(kr_id, int) or isinstance(kr_id, bool):
            problems.append(f"key result {kr_id!r} is not a key result id")
            continue
        kr = session.get(KeyResult, kr_id)
        if kr is None:
            problems.append(f"key result {kr_id} does not exist")
        elif kr.archived and kr_id not in already and kr_id not in cleaned:
            problems.append(f"key result “{kr.title}” is archived and cannot be linked")
        elif kr_id not in cleaned:
            cleaned.append(kr_id)
    return sorted(cleaned)


def _check_state(state: dict[str, Any], config: AppConfig, problems: list[str]) -> None:
    """Rules across fields: dates in order, shipped only when done, a lift has both parts."""
    start, target, shipped = state["start_date"], state["target_date"], state["shipped_date"]
    if start and target and target < start:
        problems.append(f"target date {target} is before start date {start}")
    if start and shipped and shipped < start:
        problems.append(f"shipped date {shipped} is before start date {start}")
    if shipped and state["status"] != S.done:
        problems.append("only a done initiative has a shipped date")
    metric, lift = state["lift_metric"], state["lift_pct"]
    if metric is not None and metric not in config.metrics.metrics:
        problems.append(f"unknown lift metric {metric!r}; pick a metric from metrics.yaml")
    if (metric is None) != (lift is None):
        problems.append("an expected lift needs both a metric and a relative change")
    filters = state["lift_filters"]
    if filters and metric is None:
        problems.append("lift filters need a lift metric to measure")
    elif filters and metric in config.metrics.metrics:
        allowed = config.metrics.metric_dimensions(metric)
        for dimension, value in filters.items():
            if dimension not in allowed:
                problems.append(
                    f"{metric} cannot be measured by {dimension}; "
                    f"it can be filtered by {', '.join(allowed) or 'nothing'}"
                )
            elif value not in config.metrics.dimensions[dimension].values:
                problems.append(f"{value!r} is not a {dimension}")


def _check_lift_filters(value: Any, problems: list[str]) -> dict[str, str]:
    """Lift filters as a dimension → value mapping of text (checked against the metric later)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append("lift filters must map a dimension to one of its values")
        return {}
    return dict(value)


def _apply_status_effects(
    state: dict[str, Any], old_status: str, explicit_shipped: bool, today: date
) -> None:
    """Done sets the shipped date and 100 %; leaving done clears the shipped date."""
    if state["status"] == S.done and old_status != S.done:
        state["shipped_date"] = state["shipped_date"] or today
        state["percent_complete"] = 100
    elif old_status == S.done and state["status"] != S.done and not explicit_shipped:
        state["shipped_date"] = None


# --- reading helpers ---------------------------------------------------------------------------


def _load_for_update(session: Session, initiative_id: int) -> Initiative:
    initiative = session.get(Initiative, initiative_id, with_for_update=True)
    if initiative is None:
        raise InputError([f"initiative {initiative_id} does not exist"])
    return initiative


def key_result_ids(*, session: Session, initiative_id: int) -> list[int]:
    """Ids of the key results an initiative is linked to, ascending."""
    rows = session.exec(
        select(InitiativeKeyResult.key_result_id).where(
            InitiativeKeyResult.initiative_id == initiative_id
        )
    ).all()
    return sorted(int(r) for r in rows)


def _audit_state(initiative: Initiative, kr_ids: Sequence[int]) -> dict[str, Any]:
    state = snapshot(initiative) or {}
    state["key_result_ids"] = list(kr_ids)
    return state


def _set_links(
    session: Session, initiative_id: int, old: Sequence[int], new: Sequence[int]
) -> None:
    for kr_id in set(old) - set(new):
        link = session.get(InitiativeKeyResult, (initiative_id, kr_id))
        if link is not None:
            session.delete(link)
    for kr_id in sorted(set(new) - set(old)):
        session.add(InitiativeKeyResult(initiative_id=initiative_id, key_result_id=kr_id))


def _status_note(actor: Actor, old: str, new: str) -> str:
    return f"Status changed from {status_label(old)} to {status_label(new)} by {actor.name}."


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


def _current_state(initiative: Initiative) -> dict[str, Any]:
    state: dict[str, Any] = {name: getattr(initiative, name) for name in _STATE_FIELDS}
    state["lift_filters"] = dict(initiative.lift_filters or {})
    state["status"] = initiative.status.value
    state["scores"] = {k: dict(v) for k, v in (initiative.scores or {}).items()}
    return state


def _what(initiative: Initiative) -> str:
    return f"Initiative “{initiative.title}”"


def _refuse_if_stale(initiative: Initiative, expected_version: int) -> None:
    """Raise ConflictError before any validation when the editor read an older version."""
    if initiative.version != expected_version:
        check_and_bump(initiative, expected_version=expected_version, what=_what(initiative))


def _actor_id(actor: Actor) -> int:
    if actor.id is None:
        raise PermissionDenied("Only a saved team member can make changes.")
    return int(actor.id)


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
    require_member_or_director(actor, "propose initiatives")
    director = is_director(actor)
    if not director:
        if draft.status != S.idea:
            raise PermissionDenied(
                f"Members propose ideas; only a director can create an initiative that is "
                f"{status_label(draft.status)}."
            )
        if draft.owner_id != actor.id:
            raise PermissionDenied(
                "Members propose ideas for themselves; only a director can assign another owner."
            )
        if any(draft.scores.values()):
            raise PermissionDenied("Only a director can score initiatives.")
    problems: list[str] = []
    title, found = clean_text(draft.title, what="title", max_length=TITLE_MAX, required=True)
    problems += found
    description, found = clean_text(
        draft.description,
        what="description",
        max_length=DESCRIPTION_MAX,
        required=False,
        multiline=True,
    )
    problems += found
    if draft.status not in STATUS_ORDER:
        problems.append(f"unknown status {draft.status!r}; use one of {', '.join(STATUS_ORDER)}")
    _check_owner(session, draft.owner_id, problems)
    state: dict[str, Any] = {
        "status": draft.status,
        "start_date": _as_date(draft.start_date, "start date", problems),
        "target_date": _as_date(draft.target_date, "target date", problems),
        "shipped_date": None,
        "percent_complete": 0,
        "lift_metric": draft.lift_metric or None,
        "lift_pct": _check_lift_pct(draft.lift_pct, problems),
        "lift_filters": _check_lift_filters(draft.lift_filters, problems),
    }
    effort = _check_effort(draft.effort_weeks, problems)
    scores = _clean_scores({}, draft.scores, config, problems)
    kr_ids = _check_key_results(session, draft.key_result_ids, problems)
    if draft.status == S.dropped:
        problems.append("a new initiative cannot start out dropped")
    today = today or clock.today()
    _apply_status_effects(state, S.idea, False, today)
    _check_state(state, config, problems)
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
        lift_estimator_id=actor.id if state["lift_metric"] else None,
    )
    session.add(initiative)
    session.flush()
    assert initiative.id is not None
    _set_links(session, initiative.id, [], kr_ids)
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=initiative.id,
        action="create",
        after=_audit_state(initiative, kr_ids),
    )
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
    initiative = _load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, "edit this initiative")
    unknown = sorted(set(changes) - EDITABLE_FIELDS)
    if unknown:
        raise InputError([f"{name!r} cannot be edited" for name in unknown])
    director = is_director(actor)
    if not director:
        denied = sorted(set(changes) & DIRECTOR_FIELDS)
        if denied:
            names = ", ".join(FIELD_LABELS[n] for n in denied)
            raise PermissionDenied(f"Only a director can change the {names} of an initiative.")
    _refuse_if_stale(initiative, expected_version)
    old_links = key_result_ids(session=session, initiative_id=initiative_id)

    problems: list[str] = []
    state = _current_state(initiative)
    new_links = old_links
    for name, value in changes.items():
        if name == "title":
            state["title"], found = clean_text(
                value, what="title", max_length=TITLE_MAX, required=True
            )
            problems += found
        elif name == "description":
            state["description"], found = clean_text(
                value,
                what="description",
                max_length=DESCRIPTION_MAX,
                required=False,
                multiline=True,
            )
            problems += found
        elif name == "owner_id":
            _check_owner(session, value, problems)
            state["owner_id"] = value
        elif name == "status":
            found_problem = transition_problem(initiative.status.value, value, director=director)
            if found_problem:
                problems.append(found_problem)
            state["status"] = value
        elif name in {"start_date", "target_date", "shipped_date"}:
            state[name] = _as_date(value, FIELD_LABELS[name], problems)
        elif name == "effort_weeks":
            state["effort_weeks"] = _check_effort(value, problems)
        elif name == "lift_metric":
            state["lift_metric"] = value or None
        elif name == "lift_pct":
            state["lift_pct"] = _check_lift_pct(value, problems)
        elif name == "lift_filters":
            state["lift_filters"] = _check_lift_filters(value, problems)
        elif name == "scores":
            state["scores"] = _clean_scores(state["scores"], value, config, problems)
        elif name == "key_result_ids":
            new_links = _check_key_results(session, value, problems, already=old_links)
    old_status = initiative.status.value
    if not problems:
        _apply_status_effects(state, old_status, "shipped_date" in changes, today or clock.today())
        _check_state(state, config, problems)
    if problems:
        raise InputError(problems)
    if state == _current_state(initiative) and new_links == old_links:
        return InitiativeRead.model_validate(initiative)  # nothing to write

    before = _audit_state(initiative, old_links)
    check_and_bump(initiative, expected_version=expected_version, what=_what(initiative))
    if (state["lift_metric"], state["lift_pct"]) != (initiative.lift_metric, initiative.lift_pct):
        initiative.lift_estimator_id = actor.id if state["lift_metric"] else None
    for name, value in state.items():
        setattr(initiative, name, InitiativeStatus(value) if name == "status" else value)
    initiative.updated_at = utcnow()
    _set_links(session, initiative_id, old_links, new_links)
    if state["status"] != old_status:
        session.add(
            StatusUpdate(
                initiative_id=initiative_id,
                status=initiative.status,
                health=initiative.health,
                percent_complete=initiative.percent_complete,
                note=_status_note(actor, old_status, state["status"]),
                author_id=_actor_id(actor),
            )
        )
    session.add(initiative)
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=initiative_id,
        action="update",
        before=before,
        after=_audit_state(initiative, new_links),
    )
    session.flush()
    return InitiativeRead.model_validate(initiative)


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
    initiative = _load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, "post a status update")
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
        _refuse_if_stale(initiative, expected_version)
    problems: list[str] = []
    status = str(update.status)
    health = str(update.health)
    transition = transition_problem(initiative.status.value, status, director=director)
    if transition and status in STATUS_ORDER and "only a director" in transition:
        raise PermissionDenied(transition[0].upper() + transition[1:] + ".")
    if transition:
        problems.append(transition)
    if health not in HEALTH_ORDER:
        problems.append(f"unknown health {health!r}; use one of {', '.join(HEALTH_ORDER)}")
    percent = update.percent_complete
    if not is_number(percent) or float(percent) != int(percent):
        problems.append(f"% complete {percent!r} is not a whole number")
    elif not 0 <= int(percent) <= 100:
        problems.append(f"% complete {int(percent)} is not between 0 and 100")
    note, found = clean_text(
        update.note, what="a note", max_length=NOTE_MAX, required=True, multiline=True
    )
    if found and found[0].endswith("is required"):
        found = ["a note is required: say in a line what changed"]
    problems += found
    if problems:
        raise InputError(problems)

    before = _audit_state(initiative, key_result_ids(session=session, initiative_id=initiative_id))
    check_and_bump(initiative, expected_version=initiative.version, what=_what(initiative))
    state = _current_state(initiative)
    old_status = state["status"]
    state["status"] = status
    state["percent_complete"] = int(percent)
    _apply_status_effects(state, old_status, False, today or clock.today())
    initiative.status = InitiativeStatus(status)
    initiative.health = Health(health)
    initiative.percent_complete = state["percent_complete"]
    initiative.shipped_date = state["shipped_date"]
    initiative.updated_at = utcnow()
    row = StatusUpdate(
        initiative_id=initiative_id,
        status=initiative.status,
        health=initiative.health,
        percent_complete=initiative.percent_complete,
        note=note,
        author_id=_actor_id(actor),
    )
    session.add(row)
    session.add(initiative)
    after = _audit_state(initiative, before["key_result_ids"])
    after["note"] = note
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=initiative_id,
        action=action,
        before=before,
        after=after,
    )
    session.flush()
    return StatusUpdateRead.model_validate(row)


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
    initiative = _load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, "drop this initiative")
    text, problems = clean_text(
        reason, what="a reason", max_length=NOTE_MAX, required=True, multiline=True
    )
    if problems:
        raise InputError(["say why it is dropped: a reason is required"])
    return post_status_update(
        session=session,
        actor=actor,
        initiative_id=initiative_id,
        update=NewStatusUpdate(
            status=S.dropped,
            health=initiative.health.value,
            percent_complete=initiative.percent_complete,
            note=f"Dropped: {text}",
        ),
        expected_version=expected_version,
        today=today,
    )


# The notes that record a director's triage of an idea; This week reads them back to the person
# who proposed it.
ACCEPTED_NOTE = "Idea accepted to the backlog"
DECLINED_PREFIX = "Idea declined: "


def _triage(
    session: Session,
    actor: Actor,
    initiative_id: int,
    expected_version: int,
    action: str,
) -> Initiative:
    """The idea a director triages: refuses anyone else and anything that is not an idea."""
    require_director(actor, action)
    initiative = _load_for_update(session, initiative_id)
    _refuse_if_stale(initiative, expected_version)
    if initiative.status != S.idea:
        raise InputError(
            [
                f"“{initiative.title}” is {status_label(initiative.status.value)}, not an idea: "
                "only ideas are triaged"
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
    initiative = _triage(session, actor, initiative_id, expected_version, "accept an idea")
    note = f"{ACCEPTED_NOTE} by {actor.name}."
    return _triaged(session, actor, initiative, S.planned, note, expected_version, today, "accept")


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
    initiative = _triage(session, actor, initiative_id, expected_version, "decline an idea")
    text, problems = clean_text(reason, what="a reason", max_length=REASON_MAX, required=True)
    if problems:
        if problems[0].endswith("is required"):
            problems = ["say why the idea is declined: a short reason is required"]
        raise InputError(problems)
    note = f"{DECLINED_PREFIX}{text}"
    return _triaged(session, actor, initiative, S.dropped, note, expected_version, today, "decline")


def _triaged(
    session: Session,
    actor: Actor,
    initiative: Initiative,
    status: S,
    note: str,
    expected_version: int,
    today: date | None,
    verb: str,
) -> StatusUpdateRead:
    """Post a triage outcome as a status update, audited as accept_idea or decline_idea."""
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
        action=f"{verb}_idea",
    )


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
    initiative = _load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, "edit this initiative")
    current = key_result_ids(session=session, initiative_id=initiative_id)
    if key_result_id in current:
        raise InputError([f"key result {key_result_id} is already linked"])
    return update_initiative(
        session=session,
        actor=actor,
        config=config,
        initiative_id=initiative_id,
        expected_version=expected_version,
        changes={"key_result_ids": [*current, key_result_id]},
    )


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
    initiative = _load_for_update(session, initiative_id)
    require_owner_or_director(actor, initiative.owner_id, "edit this initiative")
    current = key_result_ids(session=session, initiative_id=initiative_id)
    if key_result_id not in current:
        raise InputError([f"key result {key_result_id} is not linked to this initiative"])
    return update_initiative(
        session=session,
        actor=actor,
        config=config,
        initiative_id=initiative_id,
        expected_version=expected_version,
        changes={"key_result_ids": [k for k in current if k != key_result_id]},
    )


# --- reads -------------------------------------------------------------------------------------


def get_initiative(*, session: Session, initiative_id: int) -> InitiativeRead | None:
    """One initiative by id, or None."""
    initiative = session.get(Initiative, initiative_id)
    return InitiativeRead.model_validate(initiative) if initiative else None


def person_names(*, session: Session) -> dict[int, str]:
    """Every person's name by id, inactive people included (history names them too)."""
    rows = session.exec(select(Person.id, Person.name)).all()
    return {int(pid): str(name) for pid, name in rows if pid is not None}


def objective_choices(*, session: Session, period: str | None = None) -> dict[int, str]:
    """Objectives that are not archived, newest period first: id -> "2026-Q4 · title"."""
    query = select(Objective).where(Objective.archived == False)  # noqa: E712
    if period is not None:
        query = query.where(Objective.period == period)
    rows = session.exec(query.order_by(col(Objective.period).desc(), col(Objective.id))).all()
    return {int(o.id): f"{o.period} · {o.title}" for o in rows if o.id is not None}


def key_result_choices(*, session: Session) -> dict[int, str]:
    """Key results that can be linked: id -> "objective › key result", newest period first."""
    rows = session.exec(
        select(KeyResult, Objective)
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(KeyResult.archived == False)  # noqa: E712
        .order_by(col(Objective.period).desc(), col(Objective.id), col(KeyResult.id))
    ).all()
    return {
        int(kr.id): f"{obj.period} · {obj.title} › {kr.title}"
        for kr, obj in rows
        if kr.id is not None
    }


def _as_list(values: str | Iterable[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def _open_first() -> dict[str, int]:
    """Where each status sorts in lists: work under way first, done last."""
    return {s.value: i for i, s in enumerate((S.in_progress, S.blocked, S.planned, S.idea, S.done))}


def initiative_titles(*, session: Session) -> dict[int, str]:
    """Every initiative's title by id, in list_initiatives' order (open work first, then by
    target date), read without the rest of each record."""
    rank = _open_first()
    found = session.exec(
        select(
            col(Initiative.id),
            col(Initiative.title),
            col(Initiative.status),
            col(Initiative.target_date),
        )
    ).all()
    ordered = sorted(
        found,
        key=lambda r: (
            rank.get(S(r[2]).value, len(rank)),
            r[3] or date.max,
            int(r[0] or 0),
        ),
    )
    return {int(r[0] or 0): str(r[1]) for r in ordered}


def list_initiatives(
    *,
    session: Session,
    objective_id: int | None = None,
    owner_id: int | None = None,
    status: str | Iterable[str] | None = None,
    health: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Initiatives matching every filter given, open work first, then by target date.

    Columns: id, title, owner_id, owner, status, health, percent_complete, start_date,
    target_date, shipped_date, effort_weeks, objectives, last_update_at, version.
    """
    query = select(Initiative)
    if owner_id is not None:
        query = query.where(Initiative.owner_id == owner_id)
    statuses = _as_list(status)
    if statuses is not None:
        query = query.where(col(Initiative.status).in_(statuses))
    healths = _as_list(health)
    if healths is not None:
        query = query.where(col(Initiative.health).in_(healths))
    if objective_id is not None:
        linked = (
            select(InitiativeKeyResult.initiative_id)
            .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
            .where(KeyResult.objective_id == objective_id)
        )
        query = query.where(col(Initiative.id).in_(linked))
    initiatives = session.exec(query).all()
    ids = [int(i.id) for i in initiatives if i.id is not None]
    names = person_names(session=session)
    objectives: dict[int, list[str]] = {}
    last_update: dict[int, datetime] = {}
    if ids:
        for initiative_id, title in session.exec(
            select(InitiativeKeyResult.initiative_id, Objective.title)
            .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
            .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
            .where(col(InitiativeKeyResult.initiative_id).in_(ids))
            .distinct()
            .order_by(col(Objective.title))
        ).all():
            objectives.setdefault(int(initiative_id), []).append(str(title))
        for initiative_id, at in session.exec(
            select(StatusUpdate.initiative_id, func.max(StatusUpdate.created_at))
            .where(col(StatusUpdate.initiative_id).in_(ids))
            .group_by(col(StatusUpdate.initiative_id))
        ).all():
            last_update[int(initiative_id)] = at
    rank = _open_first()
    rows = [
        {
            "id": int(i.id),  # type: ignore[arg-type]
            "title": i.title,
            "owner_id": i.owner_id,
            "owner": names.get(i.owner_id, f"#{i.owner_id}"),
            "status": i.status.value,
            "health": i.health.value,
            "percent_complete": i.percent_complete,
            "start_date": i.start_date,
            "target_date": i.target_date,
            "shipped_date": i.shipped_date,
            "effort_weeks": i.effort_weeks,
            "objectives": ", ".join(objectives.get(int(i.id), [])),  # type: ignore[arg-type]
            "last_update_at": last_update.get(int(i.id)),  # type: ignore[arg-type]
            "version": i.version,
        }
        for i in initiatives
    ]
    rows.sort(
        key=lambda r: (
            rank.get(str(r["status"]), len(rank)),
            r["target_date"] or date.max,
            r["id"],
        )
    )
    columns = [
        "id",
        "title",
        "owner_id",
        "owner",
        "status",
        "health",
        "percent_complete",
        "start_date",
        "target_date",
        "shipped_date",
        "effort_weeks",
        "objectives",
        "last_update_at",
        "version",
    ]
    return pd.DataFrame(rows, columns=columns)


def _shown(value: Any, names: Mapping[int, str], key: str) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key in {"owner_id", "lift_estimator_id"} and isinstance(value, int):
        return names.get(value, f"#{value}")
    if key in {"status"}:
        return status_label(str(value))
    if key == "health":
        return HEALTH_LABELS.get(str(value), str(value))
    if key == "lift_pct" and isinstance(value, int | float):
        return f"{value:+.1%}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return str(value)


_NOT_SHOWN = frozenset({"version", "updated_at", "created_at", "id"})


def describe_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    names: Mapping[int, str] | None = None,
) -> str:
    """One line saying what an audit event changed: "status: Planned → In progress; …"."""
    names = names or {}
    if before is None and after is None:
        return ""
    if before is None:
        assert after is not None
        title = after.get("title") or after.get("text")
        return f"created “{title}”" if title else "created"
    if after is None:
        return "deleted"
    parts = []
    for key in after:
        if key in _NOT_SHOWN or key == "note" or before.get(key) == after.get(key):
            continue
        label = FIELD_LABELS.get(key, key.replace("_", " "))
        old, new = _shown(before.get(key), names, key), _shown(after.get(key), names, key)
        parts.append(f"{label}: {old} → {new}")
    if "note" in after:
        parts.append(f"note: {after['note']}")
    return "; ".join(parts) or "no field changed"


def initiative_detail(*, session: Session, initiative_id: int) -> InitiativeDetail | None:
    """An initiative with its linked KRs, status-update history and audit trail, or None."""
    initiative = session.get(Initiative, initiative_id)
    if initiative is None:
        return None
    names = person_names(session=session)
    kr_rows = session.exec(
        select(KeyResult.id, KeyResult.title, Objective.title)
        .join(InitiativeKeyResult, col(InitiativeKeyResult.key_result_id) == col(KeyResult.id))
        .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
        .where(InitiativeKeyResult.initiative_id == initiative_id)
        .order_by(col(KeyResult.id))
    ).all()
    key_results = pd.DataFrame(
        [{"id": k, "title": t, "objective": o} for k, t, o in kr_rows],
        columns=["id", "title", "objective"],
    )
    updates = session.exec(
        select(StatusUpdate)
        .where(StatusUpdate.initiative_id == initiative_id)
        .order_by(col(StatusUpdate.created_at).desc(), col(StatusUpdate.id).desc())
    ).all()
    update_frame = pd.DataFrame(
        [
            {
                "at": u.created_at,
                "author": names.get(u.author_id, f"#{u.author_id}"),
                "status": u.status.value,
                "health": u.health.value,
                "percent_complete": u.percent_complete,
                "note": u.note,
            }
            for u in updates
        ],
        columns=["at", "author", "status", "health", "percent_complete", "note"],
    )
    update_ids = [u.id for u in updates if u.id is not None]
    decision_ids = session.exec(
        select(Decision.id).where(Decision.initiative_id == initiative_id)
    ).all()
    related = col(AuditEvent.entity) == ENTITY
    related = related & (col(AuditEvent.entity_id) == initiative_id)
    if update_ids:
        related = related | (
            (col(AuditEvent.entity) == "status_update") & col(AuditEvent.entity_id).in_(update_ids)
        )
    if decision_ids:
        related = related | (
            (col(AuditEvent.entity) == "decision") & col(AuditEvent.entity_id).in_(decision_ids)
        )
    events = session.exec(
        select(AuditEvent).where(related).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id))
    ).all()
    audit = pd.DataFrame(
        [
            {
                "at": e.at,
                "actor": names.get(e.actor_id, f"#{e.actor_id}") if e.actor_id else "system",
                "action": e.action if e.entity == ENTITY else f"{e.entity} {e.action}",
                "changes": describe_changes(e.before, e.after, names),
            }
            for e in events
        ],
        columns=["at", "actor", "action", "changes"],
    )
    return InitiativeDetail(
        initiative=InitiativeRead.model_validate(initiative),
        owner=names.get(initiative.owner_id, f"#{initiative.owner_id}"),
        lift_estimator=(
            names.get(initiative.lift_estimator_id) if initiative.lift_estimator_id else None
        ),
        key_result_ids=tuple(k for k, _, _ in kr_rows if k is not None),
        key_results=key_results,
        updates=update_frame,
        audit=audit,
    )
