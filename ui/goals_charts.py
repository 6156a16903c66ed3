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

from planning import i18n
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import KrEvaluation
from planning.okrs.track import KrTrack
from planning.reports import chart_specs
from planning.reports.chart_specs import progress_text, share
from ui.charts import Chart, d3_format, from_altair, rows_table

__all__ = ["detail_spec", "progress_spec", "progress_text", "share", "value_domain"]


def progress_spec(krs: Sequence[KrEvaluation]) -> Chart:
    """An objective's progress against pace (planning/reports/chart_specs.py) with its rows as a
    table."""
    built = chart_specs.progress_spec(krs)
    return Chart(spec=built.spec, rows=rows_table(built.rows))


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
    # Axis labels in millions or thousands once money runs large ($6.1M, not $6,100,000.00);
    # German has no "M" or "k" for them, so its axis groups whole amounts (6.000.000 €).
    large_money = kr.value_format == "money" and largest >= 10_000
    axis_fmt = fmt if not large_money else "$.3~s" if i18n.english_formats() else "$,.0f"
    y_scale = alt.Scale(zero=False, domain=value_domain(kr, track), nice=False)
    actual, pace, target, forecast = (
        _(track.actual_label),
        _("Expected pace"),
        _("Target"),
        _("Forecast"),
    )
    names = {"actual": actual, "expected": pace, "target": target}
    lines = track.path.melt(id_vars="day", value_vars=["actual", "expected", "target"]).dropna()
    lines = lines.assign(series=lines["variable"].map(names), day=pd.to_datetime(lines["day"]))
    domain = [actual, pace, target, forecast]
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
                alt.Tooltip("day:T", title=_("Day")),
                alt.Tooltip("series:N", title=_("Series")),
                alt.Tooltip("value:Q", title=_("Value"), format=fmt),
            ],
        )
    ]
    if not track.band.empty:
        band = track.band.assign(day=pd.to_datetime(track.band["day"]), series=forecast)
        layers.insert(
            0,
            alt.Chart(band)
            .mark_area(opacity=0.18, color="#e07b00", clip=True)
            .encode(
                x="day:T",
                y="low:Q",
                y2="high:Q",
                tooltip=[
                    alt.Tooltip("day:T", title=_("Day")),
                    alt.Tooltip("low:Q", title=_("80 % band from"), format=fmt),
                    alt.Tooltip("high:Q", title=_("to"), format=fmt),
                ],
            ),
        )
        layers.append(
            alt.Chart(band)
            .mark_line()
            .encode(x="day:T", y="forecast:Q", color=color, strokeDash=dash)
        )
    if not track.ships.empty:
        kinds = {"shipped": _("shipped"), "planned": _("planned")}
        ships = track.ships.assign(
            day=pd.to_datetime(track.ships["day"]), kind=track.ships["kind"].map(kinds)
        )
        layers.append(
            alt.Chart(ships)
            .mark_rule(color="#6a4fb3", strokeWidth=2)
            .encode(
                x="day:T",
                strokeDash=alt.StrokeDash(
                    "kind:N",
                    scale=alt.Scale(domain=list(kinds.values()), range=[[1, 0], [4, 4]]),
                    legend=alt.Legend(title=_("Initiatives"), orient="top"),
                ),
                tooltip=[
                    alt.Tooltip("initiative:N", title=_("Initiative")),
                    alt.Tooltip("kind:N", title=_("Ship date")),
                    alt.Tooltip("day:T", title=_("Day")),
                ],
            )
        )
    return from_altair(alt.layer(*layers).properties(height=320))
