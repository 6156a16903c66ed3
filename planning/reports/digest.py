"""The weekly digest: a one-page summary of an ISO week, gathered from the store here and
rendered as Markdown and as a standalone HTML file by planning.reports.digest_render.

What it holds, as of the week's last day (or today while the week is running), with metric data
through the last complete day (planning.metrics.engine.freshness) up to that day:

- key results of the quarter that day falls in: value, progress and status, and how progress and
  status moved since the same day a week earlier (a closed quarter shows its frozen values);
- initiatives shipped in the week;
- the impact ledger (planning.impact.ledger) as the data then stood, measurements that completed
  during the week marked new;
- stale updates: initiatives in progress or blocked on that day (the status of their last update
  by then) whose last status update (or creation, when they have none) is more than
  ``updates.stale_after_days`` days old;
- decisions dated in the week;
- what changed in the plan: the week's plan (committed, else the live backlog ranked by the
  active framework) against the last plan committed for an earlier week.

The facts hold people's text as typed; the renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig
from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.impact.ledger import ImpactEntry, impact_ledger
from planning.impact.ledger_views import lift_text
from planning.metrics.completeness import freshness
from planning.metrics.metric_query import as_date
from planning.okrs.evaluation import evaluate_period, period_goals
from planning.okrs.evaluation_results import KrEvaluation, PeriodEvaluation
from planning.okrs.evaluation_text import format_kr_value
from planning.periods import parse_iso_week, quarter_bounds, quarter_of, week_bounds
from planning.store.models import Initiative, InitiativeStatus, StatusUpdate
from planning.work.decisions import list_decisions
from planning.work.initiative_reads import person_names
from planning.work.initiative_status import status_label
from planning.work.weekly_plan import describe_change, plan_diff

ACTIVE_STATUSES = (InitiativeStatus.in_progress, InitiativeStatus.blocked)


class DigestError(ValueError):
    """A digest that cannot be built; the message says why."""


# --- the digest's content ----------------------------------------------------------------------


@dataclass(frozen=True)
class KrLine:
    """A key result at the week's end and a week earlier."""

    objective: str
    key_result: str
    owner: str
    current: str
    previous: str
    progress: float | None
    previous_progress: float | None
    status: str
    previous_status: str | None

    @property
    def progress_change(self) -> float | None:
        """Progress now minus progress a week earlier (0.05 is five points)."""
        if self.progress is None or self.previous_progress is None:
            return None
        return self.progress - self.previous_progress


@dataclass(frozen=True)
class ShippedLine:
    """An initiative shipped in the week."""

    initiative: str
    owner: str
    shipped: date
    expected: str  # e.g. "+8.0 % on Checkout completion rate", or ""


@dataclass(frozen=True)
class StaleLine:
    """An initiative under way whose status update is overdue."""

    initiative: str
    owner: str
    status: str
    last_update: date | None
    days_since: int


@dataclass(frozen=True)
class DecisionLine:
    """A decision dated in the week."""

    decided_on: date
    text: str
    initiative: str
    author: str


@dataclass(frozen=True)
class PlanLine:
    """One change in the plan against the previous week's."""

    initiative: str
    change: str
    before: str
    after: str


@dataclass(frozen=True)
class WeeklyDigest:
    """Everything one week's digest shows."""

    company: str
    week: str
    monday: date
    sunday: date
    reference_day: date  # the week's last day, or today while the week runs
    data_through: date | None
    period: str
    period_note: str
    key_results: tuple[KrLine, ...]
    shipped: tuple[ShippedLine, ...]
    impacts: tuple[ImpactEntry, ...]
    stale: tuple[StaleLine, ...]
    stale_after_days: int
    decisions: tuple[DecisionLine, ...]
    plan_changes: tuple[PlanLine, ...]
    plan_note: str
    interval: float
    generated_at: datetime

    def new_impact(self, entry: ImpactEntry) -> bool:
        """Whether an entry's post window completed during the week."""
        return entry.measured and self.monday <= entry.ready_on <= self.sunday


def _kr_lines(
    current: PeriodEvaluation, previous: PeriodEvaluation | None, symbol: str
) -> list[KrLine]:
    before: dict[int, KrEvaluation] = (
        {kr.key_result_id: kr for kr in previous.key_results()} if previous else {}
    )
    lines = []
    for objective in current.objectives:
        for kr in objective.key_results:
            old = before.get(kr.key_result_id)
            lines.append(
                KrLine(
                    objective=objective.title,
                    key_result=kr.title,
                    owner=kr.owner,
                    current=format_kr_value(kr, kr.current, currency_symbol=symbol),
                    previous=(
                        format_kr_value(old, old.current, currency_symbol=symbol) if old else "—"
                    ),
                    progress=kr.progress,
                    previous_progress=old.progress if old else None,
                    status=kr.status,
                    previous_status=old.status if old else None,
                )
            )
    return lines


def _last_updates(session: Session, until: date) -> dict[int, tuple[date, str]]:
    """Each initiative's last status update on or before `until`: its day and status."""
    cutoff = _day_end(until)
    rows = session.exec(
        select(StatusUpdate.initiative_id, StatusUpdate.created_at, StatusUpdate.status)
        .where(col(StatusUpdate.created_at) < cutoff)
        .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))
    ).all()
    return {
        int(i): (clock.day_of(at), str(getattr(status, "value", status))) for i, at, status in rows
    }


def _day_end(day: date) -> datetime:
    """The moment the team's `day` ends (midnight in its time zone, whatever the day's length)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=clock.time_zone())


def _stale_lines(
    session: Session, reference: date, after_days: int, names: dict[int, str]
) -> list[StaleLine]:
    """Initiatives in progress or blocked on the reference day (by their last update then, else
    their current status) whose last update, or creation, is more than `after_days` old."""
    last = _last_updates(session, reference)
    active = {s.value for s in ACTIVE_STATUSES}
    cutoff = _day_end(reference)
    initiatives = session.exec(
        select(Initiative).where(col(Initiative.created_at) < cutoff).order_by(col(Initiative.id))
    ).all()
    lines = []
    for initiative in initiatives:
        latest = last.get(int(initiative.id or 0))
        status = latest[1] if latest else initiative.status.value
        if status not in active:
            continue
        since = latest[0] if latest else clock.day_of(initiative.created_at)
        age = (reference - since).days
        if age > after_days:
            lines.append(
                StaleLine(
                    initiative=initiative.title,
                    owner=names.get(initiative.owner_id, f"#{initiative.owner_id}"),
                    status=_(status_label(status)),
                    last_update=latest[0] if latest else None,
                    days_since=age,
                )
            )
    return sorted(lines, key=lambda line: -line.days_since)


def build_digest(
    *, session: Session, config: AppConfig, week: str, today: date | None = None
) -> WeeklyDigest:
    """The digest of an ISO week such as "2026-W48" (DigestError for a bad or future week)."""
    try:
        year, number = parse_iso_week(week)
        week_id = f"{year:04d}-W{number:02d}"
        monday, sunday = week_bounds(week_id)
    except ValueError as exc:
        raise DigestError(str(exc)) from None
    today = today or clock.today()
    if monday > today:
        raise DigestError(
            _("{week} starts on {day}, after today: nothing to report").format(
                week=week_id, day=format_day(monday)
            )
        )
    reference = min(sunday, today)
    latest = freshness(
        session=session, complete_after_hours=config.settings.metrics.complete_after_hours
    ).latest_day
    data_through = min(latest, reference) if latest is not None else None
    symbol = config.settings.currency_symbol
    fiscal = config.settings.fiscal_year_start_month
    names = person_names(session=session)

    as_of = data_through or reference - timedelta(days=1)
    # The quarter of the week's last day with data: a week across a quarter's end (2026-W53 runs
    # 28 Dec - 3 Jan) reports the quarter its data reaches, never one it holds no data for yet.
    period = quarter_of(max(monday, min(reference, as_of)), fiscal)
    period_first = quarter_bounds(period, fiscal)[0]
    current = period_goals(session=session, config=config, period=period, as_of=as_of)
    previous: PeriodEvaluation | None = None
    period_note = _("Progress change against {day}.").format(
        day=format_day(as_of - timedelta(days=7))
    )
    if current.closed:
        period_note = _("{period} is closed: values as frozen at its close.").format(period=period)
    elif not current.objectives:
        period_note = _(
            "{period} has no objectives yet: the director has not set its goals."
        ).format(period=period)
    elif as_of < period_first:
        period_note = _("No data for {period} yet: data runs through {day}.").format(
            period=period, day=format_day(as_of)
        )
    elif as_of - timedelta(days=7) >= period_first:
        previous = evaluate_period(
            session=session, config=config, period=period, as_of=as_of - timedelta(days=7)
        )
    else:
        period_note = _("{period} began less than a week earlier: no change to show yet.").format(
            period=period
        )

    shipped_rows = session.exec(
        select(Initiative)
        .where(col(Initiative.shipped_date) >= monday, col(Initiative.shipped_date) <= sunday)
        .order_by(col(Initiative.shipped_date), col(Initiative.id))
    ).all()
    metrics = config.metrics.metrics
    shipped = [
        ShippedLine(
            initiative=i.title,
            owner=names.get(i.owner_id, f"#{i.owner_id}"),
            shipped=i.shipped_date or monday,
            expected=(
                _("{lift} on {metric}").format(
                    lift=lift_text(i.lift_pct),
                    metric=metrics[i.lift_metric].label
                    if i.lift_metric in metrics
                    else i.lift_metric,
                )
                if i.lift_metric and i.lift_pct is not None
                else ""
            ),
        )
        for i in shipped_rows
    ]

    impacts = impact_ledger(session=session, config=config, as_of=as_of) if latest else []

    decisions = list_decisions(session=session)
    in_week = decisions[
        (decisions["decided_on"] >= monday)
        & (decisions["decided_on"] <= sunday)
        & ~decisions["withdrawn"].astype(bool)
    ].sort_values(["decided_on", "id"])
    decision_lines = [
        DecisionLine(
            decided_on=as_date(row["decided_on"]),
            text=str(row["text"]),
            initiative=str(row["initiative"] or ""),
            author=str(row["author"]),
        )
        for row in in_week.to_dict(orient="records")
    ]

    diff = plan_diff(
        session=session,
        config=config,
        week=week_id,
        framework=config.scoring.active,
        as_of=as_of,
    )
    plan_lines = []
    for change in diff.changes:
        what, before, after = describe_change(change)
        plan_lines.append(PlanLine(change.title, what, before, after))
    if diff.previous is None:
        plan_note = (
            _("No plan was committed before {week}: nothing to compare the committed plan with.")
            if diff.current_committed
            else _("No plan was committed before {week}: nothing to compare the live backlog with.")
        ).format(week=week_id)
    else:
        plan_note = (
            _("{week} (the committed plan) against the plan committed for {previous}.")
            if diff.current_committed
            else _("{week} (the live backlog) against the plan committed for {previous}.")
        ).format(week=week_id, previous=diff.previous.week)
        if not diff.same_framework:
            plan_note += " " + _("The frameworks differ, so scores are not compared.")

    return WeeklyDigest(
        company=config.settings.company,
        week=week_id,
        monday=monday,
        sunday=sunday,
        reference_day=reference,
        data_through=data_through,
        period=period,
        period_note=period_note,
        key_results=tuple(_kr_lines(current, previous, symbol)),
        shipped=tuple(shipped),
        impacts=tuple(impacts),
        stale=tuple(
            _stale_lines(session, reference, config.settings.updates.stale_after_days, names)
        ),
        stale_after_days=config.settings.updates.stale_after_days,
        decisions=tuple(decision_lines),
        plan_changes=tuple(plan_lines),
        plan_note=plan_note,
        interval=config.settings.impact.interval,
        generated_at=clock.now(),
    )
