"""The Impact page's charts, built from the cached reads of ui/impact_data.py and kept as Vega-Lite
specs (see ui/charts.py), keyed by the store's data versions. Each returns None when there is
nothing to draw."""

from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

from planning.i18n import gettext as _
from planning.reports.chart_specs import ledger_chart, ledger_points
from ui import impact_data as data
from ui.charts import Chart, d3_format, from_altair, given_rows
from ui.state import Versions

TTL = 600
ENTRIES = 64


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def ledger(versions: Versions, language: str = "") -> Chart | None:
    """Each measured initiative's realised lift with its interval beside the expected lift
    (`language`: i18n.locale_key, for the cache)."""
    measured = [e for e in data.ledger(versions) if e.measured]
    if not measured:
        return None
    points = ledger_points(measured)
    return from_altair(ledger_chart(points, data=given_rows()), rows=points)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def around_ship(versions: Versions, initiative_id: int, language: str = "") -> Chart | None:
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
    pre, post = _("Pre window"), _("Post window")
    this_year, last_year = _("This year"), _("Last year")
    frame = frame.assign(
        series=frame["series"]
        .map({"This year": this_year, "Last year": last_year})
        .fillna(frame["series"])
    )
    frame = frame.assign(day=pd.to_datetime(frame["day"]))
    spans = pd.DataFrame(
        {
            "start": pd.to_datetime([windows.pre_start, windows.post_start]),
            "end": pd.to_datetime(
                [windows.pre_end + timedelta(days=1), windows.post_end + timedelta(days=1)]
            ),
            "window": [pre, post],
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
                scale=alt.Scale(domain=[pre, post], range=["#8a8a8a", "#2f6fd0"]),
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
                scale=alt.Scale(domain=[this_year, last_year], range=[[1, 0], [4, 3]]),
                legend=alt.Legend(orient="top"),
            ),
            opacity=alt.Opacity(
                "series:N",
                scale=alt.Scale(domain=[this_year, last_year], range=[1.0, 0.45]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("day:T", title=_("Day")),
                alt.Tooltip("series:N", title=_("Series")),
                alt.Tooltip("value:Q", title=entry.metric_label, format=d3_format(fmt)),
            ],
        )
    )
    ship = (
        alt.Chart(pd.DataFrame({"day": pd.to_datetime([windows.post_start])}))
        .mark_rule(color="#c0392b", strokeWidth=2)
        .encode(x="day:T", tooltip=[alt.Tooltip("day:T", title=_("Shipped"))])
    )
    return from_altair((shade + lines + ship).resolve_scale(color="independent"))
