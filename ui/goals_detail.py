"""The Goals page's detail of one key result: what it is, its figures, chart, check-ins and
linked initiatives, and the check-in form for its owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pyarrow as pa
import streamlit as st

from planning import clock, i18n
from planning.config.metrics import MetricsConfig
from planning.i18n import N_, pgettext
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import KrEvaluation
from planning.okrs.goal_rules import NOTE_MAX
from planning.okrs.goals import post_check_in
from planning.work.initiative_status import HEALTH_LABELS, status_label
from ui import goals_data as data
from ui import grid_formats
from ui.charts import Chart, draw
from ui.forecast_quality import probability_shown
from ui.goals_charts import progress_text, share
from ui.goals_view import (
    DIRECTION_LABELS,
    WINDOW_LABELS,
    View,
    current_text,
    figure,
    fixed,
    guardrail_verdict,
    kr_value,
    status_badge,
    target_text,
    write_goal,
)
from ui.number_entry import number_field, read_numbers
from ui.state import Versions, shared_read
from ui.tables import show_table
from ui.text import escape_markdown

# How a key result of each kind is described in its detail ("Metric key result · owner …").
KIND_DESCRIPTIONS = {
    "metric": N_("Metric key result"),
    "guardrail": N_("Guardrail key result"),
    "milestone": N_("Milestone key result"),
    "manual": N_("Manual key result"),
}


def _forecast_text(view: View, kr: KrEvaluation) -> str:
    if kr.forecast is None:
        return "—"
    if kr.forecast_low is None or kr.forecast_high is None or kr.forecast_low == kr.forecast_high:
        return kr_value(view, kr, kr.forecast)
    return (
        f"{kr_value(view, kr, kr.forecast)} ({kr_value(view, kr, kr.forecast_low)} – "
        f"{kr_value(view, kr, kr.forecast_high)})"
    )


def _start_text(view: View, kr: KrEvaluation) -> str:
    if kr.kind == "milestone":
        return _("not done")
    return kr_value(view, kr, kr.start)


def _day(day: Any) -> str:
    """A date as the tables write it; a dash when there is none (not the grid's "None")."""
    return "—" if day is None else f"{day:%Y-%m-%d}"


def _describe(kr: KrEvaluation, metrics: MetricsConfig) -> str:
    kind = KIND_DESCRIPTIONS.get(kr.kind)
    parts = [_(kind) if kind else kr.kind, _("owner {owner}").format(owner=kr.owner)]
    if kr.metric_id:
        parts.append(kr.metric_label)
        if kr.filters:
            parts.append(metrics.filters_text(kr.filters))
        window = _(WINDOW_LABELS[kr.window]) if kr.window in WINDOW_LABELS else kr.window
        # English writes the window in lower case mid-sentence; German keeps its nouns capital.
        parts.append(window.lower() if i18n.language() == i18n.SOURCE_LANGUAGE else window)
    if kr.direction:
        parts.append(_(DIRECTION_LABELS.get(kr.direction, kr.direction)))
    if kr.status_reason:
        parts.append(kr.status_reason)
    return " · ".join(parts)


RAW_PROGRESS = N_("Raw: beyond 100 % is overachievement.")
FIGURES_PER_ROW = 4


@dataclass(frozen=True)
class Figure:
    """One of the key result's figures (st.metric's arguments)."""

    label: str
    value: str
    help: str | None = None
    delta: str | None = None
    delta_color: Literal["normal", "inverse", "off"] = "normal"
    delta_arrow: Literal["auto", "up", "down", "off"] = "auto"


def _numbers(view: View, kr: KrEvaluation) -> tuple[Figure, ...]:
    """The key result's figures in a row: start, now, target and progress, and while the quarter
    runs its expectation, forecast and probability (a closed quarter is history: its final
    values, no forecast or chance)."""
    closed = view.evaluation.closed
    # A figure's value is drawn on one line and cut off where its column ends, so a sentence
    # (no data yet) reads as a dash with the sentence on hover (the caption above says it too),
    # and a guardrail's verdict goes under its value.
    reason = kr.no_progress_reason
    if kr.current is None and reason:
        now = Figure(_("Final") if closed else _("Current"), "—", help=reason)
    elif kr.kind == "guardrail":
        now = Figure(
            _("Final") if closed else _("Current"),
            kr_value(view, kr, kr.current),
            delta=guardrail_verdict(kr),
            delta_color="normal" if kr.met else "inverse",
            delta_arrow="off",
        )
    else:
        now = Figure(_("Final") if closed else _("Current"), current_text(view, kr))
    figures = (
        Figure(_("Start"), _start_text(view, kr)),
        now,
        Figure(_("Target"), target_text(view, kr)),
        Figure(_("Progress"), "—", help=reason)
        if reason
        else Figure(_("Progress"), progress_text(kr), help=_(RAW_PROGRESS)),
    )
    if closed:
        return figures
    gap = " · " + _("gap") if kr.gap_flagged else ""
    return (
        *figures,
        Figure(_("Expected by now"), share(kr.expected)),
        Figure(
            _("Forecast"),
            kr_value(view, kr, kr.forecast) if kr.forecast is not None else "—",
            help=_("80 % band: {band}").format(band=_forecast_text(view, kr))
            if kr.forecast is not None
            else None,
        ),
        Figure(
            _("Probability"),
            probability_shown(kr),
            delta=(
                _("owner {confidence}/10").format(confidence=kr.confidence) + gap
                if kr.confidence is not None
                else None
            ),
            delta_color="inverse" if kr.gap_flagged else "off",
            delta_arrow="off",
        ),
    )


@dataclass(frozen=True)
class KrShown:
    """A key result's detail as drawn, but for its check-in form."""

    caption: str
    figures: tuple[Figure, ...]
    grade: str | None  # a closed quarter's grade, with the suggested one
    grade_reason: str | None
    chart: Chart | None  # while the quarter runs
    history: pa.Table | None  # its check-ins, newest first
    linked: pa.Table | None  # the initiatives linked to it


@shared_read(ttl=data.TTL, max_entries=data.ENTRIES)
def kr_shown(
    versions: Versions,
    period: str,
    today: date,
    key_result_id: int,
    language: str,
    _view: View,
    _kr: KrEvaluation,
) -> KrShown:
    """A key result's detail, written once per data version and `language` (i18n.locale_key)
    rather than on every rerun. `_view` and `_kr` are the reader's view of that quarter and the
    key result in it: read by the same versions, period, day and language."""
    view, kr = _view, _kr
    with i18n.use_locale_key(language):
        caption = f"{status_badge(kr.status)} {escape_markdown(_describe(kr, view.config.metrics))}"
        grade: str | None = None
        reason: str | None = None
        chart: Chart | None = None
        if view.evaluation.closed:
            suggested = "—" if kr.suggested_grade is None else fixed(kr.suggested_grade, 1)
            graded = "—" if kr.grade is None else fixed(kr.grade, 1)
            grade = _("Grade {grade} (suggested {suggested})").format(
                grade=graded, suggested=suggested
            )
            if kr.grade_reason:
                reason = _("Reason: {reason}").format(reason=kr.grade_reason)
        else:
            chart = data.detail_chart(versions, period, today, key_result_id, language)
        return KrShown(
            caption=caption,
            figures=_numbers(view, kr),
            grade=grade,
            grade_reason=reason,
            chart=chart,
            history=_history_table(versions, key_result_id),
            linked=_linked_table(versions, key_result_id),
        )


def _titled_table(title: str, table: pa.Table | None, empty: str, columns: dict[str, Any]) -> None:
    """A bold title over a read-only table, or over `empty` when there are no rows."""
    st.markdown("**" + title + "**")
    if table is None:
        st.caption(empty)
    else:
        show_table(table, columns)


def kr_detail(view: View, kr: KrEvaluation) -> None:
    """A key result's numbers, chart, check-ins, linked initiatives and check-in form."""
    shown = kr_shown(
        view.versions,
        view.period,
        view.today,
        kr.key_result_id,
        i18n.locale_key(),
        _view=view,
        _kr=kr,
    )
    st.caption(shown.caption)
    # Four to a row: seven in one row cut a German "6,66 Mio. €" to "6,66 …" at 1,366 px.
    for first in range(0, len(shown.figures), FIGURES_PER_ROW):
        row = shown.figures[first : first + FIGURES_PER_ROW]
        for column, figure_ in zip(st.columns(FIGURES_PER_ROW), row, strict=False):
            column.metric(
                figure_.label,
                figure_.value,
                figure_.delta,
                figure_.delta_color,
                help=figure_.help,
                delta_arrow=figure_.delta_arrow,
            )
    if shown.grade is not None:
        st.caption(shown.grade)
        if shown.grade_reason is not None:
            st.text(shown.grade_reason)
    elif shown.chart is not None:
        draw(shown.chart)
    # One under the other, each across the page: side by side, neither fit without scrolling.
    _titled_table(
        _("Check-ins"),
        shown.history,
        _("No check-in yet."),
        {
            _("When"): st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm" if i18n.english_formats() else "DD.MM.YYYY HH:mm"
            ),
            _("Note"): st.column_config.TextColumn(width="large"),
        },
    )
    _titled_table(
        _("Linked initiatives"),
        shown.linked,
        _("No initiative is linked to this key result."),
        {
            _("Done"): st.column_config.ProgressColumn(
                min_value=0, max_value=100, format=grid_formats.whole_percent("%d%%")
            )
        },
    )
    if view.can_check_in(kr):
        check_in_form(view, kr)


def _history_table(versions: Versions, key_result_id: int) -> pa.Table | None:
    """A key result's check-ins as its table, or None without any."""
    history = data.check_ins(versions, key_result_id)
    if not history:
        return None
    yes, no = _("yes"), _("no")
    return pa.table(
        {
            _("When"): [clock.local(h.created_at) for h in history],
            _("Who"): [h.author for h in history],
            _("Confidence"): [f"{h.confidence}/10" for h in history],
            _("Value"): ["" if h.value is None else figure(h.value) for h in history],
            _("Done"): ["" if h.done is None else (yes if h.done else no) for h in history],
            _("Note"): [h.note for h in history],
        }
    )


def _linked_table(versions: Versions, key_result_id: int) -> pa.Table | None:
    """The initiatives linked to a key result as their table, or None without any."""
    linked = data.linked_initiatives(versions, key_result_id)
    if not linked:
        return None
    return pa.table(
        {
            _("Initiative"): [i.title for i in linked],
            _("Owner"): [i.owner for i in linked],
            _("Status"): [_(status_label(i.status)) for i in linked],
            _("Health"): [_(HEALTH_LABELS.get(i.health, i.health)) for i in linked],
            _("Done"): [i.percent_complete for i in linked],
            pgettext("date", "Target"): [_day(i.target_date) for i in linked],
            _("Shipped"): [_day(i.shipped_date) for i in linked],
        }
    )


def check_in_form(view: View, kr: KrEvaluation) -> None:
    """Confidence, a note, and the value (manual) or the done tick (milestone)."""
    key = f"check_in_{kr.key_result_id}"
    with st.form(key):
        st.markdown("**" + _("Check in") + "**")
        confidence = st.slider(
            _("Confidence that it lands (0–10)"),
            0,
            10,
            value=kr.confidence if kr.confidence is not None else 5,
            key=f"{key}_confidence",
        )
        note = st.text_area(
            _("Note"),
            max_chars=NOTE_MAX,
            placeholder=_("What moved since last week, what is in the way."),
            key=f"{key}_note",
        )
        value = None
        finished = None
        if kr.kind == "manual":
            value = number_field(
                _("Current value") + (f" ({kr.unit})" if kr.unit else ""),
                value=None,
                key=f"{key}_value",
            )
        if kr.kind == "milestone":
            finished = st.checkbox(_("Done"), value=bool(kr.done), key=f"{key}_done")
        submitted = st.form_submit_button(_("Post check-in"), type="primary")
    if not submitted or view.person is None:
        return
    typed = read_numbers({"value": value})
    if typed is None:
        return
    actor = view.person
    write_goal(
        lambda session: post_check_in(
            session=session,
            actor=actor,
            key_result_id=kr.key_result_id,
            confidence=confidence,
            note=note,
            value=typed["value"],
            done=finished,
        ),
        _("Check-in posted on “{title}”.").format(title=escape_markdown(kr.title)),
        forget=tuple(f"{key}_{field}" for field in ("confidence", "note", "value", "done")),
    )
