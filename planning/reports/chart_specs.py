"""The charts a report draws, as Vega-Lite specs built from plain rows (pandas and dicts, no
Streamlit): a roadmap swimlane, an objective's progress against pace and the impact ledger.

The pages draw them with st.vega_lite_chart (ui/roadmap_chart.py, ui/goals_charts.py and
ui/impact_charts.py hand them over with their rows as an Arrow table); the exports of
planning/reports/export.py render the same specs to PNG, SVG and PDF, so a slide shows what the
page shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import altair as alt
import pandas as pd

from planning import i18n
from planning.formatting import format_day
from planning.i18n import gettext as _
from planning.i18n import pgettext
from planning.impact.ledger import ImpactEntry
from planning.impact.ledger_views import interval_text, lift_text
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.okrs.evaluation_results import KrEvaluation
from planning.palette import (
    DONE_OPACITY,
    HEALTH_COLOURS,
    RED,
    STATUS_LABELS,
    VERDICT_COLOURS,
    status_colour,
)
from planning.reports import roadmap_dependencies as waits
from planning.work.initiative_input import field_label
from planning.work.initiative_status import HEALTH_LABELS, status_label


@dataclass(frozen=True)
class ChartSpec:
    """A Vega-Lite spec and the rows its top-level layers draw from (not written into it)."""

    spec: dict[str, Any]
    rows: pd.DataFrame


TODAY_COLOR = RED
ROW_HEIGHT = 46
BAR_SIZE = 16


def time_domain(items: pd.DataFrame, today: date) -> tuple[date, date]:
    """The days every lane shows: all bars and today, with room on the right for labels."""
    days = [today]
    for column in ("start_date", "end_date"):
        days += [d for d in items[column] if isinstance(d, date)]
    first, last = min(days), max(days)
    room = max(7, (last - first).days // 8)
    return first - timedelta(days=3), last + timedelta(days=room)


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _text_day(value: Any) -> str:
    return format_day(value) if isinstance(value, date) else "—"


def _field(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"field": name, "type": kind, **extra}


def lane_spec(items: pd.DataFrame, *, domain: tuple[date, date], today: date) -> ChartSpec:
    """One swimlane's timeline as a Vega-Lite spec (items: roadmap rows that have dates).

    The spec is written out rather than built with Altair: a lane costs well under a
    millisecond this way against tens with Altair's validation, which a page with six lanes
    would pay on its first render.
    """
    done = items["status"] == "done"
    data = pd.DataFrame(
        {
            "row": [f"{t}\u2002#{i}" for t, i in zip(items["title"], items["id"], strict=True)],
            "title": items["title"],
            "owner": items["owner"],
            "status": items["status"],
            "status_label": items["status"].map(lambda s: _(status_label(s))),
            "health": items["health"].map(lambda h: _(HEALTH_LABELS.get(h, str(h)))),
            "percent": items["percent_complete"].astype(int),
            "start": items["start_date"].map(_day),
            "end": items["end_date"].map(_day),
            "progress": items["progress_date"].map(_day),
            "shipped": items["shipped_date"].map(_day),
            "start_text": items["start_date"].map(_text_day),
            "target_text": items["target_date"].map(_text_day),
            "shipped_text": items["shipped_date"].map(_text_day),
            "label": [
                _("shipped") if is_done else f"{int(p)} %"
                for is_done, p in zip(done, items["percent_complete"], strict=True)
            ],
            **waits.fields(items),
        }
    )
    x_scale = {"type": "utc", "domain": [domain[0].isoformat(), domain[1].isoformat()]}
    # Each row's title is written above its bar (the names layer), not in a label column on
    # the left, so that on a phone the bars keep the width (a left column took three quarters).
    y = _field("row", "nominal", sort=list(data["row"]), title=None, axis=None)
    tooltip = [
        _field("title", "nominal", title=_("Initiative")),
        _field("owner", "nominal", title=_("Owner")),
        _field("status_label", "nominal", title=_("Status")),
        _field("health", "nominal", title=_("Health")),
        _field("percent", "quantitative", title=field_label("percent_complete")),
        _field("start_text", "nominal", title=_("Start")),
        _field("target_text", "nominal", title=pgettext("date", "Target")),
        _field("shipped_text", "nominal", title=_("Shipped")),
        *waits.tooltip(items),
    ]
    # Every layer but today's rule draws from the lane's rows (handed over as a table).
    bars = {
        "mark": {"type": "bar", "size": BAR_SIZE, "cornerRadius": 3},
        "encoding": {
            "x": _field(
                "start",
                "temporal",
                scale=x_scale,
                title=None,
                axis={"format": i18n.vega_day_format(), "grid": True},
            ),
            "x2": {"field": "end"},
            "y": y,
            "color": _field(
                "health",
                "nominal",
                legend=None,
                scale={
                    "domain": [_(HEALTH_LABELS[h]) for h in HEALTH_COLOURS],
                    "range": list(HEALTH_COLOURS.values()),
                },
            ),
            "opacity": {
                "condition": {"test": "datum.status == 'done'", "value": DONE_OPACITY},
                "value": 0.95,
            },
            "tooltip": tooltip,
        },
    }
    progress = {
        "transform": [{"filter": "datum.status != 'done' && datum.percent > 0"}],
        "mark": {"type": "bar", "size": 6, "color": "#1f1f1f", "opacity": 0.6},
        "encoding": {
            "x": _field("start", "temporal"),
            "x2": {"field": "progress"},
            "y": y,
            "tooltip": tooltip,
        },
    }
    shipped = {
        "transform": [{"filter": "datum.shipped != null"}],
        "mark": {
            "type": "point",
            "shape": "diamond",
            "filled": True,
            "size": 120,
            "color": "#1f1f1f",
            "opacity": 1,
        },
        "encoding": {"x": _field("shipped", "temporal"), "y": y, "tooltip": tooltip},
    }
    names = {
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "bottom",
            "dy": -(BAR_SIZE // 2 + 3),
            "fontSize": 12,
            "color": "#1f1f1f",
            "limit": {"expr": "width"},
        },
        "encoding": {"x": {"value": 0}, "y": y, "text": _field("title", "nominal")},
    }
    labels = {
        "mark": {"type": "text", "align": "left", "dx": 8, "fontSize": 11, "color": "#333333"},
        "encoding": {"x": _field("end", "temporal"), "y": y, "text": _field("label", "nominal")},
    }
    rule = {
        "data": {"values": [{"today": today.isoformat()}]},
        "mark": {"type": "rule", "color": TODAY_COLOR, "strokeDash": [5, 3], "size": 2},
        "encoding": {"x": _field("today", "temporal", scale=x_scale)},
    }
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        # titles drawn over the rule
        "layer": [bars, progress, shipped, rule, names, labels, *waits.layers(items, y, tooltip)],
        # A fixed step per row keeps each title, its bar and the next row apart however few rows
        # a lane has.
        "height": {"step": waits.row_height(items, ROW_HEIGHT)},
    }
    return ChartSpec(spec=spec, rows=data)


@dataclass(frozen=True)
class MatrixWords:
    """The value/effort matrix's words in the reader's language."""

    quadrants: tuple[str, str, str, str]  # quick wins, big bets, fill-ins, money pits
    value: str  # the value axis (the framework's score before dividing by effort)
    effort: str
    score: str  # the framework's score, in the tooltip
    initiative: str
    rank: str
    owner: str
    status: str
    quadrant: str


MATRIX_COLOURS = ("#2e7d32", "#1f5fbf", "#9e9e9e", "#c62828")
MATRIX_POINTS = "points"  # the points' view: a click on one picks it (the parameter "pick")


def matrix_spec(
    points: pd.DataFrame, *, value_split: float, effort_split: float, words: MatrixWords
) -> ChartSpec:
    """Scored initiatives by effort (x) and value (y), coloured by quadrant, with the median
    splits as dashed rules and the quadrant names in the plot's corners; a click picks a point.

    `points` has the columns effort_weeks, value, quadrant and the tooltip's title, rank, owner,
    status and score. Written out rather than built with Altair, whose validation cost the
    Weekly planning page about a third of a second each time the backlog changed.
    """
    low_x, high_x = float(points["effort_weeks"].min()), float(points["effort_weeks"].max())
    low_y, high_y = float(points["value"].min()), float(points["value"].max())
    # Margins around the extremes keep every point, and the corner names, inside the plot.
    x_low, x_high = min(0.0, low_x), high_x * 1.08 or 1.0
    y_span = (high_y - min(0.0, low_y)) or 1.0
    y_low, y_high = min(0.0, low_y) - 0.05 * y_span, high_y + 0.1 * y_span
    rule = {"type": "rule", "strokeDash": [4, 4], "color": "#888"}
    splits = {"values": [{"value": float(value_split), "effort": float(effort_split)}]}
    points_layer = {
        "name": MATRIX_POINTS,
        "mark": {"type": "circle", "size": 140, "opacity": 0.85},
        "encoding": {
            "x": _field(
                "effort_weeks",
                "quantitative",
                title=words.effort,
                scale={"domain": [x_low, x_high], "nice": False},
            ),
            "y": _field(
                "value",
                "quantitative",
                title=words.value,
                scale={"domain": [y_low, y_high], "nice": False},
            ),
            "color": _field(
                "quadrant",
                "nominal",
                title=words.quadrant,
                scale={"domain": list(words.quadrants), "range": list(MATRIX_COLOURS)},
                # Two to a row, so the four names fit a phone's width rather than run off it.
                legend={"orient": "top", "columns": 2},
            ),
            "opacity": {"condition": {"param": "pick", "value": 0.95}, "value": 0.35},
            "tooltip": [
                _field("title", "nominal", title=words.initiative),
                _field("rank", "quantitative", title=words.rank),
                _field("owner", "nominal", title=words.owner),
                _field("status", "nominal", title=words.status),
                _field("score", "quantitative", title=words.score, format=",.2~f"),
                _field("value", "quantitative", title=words.value, format=",.2~f"),
                _field("effort_weeks", "quantitative", title=words.effort, format=",.1f"),
                _field("quadrant", "nominal", title=words.quadrant),
            ],
        },
    }
    quick_wins, big_bets, fill_ins, money_pits = words.quadrants
    corners = [
        (quick_wins, x_low, y_high, "left", "top"),
        (fill_ins, x_low, y_low, "left", "bottom"),
        (big_bets, x_high, y_high, "right", "top"),
        (money_pits, x_high, y_low, "right", "bottom"),
    ]
    labels = [
        {
            "data": {"values": [{"label": name, "x": x, "y": y, "align": side, "baseline": edge}]},
            "mark": {
                "type": "text",
                "align": side,
                "baseline": edge,
                "dx": 4 if side == "left" else -4,
                "fontWeight": "bold",
                "color": "#555",
            },
            "encoding": {
                "x": _field("x", "quantitative"),
                "y": _field("y", "quantitative"),
                "text": _field("label", "nominal"),
            },
        }
        for name, x, y, side, edge in corners
    ]
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "height": 380,
        "params": [
            {
                "name": "pick",
                "select": {"type": "point", "fields": ["id"], "on": "click"},
                "views": [MATRIX_POINTS],
            }
        ],
        "layer": [
            points_layer,
            {"data": splits, "mark": rule, "encoding": {"y": _field("value", "quantitative")}},
            {"data": splits, "mark": rule, "encoding": {"x": _field("effort", "quantitative")}},
            *labels,
        ],
    }
    return ChartSpec(spec=spec, rows=points)


def share(value: float | None) -> str:
    """A fraction as a whole percentage ('73 %'), '—' when there is none."""
    if value is None or pd.isna(value):
        return "—"
    shown = round(value * 100)
    return f"{shown if shown else 0:.0f} %"


def progress_text(kr: KrEvaluation) -> str:
    """A key result's raw progress as a percentage, or why it has none ("no data yet in this
    window") rather than a 0 % or a blank."""
    return kr.no_progress_reason or share(kr.progress)


def progress_spec(krs: Sequence[KrEvaluation]) -> ChartSpec:
    """Bars of raw progress (labelled with the raw figure, beyond 100 % shown as such), a tick
    at the expected pace and a dashed line at the target (100 %).

    Written out as Vega-Lite rather than built with Altair: a page draws one per objective, and
    Altair's validation would cost its first render tens of milliseconds each.
    """
    peak = max([1.2, *(min(k.progress or 0.0, 2.0) for k in krs)])
    frame = pd.DataFrame(
        {
            "key result": [k.title for k in krs],
            "bar": [max(0.0, min(k.progress or 0.0, peak)) for k in krs],
            "progress": [progress_text(k) for k in krs],
            # Beside the bar, a sentence runs past a phone's plot ("no data yet in this wi…"):
            # a dash there, the sentence in the tooltip and in the reasons under the chart.
            "label": ["—" if k.no_progress_reason else share(k.progress) for k in krs],
            "expected": [k.expected for k in krs],
            "pace": [share(k.expected) for k in krs],
            "status": [_(STATUS_LABELS[k.status]) for k in krs],
            "color": [status_colour(k.status) for k in krs],
        }
    )
    y = {
        "field": "key result",
        "type": "nominal",
        "sort": list(frame["key result"]),
        "title": None,
        "axis": {"labelLimit": 260},
    }
    tooltip = [
        {"field": "key result", "type": "nominal", "title": _("Key result")},
        {"field": "progress", "type": "nominal", "title": _("Progress")},
        {"field": "pace", "type": "nominal", "title": _("Expected by now")},
        {"field": "status", "type": "nominal", "title": _("Status")},
    ]
    x_scale = {"domain": [0, peak]}
    bar_encoding = {
        "x": {
            "field": "bar",
            "type": "quantitative",
            "scale": x_scale,
            "title": None,
            "axis": {"format": ".0%"},
        },
        "y": y,
        "color": {"field": "color", "type": "nominal", "scale": None},
        "tooltip": tooltip,
    }
    # The layers draw from the chart's rows (handed over as a table), but the target line,
    # whose one value sits in the spec.
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "layer": [
            {"mark": {"type": "bar", "height": 14}, "encoding": bar_encoding},
            {
                "mark": {"type": "text", "align": "left", "dx": 4, "color": "#333"},
                "encoding": {**bar_encoding, "text": {"field": "label", "type": "nominal"}},
            },
            {
                "transform": [{"filter": "isValid(datum.expected)"}],
                "mark": {"type": "tick", "color": "#111", "thickness": 2, "size": 20},
                "encoding": {
                    "x": {"field": "expected", "type": "quantitative", "scale": x_scale},
                    "y": y,
                    "tooltip": tooltip,
                },
            },
            {
                "data": {"values": [{"x": 1.0}]},
                "mark": {"type": "rule", "strokeDash": [3, 3]},
                "encoding": {"x": {"field": "x", "type": "quantitative"}},
            },
        ],
        # Room for the axis under even a single bar, so a one-key-result objective is not clipped.
        "height": 34 * len(frame) + 50,
    }
    return ChartSpec(spec=spec, rows=frame)


def ledger_points(measured: Sequence[ImpactEntry]) -> pd.DataFrame:
    """The rows ledger_chart draws: one per measured initiative (entries with a realised lift)."""
    return pd.DataFrame(
        {
            "initiative": [e.initiative for e in measured],
            "realised": [e.realised_lift for e in measured],
            "low": [e.ci_low for e in measured],
            "high": [e.ci_high for e in measured],
            "expected": [e.expected_lift for e in measured],
            "verdict": [_(VERDICT_LABELS[e.verdict]) for e in measured],
            "realised_text": [lift_text(e.realised_lift) for e in measured],
            "expected_text": [lift_text(e.expected_lift) for e in measured],
            "interval_text": [interval_text(e.ci_low, e.ci_high) for e in measured],
        }
    )


def ledger_chart(points: pd.DataFrame, *, data: Any = None) -> Any:
    """The impact ledger as an Altair chart: each measured initiative's realised lift with its
    interval beside the expected lift (`points`: ledger_points). `data`, when given, is what the
    views draw from instead of the points themselves (a table named here and handed over apart,
    which spares converting thousands of rows to JSON records)."""
    order = list(points["initiative"])
    y = alt.Y("initiative:N", title=None, sort=order, axis=alt.Axis(labelLimit=320))
    colour = alt.Color(
        "verdict:N",
        title=_("Verdict"),
        scale=alt.Scale(
            domain=[_(VERDICT_LABELS[v]) for v in VERDICT_COLOURS],
            range=list(VERDICT_COLOURS.values()),
        ),
        legend=alt.Legend(orient="top"),
    )
    tooltip = [
        alt.Tooltip("initiative:N", title=_("Initiative")),
        alt.Tooltip("expected_text:N", title=_("Expected")),
        alt.Tooltip("realised_text:N", title=_("Realised")),
        alt.Tooltip("interval_text:N", title=_("Interval")),
        alt.Tooltip("verdict:N", title=_("Verdict")),
    ]
    base = alt.Chart(points if data is None else data)
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", title=_("Lift"), axis=alt.Axis(format="+.0%")),
        x2="high:Q",
        y=y,
        color=colour,
        tooltip=tooltip,
    )
    dots = base.mark_circle(size=90, opacity=1).encode(
        x="realised:Q", y=y, color=colour, tooltip=tooltip
    )
    expected = base.mark_point(
        shape="diamond", size=140, filled=False, color="#1d1d1f", strokeWidth=1.5
    ).encode(x="expected:Q", y=y, tooltip=tooltip)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
    return (zero + bars + dots + expected).properties(height=alt.Step(34))
