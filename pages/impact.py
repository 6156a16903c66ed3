"""Impact: each shipped initiative's expected lift against the realised one with its interval
and verdict, the metric around the ship date, calibration per estimator, and the weekly digest."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from planning import clock, i18n
from planning.formatting import (
    aligned_figures,
    format_change,
    format_day,
    format_span_start,
    format_value,
)
from planning.i18n import gettext as _
from planning.impact.calibration import calibration, calibration_frame
from planning.impact.ledger_views import points_text
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.periods import iso_week, week_bounds
from planning.reports.digest import DigestError
from ui import exports
from ui import impact_charts as charts
from ui import impact_data as data
from ui.charts import draw
from ui.data import latest_complete_day
from ui.downloads import download_button
from ui.grid_formats import day_format, figures
from ui.pickers import pick_record
from ui.state import app_config, live_refresh, versions
from ui.tables import markdown_tables_scroll, show_table

DIGEST_WEEKS = 12

config = app_config()
settings = config.settings.impact
symbol = config.settings.currency_symbol
current = versions()
lang = i18n.locale_key()

st.title(_("Impact"))
st.caption(
    _(
        "Did it work? Each shipped initiative's expected lift against what its metric did in "
        "the {days} days from the ship day, compared with the {days} days before and net of the "
        "same weeks' change a year earlier, with a {interval} interval from a bootstrap over "
        "days."
    ).format(days=settings.post_window_days, interval=f"{settings.interval * 100:.0f} %")
)

# Only the open tab runs (the digest is the costly one): a tab switch reruns the page.
ledger_tab, calibration_tab, digest_tab = st.tabs(
    [_("Ledger"), _("Calibration"), _("Digest")], key="impact_tab", on_change="rerun"
)


# --- ledger ------------------------------------------------------------------------------------
def _ledger() -> None:
    """Verdict counts, lifts with their intervals, the table, one initiative around its ship."""
    entries = data.ledger(current)
    if not entries:
        st.info(
            _(
                "No shipped initiative has an expected lift yet. Set an expected lift (metric "
                "and %) on an initiative and its shipped date; it is measured once the post "
                "window has data."
            )
        )
        st.page_link(
            "pages/initiatives.py", label=_("Open Initiatives"), icon=":material/checklist:"
        )
    else:
        counts = st.columns(5)
        for column, verdict in zip(
            counts, ("beat", "met", "missed", "inconclusive", "not_enough_data"), strict=True
        ):
            column.metric(
                _(VERDICT_LABELS[verdict]), sum(1 for e in entries if e.verdict == verdict)
            )

        ledger_chart = charts.ledger(current, lang)
        if ledger_chart is not None:
            draw(ledger_chart)
            st.caption(
                _(
                    "Dot: realised lift · bar: its interval · diamond: the expected lift · "
                    "dashed line: no change."
                )
            )

        show_table(
            data.ledger_table(current, lang),
            {_("Shipped"): st.column_config.DateColumn(format=day_format())},
        )
        st.markdown("**" + _("Take the ledger into a meeting") + "**")
        exports.offer(
            view="impact-ledger",
            scope=clock.today().isoformat(),
            build=lambda fmt: exports.impact_file(current, fmt, lang),
            key="impact_export",
            # The images are the ledger's chart, which needs a measured entry.
            formats=("pdf", "png", "svg") if ledger_chart is not None else ("pdf",),
            what=_("the impact ledger"),
        )

        st.subheader(_("Around the ship date"))
        entry = pick_record(
            _("Initiative"),
            {e.initiative_id: e for e in entries},
            lambda e: e.initiative,
            key="impact_initiative",
        )
        windows = entry.windows
        ly = windows.last_year()
        st.caption(
            f"{entry.metric_label} ({app_config().metrics.filters_text(entry.filters)}) · "
            + _(
                "pre window {pre_start} – {pre_end} · post window {post_start} – {post_end} · "
                "last year {ly_start} – {ly_end}"
            ).format(
                pre_start=format_span_start(windows.pre_start, windows.pre_end),
                pre_end=format_day(windows.pre_end),
                post_start=format_span_start(windows.post_start, windows.post_end),
                post_end=format_day(windows.post_end),
                ly_start=format_span_start(ly.pre_start, ly.post_end),
                ly_end=format_day(ly.post_end),
            )
        )
        fmt = entry.value_format
        tiles = st.columns(4)
        # Each "after" tile carries its change from "before": the rounded values alone can read
        # the same when the metric moved by a few percent.
        for column, label, value, before in zip(
            tiles,
            (_("Before"), _("After"), _("Before, last year"), _("After, last year")),
            (entry.pre_value, entry.post_value, entry.pre_last_year, entry.post_last_year),
            (None, entry.pre_value, None, entry.pre_last_year),
            strict=True,
        ):
            column.metric(
                label,
                format_value(value, fmt, currency_symbol=symbol),
                delta=format_change(value, before, fmt),
                delta_color="off",
            )
        if not entry.measured:
            st.info(f"{_(VERDICT_LABELS[entry.verdict])}: {entry.reason}")
        elif entry.reason:
            st.caption(entry.reason.capitalize() + ".")
        ship_chart = charts.around_ship(current, entry.initiative_id, lang)
        if ship_chart is None:
            st.info(_("No data for this metric around the ship date."))
        else:
            draw(ship_chart)
            st.caption(
                _(
                    "Red line: ship date. Last year's values are drawn on the same weekdays "
                    "(364 days later)."
                )
            )


# --- calibration -------------------------------------------------------------------------------
def _calibration() -> None:
    """How well each estimator's expected lifts landed."""
    calibrations = calibration(data.ledger(current))
    if not calibrations:
        st.info(_("Calibration appears once initiatives with an expected lift have shipped."))
    else:
        frame = calibration_frame(calibrations)
        shown = pd.DataFrame(
            {
                _("Estimator"): frame["person"],
                _("Measured"): frame["predictions"],
                _("Landed (met or beat)"): frame["landed"],
                _("Missed"): frame["missed"],
                _("Inconclusive"): frame["inconclusive"],
                _("Waiting for data"): frame["waiting"],
                _("Hit rate"): (
                    frame["hit_rate"]
                    if i18n.english_formats()
                    else aligned_figures(
                        frame["hit_rate"].tolist(), lambda v: i18n.percent_text(v, decimals=0)
                    )
                ),
                _("Mean over-estimate"): [points_text(v) for v in frame["mean_error"]],
                _("Tendency"): [_(str(t)) for t in frame["tendency"]],
                _("Suggested confidence"): figures(
                    frame["suggested_confidence"].tolist(), lambda v: i18n.fixed_text(v, decimals=2)
                ),
            }
        )
        show_table(
            shown,
            {
                _("Hit rate"): st.column_config.NumberColumn(format="percent"),
                _("Suggested confidence"): st.column_config.NumberColumn(format="%.2f"),
            }
            if i18n.english_formats()
            else None,
        )
        st.caption(
            _(
                "Hit rate: landed / (landed + missed); inconclusive results count for neither. "
                "Mean over-estimate: the average of expected − realised lift over measured "
                "predictions (positive: the estimates were too high). Suggested confidence: "
                "(landed + 1) / (landed + missed + 2), the hit rate pulled toward 0.5 while there "
                "are few results; weekly planning offers it for the estimator's next "
                "expected-value scores."
            )
        )


# --- digest ------------------------------------------------------------------------------------
def _digest() -> None:
    """One week's digest with its downloads."""
    today = clock.today()
    latest = latest_complete_day(current)
    anchor = min(latest, today) if latest is not None else today
    last_monday = week_bounds(iso_week(anchor))[0]
    weeks = [iso_week(last_monday - timedelta(weeks=i)) for i in range(DIGEST_WEEKS)]
    week = st.selectbox(
        _("Week"),
        weeks,
        format_func=lambda w: (
            f"{w} · {format_span_start(*week_bounds(w))} – {format_day(week_bounds(w)[1])}"
        ),
        key="digest_week",
    )
    try:
        with st.spinner(_("Writing the digest…"), show_time=False):
            markdown, html_text = data.weekly_digest(current, week, today, i18n.locale_key())
    except DigestError as exc:
        st.error(str(exc))
    else:
        files = (
            (_("Download .md"), markdown, "md", "text/markdown"),
            (_("Download .html"), html_text, "html", "text/html"),
        )
        buttons = st.columns([1, 1, 4])[:2]  # the wide third column keeps the buttons together
        for where, (label, content, suffix, mime) in zip(buttons, files, strict=True):
            download_button(
                label,
                lambda text=content: text,  # type: ignore[misc]
                file_name=f"digest-{week}.{suffix}",
                mime=mime,
                key=f"digest_{suffix}",
                where=where,
            )
        markdown_tables_scroll("digest_preview")
        with st.container(border=True, key="digest_preview"):
            # Built by planning.reports.digest with every piece of people's text escaped for
            # Markdown.
            st.markdown(markdown)


# --- the open tab ------------------------------------------------------------------------------
with ledger_tab:
    if ledger_tab.open:
        _ledger()
with calibration_tab:
    if calibration_tab.open:
        _calibration()
with digest_tab:
    if digest_tab.open:
        _digest()

live_refresh()
