"""Metrics: KPI tiles, trends, checkout funnel, margin by product line, breakdowns, freshness."""

from __future__ import annotations

from datetime import date, datetime

import altair as alt
import pandas as pd
import streamlit as st

from planning.dashboard import PRESETS, DateWindow, preset_window
from planning.formatting import format_change, format_value
from ui import data
from ui.charts import d3_format
from ui.state import app_config, live_refresh, versions

config = app_config()
metrics_config = config.metrics
symbol = config.settings.currency_symbol
GRAINS = ["day", "week", "month", "quarter"]

st.title("Metrics")
current = versions()
fresh = data.store_freshness(current)

if fresh.latest_day is None:
    st.info(
        "The store holds no observations yet. Import a CSV with `python -m planning import FILE` "
        "or load the demo with `python -m planning demo`; this page updates by itself."
    )
    live_refresh()
    st.stop()


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = (datetime.now(moment.tzinfo) - moment).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 129600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


latest: date = fresh.latest_day
st.caption(
    f"Data through **{latest:%a %d %b %Y}** · last import {_ago(fresh.last_import_at)} · "
    f"{fresh.observation_rows:,} observations · updates by itself while open"
)

# --- controls ----------------------------------------------------------------------------------
controls = st.columns([2, 2, 2, 2])
preset = controls[0].selectbox("Window", [*PRESETS, "Custom range"], index=1)
if preset == "Custom range":
    default = preset_window("Last 28 days", latest=latest)
    picked = controls[1].date_input(
        "From – to", value=(default.start, default.end), max_value=latest, format="YYYY-MM-DD"
    )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the first and the last day of the range.")
        st.stop()
    window = DateWindow(picked[0], picked[1])
else:
    window = preset_window(preset, latest=latest)
    controls[1].text_input(
        "From – to", f"{window.start:%d %b %Y} – {window.end:%d %b %Y}", disabled=True
    )
filters: dict[str, str] = {}
for column, dimension in zip(controls[2:], ("channel", "device"), strict=False):
    spec = metrics_config.dimensions.get(dimension)
    if spec is None:
        continue
    choice = column.selectbox(spec.label, ["All", *spec.values], key=f"filter_{dimension}")
    if choice != "All":
        filters[dimension] = choice
filter_items = tuple(sorted(filters.items()))

# --- KPI tiles ---------------------------------------------------------------------------------
previous, year_ago = window.previous(), window.year_ago()
tiles = data.kpi_tiles(
    current, tuple(metrics_config.kpi_tiles), window.start, window.end, filter_items
)
for row_start in range(0, len(tiles), 3):
    columns = st.columns(3)
    for column, tile in zip(columns, tiles[row_start : row_start + 3], strict=False):
        with column:
            vs_last_year = format_change(tile.value, tile.year_ago, tile.fmt)
            st.metric(
                tile.label,
                format_value(tile.value, tile.fmt, currency_symbol=symbol),
                delta=format_change(tile.value, tile.previous, tile.fmt),
                delta_color="normal" if tile.higher_is_better else "inverse",
                delta_description="vs previous period",
                chart_data=list(tile.daily) or None,
                border=True,
                help=(
                    f"Previous period {previous.start:%d %b} – {previous.end:%d %b %Y}: "
                    f"{format_value(tile.previous, tile.fmt, currency_symbol=symbol)}. "
                    f"Last year {year_ago.start:%d %b} – {year_ago.end:%d %b %Y}: "
                    f"{format_value(tile.year_ago, tile.fmt, currency_symbol=symbol)}."
                ),
            )
            note = f"vs last year {vs_last_year}" if vs_last_year else "no data last year"
            if filters and not tile.filtered:
                note += " · filters do not apply"
            st.caption(note)

# --- trend -------------------------------------------------------------------------------------
st.subheader("Trend")
left, right = st.columns([3, 2])
metric_ids = list(metrics_config.metrics)
trend_metric = left.selectbox(
    "Metric",
    metric_ids,
    index=metric_ids.index("conversion_rate") if "conversion_rate" in metric_ids else 0,
    format_func=lambda m: metrics_config.metrics[m].label,
)
grain = right.segmented_control("Grain", GRAINS, default="day" if window.days <= 92 else "week")
grain = grain or "day"
trend_frame = data.trend(current, trend_metric, window.start, window.end, grain, filter_items)
spec = metrics_config.metrics[trend_metric]
axis_format = d3_format(spec.format)
if trend_frame["value"].notna().any():
    chart = (
        alt.Chart(trend_frame.assign(period=pd.to_datetime(trend_frame["period"])))
        .mark_line(point=grain != "day")
        .encode(
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
                scale=alt.Scale(domain=["This period", "Last year"], range=["#1f5fbf", "#b9b9b9"]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=["This period", "Last year"], range=[[1, 0], [4, 3]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("period:T", title="Period"),
                alt.Tooltip("series:N", title="Series"),
                alt.Tooltip("value:Q", title=spec.label, format=axis_format),
            ],
        )
        .properties(height=300)
    )
    st.altair_chart(chart, width="stretch")
else:
    st.info(f"No values for {spec.label} in this window.")
if filters and len(filters) != len(
    [d for d in filters if d in metrics_config.metric_dimensions(trend_metric)]
):
    st.caption(f"{spec.label} is not recorded by {', '.join(filters)}; shown unfiltered.")

# --- funnel and margin -------------------------------------------------------------------------
funnel_col, margin_col = st.columns(2)
with funnel_col:
    st.subheader("Checkout funnel")
    steps = data.funnel(current, window.start, window.end, filter_items)
    if steps["sessions"].notna().any():
        steps = steps.assign(
            rate_text=[
                "" if r is None or pd.isna(r) else f"{r:.1%} of previous step"
                for r in steps["step_rate"]
            ]
        )
        bars = (
            alt.Chart(steps)
            .mark_bar(color="#1f5fbf")
            .encode(
                y=alt.Y(
                    "label:N",
                    sort=list(steps["label"]),
                    title=None,
                    axis=alt.Axis(labelLimit=220),
                ),
                x=alt.X("sessions:Q", title="Sessions", axis=alt.Axis(format="~s")),
                tooltip=[
                    alt.Tooltip("label:N", title="Step"),
                    alt.Tooltip("sessions:Q", title="Sessions", format=",.0f"),
                    alt.Tooltip("step_rate:Q", title="From previous step", format=".1%"),
                    alt.Tooltip("overall_rate:Q", title="From first step", format=".2%"),
                ],
            )
        )
        labels = bars.mark_text(align="left", dx=4, color="#333").encode(text="rate_text:N")
        st.altair_chart((bars + labels).properties(height=240), width="stretch")
    else:
        st.info("No funnel data in this window.")

with margin_col:
    st.subheader("Margin by product line")
    margin = data.margin_by_line(current, window.start, window.end)
    if not margin.empty:
        bars = (
            alt.Chart(margin)
            .mark_bar(color="#2e8540")
            .encode(
                y=alt.Y("product_line:N", sort="-x", title=None),
                x=alt.X("gross_margin:Q", title="Gross margin", axis=alt.Axis(format=".0%")),
                tooltip=[
                    alt.Tooltip("product_line:N", title="Product line"),
                    alt.Tooltip("net_revenue:Q", title="Net revenue", format="$,.0f"),
                    alt.Tooltip("gross_profit:Q", title="Gross profit", format="$,.0f"),
                    alt.Tooltip("gross_margin:Q", title="Gross margin", format=".1%"),
                ],
            )
        )
        text = bars.mark_text(align="left", dx=4, color="#333").encode(
            text=alt.Text("gross_margin:Q", format=".1%")
        )
        st.altair_chart((bars + text).properties(height=240), width="stretch")
    else:
        st.info("No product-line data in this window.")

# --- breakdown ---------------------------------------------------------------------------------
st.subheader("Breakdown")
left, right = st.columns([3, 2])
split_metric = left.selectbox(
    "Metric ",
    [m for m in metric_ids if metrics_config.metric_dimensions(m)],
    format_func=lambda m: metrics_config.metrics[m].label,
    key="breakdown_metric",
)
dimensions = metrics_config.metric_dimensions(split_metric)
dimension = right.selectbox(
    "By", dimensions, format_func=lambda d: metrics_config.dimensions[d].label
)
split = data.breakdown(current, split_metric, dimension, window.start, window.end, filter_items)
split_spec = metrics_config.metrics[split_metric]
if not split.empty:
    split_format = d3_format(split_spec.format)
    chart = (
        alt.Chart(split)
        .mark_bar(color="#6a4fb3")
        .encode(
            y=alt.Y("member:N", sort="-x", title=metrics_config.dimensions[dimension].label),
            x=alt.X("value:Q", title=split_spec.label, axis=alt.Axis(format=split_format)),
            tooltip=[
                alt.Tooltip("member:N", title=metrics_config.dimensions[dimension].label),
                alt.Tooltip("value:Q", title=split_spec.label, format=split_format),
            ],
        )
        .properties(height=30 * len(split) + 40)
    )
    st.altair_chart(chart, width="stretch")
else:
    st.info("No data for this breakdown in the window.")

live_refresh()
