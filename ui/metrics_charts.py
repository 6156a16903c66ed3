"""The Metrics page's charts, built from the cached reads of ui/data.py and kept as charts (see
ui/charts.py), keyed like those reads by the store's data versions. Each returns None when
there is nothing to draw."""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from planning import i18n
from planning.i18n import gettext as _
from planning.store.engine import OBSERVATIONS
from ui import data
from ui.charts import Chart, d3_format, from_altair
from ui.state import Versions, app_config, depends_on

TTL = 600
ENTRIES = 128


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def trend(
    versions: Versions,
    metric_id: str,
    start: date,
    end: date,
    grain: str,
    filters: data.Filters,
    language: str = "",
) -> Chart | None:
    """A metric by period against last year, as lines (`language`: i18n.locale_key, for the
    cache; the chart's words are in the reader's language)."""
    frame = data.trend(versions, metric_id, start, end, grain, filters)
    if not frame["value"].notna().any():
        return None
    series = {"This period": _("This period"), "Last year": _("Last year")}
    frame = frame.assign(series=frame["series"].map(lambda v: series.get(v, v)))
    domain = list(series.values())
    spec = app_config().metrics.metrics[metric_id]
    axis_format = d3_format(spec.format)
    base = alt.Chart(frame.assign(period=pd.to_datetime(frame["period"]))).encode(
        x=alt.X("period:T", title=None),
        y=alt.Y(
            "value:Q",
            title=spec.label,
            axis=alt.Axis(format=axis_format),
            scale=alt.Scale(zero=False),
        ),
        color=alt.Color(
            "series:N",
            title=None,
            scale=alt.Scale(domain=domain, range=["#1f5fbf", "#b9b9b9"]),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("period:T", title=_("Period")),
            alt.Tooltip("series:N", title=_("Series")),
            alt.Tooltip("value:Q", title=spec.label, format=axis_format),
            alt.Tooltip("held:Q", title=_("Days in the window")),
        ],
    )
    # A period the window cuts (dashboard.partial_periods) is a hollow point off the line.
    whole = alt.datum.held >= alt.datum.days
    line = (
        base.transform_filter(whole)
        .mark_line(point=grain != "day")
        .encode(
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=domain, range=[[1, 0], [4, 3]]),
                legend=None,
            )
        )
    )
    cut = base.transform_filter(~whole).mark_point(filled=False, size=70, strokeWidth=2)
    chart = (line + cut).properties(height=300)
    return from_altair(chart)


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def funnel(
    versions: Versions, start: date, end: date, filters: data.Filters, language: str = ""
) -> Chart | None:
    """The checkout funnel as bars labelled with each step's rate (`language`: for the cache)."""
    steps = data.funnel(versions, start, end, filters)
    if not steps["sessions"].notna().any():
        return None
    steps = steps.assign(
        rate_text=[
            "" if r is None or pd.isna(r) else _("{rate} of previous step").format(rate=_rate(r))
            for r in steps["step_rate"]
        ]
    )
    bars = (
        alt.Chart(steps)
        .mark_bar(color="#1f5fbf")
        .encode(
            y=alt.Y(
                "label:N", sort=list(steps["label"]), title=None, axis=alt.Axis(labelLimit=220)
            ),
            x=alt.X("sessions:Q", title=_("Sessions"), axis=alt.Axis(format=_short_count())),
            tooltip=[
                alt.Tooltip("label:N", title=_("Step")),
                alt.Tooltip("sessions:Q", title=_("Sessions"), format=",.0f"),
                alt.Tooltip("step_rate:Q", title=_("From previous step"), format=".1%"),
                alt.Tooltip("overall_rate:Q", title=_("From first step"), format=".2%"),
            ],
        )
    )
    labels = bars.mark_text(align="left", dx=4, color="#333").encode(text="rate_text:N")
    return from_altair((bars + labels).properties(height=240))


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def margin(versions: Versions, start: date, end: date, language: str = "") -> Chart | None:
    """Gross margin per product line as bars (`language`: for the cache)."""
    frame = data.margin_by_line(versions, start, end)
    if frame.empty:
        return None
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#2e8540")
        .encode(
            y=alt.Y("product_line:N", sort="-x", title=None),
            x=alt.X("gross_margin:Q", title=_("Gross margin"), axis=alt.Axis(format=".0%")),
            tooltip=[
                alt.Tooltip("product_line:N", title=_("Product line")),
                alt.Tooltip("net_revenue:Q", title=_("Net revenue"), format="$,.0f"),
                alt.Tooltip("gross_profit:Q", title=_("Gross profit"), format="$,.0f"),
                alt.Tooltip("gross_margin:Q", title=_("Gross margin"), format=".1%"),
            ],
        )
    )
    text = bars.mark_text(align="left", dx=4, color="#333").encode(
        text=alt.Text("gross_margin:Q", format=".1%")
    )
    return from_altair((bars + text).properties(height=240))


@depends_on(OBSERVATIONS)
@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def breakdown(
    versions: Versions,
    metric_id: str,
    dimension: str,
    start: date,
    end: date,
    filters: data.Filters,
    language: str = "",
) -> Chart | None:
    """A metric per value of a dimension as bars (`language`: for the cache)."""
    frame = data.breakdown(versions, metric_id, dimension, start, end, filters)
    if frame.empty:
        return None
    config = app_config().metrics
    spec = config.metrics[metric_id]
    named = config.dimensions[dimension]
    label = named.label
    frame = frame.assign(member=frame["member"].map(lambda v: named.value_label(str(v))))
    value_format = d3_format(spec.format)
    chart = (
        alt.Chart(frame)
        .mark_bar(color="#6a4fb3")
        .encode(
            y=alt.Y("member:N", sort="-x", title=label),
            x=alt.X("value:Q", title=spec.label, axis=alt.Axis(format=value_format)),
            tooltip=[
                alt.Tooltip("member:N", title=label),
                alt.Tooltip("value:Q", title=spec.label, format=value_format),
            ],
        )
        .properties(height=30 * len(frame) + 40)
    )
    return from_altair(chart)


def _short_count() -> str:
    """An axis of large counts: 800k in English; German writes no "k", so grouped (800.000)."""
    return "~s" if i18n.english_formats() else ",.0f"


def _rate(share: float) -> str:
    """A step's rate with one decimal, as the team writes percentages (12.5%; German 12,5 %)."""
    if i18n.english_formats():
        return f"{share:.1%}"
    return i18n.percent_text(share, decimals=1)
