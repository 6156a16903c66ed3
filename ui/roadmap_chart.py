"""The Roadmap's timeline, drawn one swimlane (objective) at a time with Altair and returned as
Vega-Lite specs so pages can cache them.

A bar runs from an initiative's start to its target date (to its shipped date once done) and is
coloured by health; a thin dark bar inside it shows % complete; done work is paler with a diamond
on its ship day; the dashed red rule is today. Every lane shares one time axis. Dates are drawn on
a UTC scale so that no browser time zone shifts them by a day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import altair as alt
import pandas as pd

from planning.initiatives import HEALTH_LABELS, status_label

HEALTH_COLORS = {"on_track": "#2e8540", "at_risk": "#e07b00", "off_track": "#c0392b"}
TODAY_COLOR = "#c0392b"
ROW_HEIGHT = 30


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
    return value.strftime("%d %b %Y") if isinstance(value, date) else "—"


def lane_spec(items: pd.DataFrame, *, domain: tuple[date, date], today: date) -> dict[str, Any]:
    """One swimlane's timeline as a Vega-Lite spec (items: roadmap rows that have dates)."""
    done = items["status"] == "done"
    data = pd.DataFrame(
        {
            "row": [f"{t}\u2002#{i}" for t, i in zip(items["title"], items["id"], strict=True)],
            "title": items["title"],
            "owner": items["owner"],
            "status": items["status"],
            "status_label": items["status"].map(status_label),
            "health": items["health"].map(lambda h: HEALTH_LABELS.get(h, h)),
            "percent": items["percent_complete"].astype(int),
            "start": items["start_date"].map(_day),
            "end": items["end_date"].map(_day),
            "progress": items["progress_date"].map(_day),
            "shipped": items["shipped_date"].map(_day),
            "start_text": items["start_date"].map(_text_day),
            "target_text": items["target_date"].map(_text_day),
            "shipped_text": items["shipped_date"].map(_text_day),
            "label": [
                "shipped" if is_done else f"{int(p)} %"
                for is_done, p in zip(done, items["percent_complete"], strict=True)
            ],
        }
    )
    order = list(data["row"])
    x_scale = alt.Scale(type="utc", domain=[domain[0].isoformat(), domain[1].isoformat()])
    y = alt.Y(
        "row:N",
        sort=order,
        title=None,
        axis=alt.Axis(labelLimit=320, labelExpr="split(datum.label, '\u2002#')[0]"),
    )
    tooltip = [
        alt.Tooltip("title:N", title="Initiative"),
        alt.Tooltip("owner:N", title="Owner"),
        alt.Tooltip("status_label:N", title="Status"),
        alt.Tooltip("health:N", title="Health"),
        alt.Tooltip("percent:Q", title="% complete"),
        alt.Tooltip("start_text:N", title="Start"),
        alt.Tooltip("target_text:N", title="Target"),
        alt.Tooltip("shipped_text:N", title="Shipped"),
    ]
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar(size=18, cornerRadius=3).encode(
        x=alt.X("start:T", scale=x_scale, title=None, axis=alt.Axis(format="%d %b", grid=True)),
        x2="end:T",
        color=alt.Color(
            "health:N",
            scale=alt.Scale(
                domain=[HEALTH_LABELS[h] for h in HEALTH_COLORS],
                range=list(HEALTH_COLORS.values()),
            ),
            legend=None,
        ),
        opacity=alt.condition("datum.status == 'done'", alt.value(0.45), alt.value(0.95)),
        tooltip=tooltip,
    )
    progress = (
        base.transform_filter("datum.status != 'done' && datum.percent > 0")
        .mark_bar(size=6, color="#1f1f1f", opacity=0.6)
        .encode(x="start:T", x2="progress:T", tooltip=tooltip)
    )
    shipped = (
        base.transform_filter("datum.shipped != null")
        .mark_point(shape="diamond", filled=True, size=120, color="#1f1f1f", opacity=1)
        .encode(x="shipped:T", tooltip=tooltip)
    )
    labels = base.mark_text(align="left", dx=8, fontSize=11, color="#333333").encode(
        x="end:T", text="label:N"
    )
    rule = (
        alt.Chart(pd.DataFrame({"today": [today.isoformat()]}))
        .mark_rule(color=TODAY_COLOR, strokeDash=[5, 3], size=2)
        .encode(x=alt.X("today:T", scale=x_scale))
    )
    # A fixed step per row keeps bars and labels apart however few rows a lane has.
    chart = alt.layer(bars, progress, shipped, labels, rule).properties(height=alt.Step(ROW_HEIGHT))
    return chart.to_dict()
