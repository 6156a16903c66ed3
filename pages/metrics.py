"""Metrics: KPI tiles, trends, checkout funnel, margin by product line, breakdowns, freshness."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from planning import clock
from planning.formatting import format_change, format_value
from planning.metrics.completeness import partial_days_text
from planning.metrics.dashboard import PRESETS, DateWindow, preset_window
from planning.periods import quarter_bounds, quarter_of
from ui import data
from ui import metrics_charts as charts
from ui.charts import draw
from ui.identity import current_person
from ui.setup import connect_data_step
from ui.sources_view import stale_source_notes
from ui.state import app_config, live_refresh, versions

config = app_config()
metrics_config = config.metrics
symbol = config.settings.currency_symbol
fiscal_start = config.settings.fiscal_year_start_month
GRAINS = ["day", "week", "month", "quarter"]

st.title("Metrics")
current = versions()
fresh = data.store_freshness(current)

if fresh.latest_day is None:
    connect_data_step(current_person(), what="The store holds no observations yet")
    live_refresh()
    st.stop()


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    seconds = (clock.now() - moment).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 129600:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


latest: date = fresh.latest_day
partial = f" · {partial_days_text(fresh.partial_days)}" if fresh.partial_days else ""
st.caption(
    f"Data through **{latest:%a %d %b %Y}**{partial} · last import {_ago(fresh.last_import_at)} · "
    f"{fresh.observation_rows:,} observations · updates by itself while open"
)
stale_source_notes(current)

quarter_now = quarter_of(clock.today(), fiscal_start)
quarter_first = quarter_bounds(quarter_now, fiscal_start)[0]
if latest < quarter_first:
    st.info(
        f"No data for {quarter_now} yet (it began on {quarter_first:%a %d %b %Y}): every window "
        f"below ends on {latest:%a %d %b %Y}, the last complete day, and this page updates "
        "by itself when the new quarter's first day arrives."
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
    choice = column.selectbox(
        spec.label,
        ["All", *spec.values],
        format_func=lambda v, named=spec: v if v == "All" else named.value_label(v),
        key=f"filter_{dimension}",
    )
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
spec = metrics_config.metrics[trend_metric]
trend_chart = charts.trend(current, trend_metric, window.start, window.end, grain, filter_items)
if trend_chart is not None:
    draw(trend_chart)
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
    funnel_chart = charts.funnel(current, window.start, window.end, filter_items)
    if funnel_chart is not None:
        draw(funnel_chart)
    else:
        st.info("No funnel data in this window.")

with margin_col:
    st.subheader("Margin by product line")
    margin_chart = charts.margin(current, window.start, window.end)
    if margin_chart is not None:
        draw(margin_chart)
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
split_chart = charts.breakdown(
    current, split_metric, dimension, window.start, window.end, filter_items
)
if split_chart is not None:
    draw(split_chart)
else:
    st.info("No data for this breakdown in the window.")

live_refresh()
