"""Cached reads for the Roadmap page (the pattern of ui/data.py): the filtered roadmap, the
quarters to offer, a page of swimlanes ready to draw and the Now / Next / Later board.

Each function takes the store's data versions first, so a write makes the next call fresh: any
write but a status update that changes nothing but its note (planning.store.engine STATE_AREAS),
which the Roadmap does not draw.
Lanes and board come back with their tables in Arrow form (ui/arrow.py), so a warm rerun only
draws them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import i18n
from planning.formatting import format_day, percent_held
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import NO_DATA_YET, KrEvaluation, ObjectiveEvaluation
from planning.okrs.evaluation_text import format_kr_value, reason_text
from planning.palette import STATUS_ICONS, STATUS_LABELS
from planning.reports import roadmap_dependencies
from planning.reports.chart_specs import time_domain
from planning.store.engine import STATE_AREAS
from planning.work import roadmap
from planning.work.initiative_status import status_label
from ui import arrow, dependencies_view, goals_data
from ui.charts import Chart
from ui.goals_charts import progress_text, share
from ui.roadmap_chart import lane_spec
from ui.state import Versions, app_config, depends_on, read_session, shared_read
from ui.text import escape_markdown

TTL = 600
ENTRIES = 64


@depends_on(*STATE_AREAS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def quarters(versions: Versions, today: date) -> list[str]:
    """Quarters the roadmap can be filtered to."""
    del versions
    with read_session() as session:
        return roadmap.roadmap_quarters(
            session=session,
            today=today,
            fiscal_start_month=app_config().settings.fiscal_year_start_month,
        )


@depends_on(*STATE_AREAS)
@shared_read(ttl=TTL, max_entries=ENTRIES)
def items(versions: Versions, filters: roadmap.RoadmapFilters, today: date) -> pd.DataFrame:
    """The initiatives the filters keep, lane by lane (see planning.work.roadmap.roadmap_items)."""
    del versions
    with read_session() as session:
        return roadmap.roadmap_items(
            session=session,
            filters=filters,
            today=today,
            fiscal_start_month=app_config().settings.fiscal_year_start_month,
        )


@depends_on(*STATE_AREAS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def csv_export(versions: Versions, filters: roadmap.RoadmapFilters, today: date) -> str:
    """The CSV of exactly the rows the filters keep."""
    return roadmap.export_csv(items(versions, filters, today))


@dataclass(frozen=True)
class Lane:
    """One swimlane as drawn: an objective (None: work without one), its timeline, the work not
    yet dated, and the objective's standing with a table of its key results."""

    objective_id: int | None
    title: str
    spec: Chart | None
    undated: str | None
    standing: str | None
    key_results: pa.Table | None
    waits: str | None = None  # what the lane's work waits on, in words


@dataclass(frozen=True)
class LanePage:
    """The lanes of one page of the timeline, and how many pages there are."""

    pages: int
    lanes: list[Lane]


@dataclass(frozen=True)
class BoardColumn:
    """One Now / Next / Later column: how many items, and its table (None when empty)."""

    horizon: str
    count: int
    rows: pa.Table | None


def _lane_ids(frame: pd.DataFrame) -> list[int | None]:
    """Each row's lane: its objective id as an int, or None."""
    return [None if pd.isna(v) else int(v) for v in frame["objective_id"]]


def _rows_of(frame: pd.DataFrame, lane_of: list[int | None], lane: int | None) -> pd.DataFrame:
    return frame[[found == lane for found in lane_of]]


def _standing(objective: ObjectiveEvaluation) -> str:
    """The objective's status, progress against pace, reason and quarter, as Markdown whose
    percentages keep their sign on their figure's line."""
    status = _(STATUS_LABELS.get(objective.status, objective.status))
    progress = _(NO_DATA_YET) if objective.progress is None else share(objective.progress)
    return percent_held(
        f"{STATUS_ICONS.get(objective.status, '')} **{status}** · "
        + _("progress {progress} (expected by now {expected})").format(
            progress=progress, expected=share(objective.expected)
        )
        + " · "
        + (
            f"{escape_markdown(reason_text(objective.status_reason))} · "
            if objective.status_reason
            else ""
        )
        + escape_markdown(objective.period)
    )


def _values(kr: KrEvaluation, symbol: str) -> tuple[str, str, str]:
    """A key result's start, current and target as its metric's unit reads them."""
    if kr.kind == "milestone":
        done, not_done = _("done"), _("not done")
        return not_done, done if kr.done else not_done, done
    target = kr.threshold if kr.kind == "guardrail" else kr.target
    return tuple(  # type: ignore[return-value]
        format_kr_value(kr, value, currency_symbol=symbol)
        for value in (kr.start, kr.current, target)
    )


def _key_results(objective: ObjectiveEvaluation) -> pa.Table:
    symbol = app_config().settings.currency_symbol
    rows = []
    for kr in objective.key_results:
        start, current, target = _values(kr, symbol)
        rows.append(
            {
                "key_result": kr.title,
                "values": f"{start} → {current} → {target}",
                # The bar is clamped to 0–100 %; the figure beside it is the raw progress.
                "bar": (
                    None if kr.progress is None else round(100 * min(max(kr.progress, 0.0), 1.0))
                ),
                "progress": progress_text(kr),
                "status": (
                    f"{STATUS_ICONS.get(kr.status, '')} "
                    + (_(STATUS_LABELS[kr.status]) if kr.status in STATUS_LABELS else "")
                ),
            }
        )
    columns = ["key_result", "values", "bar", "progress", "status"]
    return arrow.table(pd.DataFrame(rows, columns=columns))


@depends_on(*STATE_AREAS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def lane_page(
    versions: Versions,
    filters: roadmap.RoadmapFilters,
    today: date,
    page: int,
    per_page: int,
    language: str = "",
) -> LanePage:
    """One page of swimlanes, in the order the roadmap lists them; every lane shares one time
    axis, and only the lanes on the page are built. `language` (i18n.locale_key) keys the cache:
    the lanes' words are in the reader's language."""
    found = items(versions, filters, today)
    lane_of = _lane_ids(found)
    order = list(dict.fromkeys(lane_of))
    pages = max(1, -(-len(order) // per_page))
    page = min(max(1, page), pages)
    wanted = order[(page - 1) * per_page : page * per_page]
    dated = roadmap.timeline_items(found)
    domain = time_domain(dated, today) if not dated.empty else None
    dated_lane = _lane_ids(dated)
    waits = dependencies_view.waits(versions)
    evaluated: dict[int, ObjectiveEvaluation] = {}
    on_page = set(wanted)
    shown = found[[lane in on_page for lane in lane_of]]
    for period, part in shown.dropna(subset=["objective_period"]).groupby("objective_period"):
        ids = tuple(sorted({int(i) for i in part["objective_id"]}))
        for found_objective in goals_data.objective_goals(
            versions, str(period), today, ids
        ).objectives:
            evaluated[found_objective.objective_id] = found_objective
    lanes: list[Lane] = []
    for lane in wanted:
        part = _rows_of(found, lane_of, lane)
        bars = roadmap_dependencies.with_waits(_rows_of(dated, dated_lane, lane), waits)
        undated = part[part["start_date"].isna() | part["end_date"].isna()]
        objective = evaluated.get(lane) if lane is not None else None
        lanes.append(
            Lane(
                objective_id=lane,
                title=_(roadmap.NO_OBJECTIVE) if lane is None else str(part["objective"].iloc[0]),
                spec=(
                    lane_spec(bars, domain=domain, today=today)
                    if domain is not None and not bars.empty
                    else None
                ),
                undated=(
                    ", ".join(
                        f"{t} ({_(status_label(s))})"
                        for t, s in zip(undated["title"], undated["status"], strict=True)
                    )
                    if not undated.empty
                    else None
                ),
                standing=_standing(objective) if objective is not None else None,
                waits=roadmap_dependencies.lane_text(bars),
                key_results=(
                    _key_results(objective)
                    if objective is not None and objective.key_results
                    else None
                ),
            )
        )
    return LanePage(pages=pages, lanes=lanes)


@depends_on(*STATE_AREAS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def board_columns(
    versions: Versions, filters: roadmap.RoadmapFilters, today: date, language: str = ""
) -> list[BoardColumn]:
    """The Now / Next / Later board: each column's rows (health, initiative, date, owner), its
    dates in the reader's formats (`language`: i18n.locale_key, for the cache)."""
    columns: list[BoardColumn] = []
    for name, part in roadmap.board(items(versions, filters, today)).items():
        if part.empty:
            columns.append(BoardColumn(horizon=name, count=0, rows=None))
            continue
        when = part[roadmap.board_date(name)]
        rows = pd.DataFrame(
            {
                "health": [STATUS_ICONS.get(h, "") for h in part["health"]],
                "initiative": part["title"],
                "when": [_day_text(d) for d in when],
                "owner": part["owner"],
            }
        )
        columns.append(BoardColumn(horizon=name, count=len(part), rows=arrow.table(rows)))
    return columns


def _day_text(day: object) -> str:
    """A board date as a reader writes it (3 Dec 2026; German 3. Dez. 2026), or "not dated"."""
    if day is None or pd.isna(day):
        return _("not dated")
    shown = pd.Timestamp(day)
    if not i18n.english_formats():
        return format_day(shown.date())
    return f"{shown.day} {shown:%b %Y}"


@depends_on(*STATE_AREAS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def counts(versions: Versions, filters: roadmap.RoadmapFilters, today: date) -> tuple[int, int]:
    """How many initiatives the filters keep, and how many of them are on the timeline."""
    found = items(versions, filters, today)
    return len(found), len(roadmap.timeline_items(found))


@dataclass(frozen=True)
class RoadmapView:
    """Everything the Roadmap draws for one filter and timeline page, read in one cached call
    (each cached call hashes its arguments, and a page of lanes needs several reads)."""

    shown: int
    drawn: int
    timeline: LanePage
    board: list[BoardColumn]


# Shared, not copied per run: at ten times the data the board alone holds thousands of rows.
@depends_on(*STATE_AREAS)
@shared_read(ttl=TTL, max_entries=ENTRIES)
def view(
    versions: Versions,
    filters: roadmap.RoadmapFilters,
    today: date,
    page: int,
    per_page: int,
    language: str = "",
) -> RoadmapView:
    """The counts, one page of swimlanes and the Now / Next / Later board (`language`:
    i18n.locale_key, so each language and format has its own cached view)."""
    shown, drawn = counts(versions, filters, today)
    return RoadmapView(
        shown=shown,
        drawn=drawn,
        timeline=lane_page(versions, filters, today, page, per_page, language),
        board=board_columns(versions, filters, today, language),
    )
