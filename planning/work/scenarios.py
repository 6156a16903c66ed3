"""Scenarios: named drafts of a week's plan that a director tries before committing one.

A scenario belongs to an ISO week and holds only changes: for each initiative it touches, the
fields it sets (status into or out of the plan, owner, effort in person-weeks, start and target
date) and the initiative's version when the change was made. Nothing in a scenario touches the
initiatives. Several scenarios, each with its own name, can exist for a week.

Committing a scenario is one transaction: every initiative it touches must still be open and at
the version the draft was made from, else the commit is refused whole with each reason; then the
changes are saved exactly as the planning table's Save saves them (backlog_edits), the week's plan
is committed exactly as Commit plan commits it (weekly_plan), and the scenario is removed (the
audit event keeps it whole). Throwing a scenario away removes it the same way, writing nothing
else. Only directors make, change, commit or throw away scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from planning.access.permissions import Actor, PermissionDenied, require_director
from planning.config import AppConfig
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.store.audit import record_event
from planning.store.models import (
    Initiative,
    Person,
    Role,
    WeeklyPlanRead,
    utcnow,
)
from planning.store.models_scenarios import PlanScenario, PlanScenarioRead
from planning.store.versioning import ConflictError, check_and_bump
from planning.validation import InputError, clean_text
from planning.work.backlog_edits import BacklogSaveError, RowEdit, apply_backlog_edits
from planning.work.initiative_input import check_date, check_effort
from planning.work.initiative_status import OPEN_STATUSES, status_label, transition_problem
from planning.work.scenario_compare import DRAFT_FIELDS
from planning.work.weekly_plan import checked_week, commit_weekly_plan, normalise_week

ENTITY = "plan_scenario"
NAME_MAX = 80
_DATE_FIELDS = ("start_date", "target_date")


@dataclass(frozen=True)
class DraftChange:
    """What a scenario changes on one initiative, and the version it was changed from."""

    initiative_id: int
    base_version: int
    fields: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""


class ScenarioCommitError(InputError):
    """The scenario cannot be committed as it stands; nothing was written."""


# --- reading -----------------------------------------------------------------------------------


def _decode(fields: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for name in _DATE_FIELDS:
        if isinstance(out.get(name), str):
            out[name] = date.fromisoformat(out[name])
    return out


def _encode(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}


def draft_changes(scenario: PlanScenarioRead) -> list[DraftChange]:
    """The scenario's changes with their dates as dates."""
    return [
        DraftChange(
            initiative_id=int(c["initiative_id"]),
            base_version=int(c["base_version"]),
            fields=_decode(c.get("fields") or {}),
            title=str(c.get("title") or ""),
        )
        for c in scenario.changes
    ]


def draft_fields(scenario: PlanScenarioRead) -> dict[int, dict[str, Any]]:
    """The scenario's changes as {initiative id: {field: value}}."""
    return {c.initiative_id: dict(c.fields) for c in draft_changes(scenario)}


def list_scenarios(*, session: Session, week: str) -> list[PlanScenarioRead]:
    """The draft scenarios of a week, by name."""
    rows = session.exec(
        select(PlanScenario)
        .where(PlanScenario.week == normalise_week(week))
        .order_by(col(PlanScenario.name))
    ).all()
    return [PlanScenarioRead.model_validate(r) for r in rows]


def get_scenario(*, session: Session, scenario_id: int) -> PlanScenarioRead:
    """One scenario; InputError when it no longer exists."""
    return PlanScenarioRead.model_validate(_load(session, scenario_id, lock=False))


def _load(session: Session, scenario_id: int, *, lock: bool) -> PlanScenario:
    scenario = session.get(PlanScenario, scenario_id, with_for_update=lock)
    if scenario is None:
        raise InputError(
            [
                _("scenario {id} no longer exists: it was committed or thrown away").format(
                    id=scenario_id
                )
            ]
        )
    return scenario


# --- writing -----------------------------------------------------------------------------------


def _clean_name(name: Any, problems: list[str]) -> str:
    text, found = clean_text(name, what=N_("the scenario name"), max_length=NAME_MAX, required=True)
    problems += found
    return text


def _check_name_free(
    session: Session, week: str, name: str, other_than: int | None, problems: list[str]
) -> None:
    """A week's scenarios have different names: say so when another one has this name."""
    query = select(PlanScenario.id).where(PlanScenario.week == week, PlanScenario.name == name)
    found = session.exec(query).first()
    if found is not None and found != other_than:
        problems.append(
            _("{week} already has a scenario named “{name}”; pick another name").format(
                week=week, name=name
            )
        )


def _audit(
    session: Session,
    actor: Actor,
    scenario: PlanScenario,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=scenario.id,
        action=action,
        before=before,
        after=after,
    )


def create_scenario(*, session: Session, actor: Actor, week: str, name: str) -> PlanScenarioRead:
    """Start an empty named draft of a week's plan (directors only)."""
    require_director(actor, N_("make a scenario of the week's plan"))
    problems: list[str] = []
    week_id = checked_week(week, problems)
    text = _clean_name(name, problems)
    if not problems:
        _check_name_free(session, week_id, text, None, problems)
    if problems:
        raise InputError(problems)
    scenario = PlanScenario(week=week_id, name=text, changes=[], created_by=actor.id)  # type: ignore[arg-type]
    session.add(scenario)
    session.flush()
    _audit(session, actor, scenario, "create", after={"week": week_id, "name": text})
    return PlanScenarioRead.model_validate(scenario)


def _check_changes(
    session: Session, changes: Sequence[DraftChange]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Every change checked against the live initiatives and people, in two queries."""
    ids = [c.initiative_id for c in changes]
    if len(set(ids)) != len(ids):
        return [], [_("an initiative appears twice in the scenario")]
    found = session.exec(select(Initiative).where(col(Initiative.id).in_(ids))).all()
    live = {int(i.id): i for i in found}  # type: ignore[arg-type]
    owner_ids = {c.fields["owner_id"] for c in changes if isinstance(c.fields.get("owner_id"), int)}
    people = {
        int(p.id): p  # type: ignore[arg-type]
        for p in session.exec(select(Person).where(col(Person.id).in_(sorted(owner_ids)))).all()
    }
    stored: list[dict[str, Any]] = []
    problems: list[str] = []
    for change in changes:
        initiative = live.get(change.initiative_id)
        if initiative is None:
            problems.append(_("initiative {id} does not exist").format(id=change.initiative_id))
            continue
        title = initiative.title
        said: list[str] = []
        if initiative.status.value not in OPEN_STATUSES:
            said.append(
                _("it is {status} and left the backlog").format(
                    status=_(status_label(initiative.status.value))
                )
            )
        unknown = sorted(set(change.fields) - set(DRAFT_FIELDS))
        said += [
            _("{field} cannot be changed in a scenario").format(field=repr(name))
            for name in unknown
        ]
        fields = dict(change.fields)
        if "status" in fields:
            moved = transition_problem(initiative.status.value, fields["status"], director=True)
            if moved or fields["status"] not in OPEN_STATUSES:
                said.append(
                    moved
                    or _("a scenario keeps initiatives open, not {status}").format(
                        status=fields["status"]
                    )
                )
        if "owner_id" in fields:
            owner = people.get(fields["owner_id"]) if isinstance(fields["owner_id"], int) else None
            if owner is None:
                said.append(
                    _("owner {value} is not a person").format(value=repr(fields["owner_id"]))
                )
            elif not owner.active or owner.role == Role.stakeholder:
                said.append(_("{name} cannot own initiatives").format(name=owner.name))
        if "effort_weeks" in fields:
            fields["effort_weeks"] = check_effort(fields["effort_weeks"], said)
        for name in _DATE_FIELDS:
            if name in fields:
                fields[name] = check_date(fields[name], name.replace("_", " "), said)
        start = fields.get("start_date", initiative.start_date)
        target = fields.get("target_date", initiative.target_date)
        if start and target and target < start:
            said.append(
                _("target date {target} is before start date {start}").format(
                    target=target, start=start
                )
            )
        if said:
            problems += [f"“{title}”: {p}" for p in said]
        elif fields:
            stored.append(
                {
                    "initiative_id": change.initiative_id,
                    "base_version": int(change.base_version),
                    "title": title,
                    "fields": _encode(fields),
                }
            )
    return stored, problems


def save_scenario(
    *,
    session: Session,
    actor: Actor,
    scenario_id: int,
    expected_version: int,
    changes: Sequence[DraftChange],
    name: str | None = None,
) -> PlanScenarioRead:
    """Replace a scenario's changes (and optionally its name); refused whole on any problem."""
    require_director(actor, N_("change a scenario of the week's plan"))
    scenario = _load(session, scenario_id, lock=True)
    problems: list[str] = []
    text = scenario.name if name is None else _clean_name(name, problems)
    if not problems and text != scenario.name:
        _check_name_free(session, scenario.week, text, scenario.id, problems)
    stored, found = _check_changes(session, changes)
    problems += found
    if problems:
        raise InputError(problems)
    check_and_bump(
        scenario,
        expected_version=expected_version,
        what=_("Scenario “{name}”").format(name=scenario.name),
    )
    before = {"name": scenario.name, "changes": scenario.changes}
    scenario.name = text
    scenario.changes = stored
    scenario.updated_at = utcnow()
    session.add(scenario)
    session.flush()
    _audit(
        session, actor, scenario, "update", before=before, after={"name": text, "changes": stored}
    )
    return PlanScenarioRead.model_validate(scenario)


def _snapshot(scenario: PlanScenario) -> dict[str, Any]:
    return {
        "week": scenario.week,
        "name": scenario.name,
        "created_by": scenario.created_by,
        "changes": scenario.changes,
    }


def discard_scenario(
    *, session: Session, actor: Actor, scenario_id: int, expected_version: int
) -> None:
    """Throw a scenario away; the initiatives and the committed plan stay as they are."""
    require_director(actor, N_("throw away a scenario of the week's plan"))
    scenario = _load(session, scenario_id, lock=True)
    check_and_bump(
        scenario,
        expected_version=expected_version,
        what=_("Scenario “{name}”").format(name=scenario.name),
    )
    _audit(session, actor, scenario, "discard", before=_snapshot(scenario))
    session.delete(scenario)
    session.flush()


def _stale(session: Session, changes: Sequence[DraftChange]) -> list[str]:
    """Why changes no longer apply: an initiative gone, closed, or changed since the draft."""
    ids = [c.initiative_id for c in changes]
    live = {
        int(i.id): i  # type: ignore[arg-type]
        for i in session.exec(
            select(Initiative).where(col(Initiative.id).in_(ids)).with_for_update()
        ).all()
    }
    problems = []
    for change in changes:
        initiative = live.get(change.initiative_id)
        title = change.title or f"#{change.initiative_id}"
        if initiative is None:
            problems.append(_("“{title}” no longer exists").format(title=title))
        elif initiative.status.value not in OPEN_STATUSES:
            problems.append(
                _("“{title}” is {status} now and left the backlog").format(
                    title=title, status=_(status_label(initiative.status.value))
                )
            )
        elif initiative.version != change.base_version:
            problems.append(
                _(
                    "“{title}” was changed after this draft was made (version {draft} in the "
                    "draft, {now} now): bring the draft up to date under Edit the draft, or edit "
                    "its row again"
                ).format(title=title, draft=change.base_version, now=initiative.version)
            )
    return problems


def commit_scenario(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    scenario_id: int,
    expected_version: int,
    framework: str,
    replace: bool = False,
    note: str = "",
    as_of: date | None = None,
) -> WeeklyPlanRead:
    """Apply a scenario to the initiatives and commit its week's plan, all or nothing.

    ScenarioCommitError names every change that no longer applies; PlanAlreadyCommitted (from
    weekly_plan) when the week has a plan and `replace` does not confirm replacing it. The caller's
    transaction must roll back on an error (store.session_scope does).
    """
    require_director(actor, N_("commit a scenario of the week's plan"))
    scenario = _load(session, scenario_id, lock=True)
    check_and_bump(
        scenario,
        expected_version=expected_version,
        what=_("Scenario “{name}”").format(name=scenario.name),
    )
    changes = draft_changes(PlanScenarioRead.model_validate(scenario))
    problems = _stale(session, changes)
    if problems:
        raise ScenarioCommitError(problems)
    edits = [
        RowEdit(
            initiative_id=c.initiative_id,
            title=c.title,
            expected_version=c.base_version,
            changes=dict(c.fields),
        )
        for c in changes
    ]
    try:
        apply_backlog_edits(session=session, actor=actor, config=config, edits=edits)
    except BacklogSaveError as exc:
        raise ScenarioCommitError(exc.problems) from None
    except (ConflictError, PermissionDenied) as exc:
        raise ScenarioCommitError([str(exc)]) from None
    plan = commit_weekly_plan(
        session=session,
        actor=actor,
        config=config,
        week=scenario.week,
        framework=framework,
        replace=replace,
        note=note,
        as_of=as_of,
    )
    after = {"week": scenario.week, "weekly_plan_id": plan.id, "initiatives": len(edits)}
    _audit(session, actor, scenario, "commit", before=_snapshot(scenario), after=after)
    session.delete(scenario)
    session.flush()
    return plan
