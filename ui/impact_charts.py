"""The Impact page's charts, built from the cached reads of ui/impact_data.py and kept as Vega-Lite
specs (see ui/charts.py), keyed by the store's data versions. Each returns None when there is
nothing to draw."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from planning.impact.ledger_views import interval_text, lift_text
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.palette import VERDICT_COLOURS
from ui import impact_data as data
from ui.charts import Chart, d3_format, from_altair
from ui.state import Versions

TTL = 600
ENTRIES = 64


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def ledger(versions: Versions) -> Chart | None:
    """Each measured initiative's realised lift with its interval beside the expected lift."""
    measured = [e for e in data.ledger(versions) if e.measured]
    if not measured:
        return None
    points = pd.DataFrame(
        {
            "initiative": [e.initiative for e in measured],
            "realised": [e.realised_lift for e in measured],
            "low": [e.ci_low for e in measured],
            "high": [e.ci_high for e in measured],
            "expected": [e.expected_lift for e in measured],
            "verdict": [VERDICT_LABELS[e.verdict] for e in measured],
            "realised_text": [lift_text(e.realised_lift) for e in measured],
            "expected_text": [lift_text(e.expected_lift) for e in measured],
            "interval_text": [interval_text(e.ci_low, e.ci_high) for e in measured],
        }
    )
    order = list(points["initiative"])
    y = alt.Y("initiative:N", title=None, sort=order, axis=alt.Axis(labelLimit=320))
    colour = alt.Color(
        "verdict:N",
        title="Verdict",
        scale=alt.Scale(
            domain=[VERDICT_LABELS[v] for v in VERDICT_COLOURS],
            range=list(VERDICT_COLOURS.values()),
        ),
        legend=alt.Legend(orient="top"),
    )
    tooltip = [
        alt.Tooltip("initiative:N", title="Initiative"),
        alt.Tooltip("expected_text:N", title="Expected"),
        alt.Tooltip("realised_text:N", title="Realised"),
        alt.Tooltip("interval_text:N", title="Interval"),
        alt.Tooltip("verdict:N", title="Verdict"),
    ]
    base = alt.Chart(points)
    bars = base.mark_rule(strokeWidth=3).encode(
        x=alt.X("low:Q", title="Lift", axis=alt.Axis(format="+.0%")),
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
    return from_altair((zero + bars + dots + expected).properties(height=alt.Step(34)))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def around_ship(versions: Versions, initiative_id: int) -> Chart | None:
    """An initiative's lift metric by day around its ship date, last year's dashed beside it,
    the pre and post windows shaded and the ship day marked."""
    entry = next((e for e in data.ledger(versions) if e.initiative_id == initiative_id), None)
    if entry is None:
        return None
    frame = data.chart_frame(versions, initiative_id)
    if frame.empty or not frame["value"].notna().any():
        return None
    windows = entry.windows
    fmt = entry.value_format
    frame = frame.assign(day=pd.to_datetime(frame["day"]))
    spans = pd.DataFrame(
        {
            "start": pd.to_datetime([windows.pre_start, windows.post_start]),
            "end": pd.to_datetime(
                [windows.pre_end + timedelta(days=1), windows.post_end + timedelta(days=1)]
            ),
            "window": ["Pre window", "Post window"],
        }
    )
    shade = (
        alt.Chart(spans)
        .mark_rect(opacity=0.12)
        .encode(
            x="start:T",
            x2="end:T",
            color=alt.Color(
                "window:N",
                title=None,
                scale=alt.Scale(domain=["Pre window", "Post window"], range=["#8a8a8a", "#2f6fd0"]),
                legend=alt.Legend(orient="top"),
            ),
        )
    )
    lines = (
        alt.Chart(frame)
        .mark_line()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y(
                "value:Q",
                title=entry.metric_label,
                axis=alt.Axis(format=d3_format(fmt)),
                scale=alt.Scale(zero=False),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                title=None,
                scale=alt.Scale(domain=["This year", "Last year"], range=[[1, 0], [4, 3]]),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.Opacity(
                "series:N",
                scale=alt.Scale(domain=["This year", "Last year"], range=[1.0, 0.45]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title=entry.metric_label, format=d3_format(fmt)),
            ],
        )
    )
    ship = (
        alt.Chart(pd.DataFrame({"day": pd.to_datetime([windows.post_start])}))
        .mark_rule(color="#c0392b", strokeWidth=2)
        .encode(x="day:T", tooltip=[alt.Tooltip("day:T", title="Shipped")])
    )
    return from_altair((shade + lines + ship).resolve_scale(color="independent"))
