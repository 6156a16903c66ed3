"""The Goals page's parts for everyone: the quarter's banner, objectives with their key results,
and what the other goals modules share (the View, labels, value texts, writes). One key result's
detail and the check-in form are in ui/goals_detail.py; the director's forms are in
ui/goals_forms.py and ui/goals_shape.py.

Every part reads through ui/goals_data.py, writes only on an explicit submit through one short
session and a planning function, shows refusals with st.error while keeping what was typed, and
shows people's text as text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import pyarrow as pa
import streamlit as st
from sqlmodel import Session

from planning import i18n
from planning.access.permissions import PermissionDenied, can_check_in
from planning.config import AppConfig
from planning.formatting import format_day, format_entered, format_span_start, percent_held
from planning.i18n import N_, ngettext, pgettext
from planning.i18n import gettext as _
from planning.metrics.completeness import partial_days_text
from planning.okrs.evaluation_results import (
    NO_DATA_YET,
    KrEvaluation,
    ObjectiveEvaluation,
    PeriodEvaluation,
)
from planning.okrs.evaluation_text import format_kr_value
from planning.okrs.goal_rules import GoalError
from planning.palette import STATUS_BADGES, STATUS_ICONS, STATUS_LABELS
from planning.periods import elapsed_days
from planning.store.models import (
    PersonRead,
)
from planning.store.versioning import ConflictError
from ui import goals_data as data
from ui.charts import Chart, draw
from ui.confirm_write import run_write
from ui.data import latest_complete_day
from ui.flash import flash_after_write
from ui.forecast_quality import probability_shown
from ui.goals_charts import progress_spec, progress_text, share
from ui.state import Versions, depends_on, forget_inputs, shared_read
from ui.tables import show_table
from ui.text import escape_markdown

FLASH = "goals_flash"
KR_KEY = "goals_kr"
REFUSALS = (GoalError, PermissionDenied, ConflictError)
KIND_LABELS = {
    "metric": N_("Metric"),
    "guardrail": N_("Guardrail"),
    "milestone": N_("Milestone"),
    "manual": N_("Manual"),
}
WINDOW_LABELS = {
    "period_to_date": N_("Quarter to date"),
    "trailing_7d": N_("Trailing 7 days"),
    "trailing_28d": N_("Trailing 28 days"),
}
DIRECTION_LABELS = {"increase": N_("increase"), "decrease": N_("decrease")}


PAGE_SIZE = 5  # objectives drawn per page
SHOW_LABELS = {
    "all": N_("All objectives"),
    "mine": N_("Mine (objectives or key results I own)"),
    "attention": N_("Needing attention (off track or at risk)"),
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
        """Whether this person sees a key result's check-in form (never in a closed quarter)."""
        return not self.evaluation.closed and can_check_in(self.person, kr.owner_id)


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


def done(message: str) -> None:
    """After a successful write: say so on the next run, refresh the cached reads, re-run."""
    flash_after_write(FLASH, message)


def write_goal(
    call: Callable[[Session], object], message: str, *, forget: tuple[str, ...] = ()
) -> None:
    """Run a goals write in one transaction (`call` returns what it wrote, never None): its
    refusal shown on the form (what was typed kept), or the `forget` widget keys dropped, so a
    create form starts empty again, and done."""
    if run_write(call, refusals=REFUSALS) is not None:
        forget_inputs(forget)
        done(message)


def kr_value(view: View, kr: KrEvaluation, value: float | None) -> str:
    """A key result's value in its unit (money in the team's currency, percent, count)."""
    return format_kr_value(kr, value, currency_symbol=view.symbol)


def quoted(title: str) -> str:
    """A title in the reader's quotation marks (“…”; German „…“)."""
    return _("“{title}”").format(title=title)


def figure(value: float) -> str:
    """A weight or entered value as written ('1.5'; German '1,5')."""
    if i18n.english_formats():
        return f"{value:g}"
    return i18n.decimal_text(float(f"{value:g}"), decimals=6, group=False)


def fixed(value: float, decimals: int) -> str:
    """A grade with a fixed number of decimals ('0.70'; German '0,70')."""
    if i18n.english_formats():
        return f"{value:.{decimals}f}"
    return i18n.fixed_text(value, decimals=decimals)


def status_badge(status: str) -> str:
    """A status as a coloured badge in markdown."""
    return f":{STATUS_BADGES[status]}-badge[{_(STATUS_LABELS[status])}]"


# --- the quarter's goals -----------------------------------------------------------------------


def quarter_banner(view: View) -> None:
    """Where the quarter stands: data freshness and day, or frozen at its close."""
    evaluation = view.evaluation
    if evaluation.closed:
        closed_at = format_day(evaluation.closed_at) if evaluation.closed_at else "?"
        st.info(
            _(
                "{quarter} is closed: closed on {end}, the quarter's end; graded on {graded} by "
                "{director}. Final values and grades as of {as_of}; later data does not change "
                "them."
            ).format(
                quarter=view.period,
                end=format_day(evaluation.last_day, weekday=True),
                graded=closed_at,
                director=evaluation.closed_by or _("a director"),
                as_of=format_day(evaluation.as_of),
            ),
            icon=":material/lock:",
        )
        if evaluation.close_note:
            st.text(_("Closing note: {note}").format(note=evaluation.close_note))
    elif view.today < view.first_day:
        st.caption(
            _("{quarter} starts on {day}; nothing to measure yet.").format(
                quarter=view.period, day=format_day(view.first_day, weekday=True)
            )
        )
    elif latest_complete_day(view.versions) is None:
        # A store without observations has no "data through" day to name, so the day is
        # today's on the calendar (the first day is day 1), not the last day of data's.
        st.caption(
            _(
                "{first} – {last} · no data yet · day {day} of {days} · metric key results "
                "update by themselves once it arrives"
            ).format(
                **_span(view),
                day=elapsed_days(
                    view.period, view.today, view.config.settings.fiscal_year_start_month
                ),
            )
        )
    elif evaluation.as_of < view.first_day:
        st.caption(
            _(
                "{quarter} began on {day}; no data for it yet (data through {as_of}) · metric "
                "key results update by themselves as it arrives"
            ).format(
                quarter=view.period,
                day=format_day(view.first_day, weekday=True),
                as_of=format_day(evaluation.as_of, weekday=True),
            )
        )
    else:
        st.caption(
            _(
                "{first} – {last} · data through **{as_of}**{partial} · day {day} of {days} · "
                "metric key results update by themselves"
            ).format(
                **_span(view),
                as_of=format_day(evaluation.as_of, weekday=True),
                partial=_partial_note(evaluation),
                day=evaluation.elapsed_days,
            )
        )


def _span(view: View) -> dict[str, object]:
    """The quarter's first and last day and its length in days, for the banner's line."""
    return {
        # Escaped: a German day ("1. Okt.") at a line's start would read as a list.
        "first": escape_markdown(format_span_start(view.first_day, view.last_day)),
        "last": format_day(view.last_day),
        "days": view.evaluation.total_days,
    }


def key_result_measures(view: View) -> set[str]:
    """The base measures the quarter's metric key results read."""
    metrics = view.config.metrics
    found: set[str] = set()
    read = {kr.metric_id for kr in view.evaluation.key_results() if kr.metric_id}
    for metric_id in read & set(metrics.metrics):  # once per metric, not per key result
        found.update(metrics.metric_measures(metric_id))
    return found


def _partial_note(evaluation: PeriodEvaluation) -> str:
    """Newer days that do not count yet, after "data through"."""
    if not evaluation.partial_days:
        return ""
    return f" · {partial_days_text(evaluation.partial_days)}"


def target_text(view: View, kr: KrEvaluation) -> str:
    """What a key result aims for: its target, a guardrail's threshold, or "done"."""
    if kr.kind == "guardrail":
        sign = "≥" if kr.rule == "stay_above" else "≤"
        return f"{sign} {kr_value(view, kr, kr.threshold)}"
    if kr.kind == "milestone":
        return _("done")
    return kr_value(view, kr, kr.target)


def current_text(view: View, kr: KrEvaluation) -> str:
    """Where a key result stands now, with a guardrail's days in breach."""
    if kr.kind == "milestone":
        return _("done") if kr.done else _("not done")
    if kr.current is None and kr.no_progress_reason:
        return kr.no_progress_reason
    text = kr_value(view, kr, kr.current)
    verdict = guardrail_verdict(kr)
    return f"{text} · {verdict}" if verdict else text


def guardrail_verdict(kr: KrEvaluation) -> str | None:
    """A guardrail's "held" or "breached", with its days in breach; None for other kinds."""
    if kr.kind != "guardrail" or kr.met is None:
        return None
    # Judged on the window's value; the days count those on which that value was breached.
    days = kr.days_in_breach or 0
    in_breach = ngettext("{count} day in breach", "{count} days in breach", days).format(count=days)
    if kr.met:
        return _("held ({days})").format(days=in_breach) if days else _("held")
    return _("breached ({days})").format(days=in_breach)


# Every column has a fixed width and together they fit the 872 px a 1,366 px screen leaves beside
# the sidebar, open or closed quarter, so Forecast and Probability are always in view; the start
# value is in the key result's detail, and the reasons ("Why") are read in full under the table,
# where they wrap, rather than cut off in a cell (as are the titles, also on the chart above).
# Probability's heading has a short form for languages whose word would not fit its column.
def kr_table_widths() -> dict[str, Any]:
    """The key result table's column widths, by its headings in the reader's language."""
    return {
        _("Key result"): st.column_config.TextColumn(width=150),
        _("Status"): st.column_config.TextColumn(width=95),
        **{
            _(name): st.column_config.TextColumn(width=72)
            for name in (
                N_("Current"),
                N_("Final"),
                N_("Target"),
                N_("Progress"),
                N_("Expected"),
                N_("Forecast"),
            )
        },
        _("Probability"): st.column_config.TextColumn(pgettext("column", "Probability"), width=80),
        _("Suggested grade"): st.column_config.NumberColumn(width=65),
        _("Grade"): st.column_config.NumberColumn(width=55),
        _("Grade reason"): st.column_config.TextColumn(width=100),
        _("Owner"): st.column_config.TextColumn(width=95),
        _("Confidence"): st.column_config.TextColumn(width=80),
    }


def kr_reasons(krs: Sequence[KrEvaluation]) -> str:
    """Why each key result has its status, one wrapped line per key result, as Markdown."""
    lines = [
        f"- {STATUS_ICONS[kr.status]} **{escape_markdown(kr.title)}**: "
        f"{escape_markdown(kr.status_reason)}"
        for kr in krs
        if kr.status_reason
    ]
    return "**" + _("Why") + "**\n\n" + "\n".join(lines) if lines else ""


def kr_table(view: View, krs: Sequence[KrEvaluation]) -> pa.Table:
    """One row per key result with what the owner and the director look at."""
    rows = []
    for kr in krs:
        # Forecast and Probability come before the owner's columns; a closed quarter shows final
        # values and grades instead. Why is under the table (kr_reasons).
        row: dict[str, Any] = {
            _("Key result"): kr.title,
            _("Status"): f"{STATUS_ICONS[kr.status]} {_(STATUS_LABELS[kr.status])}",
            _("Current") if not view.evaluation.closed else _("Final"): current_text(view, kr),
            _("Target"): target_text(view, kr),
            _("Progress"): progress_text(kr),
        }
        if view.evaluation.closed:
            row[_("Suggested grade")] = kr.suggested_grade
            row[_("Grade")] = kr.grade
            row[_("Grade reason")] = kr.grade_reason
        else:
            row[_("Expected")] = share(kr.expected)
            # The value only: its 80 % band is in the key result's detail below.
            row[_("Forecast")] = kr_value(view, kr, kr.forecast) if kr.forecast is not None else "—"
            row[_("Probability")] = probability_shown(kr)
        row[_("Owner")] = kr.owner
        row[_("Confidence")] = ("—" if kr.confidence is None else f"{kr.confidence}/10") + (
            " " + _("⚠ gap") if kr.gap_flagged else ""
        )
        rows.append(row)
    return pa.Table.from_pylist(rows)  # straight to Arrow: st.dataframe then converts nothing


@dataclass(frozen=True)
class ObjectiveShown:
    """One objective's block as drawn: written once per data version and language."""

    title: str  # escaped for markdown
    text: str  # the status badge, the facts, the description and what is counted here
    empty: str | None  # the caption of an objective without key results of its own
    chart: Chart | None
    table: pa.Table | None
    reasons: str


def objective_shown(view: View, objective: ObjectiveEvaluation) -> ObjectiveShown:
    """An objective's block: status, roll-up, progress chart with pace ticks, its key results."""
    progress = _(NO_DATA_YET) if objective.progress is None else share(objective.progress)
    facts = [
        _("Owner {owner}").format(owner=objective.owner),
        _("progress {progress}").format(progress=progress),
        _("weight {weight}").format(weight=figure(objective.weight)),
    ]
    if not view.evaluation.closed:
        facts.insert(2, _("expected by now {expected}").format(expected=share(objective.expected)))
    if objective.grade is not None:
        facts.append(_("grade {grade}").format(grade=fixed(objective.grade, 2)))
    parents = [p.title for p in objective.parents] or (
        [objective.parent_title] if objective.parent_title else []
    )
    if parents:
        facts.append(
            _("aligned to {objectives}").format(objectives=", ".join(quoted(t) for t in parents))
        )
    # One element for the badge, the facts and the description keeps a page of objectives
    # quick to redraw.
    if objective.status_reason:
        facts.insert(0, objective.status_reason)
    facts_text = percent_held(escape_markdown(" · ".join(facts)))
    text = f"{status_badge(objective.status)} :gray[{facts_text}]"
    if objective.description:
        text += "\n\n" + escape_markdown(objective.description).replace("\n", "  \n")
    if objective.contributions:
        counted = "; ".join(
            _("{key_result} of “{objective}” (weight {weight}, {status})").format(
                key_result=escape_markdown(c.title),
                objective=escape_markdown(c.objective_title),
                weight=format_entered(c.weight),
                status=_(STATUS_LABELS.get(c.status, "Too early")),
            )
            for c in objective.contributions
        )
        text += "\n\n:gray[" + _("Also counted here: {counted}").format(counted=counted) + "]"
    title = escape_markdown(objective.title)
    if not objective.key_results:
        empty = (
            _("No key results of its own: the key results counted here measure it.")
            if objective.contributions
            else _("No key results yet.")
        )
        return ObjectiveShown(title, text, empty, chart=None, table=None, reasons="")
    return ObjectiveShown(
        title,
        text,
        None,
        chart=progress_spec(objective.key_results),
        table=kr_table(view, objective.key_results),
        reasons=kr_reasons(objective.key_results),
    )


@depends_on(*data.EVALUATION)
@shared_read(ttl=data.TTL, max_entries=data.ENTRIES)
def objective_page(
    versions: Versions,
    period: str,
    today: date,
    objective_ids: tuple[int, ...],
    language: str,
    _view: View,
) -> tuple[ObjectiveShown, ...]:
    """The blocks of a page of the quarter's objectives, written once per data version and
    `language` (i18n.locale_key) rather than on every rerun. `_view` is the reader's view of
    that quarter; what the blocks show depends only on the key (its evaluation is read by the
    same versions, period, day and language; the currency is the team's)."""
    del versions, period, today
    with i18n.use_locale_key(language):
        found = {o.objective_id: o for o in _view.evaluation.objectives}
        return tuple(objective_shown(_view, found[oid]) for oid in objective_ids)


@depends_on(*data.EVALUATION)
@shared_read(ttl=data.TTL, max_entries=data.ENTRIES)
def kr_labels(
    versions: Versions, period: str, today: date, language: str, _view: View
) -> Mapping[int, str]:
    """Each key result of the quarter as its picker names it ("objective › key result"), by id,
    in the quarter's order; once per data version (`_view`: as for objective_page)."""
    del versions, period, today, language
    evaluation = _view.evaluation
    titles = {o.objective_id: o.title for o in evaluation.objectives}
    return MappingProxyType(
        {
            kr.key_result_id: f"{titles[kr.objective_id]} › {kr.title}"
            for kr in evaluation.key_results()
        }
    )


def objective_block(shown: ObjectiveShown, widths: dict[str, Any]) -> None:
    """An objective: status, roll-up, progress chart with pace ticks, and its key results
    (`widths`: kr_table_widths, made once for a page of blocks; st.dataframe copies them)."""
    with st.container(border=True):
        st.subheader(shown.title)
        st.markdown(shown.text)
        if shown.empty is not None:
            st.caption(shown.empty)
            return
        if shown.chart is not None:
            draw(shown.chart)
        show_table(shown.table, widths, wrap=True)  # long key result names wrap, not cut
        if shown.reasons:
            st.markdown(shown.reasons)
