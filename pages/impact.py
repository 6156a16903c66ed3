"""Impact: each shipped initiative's expected lift against the realised one with its interval
and verdict, the metric around the ship date, calibration per estimator, and the weekly digest."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from planning.digest import DigestError
from planning.formatting import format_value
from planning.impact import (
    VERDICT_LABELS,
    calibration,
    calibration_frame,
    interval_text,
    lift_text,
    points_text,
)
from planning.periods import iso_week, week_bounds
from ui import impact_data as data
from ui.charts import d3_format
from ui.state import app_config, live_refresh, versions

VERDICT_COLOURS = {
    "Beat": "#1b7f3b",
    "Met": "#2f6fd0",
    "Missed": "#c0392b",
    "Inconclusive": "#8a8a8a",
}
DIGEST_WEEKS = 12

config = app_config()
settings = config.settings.impact
symbol = config.settings.currency_symbol
current = versions()

st.title("Impact")
st.caption(
    f"Did it work? Each shipped initiative's expected lift against what its metric did in the "
    f"{settings.post_window_days} days from the ship day, compared with the "
    f"{settings.post_window_days} days before and net of the same weeks' change a year earlier, "
    f"with a {settings.interval * 100:.0f} % interval from a bootstrap over days."
)

entries = data.ledger(current)
ledger_tab, calibration_tab, digest_tab = st.tabs(["Ledger", "Calibration", "Digest"])

# --- ledger ------------------------------------------------------------------------------------
with ledger_tab:
    if not entries:
        st.info(
            "No shipped initiative has an expected lift yet. Set an expected lift (metric and %) "
            "on an initiative and its shipped date; it is measured once the post window has data."
        )
    else:
        measured = [e for e in entries if e.measured]
        counts = st.columns(5)
        for column, verdict in zip(
            counts, ("beat", "met", "missed", "inconclusive", "not_enough_data"), strict=True
        ):
            column.metric(VERDICT_LABELS[verdict], sum(1 for e in entries if e.verdict == verdict))

        if measured:
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
                scale=alt.Scale(domain=list(VERDICT_COLOURS), range=list(VERDICT_COLOURS.values())),
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
            zero = (
                alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
            )
            st.altair_chart(
                (zero + bars + dots + expected).properties(height=alt.Step(34)),
                width="stretch",
            )
            st.caption(
                "Dot: realised lift · bar: its interval · diamond: the expected lift · dashed "
                "line: no change."
            )

        table = pd.DataFrame(
            {
                "Initiative": [e.initiative for e in entries],
                "Verdict": [VERDICT_LABELS[e.verdict] for e in entries],
                "Expected": [lift_text(e.expected_lift) for e in entries],
                "Realised": [lift_text(e.realised_lift) for e in entries],
                "Interval": [interval_text(e.ci_low, e.ci_high) for e in entries],
                "Metric": [e.metric_label for e in entries],
                "Read on": [e.where for e in entries],
                "Shipped": [e.shipped for e in entries],
                "Seasonally adjusted": [e.seasonally_adjusted for e in entries],
                "Estimated by": [e.estimator for e in entries],
                "Note": [e.reason for e in entries],
            }
        )
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={"Shipped": st.column_config.DateColumn(format="D MMM YYYY")},
        )

        st.subheader("Around the ship date")
        by_id = {e.initiative_id: e for e in entries}
        chosen_id = st.selectbox(
            "Initiative",
            list(by_id),
            format_func=lambda i: by_id[i].initiative,
            key="impact_initiative",
        )
        entry = by_id[chosen_id]
        windows = entry.windows
        ly = windows.last_year()
        st.caption(
            f"{entry.metric_label} ({entry.where}) · pre window {windows.pre_start:%d %b} – "
            f"{windows.pre_end:%d %b %Y} · post window {windows.post_start:%d %b} – "
            f"{windows.post_end:%d %b %Y} · last year {ly.pre_start:%d %b} – "
            f"{ly.post_end:%d %b %Y}"
        )
        fmt = entry.value_format
        tiles = st.columns(4)
        for column, label, value in zip(
            tiles,
            ("Before", "After", "Before, last year", "After, last year"),
            (entry.pre_value, entry.post_value, entry.pre_last_year, entry.post_last_year),
            strict=True,
        ):
            column.metric(label, format_value(value, fmt, currency_symbol=symbol))
        if not entry.measured:
            st.info(f"{VERDICT_LABELS[entry.verdict]}: {entry.reason}")
        elif entry.reason:
            st.caption(entry.reason.capitalize() + ".")
        frame = data.chart_frame(current, entry.initiative_id)
        if frame.empty or not frame["value"].notna().any():
            st.info("No data for this metric around the ship date.")
        else:
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
                        scale=alt.Scale(
                            domain=["Pre window", "Post window"], range=["#8a8a8a", "#2f6fd0"]
                        ),
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
            st.altair_chart(
                (shade + lines + ship).resolve_scale(color="independent"),
                width="stretch",
            )
            st.caption(
                "Red line: ship date. Last year's values are drawn on the same weekdays "
                "(364 days later)."
            )

# --- calibration -------------------------------------------------------------------------------
with calibration_tab:
    calibrations = calibration(entries)
    if not calibrations:
        st.info("Calibration appears once initiatives with an expected lift have shipped.")
    else:
        frame = calibration_frame(calibrations)
        shown = pd.DataFrame(
            {
                "Estimator": frame["person"],
                "Measured": frame["predictions"],
                "Landed (met or beat)": frame["landed"],
                "Missed": frame["missed"],
                "Inconclusive": frame["inconclusive"],
                "Waiting for data": frame["waiting"],
                "Hit rate": frame["hit_rate"],
                "Mean over-estimate": [points_text(v) for v in frame["mean_error"]],
                "Tendency": frame["tendency"],
                "Suggested confidence": frame["suggested_confidence"],
            }
        )
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            column_config={
                "Hit rate": st.column_config.NumberColumn(format="percent"),
                "Suggested confidence": st.column_config.NumberColumn(format="%.2f"),
            },
        )
        st.caption(
            "Hit rate: landed / (landed + missed); inconclusive results count for neither. Mean "
            "over-estimate: the average of expected − realised lift over measured predictions "
            "(positive: the estimates were too high). Suggested confidence: (landed + 1) / "
            "(landed + missed + 2), the hit rate pulled toward 0.5 while there are few results; "
            "weekly planning offers it for the estimator's next expected-value scores."
        )

# --- digest ------------------------------------------------------------------------------------
with digest_tab:
    today = date.today()
    latest = data.latest_day(current)
    anchor = min(latest, today) if latest is not None else today
    last_monday = week_bounds(iso_week(anchor))[0]
    weeks = [iso_week(last_monday - timedelta(weeks=i)) for i in range(DIGEST_WEEKS)]
    week = st.selectbox(
        "Week",
        weeks,
        format_func=lambda w: f"{w} · {week_bounds(w)[0]:%d %b} – {week_bounds(w)[1]:%d %b %Y}",
        key="digest_week",
    )
    try:
        markdown, html_text = data.weekly_digest(current, week, today)
    except DigestError as exc:
        st.error(str(exc))
    else:
        buttons = st.columns([1, 1, 4])
        buttons[0].download_button(
            "Download .md",
            markdown,
            file_name=f"digest-{week}.md",
            mime="text/markdown",
            icon=":material/download:",
        )
        buttons[1].download_button(
            "Download .html",
            html_text,
            file_name=f"digest-{week}.html",
            mime="text/html",
            icon=":material/download:",
        )
        with st.container(border=True):
            # Built by planning.digest with every piece of people's text escaped for Markdown.
            st.markdown(markdown)

live_refresh()
