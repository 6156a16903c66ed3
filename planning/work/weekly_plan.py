"""The weekly plan: committing a snapshot of the ranked backlog for an ISO week, and what changed
against the previous week's snapshot.

A snapshot keeps, for every open initiative, its rank, id, title, owner, score, status, health,
quadrant, value, effort and the framework inputs it was scored with. Committing a week that
already has a plan is refused unless the caller confirms replacing it (`replace=True`); the
replaced snapshot is kept whole in the audit event's "before", so nothing is lost.

The diff compares a week's plan (the committed one, or the live backlog when the week has none
yet) with the latest plan committed for an earlier week: initiatives new to the backlog, gone
from it, moved in rank, rescored, and changed in status or health. Scores are compared only when
both plans used the same framework.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from planning import i18n
from planning.access.permissions import Actor, require_director
from planning.config import AppConfig
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.periods import parse_iso_week
from planning.store.audit import record_event
from planning.store.models import WeeklyPlan, WeeklyPlanRead, utcnow
from planning.validation import InputError, clean_text
from planning.work.backlog import framework_or_error, ranked_backlog
from planning.work.initiative_reads import person_names
from planning.work.initiative_status import HEALTH_LABELS, status_label

ENTITY = "weekly_plan"
NOTE_MAX = 2_000
SNAPSHOT_FIELDS = (
    "rank",
    "id",
    "title",
    "owner_id",
    "owner",
    "score",
    "value",
    "quadrant",
    "status",
    "health",
    "effort_weeks",
    "inputs",
)
CHANGE_KINDS = ("new", "gone", "moved", "rescored", "status", "health")
CHANGE_LABELS = {
    "new": N_("New in the backlog"),
    "gone": N_("Left the backlog"),
    "moved": N_("Rank moved"),
    "rescored": N_("Score changed"),
    "status": N_("Status changed"),
    "health": N_("Health changed"),
}
_SCORE_TOLERANCE = 1e-9


class PlanAlreadyCommitted(Exception):
    """The week already has a committed plan and the caller did not confirm replacing it."""

    def __init__(self, plan: WeeklyPlanRead, committed_by: str) -> None:
        self.plan = plan
        self.committed_by = committed_by
        super().__init__(
            _(
                "The plan for {week} was already committed by {name} on {day} at {time} UTC. "
                "Confirm to replace it."
            ).format(
                week=plan.week,
                name=committed_by,
                day=format_day(plan.committed_at.date()),
                time=f"{plan.committed_at:%H:%M}",
            )
        )


@dataclass(frozen=True)
class PlanChange:
    """One difference between two weekly plans for one initiative."""

    kind: str  # one of CHANGE_KINDS
    initiative_id: int
    title: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlanDiff:
    """A week's plan against the previous one, and what the comparison rests on."""

    week: str
    current_committed: bool
    framework: str
    previous: WeeklyPlanRead | None
    changes: tuple[PlanChange, ...]

    @property
    def same_framework(self) -> bool:
        """Whether both plans rank by the same framework (scores are comparable)."""
        return self.previous is None or self.previous.framework == self.framework


def normalise_week(week: str) -> str:
    """An ISO week id in canonical form: " 2026-w48" -> "2026-W48"; InputError if it is not one."""
    try:
        year, number = parse_iso_week(week)
    except ValueError as exc:
        raise InputError([str(exc)]) from None
    return f"{year:04d}-W{number:02d}"


def checked_week(week: str, problems: list[str]) -> str:
    """The week id in canonical form, or "" with the reason it is not one added to `problems`."""
    try:
        return normalise_week(week)
    except InputError as exc:
        problems += exc.problems
        return ""


def _plain(value: Any) -> Any:
    """A JSON-safe copy: NaN and missing values become None, numpy numbers become Python ones."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _plain(value.item())
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot_rows(backlog: pd.DataFrame) -> list[dict[str, Any]]:
    """The ranked backlog as the rows a weekly plan stores (SNAPSHOT_FIELDS of each)."""
    # Column by column: tolist() hands Python values, so few cells need more than a look.
    columns = [[_plain(v) for v in backlog[name].tolist()] for name in SNAPSHOT_FIELDS]
    return [
        dict(zip(SNAPSHOT_FIELDS, values, strict=True)) for values in zip(*columns, strict=True)
    ]


DIFF_FIELDS = ("id", "title", "rank", "score", "status", "health")


def _texts(column: pd.Series) -> list[Any]:
    """A text column's values as _plain gives them (a string is already plain)."""
    return [v if type(v) is str else _plain(v) for v in column.tolist()]


def compared_rows(backlog: pd.DataFrame) -> list[dict[str, Any]]:
    """The ranked backlog as the diff reads it: the DIFF_FIELDS of snapshot_rows, no more (the
    live backlog of thousands of initiatives is compared on every read of the diff, never
    stored, so its other fields are not converted)."""
    ranks = [None if pd.isna(r) else int(r) for r in backlog["rank"].tolist()]
    scores = [None if s is None or math.isnan(s) else float(s) for s in backlog["score"].tolist()]
    columns = {
        "id": [int(i) for i in backlog["id"].tolist()],
        "title": _texts(backlog["title"]),
        "rank": ranks,
        "score": scores,
        "status": _texts(backlog["status"]),
        "health": _texts(backlog["health"]),
    }
    return [
        dict(zip(DIFF_FIELDS, values, strict=True))
        for values in zip(*(columns[name] for name in DIFF_FIELDS), strict=True)
    ]


def get_plan(*, session: Session, week: str) -> WeeklyPlanRead | None:
    """The plan committed for a week, or None."""
    plan = session.exec(select(WeeklyPlan).where(WeeklyPlan.week == normalise_week(week))).first()
    return WeeklyPlanRead.model_validate(plan) if plan else None


def previous_plan(*, session: Session, week: str) -> WeeklyPlanRead | None:
    """The latest plan committed for a week before this one, or None."""
    plan = session.exec(
        select(WeeklyPlan)
        .where(col(WeeklyPlan.week) < normalise_week(week))
        .order_by(col(WeeklyPlan.week).desc())
    ).first()
    return WeeklyPlanRead.model_validate(plan) if plan else None


def list_plans(*, session: Session) -> pd.DataFrame:
    """Every committed plan, newest week first: week, framework, items, committed_by, at."""
    names = person_names(session=session)
    plans = session.exec(select(WeeklyPlan).order_by(col(WeeklyPlan.week).desc())).all()
    return pd.DataFrame(
        [
            {
                "week": p.week,
                "framework": p.framework,
                "items": len(p.snapshot),
                "committed_by": names.get(p.committed_by, f"#{p.committed_by}"),
                "committed_at": p.committed_at,
                "note": p.note,
            }
            for p in plans
        ],
        columns=["week", "framework", "items", "committed_by", "committed_at", "note"],
    )


def commit_weekly_plan(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    week: str,
    framework: str,
    replace: bool = False,
    note: str = "",
    as_of: date | None = None,
) -> WeeklyPlanRead:
    """Store the ranked backlog as the week's plan (directors only).

    A week that already has a plan raises PlanAlreadyCommitted unless `replace` confirms it.
    """
    require_director(actor, N_("commit the weekly plan"))
    problems: list[str] = []
    week_id = checked_week(week, problems)
    try:
        framework_or_error(config, framework)
    except InputError as exc:
        problems += exc.problems
    text, found = clean_text(
        note, what=N_("the note"), max_length=NOTE_MAX, required=False, multiline=True
    )
    problems += found
    if problems:
        raise InputError(problems)
    backlog = ranked_backlog(session=session, config=config, framework_id=framework, as_of=as_of)
    rows = snapshot_rows(backlog)
    existing = session.exec(
        select(WeeklyPlan).where(WeeklyPlan.week == week_id).with_for_update()
    ).first()
    if existing is not None and not replace:
        raise _already_committed(session, existing)
    before = None
    if existing is not None:
        before = {
            "week": existing.week,
            "framework": existing.framework,
            "committed_by": existing.committed_by,
            "committed_at": existing.committed_at.isoformat(),
            "note": existing.note,
            "snapshot": existing.snapshot,
        }
        plan = existing
        plan.framework = framework
        plan.snapshot = rows
        plan.note = text
        plan.committed_by = actor.id  # type: ignore[assignment]
        plan.committed_at = utcnow()
    else:
        plan = WeeklyPlan(
            week=week_id,
            framework=framework,
            snapshot=rows,
            note=text,
            committed_by=actor.id,  # type: ignore[arg-type]
        )
        try:
            with session.begin_nested():
                session.add(plan)
        except IntegrityError:
            # Another director committed this week at the same moment: on PostgreSQL both can
            # find no plan before either writes. The later one is told as if it had looked after.
            winner = session.exec(select(WeeklyPlan).where(WeeklyPlan.week == week_id)).first()
            if winner is None:  # some other constraint: not a race, so not this refusal
                raise
            raise _already_committed(session, winner) from None
    session.add(plan)
    session.flush()
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=plan.id,
        action="replace" if existing is not None else "commit",
        before=before,
        after={"week": week_id, "framework": framework, "items": len(rows), "note": text},
    )
    session.flush()
    return WeeklyPlanRead.model_validate(plan)


def _already_committed(session: Session, plan: WeeklyPlan) -> PlanAlreadyCommitted:
    """The refusal naming who committed the week's plan, and when."""
    names = person_names(session=session)
    return PlanAlreadyCommitted(
        WeeklyPlanRead.model_validate(plan), names.get(plan.committed_by, f"#{plan.committed_by}")
    )


# --- the diff (pure) ---------------------------------------------------------------------------


def _score_changed(before: Any, after: Any) -> bool:
    if before is None or after is None:
        return before is not after
    return not math.isclose(float(before), float(after), rel_tol=_SCORE_TOLERANCE)


def diff_snapshots(
    previous: Sequence[Mapping[str, Any]],
    current: Sequence[Mapping[str, Any]],
    *,
    compare_scores: bool = True,
) -> list[PlanChange]:
    """Every change from the previous snapshot to the current one, in current rank order."""
    before = {int(row["id"]): row for row in previous}
    after = {int(row["id"]): row for row in current}
    changes: list[PlanChange] = []
    for item_id, row in after.items():
        title = str(row.get("title", f"#{item_id}"))
        old = before.get(item_id)
        if old is None:
            changes.append(PlanChange("new", item_id, title, None, row.get("rank")))
            continue
        if old.get("rank") != row.get("rank"):
            changes.append(PlanChange("moved", item_id, title, old.get("rank"), row.get("rank")))
        if compare_scores and _score_changed(old.get("score"), row.get("score")):
            changes.append(
                PlanChange("rescored", item_id, title, old.get("score"), row.get("score"))
            )
        for kind in ("status", "health"):
            if old.get(kind) != row.get(kind):
                changes.append(PlanChange(kind, item_id, title, old.get(kind), row.get(kind)))
    for item_id, old in before.items():
        if item_id not in after:
            title = str(old.get("title", f"#{item_id}"))
            changes.append(PlanChange("gone", item_id, title, old.get("rank"), None))
    return changes


def _rank_text(rank: Any) -> str:
    return f"#{rank}" if rank is not None else _("unranked")


def _score_text(score: Any) -> str:
    if score is None:
        return _("no score")
    if not i18n.english_formats():
        return i18n.decimal_text(float(score), decimals=2)
    return f"{float(score):,.2f}".rstrip("0").rstrip(".")


def _change_label(kind: str) -> str:
    return _(CHANGE_LABELS[kind])


def describe_change(change: PlanChange) -> tuple[str, str, str]:
    """A change as (what, before, after) text for a table, in this run's language."""
    if change.kind == "new":
        return _change_label("new"), "—", _rank_text(change.after)
    if change.kind == "gone":
        return _change_label("gone"), _rank_text(change.before), "—"
    if change.kind == "moved":
        what = _change_label("moved")
        if change.before is not None and change.after is not None:
            steps = int(change.before) - int(change.after)
            what = (
                _("Up {steps}").format(steps=steps)
                if steps > 0
                else _("Down {steps}").format(steps=-steps)
            )
        return what, _rank_text(change.before), _rank_text(change.after)
    if change.kind == "rescored":
        return _change_label("rescored"), _score_text(change.before), _score_text(change.after)
    if change.kind == "status":
        return (
            _change_label("status"),
            _(status_label(str(change.before))),
            _(status_label(str(change.after))),
        )
    labels = HEALTH_LABELS
    return (
        _change_label("health"),
        _(labels.get(str(change.before), str(change.before))),
        _(labels.get(str(change.after), str(change.after))),
    )


def diff_frame(changes: Sequence[PlanChange]) -> pd.DataFrame:
    """Changes as a table: initiative, change, before, after (one row per change)."""
    rows = []
    for change in changes:
        what, old, new = describe_change(change)
        rows.append(
            {
                "id": change.initiative_id,
                "initiative": change.title,
                "kind": change.kind,
                "change": what,
                "before": old,
                "after": new,
            }
        )
    return pd.DataFrame(rows, columns=["id", "initiative", "kind", "change", "before", "after"])


def plan_diff(
    *,
    session: Session,
    config: AppConfig,
    week: str,
    framework: str,
    as_of: date | None = None,
    backlog: pd.DataFrame | None = None,
) -> PlanDiff:
    """The week's plan (committed, else the live backlog by `framework`) against the last one;
    `backlog` is that live backlog when the caller has already ranked it."""
    week_id = normalise_week(week)
    committed = get_plan(session=session, week=week_id)
    previous = previous_plan(session=session, week=week_id)
    current_rows: list[dict[str, Any]] = []
    if committed is not None:
        current_rows = committed.snapshot
        current_framework = committed.framework
    else:
        framework_or_error(config, framework)
        current_framework = framework
        if previous is not None:  # the live backlog matters only to compare with a plan
            if backlog is None:
                backlog = ranked_backlog(
                    session=session, config=config, framework_id=framework, as_of=as_of
                )
            current_rows = compared_rows(backlog)
    changes: list[PlanChange] = []
    if previous is not None:
        changes = diff_snapshots(
            previous.snapshot,
            current_rows,
            compare_scores=previous.framework == current_framework,
        )
    return PlanDiff(
        week=week_id,
        current_committed=committed is not None,
        framework=current_framework,
        previous=previous,
        changes=tuple(changes),
    )
