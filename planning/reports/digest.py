"""The weekly digest: a one-page summary of an ISO week, built from the store and rendered as
Markdown and as a standalone HTML file.

What it holds, as of the week's last day (or today while the week is running), with metric data
through the last complete day (planning.metrics.engine.freshness) up to that day:

- key results of the quarter that day falls in: value, progress and status, and how progress and
  status moved since the same day a week earlier (a closed quarter shows its frozen values);
- initiatives shipped in the week;
- the impact ledger (planning.impact.ledger) as the data then stood, measurements that completed
during
  the week marked new;
- stale updates: initiatives in progress or blocked on that day (the status of their last update
  by then) whose last status update (or creation, when they have none) is more than
  ``updates.stale_after_days`` days old;
- decisions dated in the week;
- what changed in the plan: the week's plan (committed, else the live backlog ranked by the
  active framework) against the last plan committed for an earlier week.

Everything a person typed (titles, notes, decisions) is escaped: backslash-escaped in Markdown,
entity-escaped in HTML. The HTML needs no network and runs no script: styles are inline and the
impact chart is inline SVG.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from planning import clock
from planning.config import AppConfig
from planning.impact.ledger import ImpactEntry, impact_ledger
from planning.impact.ledger_views import interval_text, lift_text
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.metrics.completeness import freshness
from planning.okrs.evaluation import (
    KrEvaluation,
    PeriodEvaluation,
    evaluate_period,
    format_kr_value,
    period_goals,
)
from planning.periods import parse_iso_week, quarter_bounds, quarter_of, week_bounds
from planning.store.models import Initiative, InitiativeStatus, StatusUpdate
from planning.work.decisions import list_decisions
from planning.work.initiative_reads import person_names
from planning.work.initiative_status import status_label
from planning.work.weekly_plan import describe_change, plan_diff

ACTIVE_STATUSES = (InitiativeStatus.in_progress, InitiativeStatus.blocked)
STATUS_WORDS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "too_early": "Too early",
}


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


def _status_word(status: str | None) -> str:
    if status is None:
        return "—"
    return STATUS_WORDS.get(status, status.replace("_", " ").capitalize())


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
    cutoff = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC)
    rows = session.exec(
        select(StatusUpdate.initiative_id, StatusUpdate.created_at, StatusUpdate.status)
        .where(col(StatusUpdate.created_at) < cutoff)
        .order_by(col(StatusUpdate.created_at), col(StatusUpdate.id))
    ).all()
    return {int(i): (_day(at), str(getattr(status, "value", status))) for i, at, status in rows}


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _stale_lines(
    session: Session, reference: date, after_days: int, names: dict[int, str]
) -> list[StaleLine]:
    """Initiatives in progress or blocked on the reference day (by their last update then, else
    their current status) whose last update, or creation, is more than `after_days` old."""
    last = _last_updates(session, reference)
    active = {s.value for s in ACTIVE_STATUSES}
    cutoff = datetime.combine(reference + timedelta(days=1), time.min, tzinfo=UTC)
    initiatives = session.exec(
        select(Initiative).where(col(Initiative.created_at) < cutoff).order_by(col(Initiative.id))
    ).all()
    lines = []
    for initiative in initiatives:
        latest = last.get(int(initiative.id or 0))
        status = latest[1] if latest else initiative.status.value
        if status not in active:
            continue
        since = latest[0] if latest else _day(initiative.created_at)
        age = (reference - since).days
        if age > after_days:
            lines.append(
                StaleLine(
                    initiative=initiative.title,
                    owner=names.get(initiative.owner_id, f"#{initiative.owner_id}"),
                    status=status_label(status),
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
        raise DigestError(f"{week_id} starts on {monday:%d %b %Y}, after today: nothing to report")
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
    period_note = f"Progress change against {as_of - timedelta(days=7):%d %b %Y}."
    if current.closed:
        period_note = f"{period} is closed: values as frozen at its close."
    elif not current.objectives:
        period_note = f"{period} has no objectives yet: the director has not set its goals."
    elif as_of < period_first:
        period_note = f"No data for {period} yet: data runs through {as_of:%d %b %Y}."
    elif as_of - timedelta(days=7) >= period_first:
        previous = evaluate_period(
            session=session, config=config, period=period, as_of=as_of - timedelta(days=7)
        )
    else:
        period_note = f"{period} began less than a week earlier: no change to show yet."

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
                f"{lift_text(i.lift_pct)} on "
                f"{metrics[i.lift_metric].label if i.lift_metric in metrics else i.lift_metric}"
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
            decided_on=_day(row["decided_on"]),
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
    source = "the committed plan" if diff.current_committed else "the live backlog"
    if diff.previous is None:
        plan_note = f"No plan was committed before {week_id}: nothing to compare {source} with."
    else:
        plan_note = f"{week_id} ({source}) against the plan committed for {diff.previous.week}."
        if not diff.same_framework:
            plan_note += " The frameworks differ, so scores are not compared."

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


# --- shared text -------------------------------------------------------------------------------


def _share(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value * 100:.0f} %"


def _points(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    points = round(value * 100)
    return "±0 pts" if points == 0 else f"{points:+d} pts"


def _status_move(line: KrLine) -> str:
    if line.previous_status is None or line.previous_status == line.status:
        return _status_word(line.status)
    return f"{_status_word(line.status)} (was {_status_word(line.previous_status)})"


def _title(digest: WeeklyDigest) -> str:
    return f"Weekly digest · {digest.week}"


def _subtitle(digest: WeeklyDigest) -> str:
    through = (
        f"data through {digest.data_through:%a %d %b %Y}"
        if digest.data_through
        else "no metric data yet"
    )
    return f"{digest.company} · {digest.monday:%a %d %b} – {digest.sunday:%a %d %b %Y} · {through}"


def _impact_row(digest: WeeklyDigest, entry: ImpactEntry) -> list[str]:
    verdict = VERDICT_LABELS[entry.verdict]
    if entry.measured and not entry.seasonally_adjusted:
        verdict += " (not seasonally adjusted)"
    if entry.verdict == "not_enough_data":
        verdict += f" (ready {entry.ready_on:%d %b})"
    if digest.new_impact(entry):
        verdict += " · new this week"
    where = "" if not entry.filters else f" ({entry.where})"
    return [
        entry.initiative,
        entry.metric_label + where,
        f"{entry.shipped:%d %b %Y}",
        lift_text(entry.expected_lift),
        lift_text(entry.realised_lift),
        interval_text(entry.ci_low, entry.ci_high),
        verdict,
    ]


def _impact_note(digest: WeeklyDigest) -> str:
    return (
        "Realised lift: the metric's change over the post window against the pre window, net "
        f"of last year's change over the same weeks, with its {digest.interval * 100:.0f} % "
        "interval."
    )


def _stale_note(digest: WeeklyDigest) -> str:
    return (
        "In progress or blocked, with no status update for more than "
        f"{digest.stale_after_days} days."
    )


def _generated(digest: WeeklyDigest) -> str:
    return f"Generated by Quarterdeck on {digest.generated_at:%d %b %Y at %H:%M}."


IMPACT_HEADER = ["Initiative", "Metric", "Shipped", "Expected", "Realised", "Interval", "Verdict"]


# --- Markdown ----------------------------------------------------------------------------------

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]#!|~<>$:&])")


def escape_md(text: str) -> str:
    """Text for Markdown: special characters backslash-escaped, line breaks as spaces."""
    flat = " ".join(str(text).split())
    return _MD_SPECIALS.sub(r"\\\1", flat)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(escape_md(h) for h in header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(escape_md(c) for c in row) + " |" for row in rows]
    return lines


def digest_markdown(digest: WeeklyDigest) -> str:
    """The digest as Markdown; every piece of text is escaped."""
    out = [f"# {_title(digest)}", "", escape_md(_subtitle(digest)), ""]

    out += [f"## Key results · {digest.period}", "", digest.period_note]
    out.append("")
    if digest.key_results:
        rows = [
            [
                line.objective,
                line.key_result,
                line.owner,
                line.current,
                _share(line.progress),
                _points(line.progress_change),
                _status_move(line),
            ]
            for line in digest.key_results
        ]
        header = ["Objective", "Key result", "Owner", "Value", "Progress", "Week", "Status"]
        out += _md_table(header, rows)
    else:
        out.append(f"No key results in {digest.period}.")
    out.append("")

    out += ["## Shipped this week", ""]
    if digest.shipped:
        out += _md_table(
            ["Initiative", "Owner", "Shipped", "Expected lift"],
            [
                [s.initiative, s.owner, f"{s.shipped:%a %d %b}", s.expected or "—"]
                for s in digest.shipped
            ],
        )
    else:
        out.append("Nothing shipped this week.")
    out.append("")

    out += ["## Realised impact", ""]
    if digest.impacts:
        out.append(_impact_note(digest))
        out.append("")
        out += _md_table(IMPACT_HEADER, [_impact_row(digest, e) for e in digest.impacts])
    else:
        out.append("No shipped initiative has an expected lift yet.")
    out.append("")

    out += ["## Stale updates", ""]
    if digest.stale:
        out.append(_stale_note(digest))
        out.append("")
        out += _md_table(
            ["Initiative", "Owner", "Status", "Last update", "Days"],
            [
                [
                    s.initiative,
                    s.owner,
                    s.status,
                    f"{s.last_update:%d %b %Y}" if s.last_update else "never",
                    str(s.days_since),
                ]
                for s in digest.stale
            ],
        )
    else:
        out.append("Every initiative under way has a recent status update.")
    out.append("")

    out += ["## Decisions", ""]
    if digest.decisions:
        out += _md_table(
            ["Day", "Decision", "Initiative", "By"],
            [
                [f"{d.decided_on:%a %d %b}", d.text, d.initiative or "—", d.author]
                for d in digest.decisions
            ],
        )
    else:
        out.append("No decisions logged this week.")
    out.append("")

    out += ["## What changed in the plan", "", digest.plan_note, ""]
    if digest.plan_changes:
        out += _md_table(
            ["Initiative", "Change", "Before", "After"],
            [[p.initiative, p.change, p.before, p.after] for p in digest.plan_changes],
        )
        out.append("")
    out.append(_generated(digest))
    return "\n".join(out) + "\n"


# --- HTML --------------------------------------------------------------------------------------

_VERDICT_COLOURS = {
    "beat": "#1b7f3b",
    "met": "#2f6fd0",
    "missed": "#c0392b",
    "inconclusive": "#8a8a8a",
}
_STATUS_COLOURS = {
    "on_track": "#1b7f3b",
    "at_risk": "#d68910",
    "off_track": "#c0392b",
    "too_early": "#8a8a8a",
}
_CSS = """
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1d1d1f; max-width: 980px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.meta, p.note, footer { color: #555; margin: 4px 0 10px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; background: #f6f6f6; }
td.num { text-align: right; white-space: nowrap; }
.bar { background: #eee; width: 120px; height: 10px; border-radius: 5px; display: inline-block;
       vertical-align: middle; margin-right: 6px; overflow: hidden; }
.bar span { display: block; height: 10px; background: #2f6fd0; }
.pill { display: inline-block; padding: 0 8px; border-radius: 9px; color: #fff; font-size: 12px;
        white-space: nowrap; }
td.nowrap { white-space: nowrap; }
.empty { color: #555; font-style: italic; }
svg text { font: 12px -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
@media print { body { margin: 0; } h2 { break-after: avoid; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Collection[int] = (),
    nowrap: Collection[int] = (),
) -> str:
    """A table whose cells are already-escaped HTML; `numeric` columns are right-aligned and
    `nowrap` ones kept on one line."""

    def cell(i: int, html_text: str) -> str:
        if i in numeric:
            return f'<td class="num">{html_text}</td>'
        if i in nowrap:
            return f'<td class="nowrap">{html_text}</td>'
        return f"<td>{html_text}</td>"

    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _progress_bar(progress: float | None) -> str:
    if progress is None or math.isnan(progress):
        return "—"
    width = max(0.0, min(1.0, progress)) * 100
    return (
        f'<span class="bar"><span style="width:{width:.0f}%"></span></span>{_e(_share(progress))}'
    )


def _pill(status: str, colours: dict[str, str], label: str) -> str:
    colour = colours.get(status, "#8a8a8a")
    return f'<span class="pill" style="background:{colour}">{_e(label)}</span>'


def impact_svg(entries: Sequence[ImpactEntry], *, width: int = 900) -> str:
    """Measured entries as inline SVG: a dot at the realised lift with its interval as a bar,
    and a diamond at the expected lift, one row per initiative."""
    measured = [e for e in entries if e.measured and e.ci_low is not None and e.ci_high is not None]
    if not measured:
        return ""
    values = [0.0]
    for e in measured:
        values += [e.expected_lift, float(e.ci_low or 0), float(e.ci_high or 0)]
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or 0.01
    low, high = low - pad, high + pad
    left, right, row, top = 300, 30, 30, 26
    plot = width - left - right
    height = top + row * len(measured) + 34

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * plot

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Expected and realised lift">',
        f'<line x1="{x(0):.1f}" y1="{top - 8}" x2="{x(0):.1f}" y2="{height - 30}" '
        'stroke="#999" stroke-dasharray="3,3"/>',
    ]
    step = _tick_step(high - low)
    tick = math.ceil(low / step) * step
    while tick <= high:
        parts.append(
            f'<text x="{x(tick):.1f}" y="{height - 12}" text-anchor="middle" fill="#555">'
            f"{tick * 100:+.0f} %</text>"
        )
        tick += step
    for i, e in enumerate(measured):
        y = top + row * i + row / 2
        colour = _VERDICT_COLOURS.get(e.verdict, "#8a8a8a")
        label = e.initiative if len(e.initiative) <= 44 else e.initiative[:43] + "…"
        ex = x(e.expected_lift)
        parts += [
            f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end">{_e(label)}</text>',
            f'<line x1="{x(float(e.ci_low or 0)):.1f}" y1="{y:.1f}" '
            f'x2="{x(float(e.ci_high or 0)):.1f}" y2="{y:.1f}" stroke="{colour}" '
            'stroke-width="3" stroke-linecap="round"/>',
            f'<circle cx="{x(float(e.realised_lift or 0)):.1f}" cy="{y:.1f}" r="5" '
            f'fill="{colour}"><title>{_e(VERDICT_LABELS[e.verdict])}: realised '
            f"{_e(lift_text(e.realised_lift))}, expected {_e(lift_text(e.expected_lift))}"
            "</title></circle>",
            f'<path d="M {ex:.1f} {y - 7:.1f} L {ex + 6:.1f} {y:.1f} L {ex:.1f} {y + 7:.1f} '
            f'L {ex - 6:.1f} {y:.1f} Z" fill="none" stroke="#1d1d1f" stroke-width="1.5"/>',
        ]
    parts.append(
        '<text x="10" y="14" fill="#555">● realised lift and its interval · ◇ expected · '
        "dashed line: no change</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _tick_step(span: float) -> float:
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0):
        if span / step <= 8:
            return step
    return 2.0


def digest_html(digest: WeeklyDigest) -> str:
    """The digest as one standalone HTML file: inline styles and SVG, no script, no links out."""
    body = [f"<h1>{_e(_title(digest))}</h1>", f'<p class="meta">{_e(_subtitle(digest))}</p>']

    body.append(f"<h2>{_e(f'Key results · {digest.period}')}</h2>")
    body.append(f'<p class="note">{_e(digest.period_note)}</p>')
    if digest.key_results:
        rows = [
            [
                _e(line.objective),
                _e(line.key_result),
                _e(line.owner),
                _e(line.current),
                _progress_bar(line.progress),
                _e(_points(line.progress_change)),
                _pill(line.status, _STATUS_COLOURS, _status_move(line)),
            ]
            for line in digest.key_results
        ]
        header = ["Objective", "Key result", "Owner", "Value", "Progress", "Week", "Status"]
        body.append(_html_table(header, rows, {3, 5}, {4}))
    else:
        body.append(f'<p class="empty">{_e(f"No key results in {digest.period}.")}</p>')

    body.append("<h2>Shipped this week</h2>")
    if digest.shipped:
        body.append(
            _html_table(
                ["Initiative", "Owner", "Shipped", "Expected lift"],
                [
                    [_e(s.initiative), _e(s.owner), _e(f"{s.shipped:%a %d %b}"), _e(s.expected)]
                    for s in digest.shipped
                ],
            )
        )
    else:
        body.append('<p class="empty">Nothing shipped this week.</p>')

    body.append("<h2>Realised impact</h2>")
    if digest.impacts:
        body.append(f'<p class="note">{_e(_impact_note(digest))}</p>')
        body.append(impact_svg(digest.impacts))
        rows = []
        for entry in digest.impacts:
            cells = [_e(c) for c in _impact_row(digest, entry)]
            if entry.measured:
                cells[-1] = _pill(entry.verdict, _VERDICT_COLOURS, _impact_row(digest, entry)[-1])
            rows.append(cells)
        body.append(_html_table(IMPACT_HEADER, rows, {3, 4, 5}, {2}))
    else:
        body.append('<p class="empty">No shipped initiative has an expected lift yet.</p>')

    body.append("<h2>Stale updates</h2>")
    if digest.stale:
        body.append(f'<p class="note">{_e(_stale_note(digest))}</p>')
        body.append(
            _html_table(
                ["Initiative", "Owner", "Status", "Last update", "Days"],
                [
                    [
                        _e(s.initiative),
                        _e(s.owner),
                        _e(s.status),
                        _e(f"{s.last_update:%d %b %Y}" if s.last_update else "never"),
                        _e(s.days_since),
                    ]
                    for s in digest.stale
                ],
                {4},
            )
        )
    else:
        body.append('<p class="empty">Every initiative under way has a recent status update.</p>')

    body.append("<h2>Decisions</h2>")
    if digest.decisions:
        body.append(
            _html_table(
                ["Day", "Decision", "Initiative", "By"],
                [
                    [
                        _e(f"{d.decided_on:%a %d %b}"),
                        _e(d.text),
                        _e(d.initiative or "—"),
                        _e(d.author),
                    ]
                    for d in digest.decisions
                ],
            )
        )
    else:
        body.append('<p class="empty">No decisions logged this week.</p>')

    body.append("<h2>What changed in the plan</h2>")
    body.append(f'<p class="note">{_e(digest.plan_note)}</p>')
    if digest.plan_changes:
        body.append(
            _html_table(
                ["Initiative", "Change", "Before", "After"],
                [
                    [_e(p.initiative), _e(p.change), _e(p.before), _e(p.after)]
                    for p in digest.plan_changes
                ],
            )
        )
    body.append(f"<footer>{_e(_generated(digest))}</footer>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(_title(digest) + ' · ' + digest.company)}</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
