"""Metrics: KPI tiles, trends, checkout funnel, margin by product line, breakdowns, freshness."""

from __future__ import annotations

from datetime import date

import streamlit as st

from planning import clock, i18n
from planning.formatting import (
    format_change,
    format_count,
    format_day,
    format_elapsed,
    format_span_start,
    format_value,
)
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.completeness import partial_days_text
from planning.metrics.dashboard import (
    PRESETS,
    DateWindow,
    partial_periods,
    partial_periods_text,
    preset_window,
)
from planning.periods import quarter_bounds, quarter_of
from ui import data
from ui import metrics_charts as charts
from ui.charts import draw
from ui.grid_formats import input_day_format
from ui.identity import current_person
from ui.pickers import dimension_filter
from ui.setup import connect_data_step
from ui.sources_view import stale_source_notes
from ui.state import app_config, live_refresh, versions

config = app_config()
metrics_config = config.metrics
symbol = config.settings.currency_symbol
fiscal_start = config.settings.fiscal_year_start_month
GRAINS = ["day", "week", "month", "quarter"]
GRAIN_WORDS = {"day": _("day"), "week": _("week"), "month": _("month"), "quarter": _("quarter")}
CUSTOM = N_("Custom range")
lang = i18n.locale_key()

st.title(_("Metrics"))
current = versions()
fresh = data.store_freshness(current)

if fresh.latest_day is None:
    connect_data_step(current_person(), what=_("The store holds no observations yet"))
    live_refresh()
    st.stop()

latest: date = fresh.latest_day
partial = f" · {partial_days_text(fresh.partial_days)}" if fresh.partial_days else ""
st.caption(
    _(
        "Data through **{day}**{partial} · last import {ago} · {rows} observations · updates "
        "by itself while open"
    ).format(
        day=format_day(latest, weekday=True),
        partial=partial,
        ago=format_elapsed(fresh.last_import_at, clock.now()),
        rows=format_count(fresh.observation_rows),
    )
)
stale_source_notes(current)

quarter_now = quarter_of(clock.today(), fiscal_start)
quarter_first = quarter_bounds(quarter_now, fiscal_start)[0]
if latest < quarter_first:
    st.info(
        _(
            "No data for {quarter} yet (it began on {first}): every window below ends on "
            "{latest}, the last complete day, and this page updates by itself when the new "
            "quarter's first day arrives."
        ).format(
            quarter=quarter_now,
            first=format_day(quarter_first, weekday=True),
            latest=format_day(latest, weekday=True),
        )
    )

# --- controls ----------------------------------------------------------------------------------
controls = st.columns([2, 2, 2, 2])
preset = controls[0].selectbox(
    _("Window"), [*PRESETS, CUSTOM], index=1, format_func=lambda p: _(p), key="metrics_window"
)
if preset == CUSTOM:
    default = preset_window("Last 28 days", latest=latest)
    picked = controls[1].date_input(
        _("From – to"),
        value=(default.start, default.end),
        max_value=latest,
        format=input_day_format(),
    )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info(_("Pick the first and the last day of the range."))
        st.stop()
    window = DateWindow(picked[0], picked[1])
else:
    window = preset_window(preset, latest=latest, fiscal_start_month=fiscal_start)
    controls[1].text_input(
        _("From – to"), f"{format_day(window.start)} – {format_day(window.end)}", disabled=True
    )
filters: dict[str, str] = {}
for column, dimension in zip(controls[2:], ("channel", "device"), strict=False):
    spec = metrics_config.dimensions.get(dimension)
    if spec is None:
        continue
    choice = dimension_filter(column, spec.label, spec, key=f"filter_{dimension}")
    if choice is not None:
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
                delta_description=_("vs previous period"),
                border=True,
                help=_(
                    "Previous period {previous_start} – {previous_end}: {previous}. "
                    "Last year {year_ago_start} – {year_ago_end}: {year_ago}."
                ).format(
                    previous_start=format_span_start(previous.start, previous.end),
                    previous_end=format_day(previous.end),
                    previous=format_value(tile.previous, tile.fmt, currency_symbol=symbol),
                    year_ago_start=format_span_start(year_ago.start, year_ago.end),
                    year_ago_end=format_day(year_ago.end),
                    year_ago=format_value(tile.year_ago, tile.fmt, currency_symbol=symbol),
                ),
            )
            note = (
                _("vs last year {change}").format(change=vs_last_year)
                if vs_last_year
                else _("no data last year")
            )
            if filters and not tile.filtered:
                note += " · " + _("filters do not apply")
            st.caption(note)

# --- trend -------------------------------------------------------------------------------------
st.subheader(_("Trend"))
left, right = st.columns([3, 2])
metric_ids = list(metrics_config.metrics)
trend_metric = left.selectbox(
    _("Metric"),
    metric_ids,
    index=metric_ids.index("conversion_rate") if "conversion_rate" in metric_ids else 0,
    format_func=lambda m: metrics_config.metrics[m].label,
)
grain = right.segmented_control(
    _("Grain"),
    GRAINS,
    default="day" if window.days <= 92 else "week",
    format_func=lambda g: GRAIN_WORDS[g],
    key="metrics_grain",
)
grain = grain or "day"
spec = metrics_config.metrics[trend_metric]
trend_chart = charts.trend(
    current, trend_metric, window.start, window.end, grain, filter_items, lang
)
if trend_chart is not None:
    draw(trend_chart)
    cut_periods = partial_periods(
        data.trend(current, trend_metric, window.start, window.end, grain, filter_items)
    )
    if cut_periods:
        st.caption(partial_periods_text(cut_periods, grain))
else:
    st.info(_("No values for {metric} in this window.").format(metric=spec.label))
if filters and len(filters) != len(
    [d for d in filters if d in metrics_config.metric_dimensions(trend_metric)]
):
    st.caption(
        _("{metric} is not recorded by {filters}; shown unfiltered.").format(
            metric=spec.label, filters=", ".join(filters)
        )
    )

# --- funnel and margin -------------------------------------------------------------------------
funnel_col, margin_col = st.columns(2)
with funnel_col:
    st.subheader(_("Checkout funnel"))
    funnel_chart = charts.funnel(current, window.start, window.end, filter_items, lang)
    if funnel_chart is not None:
        draw(funnel_chart)
    else:
        st.info(_("No funnel data in this window."))

with margin_col:
    st.subheader(_("Margin by product line"))
    margin_chart = charts.margin(current, window.start, window.end, lang)
    if margin_chart is not None:
        draw(margin_chart)
    else:
        st.info(_("No product-line data in this window."))

# --- breakdown ---------------------------------------------------------------------------------
st.subheader(_("Breakdown"))
left, right = st.columns([3, 2])
split_metric = left.selectbox(
    _("Metric") + " ",
    [m for m in metric_ids if metrics_config.metric_dimensions(m)],
    format_func=lambda m: metrics_config.metrics[m].label,
    key="breakdown_metric",
)
dimensions = metrics_config.metric_dimensions(split_metric)
dimension = right.selectbox(
    _("By"), dimensions, format_func=lambda d: metrics_config.dimensions[d].label
)
split_chart = charts.breakdown(
    current, split_metric, dimension, window.start, window.end, filter_items, lang
)
if split_chart is not None:
    draw(split_chart)
else:
    st.info(_("No data for this breakdown in the window."))

live_refresh()
