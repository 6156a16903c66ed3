"""The Goals page's charts, returned as charts (ui/charts.py) so pages can cache them.

A chart is built once per data version (see ui/goals_data.py) and drawn with
st.vega_lite_chart; building Altair objects on every rerun would cost more than the rest of the
page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from planning.okrs.evaluation_results import KrEvaluation
from planning.okrs.track import KrTrack
from planning.palette import STATUS_LABELS, status_colour
from ui.charts import Chart, d3_format, from_altair, rows_table


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


def progress_spec(krs: Sequence[KrEvaluation]) -> Chart:
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
            "expected": [k.expected for k in krs],
            "pace": [share(k.expected) for k in krs],
            "status": [STATUS_LABELS[k.status] for k in krs],
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
        {"field": "key result", "type": "nominal", "title": "Key result"},
        {"field": "progress", "type": "nominal", "title": "Progress"},
        {"field": "pace", "type": "nominal", "title": "Expected by now"},
        {"field": "status", "type": "nominal", "title": "Status"},
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
                "encoding": {**bar_encoding, "text": {"field": "progress", "type": "nominal"}},
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
    return Chart(spec=spec, rows=rows_table(frame))


def value_domain(kr: KrEvaluation, track: KrTrack) -> list[float]:
    """The detail chart's y range: the data, the start, the target and the forecast, padded by a
    tenth of their spread, so a small move is visible instead of a flat line far above zero."""
    values = [
        float(v)
        for v in [
            *track.path[["actual", "expected", "target"]].stack().tolist(),
            *(track.band["forecast"].tolist() if "forecast" in track.band else []),
            kr.start,
            kr.target,
        ]
        if v is not None and math.isfinite(float(v))
    ]
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.05 or 1.0
    return [low - pad, high + pad]


def detail_spec(kr: KrEvaluation, track: KrTrack) -> Chart | None:
    """Actual vs expected path vs target, the forecast band, and initiative ship dates."""
    if track.path[["actual", "expected", "target"]].isna().all().all():
        return None
    fmt = d3_format(kr.value_format) if kr.metric_id else ",.2f"
    largest = track.path[["actual", "expected", "target"]].abs().max().max()
    # Axis labels in millions or thousands once money runs large ($6.1M, not $6,100,000.00).
    axis_fmt = "$.3~s" if kr.value_format == "money" and largest >= 10_000 else fmt
    y_scale = alt.Scale(zero=False, domain=value_domain(kr, track), nice=False)
    names = {"actual": track.actual_label, "expected": "Expected pace", "target": "Target"}
    lines = track.path.melt(id_vars="day", value_vars=["actual", "expected", "target"]).dropna()
    lines = lines.assign(series=lines["variable"].map(names), day=pd.to_datetime(lines["day"]))
    domain = [track.actual_label, "Expected pace", "Target", "Forecast"]
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=["#1f5fbf", "#888888", "#2e8540", "#e07b00"]),
        legend=alt.Legend(orient="top"),
    )
    dash = alt.StrokeDash(
        "series:N",
        scale=alt.Scale(domain=domain, range=[[1, 0], [5, 4], [2, 2], [6, 3]]),
        legend=None,
    )
    layers: list[Any] = [
        alt.Chart(lines)
        .mark_line()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y(
                "value:Q",
                title=kr.metric_label or kr.title,
                axis=alt.Axis(format=axis_fmt),
                scale=y_scale,
            ),
            color=color,
            strokeDash=dash,
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title="Value", format=fmt),
            ],
        )
    ]
    if not track.band.empty:
        band = track.band.assign(day=pd.to_datetime(track.band["day"]), series="Forecast")
        layers.insert(
            0,
            alt.Chart(band)
            .mark_area(opacity=0.18, color="#e07b00", clip=True)
            .encode(
                x="day:T",
                y="low:Q",
                y2="high:Q",
                tooltip=[
                    alt.Tooltip("day:T", title="Day"),
                    alt.Tooltip("low:Q", title="80 % band from", format=fmt),
                    alt.Tooltip("high:Q", title="to", format=fmt),
                ],
            ),
        )
        layers.append(
            alt.Chart(band)
            .mark_line()
            .encode(x="day:T", y="forecast:Q", color=color, strokeDash=dash)
        )
    if not track.ships.empty:
        ships = track.ships.assign(day=pd.to_datetime(track.ships["day"]))
        layers.append(
            alt.Chart(ships)
            .mark_rule(color="#6a4fb3", strokeWidth=2)
            .encode(
                x="day:T",
                strokeDash=alt.StrokeDash(
                    "kind:N",
                    scale=alt.Scale(domain=["shipped", "planned"], range=[[1, 0], [4, 4]]),
                    legend=alt.Legend(title="Initiatives", orient="top"),
                ),
                tooltip=[
                    alt.Tooltip("initiative:N", title="Initiative"),
                    alt.Tooltip("kind:N", title="Ship date"),
                    alt.Tooltip("day:T", title="Day"),
                ],
            )
        )
    return from_altair(alt.layer(*layers).properties(height=320))
