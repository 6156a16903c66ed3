"""What is taken into the meeting: the Goals page, the roadmap (timeline and board) and the impact
ledger as PNG, SVG or PDF.

Charts are the pages' own Vega-Lite specs (planning/reports/chart_specs.py) rendered by
vl-convert, which carries Vega itself, so an export needs no browser and no network. PNG and SVG
hold one figure (the charts one above the other, each titled); a PDF is a report: for Goals a
cover and one page per objective (its status, its key results with start, current, target and
progress, its chart and its initiatives), for the roadmap a page per swimlane and one for the
board, for the ledger its chart and its table. Status is always written out beside its colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session

from planning import i18n
from planning.config import AppConfig
from planning.i18n import gettext as _
from planning.impact.ledger import (
    ImpactEntry,
    impact_ledger,
)
from planning.okrs import goal_reads
from planning.okrs.evaluation import period_goals
from planning.okrs.evaluation_results import KrEvaluation, ObjectiveEvaluation, PeriodEvaluation
from planning.okrs.evaluation_text import format_kr_value
from planning.palette import STATUS_LABELS
from planning.periods import PeriodOutOfRange, format_quarter, parse_quarter
from planning.reports.chart_specs import (
    ChartSpec,
    lane_spec,
    ledger_chart,
    ledger_points,
    progress_spec,
    share,
    time_domain,
)
from planning.work import roadmap
from planning.work.initiative_status import HEALTH_LABELS, status_label

FORMATS: tuple[str, ...] = ("pdf", "png", "svg")
VIEWS: tuple[str, ...] = ("goals", "roadmap", "impact")
MIME: dict[str, str] = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}
FIGURE_WIDTH = 900  # px of a chart's plot; PNGs are drawn at twice that for slides
PNG_SCALE = 2


class ExportError(ValueError):
    """An export that cannot be made (unknown format or quarter, nothing to show)."""


def check_format(fmt: str) -> str:
    """The format, lower-cased, or ExportError naming the ones there are."""
    wanted = fmt.strip().lower()
    if wanted not in FORMATS:
        raise ExportError(
            _("unknown format {format}: use one of {formats}").format(
                format=repr(fmt), formats=", ".join(FORMATS)
            )
        )
    return wanted


def file_name(view: str, scope: str, fmt: str) -> str:
    """The name a download is saved under, e.g. goals-2026-Q4.pdf."""
    return f"{view}-{scope}.{fmt}"


# --- charts ------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    """A cell as JSON: dates as ISO text, missing values as null."""
    if isinstance(value, date):
        return value.isoformat()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def inline(
    chart: ChartSpec, *, title: str | None = None, width: int = FIGURE_WIDTH
) -> dict[str, Any]:
    """The chart as a self-contained spec: its rows written in, a fixed width and a title."""
    rows = [
        {key: _json_value(value) for key, value in record.items()}
        for record in chart.rows.to_dict("records")
    ]
    spec = {key: value for key, value in chart.spec.items() if key != "$schema"}
    spec = {"data": {"values": rows}, **spec, "width": width}
    if title:
        spec["title"] = {"text": title, "anchor": "start", "fontSize": 15}
    return spec


def figure(parts: Sequence[dict[str, Any]], *, title: str, description: str) -> dict[str, Any]:
    """Several inline specs one above the other under one title, described for screen readers."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": title, "anchor": "start", "fontSize": 20},
        "description": description,
        "vconcat": list(parts),
        "spacing": 28,
        # One label column for every part, so the timelines of all lanes line up.
        "config": {"font": "sans-serif", "view": {"stroke": None}, "axisY": {"minExtent": 330}},
    }


def render(spec: dict[str, Any], fmt: str) -> bytes:
    """A Vega-Lite spec drawn as PNG (at twice its size) or SVG."""
    import vl_convert  # loaded on the first export, not with the pages

    if fmt == "png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=PNG_SCALE))
    if fmt == "svg":
        return str(vl_convert.vegalite_to_svg(spec)).encode("utf-8")
    raise ExportError(_("a chart is drawn as png or svg, not {format}").format(format=repr(fmt)))


def _text_chart(title: str, lines: Sequence[str], *, width: int) -> dict[str, Any]:
    """A titled column of text lines (a board column), drawn as a chart so it sits in a figure."""
    values = [{"i": i, "line": line} for i, line in enumerate(lines or [_("Nothing here.")])]
    return {
        "title": {"text": title, "anchor": "start", "fontSize": 14},
        "data": {"values": values},
        "mark": {"type": "text", "align": "left", "baseline": "middle", "limit": width - 8},
        "encoding": {
            "y": {"field": "i", "type": "ordinal", "axis": None},
            "x": {"value": 0},
            "text": {"field": "line", "type": "nominal"},
        },
        "width": width,
        "height": {"step": 20},
    }


# --- Goals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitiativeLine:
    """An initiative linked to an objective's key results, as a report lists it."""

    title: str
    owner: str
    status: str
    health: str
    percent_complete: int
    when: str


@dataclass(frozen=True)
class ObjectiveReport:
    """One objective of the report: its evaluation and the initiatives that move it."""

    objective: ObjectiveEvaluation
    initiatives: tuple[InitiativeLine, ...]


@dataclass(frozen=True)
class QuarterReport:
    """A quarter's goals as the report shows them."""

    period: str
    evaluation: PeriodEvaluation
    objectives: tuple[ObjectiveReport, ...]
    currency_symbol: str


def day_text(day: date | None) -> str:
    """A day as a reader writes it (3 Dec 2026; in German 3. Dez. 2026), or "not dated"."""
    if day is None:
        return _("not dated")
    return f"{day.day} {day:%b %Y}" if i18n.english_formats() else i18n.date_text(day)


def _initiative_when(item: goal_reads.LinkedInitiative) -> str:
    if item.shipped_date is not None:
        return _("shipped {day}").format(day=day_text(item.shipped_date))
    return _("target {day}").format(day=day_text(item.target_date))


def check_period(period: str) -> str:
    """The quarter written as 2026-Q4, or ExportError saying how to write one."""
    try:
        return format_quarter(*parse_quarter(period.strip()))
    except (ValueError, PeriodOutOfRange) as exc:
        raise ExportError(str(exc)) from None


def quarter_report(
    *, session: Session, config: AppConfig, period: str, today: date
) -> QuarterReport:
    """A quarter's objectives with their key results and linked initiatives; ExportError when
    the quarter is malformed or has no objective."""
    period = check_period(period)
    evaluation = period_goals(session=session, config=config, period=period, today=today)
    if not evaluation.objectives:
        raise ExportError(_("{period} has no objectives to report on").format(period=period))
    objectives = []
    for objective in evaluation.objectives:
        seen: dict[int, InitiativeLine] = {}
        for kr in objective.key_results:
            for item in goal_reads.linked_initiatives(
                session=session, key_result_id=kr.key_result_id
            ):
                seen.setdefault(
                    item.id,
                    InitiativeLine(
                        title=item.title,
                        owner=item.owner,
                        status=_(status_label(item.status)),
                        health=_(HEALTH_LABELS.get(item.health, item.health)),
                        percent_complete=item.percent_complete,
                        when=_initiative_when(item),
                    ),
                )
        objectives.append(ObjectiveReport(objective=objective, initiatives=tuple(seen.values())))
    return QuarterReport(
        period=period,
        evaluation=evaluation,
        objectives=tuple(objectives),
        currency_symbol=config.settings.currency_symbol,
    )


def kr_values(kr: KrEvaluation, symbol: str) -> tuple[str, str, str]:
    """A key result's start, current and target as its unit reads them."""
    if kr.kind == "milestone":
        return _("not done"), _("done") if kr.done else _("not done"), _("done")
    target = kr.threshold if kr.kind == "guardrail" else kr.target
    start, current, goal = (
        format_kr_value(kr, value, currency_symbol=symbol)
        for value in (kr.start, kr.current, target)
    )
    return start, current, goal


def standing(objective: ObjectiveEvaluation) -> str:
    """An objective's status, progress and expected progress in words."""
    progress = _("no data yet") if objective.progress is None else share(objective.progress)
    return _("{status} · progress {progress} (expected by now {expected})").format(
        status=_(STATUS_LABELS.get(objective.status, objective.status)),
        progress=progress,
        expected=share(objective.expected),
    )


def goals_figure(report: QuarterReport) -> dict[str, Any]:
    """Every objective's progress chart, one above the other, each titled with its status."""
    parts = [
        inline(
            progress_spec(item.objective.key_results),
            title=f"{item.objective.title} — {standing(item.objective)}",
        )
        for item in report.objectives
        if item.objective.key_results
    ]
    if not parts:
        raise ExportError(
            _("{period}'s objectives have no key results to draw").format(period=report.period)
        )
    return figure(
        parts,
        title=_("Goals {period} (as of {day})").format(
            period=report.period, day=day_text(report.evaluation.as_of)
        ),
        description=_("Progress of each key result of {period} against its pace.").format(
            period=report.period
        ),
    )


# --- roadmap -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadmapReport:
    """The roadmap a filter keeps: its swimlanes (title and timeline) and its board."""

    scope: str
    today: date
    lanes: tuple[tuple[str, ChartSpec | None, tuple[str, ...]], ...]
    board: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...]


def roadmap_report(
    *, session: Session, config: AppConfig, filters: roadmap.RoadmapFilters, today: date
) -> RoadmapReport:
    """The roadmap's lanes and board for the filters; ExportError when nothing matches."""
    items = roadmap.roadmap_items(
        session=session,
        filters=filters,
        today=today,
        fiscal_start_month=config.settings.fiscal_year_start_month,
    )
    if items.empty:
        raise ExportError(_("nothing on the roadmap matches these filters"))
    dated = roadmap.timeline_items(items)
    domain = time_domain(dated, today) if not dated.empty else None
    lane_of = [None if pd.isna(v) else int(v) for v in items["objective_id"]]
    dated_lane = [None if pd.isna(v) else int(v) for v in dated["objective_id"]]
    lanes = []
    for lane in dict.fromkeys(lane_of):
        part = items[[found == lane for found in lane_of]]
        bars = dated[[found == lane for found in dated_lane]]
        undated = part[part["start_date"].isna() | part["end_date"].isna()]
        title = _(roadmap.NO_OBJECTIVE) if lane is None else str(part["objective"].iloc[0])
        chart = (
            lane_spec(bars, domain=domain, today=today)
            if domain is not None and not bars.empty
            else None
        )
        lanes.append(
            (
                title,
                chart,
                tuple(
                    f"{t} ({_(status_label(s))})"
                    for t, s in zip(undated["title"], undated["status"], strict=True)
                ),
            )
        )
    board = []
    for name, part in roadmap.board(items).items():
        when = part[roadmap.board_date(name)]
        rows = tuple(
            (
                str(title),
                _(HEALTH_LABELS.get(str(health), str(health))),
                day_text(None if day is None or pd.isna(day) else pd.Timestamp(day).date()),
                str(owner),
            )
            for title, health, day, owner in zip(
                part["title"], part["health"], when, part["owner"], strict=True
            )
        )
        board.append((_(roadmap.HORIZON_LABELS[name]), rows))
    return RoadmapReport(
        scope=filters.quarter or _("all quarters"),
        today=today,
        lanes=tuple(lanes),
        board=tuple(board),
    )


def _board_chart(report: RoadmapReport) -> dict[str, Any]:
    columns = [
        _text_chart(
            f"{horizon} · {len(rows)}",
            [f"{title} — {health} — {when} — {owner}" for title, health, when, owner in rows],
            width=FIGURE_WIDTH // 2 - 20,
        )
        for horizon, rows in report.board
    ]
    return {
        "title": {
            "text": f"{_('Now')} / {_('Next')} / {_('Later')}",
            "anchor": "start",
            "fontSize": 16,
        },
        "vconcat": [{"hconcat": columns[:2]}, {"hconcat": columns[2:]}],
    }


def roadmap_figure(report: RoadmapReport) -> dict[str, Any]:
    """The timeline's lanes one above the other, then the Now / Next / Later board."""
    parts = [
        inline(chart, title=title) for title, chart, _undated in report.lanes if chart is not None
    ]
    return figure(
        [*parts, _board_chart(report)],
        title=_("Roadmap — {scope} (as of {day})").format(
            scope=report.scope, day=day_text(report.today)
        ),
        description=_(
            "The roadmap's timeline by objective (bars by health, red line today) and its Now / "
            "Next / Later board."
        ),
    )


# --- impact ledger -----------------------------------------------------------------------------


def impact_entries(*, session: Session, config: AppConfig) -> list[ImpactEntry]:
    """The ledger's entries; ExportError when no shipped initiative has an expected lift."""
    entries = impact_ledger(session=session, config=config)
    if not entries:
        raise ExportError(
            _("the impact ledger is empty: no shipped initiative has an expected lift")
        )
    return entries


def impact_figure(entries: Sequence[ImpactEntry]) -> dict[str, Any]:
    """The ledger's chart: each measured initiative's realised lift beside the expected one."""
    measured = [e for e in entries if e.measured]
    if not measured:
        raise ExportError(_("no entry of the impact ledger is measured yet: nothing to draw"))
    spec: dict[str, Any] = (
        ledger_chart(ledger_points(measured)).properties(width=FIGURE_WIDTH).to_dict(validate=False)
    )
    spec["title"] = {"text": _("Impact ledger: expected against realised lift"), "anchor": "start"}
    spec["description"] = _("Each measured initiative's realised lift with its interval.")
    return spec


# --- PDF (planning/reports/pdf.py, imported when a PDF is made: fpdf2 takes a while to load) ---


def goals_pdf(report: QuarterReport) -> bytes:
    """The quarter's report: a cover, then a page per objective."""
    from planning.reports import pdf

    return pdf.goals_pdf(report)


def roadmap_pdf(report: RoadmapReport) -> bytes:
    """The roadmap: a page per swimlane, then the Now / Next / Later board."""
    from planning.reports import pdf

    return pdf.roadmap_pdf(report)


def impact_pdf(entries: Sequence[ImpactEntry]) -> bytes:
    """The impact ledger: its chart when something is measured, and its table."""
    from planning.reports import pdf

    return pdf.impact_pdf(entries)


# --- one call per view -------------------------------------------------------------------------


def export_goals(
    *, session: Session, config: AppConfig, period: str, today: date, fmt: str
) -> bytes:
    """The Goals page of a quarter as PDF (the report), PNG or SVG (its charts)."""
    fmt = check_format(fmt)
    report = quarter_report(session=session, config=config, period=period, today=today)
    return goals_pdf(report) if fmt == "pdf" else render(goals_figure(report), fmt)


def export_roadmap(
    *,
    session: Session,
    config: AppConfig,
    filters: roadmap.RoadmapFilters,
    today: date,
    fmt: str,
) -> bytes:
    """The roadmap the filters keep (timeline and board) as PDF, PNG or SVG."""
    fmt = check_format(fmt)
    report = roadmap_report(session=session, config=config, filters=filters, today=today)
    return roadmap_pdf(report) if fmt == "pdf" else render(roadmap_figure(report), fmt)


def export_impact(*, session: Session, config: AppConfig, fmt: str) -> bytes:
    """The impact ledger as PDF (chart and table), PNG or SVG (its chart)."""
    fmt = check_format(fmt)
    entries = impact_entries(session=session, config=config)
    return impact_pdf(entries) if fmt == "pdf" else render(impact_figure(entries), fmt)
