"""The Goals page's parts: objectives with their key results, one key result's detail, the
check-in form, and the director's forms (objectives, key results, OKR file, closing a quarter).

Every part reads through ui/goals_data.py, writes only on an explicit submit through one short
session and a planning function, shows refusals with st.error while keeping what was typed, and
shows people's text as text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning.access.permissions import PermissionDenied
from planning.config import AppConfig, MetricsConfig
from planning.formatting import format_value
from planning.metrics.engine import partial_days_text
from planning.metrics.shapes import is_total
from planning.okrs.evaluation import (
    NO_DATA_YET,
    KrEvaluation,
    ObjectiveEvaluation,
    PeriodEvaluation,
    format_kr_value,
)
from planning.okrs.file_format import import_okr_file
from planning.okrs.goals import (
    GoalError,
    create_key_result,
    create_objective,
    post_check_in,
    update_key_result,
    update_objective,
)
from planning.okrs.kr_defaults import default_direction
from planning.okrs.quarter_close import (
    GradeOverride,
    close_quarter,
    override_grade,
    suggested_grades,
)
from planning.store.engine import session_scope
from planning.store.models import (
    Direction,
    GuardrailRule,
    KeyResultCreate,
    KeyResultRead,
    KeyResultUpdate,
    KrKind,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    PersonRead,
    Window,
)
from planning.store.versioning import ConflictError
from planning.work.initiatives import HEALTH_LABELS, status_label
from ui import goals_data as data
from ui.charts import draw
from ui.goals_charts import STATUS_ICONS, STATUS_LABELS, progress_text, share
from ui.state import Versions, clear_after_write, engine
from ui.text import escape_markdown

FLASH = "goals_flash"
KR_KEY = "goals_kr"
REFUSALS = (GoalError, PermissionDenied, ConflictError)
BADGE_COLORS = {"on_track": "green", "at_risk": "orange", "off_track": "red", "too_early": "gray"}
KIND_LABELS = {
    "metric": "Metric",
    "guardrail": "Guardrail",
    "milestone": "Milestone",
    "manual": "Manual",
}
WINDOW_LABELS = {
    "period_to_date": "Quarter to date",
    "trailing_7d": "Trailing 7 days",
    "trailing_28d": "Trailing 28 days",
}


PAGE_SIZE = 5  # objectives drawn per page
SHOW_LABELS = {
    "all": "All objectives",
    "mine": "Mine (objectives or key results I own)",
    "attention": "Needing attention (off track or at risk)",
}


@dataclass(frozen=True)
class View:
    """What every part of the page needs: who looks, which quarter, and its evaluation."""

    config: AppConfig
    person: PersonRead | None
    director: bool
    versions: Versions
    period: str
    today: date
    first_day: date
    last_day: date
    evaluation: PeriodEvaluation

    @property
    def symbol(self) -> str:
        """The currency symbol money is shown with."""
        return self.config.settings.currency_symbol

    def can_check_in(self, kr: KrEvaluation) -> bool:
        """Whether this person sees the check-in form of a key result."""
        if self.person is None or self.evaluation.closed or self.person.role.value == "stakeholder":
            return False
        return self.director or self.person.id == kr.owner_id


def shown_objectives(view: View, show: str) -> list[ObjectiveEvaluation]:
    """The quarter's objectives that the chosen filter keeps."""
    objectives = list(view.evaluation.objectives)
    if show == "mine":
        me = view.person.id if view.person else None
        return [
            o
            for o in objectives
            if o.owner_id == me or any(kr.owner_id == me for kr in o.key_results)
        ]
    if show == "attention":
        return [
            o
            for o in objectives
            if any(kr.status in ("off_track", "at_risk") for kr in o.key_results)
        ]
    return objectives


def problems_text(exc: Exception) -> str:
    """A refusal as markdown-safe text: every problem on its own line."""
    if isinstance(exc, GoalError):
        return "Not saved:\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in exc.problems)
    return escape_markdown(str(exc))


def done(message: str) -> None:
    """After a successful write: say so on the next run, refresh the cached reads, re-run."""
    st.session_state[FLASH] = message
    clear_after_write()
    st.rerun()


def _value(view: View, kr: KrEvaluation, value: float | None) -> str:
    return format_kr_value(kr, value, currency_symbol=view.symbol)


def _badge(status: str) -> str:
    """A status as a coloured badge in markdown."""
    return f":{BADGE_COLORS[status]}-badge[{STATUS_LABELS[status]}]"


# --- the quarter's goals -----------------------------------------------------------------------


def quarter_banner(view: View) -> None:
    """Where the quarter stands: data freshness and day, or frozen at its close."""
    evaluation = view.evaluation
    if evaluation.closed:
        closed_at = f"{evaluation.closed_at:%d %b %Y}" if evaluation.closed_at else "?"
        st.info(
            f"{view.period} is closed: closed on {evaluation.last_day:%a %d %b %Y}, the "
            f"quarter's end; graded on {closed_at} by {evaluation.closed_by or 'a director'}. "
            f"Final values and grades as of {evaluation.as_of:%d %b %Y}; later data does not "
            "change them.",
            icon=":material/lock:",
        )
        if evaluation.close_note:
            st.text(f"Closing note: {evaluation.close_note}")
    elif view.today < view.first_day:
        st.caption(f"{view.period} starts on {view.first_day:%a %d %b %Y}; nothing to measure yet.")
    elif evaluation.as_of < view.first_day:
        st.caption(
            f"{view.period} began on {view.first_day:%a %d %b %Y}; no data for it yet "
            f"(data through {evaluation.as_of:%a %d %b %Y}) · metric key results update by "
            "themselves as it arrives"
        )
    else:
        st.caption(
            f"{view.first_day:%d %b} – {view.last_day:%d %b %Y} · data through "
            f"**{evaluation.as_of:%a %d %b %Y}**{_partial_note(evaluation)} · day "
            f"{evaluation.elapsed_days} of {evaluation.total_days} · metric key results update "
            "by themselves"
        )


def _partial_note(evaluation: PeriodEvaluation) -> str:
    """Newer days that do not count yet, after "data through"."""
    if not evaluation.partial_days:
        return ""
    return f" · {partial_days_text(evaluation.partial_days)}"


def _forecast_text(view: View, kr: KrEvaluation) -> str:
    if kr.forecast is None:
        return "—"
    if kr.forecast_low is None or kr.forecast_high is None or kr.forecast_low == kr.forecast_high:
        return _value(view, kr, kr.forecast)
    return (
        f"{_value(view, kr, kr.forecast)} ({_value(view, kr, kr.forecast_low)} – "
        f"{_value(view, kr, kr.forecast_high)})"
    )


def _target_text(view: View, kr: KrEvaluation) -> str:
    if kr.kind == "guardrail":
        sign = "≥" if kr.rule == "stay_above" else "≤"
        return f"{sign} {_value(view, kr, kr.threshold)}"
    if kr.kind == "milestone":
        return "done"
    return _value(view, kr, kr.target)


def _start_text(view: View, kr: KrEvaluation) -> str:
    if kr.kind == "milestone":
        return "not done"
    return _value(view, kr, kr.start)


def _current_text(view: View, kr: KrEvaluation) -> str:
    if kr.kind == "milestone":
        return "done" if kr.done else "not done"
    if kr.current is None and kr.no_progress_reason:
        return kr.no_progress_reason
    text = _value(view, kr, kr.current)
    if kr.kind == "guardrail" and kr.met is not None:
        # Judged on the window's value; the days count those on which that value was breached.
        days = kr.days_in_breach or 0
        in_breach = f"{days} day{'s' if days != 1 else ''} in breach"
        if kr.met:
            text += f" · held ({in_breach})" if days else " · held"
        else:
            text += f" · breached ({in_breach})"
    return text


# Every column has a fixed width and together they fit the 940 px a 1,440 px screen leaves beside
# the sidebar, open or closed quarter, so Forecast and Probability are always in view; the start
# value is in the key result's detail, and the reasons ("Why") are read in full under the table,
# where they wrap, rather than cut off in a cell.
KR_TABLE_WIDTHS: dict[str, Any] = {
    "Key result": st.column_config.TextColumn(width=190),
    "Status": st.column_config.TextColumn(width=95),
    **{
        name: st.column_config.TextColumn(width=72)
        for name in ("Current", "Final", "Target", "Progress", "Expected", "Forecast")
    },
    "Probability": st.column_config.TextColumn(width=80),
    "Suggested grade": st.column_config.NumberColumn(width=70),
    "Grade": st.column_config.NumberColumn(width=55),
    "Grade reason": st.column_config.TextColumn(width=120),
    "Owner": st.column_config.TextColumn(width=100),
    "Confidence": st.column_config.TextColumn(width=80),
}


def _day(day: Any) -> str:
    """A date as the tables write it; a dash when there is none (not the grid's "None")."""
    return "—" if day is None else f"{day:%Y-%m-%d}"


def kr_reasons(krs: Sequence[KrEvaluation]) -> str:
    """Why each key result has its status, one wrapped line per key result, as Markdown."""
    lines = [
        f"- {STATUS_ICONS[kr.status]} **{escape_markdown(kr.title)}**: "
        f"{escape_markdown(kr.status_reason)}"
        for kr in krs
        if kr.status_reason
    ]
    return "**Why**\n\n" + "\n".join(lines) if lines else ""


def kr_table(view: View, krs: Sequence[KrEvaluation]) -> pa.Table:
    """One row per key result with what the owner and the director look at."""
    rows = []
    for kr in krs:
        # Forecast and Probability come before the owner's columns; a closed quarter shows final
        # values and grades instead. Why is under the table (kr_reasons).
        row: dict[str, Any] = {
            "Key result": kr.title,
            "Status": f"{STATUS_ICONS[kr.status]} {STATUS_LABELS[kr.status]}",
            "Current" if not view.evaluation.closed else "Final": _current_text(view, kr),
            "Target": _target_text(view, kr),
            "Progress": progress_text(kr),
        }
        if view.evaluation.closed:
            row["Suggested grade"] = kr.suggested_grade
            row["Grade"] = kr.grade
            row["Grade reason"] = kr.grade_reason
        else:
            row["Expected"] = share(kr.expected)
            # The value only: its 80 % band is in the key result's detail below.
            row["Forecast"] = _value(view, kr, kr.forecast) if kr.forecast is not None else "—"
            row["Probability"] = share(kr.probability)
        row["Owner"] = kr.owner
        row["Confidence"] = ("—" if kr.confidence is None else f"{kr.confidence}/10") + (
            " ⚠ gap" if kr.gap_flagged else ""
        )
        rows.append(row)
    return pa.Table.from_pylist(rows)  # straight to Arrow: st.dataframe then converts nothing


def objective_block(view: View, objective: ObjectiveEvaluation) -> None:
    """An objective: status, roll-up, progress chart with pace ticks, and its key results."""
    with st.container(border=True):
        st.subheader(escape_markdown(objective.title))
        facts = [
            f"Owner {objective.owner}",
            f"progress {NO_DATA_YET if objective.progress is None else share(objective.progress)}",
            f"weight {objective.weight:g}",
        ]
        if not view.evaluation.closed:
            facts.insert(2, f"expected by now {share(objective.expected)}")
        if objective.grade is not None:
            facts.append(f"grade {objective.grade:.2f}")
        if objective.parent_title:
            facts.append(f"aligned to “{objective.parent_title}”")
        # One element for the badge, the facts and the description keeps a page of objectives
        # quick to redraw.
        if objective.status_reason:
            facts.insert(0, objective.status_reason)
        text = f"{_badge(objective.status)} :gray[{escape_markdown(' · '.join(facts))}]"
        if objective.description:
            text += "\n\n" + escape_markdown(objective.description).replace("\n", "  \n")
        st.markdown(text)
        if not objective.key_results:
            st.caption("No key results yet.")
            return
        chart = data.progress_chart(view.versions, view.period, view.today, objective.objective_id)
        if chart is not None:
            draw(chart)
        st.dataframe(
            kr_table(view, objective.key_results),
            hide_index=True,
            width="stretch",
            column_config=KR_TABLE_WIDTHS,
        )
        reasons = kr_reasons(objective.key_results)
        if reasons:
            st.markdown(reasons)


# --- one key result ----------------------------------------------------------------------------


def _describe(kr: KrEvaluation, metrics: MetricsConfig) -> str:
    parts = [f"{KIND_LABELS.get(kr.kind, kr.kind)} key result", f"owner {kr.owner}"]
    if kr.metric_id:
        parts.append(kr.metric_label)
        if kr.filters:
            parts.append(metrics.filters_text(kr.filters))
        parts.append(WINDOW_LABELS.get(kr.window, kr.window).lower())
    if kr.direction:
        parts.append(kr.direction)
    if kr.status_reason:
        parts.append(kr.status_reason)
    return " · ".join(parts)


def _live_numbers(view: View, kr: KrEvaluation) -> None:
    cols = st.columns(7)
    cols[0].metric("Start", _start_text(view, kr))
    cols[1].metric("Current", _current_text(view, kr))
    cols[2].metric("Target", _target_text(view, kr))
    cols[3].metric("Progress", progress_text(kr), help="Raw: beyond 100 % is overachievement.")
    cols[4].metric("Expected by now", share(kr.expected))
    cols[5].metric(
        "Forecast",
        _value(view, kr, kr.forecast) if kr.forecast is not None else "—",
        help=f"80 % band: {_forecast_text(view, kr)}" if kr.forecast is not None else None,
    )
    cols[6].metric(
        "Probability",
        share(kr.probability),
        delta=(
            f"owner {kr.confidence}/10{' · gap' if kr.gap_flagged else ''}"
            if kr.confidence is not None
            else None
        ),
        delta_color="inverse" if kr.gap_flagged else "off",
        delta_arrow="off",
    )


def kr_detail(view: View, kr: KrEvaluation) -> None:
    """A key result's numbers, chart, check-ins, linked initiatives and check-in form."""
    st.caption(f"{_badge(kr.status)} {escape_markdown(_describe(kr, view.config.metrics))}")
    if view.evaluation.closed:
        # A closed quarter is history: its final values and grade, no forecast or chance.
        cols = st.columns(4)
        cols[0].metric("Start", _start_text(view, kr))
        cols[1].metric("Final", _current_text(view, kr))
        cols[2].metric("Target", _target_text(view, kr))
        cols[3].metric("Progress", progress_text(kr), help="Raw: beyond 100 % is overachievement.")
    else:
        _live_numbers(view, kr)
    if view.evaluation.closed:
        suggested = "—" if kr.suggested_grade is None else f"{kr.suggested_grade:.1f}"
        grade = "—" if kr.grade is None else f"{kr.grade:.1f}"
        st.caption(f"Grade {grade} (suggested {suggested})")
        if kr.grade_reason:
            st.text(f"Reason: {kr.grade_reason}")
    else:
        chart = data.detail_chart(view.versions, view.period, view.today, kr.key_result_id)
        if chart is not None:
            draw(chart)
    left, right = st.columns(2)
    with left:
        st.markdown("**Check-ins**")
        _check_in_history(view, kr)
    with right:
        st.markdown("**Linked initiatives**")
        _linked_initiatives(view, kr)
    if view.can_check_in(kr):
        check_in_form(view, kr)


def _check_in_history(view: View, kr: KrEvaluation) -> None:
    history = data.check_ins(view.versions, kr.key_result_id)
    if not history:
        st.caption("No check-in yet.")
        return
    frame = pa.table(
        {
            "When": [h.created_at for h in history],
            "Who": [h.author for h in history],
            "Confidence": [f"{h.confidence}/10" for h in history],
            "Value": ["" if h.value is None else f"{h.value:g}" for h in history],
            "Done": ["" if h.done is None else ("yes" if h.done else "no") for h in history],
            "Note": [h.note for h in history],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Note": st.column_config.TextColumn(width="large"),
        },
    )


def _linked_initiatives(view: View, kr: KrEvaluation) -> None:
    linked = data.linked_initiatives(view.versions, kr.key_result_id)
    if not linked:
        st.caption("No initiative is linked to this key result.")
        return
    frame = pa.table(
        {
            "Initiative": [i.title for i in linked],
            "Owner": [i.owner for i in linked],
            "Status": [status_label(i.status) for i in linked],
            "Health": [HEALTH_LABELS.get(i.health, i.health) for i in linked],
            "Done": [i.percent_complete for i in linked],
            "Target": [_day(i.target_date) for i in linked],
            "Shipped": [_day(i.shipped_date) for i in linked],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Done": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d%%")
        },
    )


def check_in_form(view: View, kr: KrEvaluation) -> None:
    """Confidence, a note, and the value (manual) or the done tick (milestone)."""
    key = f"check_in_{kr.key_result_id}"
    with st.form(key):
        st.markdown("**Check in**")
        confidence = st.slider(
            "Confidence that it lands (0–10)",
            0,
            10,
            value=kr.confidence if kr.confidence is not None else 5,
            key=f"{key}_confidence",
        )
        note = st.text_area(
            "Note",
            max_chars=2000,
            placeholder="What moved since last week, what is in the way.",
            key=f"{key}_note",
        )
        value = None
        finished = None
        if kr.kind == "manual":
            value = st.number_input(
                f"Current value{f' ({kr.unit})' if kr.unit else ''}",
                value=None,
                format="%.4g",
                key=f"{key}_value",
            )
        if kr.kind == "milestone":
            finished = st.checkbox("Done", value=bool(kr.done), key=f"{key}_done")
        submitted = st.form_submit_button("Post check-in", type="primary")
    if not submitted or view.person is None:
        return
    try:
        with session_scope(engine()) as session:
            post_check_in(
                session=session,
                actor=view.person,
                key_result_id=kr.key_result_id,
                confidence=confidence,
                note=note,
                value=value,
                done=finished,
            )
    except REFUSALS as exc:
        st.error(problems_text(exc))
    else:
        done(f"Check-in posted on “{kr.title}”.")


# --- directors: shaping the quarter ------------------------------------------------------------


def _owner_choice(
    label: str, people: dict[int, str], current_id: int | None, key: str, where: Any = st
) -> int:
    ids = list(people)
    index = ids.index(current_id) if current_id in ids else 0
    chosen: int = where.selectbox(label, ids, index=index, format_func=lambda i: people[i], key=key)
    return chosen


def _filter_pickers(
    view: View,
    metric_id: str,
    existing: KeyResultRead | None,
    key: str,
    on_change: Callable[..., None] | None = None,
    args: tuple[Any, ...] = (),
) -> dict[str, str]:
    """One picker per dimension the metric can be filtered by; the chosen filters."""
    metrics = view.config.metrics
    chosen: dict[str, str] = {}
    dimensions = metrics.metric_dimensions(metric_id)
    for col, dim in zip(st.columns(max(1, len(dimensions))), dimensions, strict=False):
        spec = metrics.dimensions[dim]
        options = ["All", *spec.values]
        now = (existing.filters or {}).get(dim, "All") if existing else "All"
        picked = col.selectbox(
            spec.label,
            options,
            index=options.index(now) if now in options else 0,
            format_func=lambda v, named=spec: v if v == "All" else named.value_label(v),
            key=f"{key}_filter_{dim}",
            on_change=on_change,
            args=args,
        )
        if picked != "All":
            chosen[dim] = picked
    return chosen


@dataclass(frozen=True)
class KrDefaults:
    """What a new metric key result starts from, and the sentence that says so."""

    direction: Direction
    start: float | None
    note: str


def _percent(view: View, metric_id: str | None) -> bool:
    return bool(metric_id) and view.config.metrics.metrics[metric_id].format == "percent"  # type: ignore[index]


def _new_kr_defaults(view: View, metric_id: str, filters: dict[str, str]) -> KrDefaults:
    """The metric's declared direction and its current value for the filters."""
    metrics = view.config.metrics
    current = data.current_metric_value(
        view.versions, metric_id, tuple(sorted(filters.items())), view.today
    )
    where = " · ".join(filters.values()) or "all traffic"
    spec = metrics.metrics[metric_id]
    if current.value is None:
        note = f"No current value for {where}: no data in the 28 days to {current.as_of}."
        start = None
    else:
        shown = format_value(current.value, spec.format, currency_symbol=view.symbol)
        note = f"Current value for {where}: {shown} (28 days to {current.as_of})."
        start = round(current.value * (100.0 if _percent(view, metric_id) else 1.0), 4)
    return KrDefaults(direction=default_direction(metrics, metric_id), start=start, note=note)


def _reset_new_kr_defaults(view: View) -> None:
    """After another metric or filter is picked, the direction and start follow it."""
    metric_id = st.session_state.get("new_kr_metric")
    if metric_id not in view.config.metrics.metrics:
        return
    filters = {
        dim: str(st.session_state.get(f"new_kr_filter_{dim}", "All"))
        for dim in view.config.metrics.metric_dimensions(metric_id)
    }
    chosen = {dim: value for dim, value in filters.items() if value != "All"}
    defaults = _new_kr_defaults(view, metric_id, chosen)
    st.session_state["new_kr_direction"] = defaults.direction.value
    st.session_state["new_kr_start"] = defaults.start


def _kr_fields(
    view: View,
    kind: str,
    metric_id: str | None,
    existing: KeyResultRead | None,
    key: str,
    *,
    filters: dict[str, str] | None = None,
    defaults: KrDefaults | None = None,
) -> dict[str, Any]:
    """Kind-specific inputs of a key result form. Percentages are typed as percent (2.3 for
    2.3 %) and stored as fractions. `filters` when they were picked outside the form; `defaults`
    give a new metric key result its start and direction, and any one its current-value note."""
    metrics = view.config.metrics
    fields: dict[str, Any] = {}
    percent = bool(metric_id) and metrics.metrics[metric_id].format == "percent"  # type: ignore[index]
    scale = 100.0 if percent else 1.0
    unit = " (%)" if percent else ""

    def shown(value: float | None) -> float | None:
        return None if value is None else value * scale

    def stored(value: float | None) -> float | None:
        return None if value is None else value / scale

    if kind in ("metric", "guardrail") and metric_id:
        if filters is None:
            filters = _filter_pickers(view, metric_id, existing, key)
        fields["filters"] = filters
        windows = [w.value for w in Window]
        now_window = existing.window.value if existing else Window.period_to_date.value
        fields["window"] = Window(
            st.selectbox(
                "Window",
                windows,
                index=windows.index(now_window),
                format_func=lambda w: WINDOW_LABELS[w],
                key=f"{key}_window",
            )
        )
    if kind in ("metric", "manual"):
        cols = st.columns(3)
        directions = [d.value for d in Direction]
        now_direction = existing.direction.value if existing and existing.direction else "increase"
        start_value = shown(existing.start_value) if existing else None
        if defaults is not None and kind == "metric" and existing is None:
            now_direction, start_value = defaults.direction.value, defaults.start
        # Once the metric or a filter changed, their callback has set these fields' values.
        direction_set = f"{key}_direction" in st.session_state
        start_set = f"{key}_start" in st.session_state
        fields["direction"] = Direction(
            cols[0].selectbox(
                "Direction",
                directions,
                index=None if direction_set else directions.index(now_direction),
                key=f"{key}_direction",
            )
            or now_direction
        )
        start = cols[1].number_input(
            f"Start{unit}",
            value=None if start_set else start_value,
            format="%.4f",
            key=f"{key}_start",
        )
        if defaults is not None and kind == "metric":
            cols[1].caption(defaults.note)
        target = cols[2].number_input(
            f"Target{unit}",
            value=shown(existing.target_value) if existing else None,
            format="%.4f",
            key=f"{key}_target",
        )
        fields["start_value"] = stored(start)
        fields["target_value"] = stored(target)
    if kind == "guardrail":
        cols = st.columns(2)
        rules = [r.value for r in GuardrailRule]
        now_rule = (
            existing.guardrail_rule.value
            if existing and existing.guardrail_rule
            else GuardrailRule.stay_above.value
        )
        fields["guardrail_rule"] = GuardrailRule(
            cols[0].selectbox(
                "Rule",
                rules,
                index=rules.index(now_rule),
                format_func=lambda r: r.replace("_", " "),
                key=f"{key}_rule",
            )
        )
        threshold = cols[1].number_input(
            f"Threshold{unit}",
            value=shown(existing.threshold) if existing else None,
            format="%.4f",
            key=f"{key}_threshold",
        )
        fields["threshold"] = stored(threshold)
    if kind == "manual":
        fields["unit"] = st.text_input(
            "Unit", value=existing.unit if existing else "", max_chars=20, key=f"{key}_unit"
        )
    return fields


def _with_total(view: View, kind: str, metric_id: str | None, fields: dict[str, Any]) -> None:
    """A metric that adds up over the quarter to date has a quarter total as its target."""
    if kind == "metric" and metric_id:
        window = fields.get("window", Window.period_to_date)
        fields["total_target"] = is_total(view.config.metrics, metric_id, window.value)


SHAPE_TASKS = {
    "add_objective": "Add an objective",
    "edit_objective": "Edit an objective",
    "add_key_result": "Add a key result",
    "edit_key_result": "Edit the key result above",
    "close": "Close and grade the quarter",
    "regrade": "Correct a grade",
}


def shape_tasks(view: View, selected: KrEvaluation | None) -> list[str]:
    """The director's tasks open to this quarter, in SHAPE_TASKS order."""
    if view.evaluation.closed:
        return ["regrade"] if view.evaluation.key_results() else []
    tasks = ["add_objective"]
    if data.objectives(view.versions, view.period):
        tasks += ["edit_objective", "add_key_result"]
        if selected is not None:
            tasks.append("edit_key_result")
    if view.evaluation.objectives:
        tasks.append("close")
    return tasks


def shape_the_quarter(view: View, selected: KrEvaluation | None, people: dict[int, str]) -> None:
    """The director's forms, one at a time: only the chosen task's form is drawn, so the page
    stays quick however many objectives the quarter holds."""
    tasks = shape_tasks(view, selected)
    if not tasks:
        return
    task = st.segmented_control(
        "Shape the quarter",
        tasks,
        format_func=lambda t: SHAPE_TASKS[t],
        key="goals_task",
        label_visibility="collapsed",
    )
    if task is None:
        st.caption("Pick a task to open its form.")
        return
    with st.container(border=True):
        if task == "add_objective":
            add_objective_form(view, people)
        elif task == "edit_objective":
            edit_objective_form(view, people)
        elif task == "add_key_result":
            key_result_form(view, people)
        elif task == "edit_key_result" and selected is not None:
            edit_key_result_form(view, selected, people)
        elif task == "close":
            close_section(view)
        elif task == "regrade":
            regrade_section(view)


def _parents(view: View) -> tuple[dict[int, ObjectiveRead], Callable[[int | None], str]]:
    """Objectives of every quarter that one can be aligned to, and how each reads."""
    parents = {o.id: o for o in data.all_objectives(view.versions)}

    def parent_label(i: int | None) -> str:
        return "—" if i is None else f"{parents[i].period} · {parents[i].title}"

    return parents, parent_label


def add_objective_form(view: View, people: dict[int, str]) -> None:
    """Add an objective to the quarter, optionally aligned to another."""
    parents, parent_label = _parents(view)

    with st.form("new_objective"):
        title = st.text_input("Title", max_chars=200, key="new_objective_title")
        description = st.text_area("Description", key="new_objective_description")
        cols = st.columns(3)
        owner_id = _owner_choice("Owner", people, None, "new_objective_owner", cols[0])
        weight = cols[1].number_input(
            "Weight", min_value=0.0, value=1.0, step=0.5, key="new_objective_weight"
        )
        parent_id = cols[2].selectbox(
            "Aligned to", [None, *parents], format_func=parent_label, key="new_objective_parent"
        )
        if st.form_submit_button("Create objective", type="primary"):
            try:
                with session_scope(engine()) as session:
                    create_objective(
                        session=session,
                        actor=view.person,  # type: ignore[arg-type]
                        objective=ObjectiveCreate(
                            period=view.period,
                            title=title,
                            description=description,
                            owner_id=owner_id,
                            weight=weight,
                            parent_id=parent_id,
                        ),
                    )
            except REFUSALS as exc:
                st.error(problems_text(exc))
            else:
                done(f"Objective “{title.strip()}” added to {view.period}.")


def edit_objective_form(view: View, people: dict[int, str]) -> None:
    """Edit or archive one of the quarter's objectives."""
    editable = data.objectives(view.versions, view.period)
    if not editable:
        return
    parents, parent_label = _parents(view)
    with st.container():
        by_id = {o.id: o for o in editable}
        chosen = st.selectbox(
            "Objective", list(by_id), format_func=lambda i: by_id[i].title, key="edit_objective"
        )
        objective = by_id[chosen]
        key = f"edit_objective_{objective.id}_{objective.version}"
        with st.form(key):
            title = st.text_input("Title", value=objective.title, max_chars=200, key=f"{key}_title")
            description = st.text_area(
                "Description", value=objective.description, key=f"{key}_description"
            )
            cols = st.columns(3)
            owner_id = _owner_choice("Owner", people, objective.owner_id, f"{key}_owner", cols[0])
            weight = cols[1].number_input(
                "Weight",
                min_value=0.0,
                value=float(objective.weight),
                step=0.5,
                key=f"{key}_weight",
            )
            choices = [None, *(i for i in parents if i != objective.id)]
            parent_id = cols[2].selectbox(
                "Aligned to",
                choices,
                index=choices.index(objective.parent_id) if objective.parent_id in choices else 0,
                format_func=parent_label,
                key=f"{key}_parent",
            )
            archive = st.checkbox(
                "Archive this objective (it and its key results leave the quarter)",
                key=f"{key}_archive",
            )
            submitted = st.form_submit_button("Save objective", type="primary")
        if submitted:
            edits: dict[str, Any] = {
                "title": title,
                "description": description,
                "owner_id": owner_id,
                "weight": weight,
                "parent_id": parent_id,
            }
            if archive:
                edits["archived"] = True
            try:
                with session_scope(engine()) as session:
                    update_objective(
                        session=session,
                        actor=view.person,  # type: ignore[arg-type]
                        objective_id=objective.id,
                        expected_version=objective.version,
                        changes=ObjectiveUpdate(**edits),
                    )
            except REFUSALS as exc:
                st.error(problems_text(exc))
            else:
                done("Objective archived." if archive else "Objective saved.")


def key_result_form(view: View, people: dict[int, str]) -> None:
    """Add a key result of any kind to one of the quarter's objectives."""
    editable = data.objectives(view.versions, view.period)
    if not editable:
        return
    metrics = view.config.metrics
    with st.container():
        by_id = {o.id: o for o in editable}
        cols = st.columns(3)
        objective_id = cols[0].selectbox(
            "Objective", list(by_id), format_func=lambda i: by_id[i].title, key="new_kr_objective"
        )
        kind = cols[1].selectbox(
            "Kind", list(KIND_LABELS), format_func=lambda k: KIND_LABELS[k], key="new_kr_kind"
        )
        metric_id = None
        if kind in ("metric", "guardrail"):
            metric_id = cols[2].selectbox(
                "Metric",
                list(metrics.metrics),
                format_func=lambda m: metrics.metrics[m].label,
                key="new_kr_metric",
                on_change=_reset_new_kr_defaults,
                args=(view,),
            )
        # Filters sit outside the form so the start value can follow them as they are picked.
        filters: dict[str, str] | None = None
        defaults: KrDefaults | None = None
        if metric_id is not None:
            filters = _filter_pickers(
                view, metric_id, None, "new_kr", _reset_new_kr_defaults, (view,)
            )
            defaults = _new_kr_defaults(view, metric_id, filters)
        with st.form("new_kr"):
            title = st.text_input("Title", max_chars=200, key="new_kr_title")
            cols = st.columns(2)
            owner_id = _owner_choice(
                "Owner", people, by_id[objective_id].owner_id, "new_kr_owner", cols[0]
            )
            weight = cols[1].number_input(
                "Weight", min_value=0.0, value=1.0, step=0.5, key="new_kr_weight"
            )
            fields = _kr_fields(
                view, kind, metric_id, None, "new_kr", filters=filters, defaults=defaults
            )
            if kind == "metric":
                st.caption(
                    "A metric that adds up day by day (revenue, sessions) over the quarter to "
                    "date takes a total for the quarter as its target; pick a trailing window to "
                    "track its level instead."
                )
            submitted = st.form_submit_button("Create key result", type="primary")
        if not submitted:
            return
        _with_total(view, kind, metric_id, fields)
        try:
            with session_scope(engine()) as session:
                create_key_result(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    key_result=KeyResultCreate(
                        objective_id=objective_id,
                        title=title,
                        owner_id=owner_id,
                        weight=weight,
                        kind=KrKind(kind),
                        metric_id=metric_id,
                        **fields,
                    ),
                    config=metrics,
                )
        except REFUSALS as exc:
            st.error(problems_text(exc))
        else:
            done(f"Key result “{title.strip()}” added.")


def edit_key_result_form(view: View, kr: KrEvaluation, people: dict[int, str]) -> None:
    """Edit or archive the key result shown in the detail."""
    found = {k.id: k for k in data.key_results(view.versions, view.period)}.get(kr.key_result_id)
    if found is None:
        return
    metrics = view.config.metrics
    metric_ids = list(metrics.metrics)
    with st.container():
        st.markdown(f"**Edit “{escape_markdown(kr.title)}”**")
        key = f"edit_kr_{found.id}_{found.version}"
        metric_id = found.metric_id
        if found.kind in (KrKind.metric, KrKind.guardrail):
            metric_id = st.selectbox(
                "Metric",
                metric_ids,
                index=metric_ids.index(found.metric_id) if found.metric_id in metric_ids else 0,
                format_func=lambda m: metrics.metrics[m].label,
                key=f"{key}_metric",
            )
        with st.form(key):
            title = st.text_input("Title", value=found.title, max_chars=200, key=f"{key}_title")
            cols = st.columns(2)
            owner_id = _owner_choice("Owner", people, found.owner_id, f"{key}_owner", cols[0])
            weight = cols[1].number_input(
                "Weight", min_value=0.0, value=float(found.weight), step=0.5, key=f"{key}_weight"
            )
            # The saved filters' current value is shown beside the start; the start is kept.
            shown_now = None
            if found.kind == KrKind.metric and metric_id in metrics.metrics:
                shown_now = _new_kr_defaults(view, metric_id, dict(found.filters or {}))
            fields = _kr_fields(view, found.kind.value, metric_id, found, key, defaults=shown_now)
            archive = st.checkbox(
                "Archive this key result (it stops counting towards its objective)",
                key=f"{key}_archive",
            )
            submitted = st.form_submit_button("Save key result", type="primary")
        if not submitted:
            return
        _with_total(view, found.kind.value, metric_id, fields)
        changes: dict[str, Any] = {
            "title": title,
            "owner_id": owner_id,
            "weight": weight,
            **fields,
        }
        if metric_id != found.metric_id:
            changes["metric_id"] = metric_id
        if archive:
            changes["archived"] = True
        try:
            with session_scope(engine()) as session:
                update_key_result(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    key_result_id=found.id,
                    expected_version=found.version,
                    changes=KeyResultUpdate(**changes),
                    config=metrics,
                )
        except REFUSALS as exc:
            st.error(problems_text(exc))
        else:
            done("Key result archived." if archive else "Key result saved.")


def okr_file_section(view: View) -> None:
    """Download the quarter as YAML (everyone); import a file (directors)."""
    with st.expander("OKRs as a file", icon=":material/description:"):
        st.caption(
            "The quarter's objectives and key results as YAML: owners by email, metrics by id. "
            "Edit it to draft the next quarter or copy a template, then import it here or with "
            "python -m planning okr import FILE."
        )
        st.download_button(
            f"Download {view.period} as YAML",
            # Made when the button is clicked: a quarter's YAML is not worth building per run.
            lambda: data.okr_yaml(view.versions, view.period),
            file_name=f"okrs-{view.period}.yaml",
            mime="application/x-yaml",
            icon=":material/download:",
            on_click="ignore",
        )
        if not view.director:
            return
        upload = st.file_uploader("Import an OKR file", type=["yaml", "yml"], key="okr_upload")
        if upload is None or not st.button("Import OKRs", type="primary", key="okr_import"):
            return
        try:
            text = upload.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error("The file is not UTF-8 text; nothing was imported.")
            return
        try:
            with session_scope(engine()) as session:
                result = import_okr_file(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    config=view.config.metrics,
                    text=text,
                )
        except REFUSALS as exc:
            st.error(problems_text(exc))
        else:
            done(
                f"{result.period}: {result.objectives_created} objectives created, "
                f"{result.objectives_updated} updated; {result.key_results_created} key results "
                f"created, {result.key_results_updated} updated"
                + ("" if result.changed else " (nothing changed)")
                + "."
            )


def close_section(view: View) -> None:
    """Suggested grades, overrides with reasons, and the button that freezes the quarter."""
    evaluation = view.evaluation
    if evaluation.closed or not evaluation.objectives:
        return
    with st.container():
        if evaluation.as_of < view.last_day:
            st.warning(
                f"{view.period} runs until {view.last_day:%d %b %Y}. Closing now freezes the "
                f"values as of {evaluation.as_of:%d %b %Y}."
            )
        suggested = suggested_grades(evaluation)
        krs = evaluation.key_results()
        grid = pd.DataFrame(
            {
                "id": [k.key_result_id for k in krs],
                "Key result": [k.title for k in krs],
                "Progress": [progress_text(k) for k in krs],
                "Suggested": [suggested[k.key_result_id] for k in krs],
                "Grade": [suggested[k.key_result_id] for k in krs],
                "Reason": ["" for _ in krs],
            }
        )
        edited = st.data_editor(
            grid,
            hide_index=True,
            width="stretch",
            disabled=["id", "Key result", "Progress", "Suggested"],
            column_config={
                "id": None,
                "Grade": st.column_config.NumberColumn(min_value=0.0, max_value=1.0, step=0.1),
                "Reason": st.column_config.TextColumn(
                    help="Required when the grade differs from the suggestion."
                ),
            },
            key=f"close_grades_{view.period}",
        )
        note = st.text_area("Closing note", key=f"close_note_{view.period}")
        if not st.button(
            f"Close {view.period} and freeze it", type="primary", key=f"close_{view.period}"
        ):
            return
        overrides: dict[int, GradeOverride] = {}
        for row in edited.to_dict(orient="records"):
            grade = float(row["Grade"]) if pd.notna(row["Grade"]) else float("nan")
            reason = str(row["Reason"] or "")
            if grade != float(row["Suggested"]) or reason.strip():
                overrides[int(row["id"])] = GradeOverride(grade=grade, reason=reason)
        try:
            with session_scope(engine()) as session:
                close_quarter(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    config=view.config,
                    period=view.period,
                    overrides=overrides,
                    note=note,
                    today=view.today,
                )
        except REFUSALS as exc:
            st.error(problems_text(exc))
        else:
            done(f"{view.period} is closed and graded.")


def regrade_section(view: View) -> None:
    """Correct a grade of a closed quarter, with a reason."""
    krs = view.evaluation.key_results()
    if not view.evaluation.closed or not krs:
        return
    with st.container():
        by_id = {k.key_result_id: k for k in krs}
        chosen = st.selectbox(
            "Key result", list(by_id), format_func=lambda i: by_id[i].title, key="regrade_pick"
        )
        kr = by_id[chosen]
        key = f"regrade_{kr.key_result_id}_{kr.grade_version}"
        with st.form(key):
            grade = st.number_input(
                "Grade",
                min_value=0.0,
                max_value=1.0,
                step=0.1,
                value=float(kr.grade or 0.0),
                key=f"{key}_grade",
            )
            reason = st.text_input(
                "Reason", value=kr.grade_reason, max_chars=500, key=f"{key}_reason"
            )
            submitted = st.form_submit_button("Save grade", type="primary")
        if not submitted:
            return
        try:
            with session_scope(engine()) as session:
                override_grade(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    period=view.period,
                    key_result_id=kr.key_result_id,
                    grade=grade,
                    reason=reason,
                    expected_version=kr.grade_version or 1,
                )
        except REFUSALS as exc:
            st.error(problems_text(exc))
        else:
            done(f"Grade of “{kr.title}” saved.")
