"""Goals → "How good are these forecasts?": the forecaster's backtest on the store's own past
quarters (planning.okrs.backtest), as a reliability chart, the same numbers as a table, and the
Brier score against always saying the base rate; and a key result's probability as shown (a
range, or "not enough history", when its metric has too few past quarters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from planning import i18n
from planning.formatting import format_count, format_whole_percent
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.backtest import forecast_quality as backtest_quality
from planning.okrs.backtest_replay import CHECKPOINTS, MIN_QUARTERS
from planning.okrs.backtest_score import ForecastQuality, Score
from planning.okrs.evaluation_reads import data_as_of
from planning.okrs.evaluation_results import KrEvaluation
from planning.store.engine import OBSERVATIONS, OKRS
from ui.charts import Chart, draw, from_altair
from ui.grid_formats import figures, whole_format
from ui.state import Versions, app_config, depends_on, read_session, shared_read
from ui.tables import show_table

# The backtest reads key results, check-ins and observations only: a status update or a planning
# save leaves it, and the chart drawn from it, cached.
BACKTEST = (OKRS, OBSERVATIONS)

KIND_LABELS = {
    "total": N_("Running total over the quarter"),
    "level:period_to_date": N_("Level over the quarter to date"),
    "level:trailing_7d": N_("Level over the last 7 days"),
    "level:trailing_28d": N_("Level over the last 28 days"),
}


def _score(value: float) -> str:
    """A Brier score with three decimals ('0.182'; German '0,182')."""
    if i18n.english_formats():
        return f"{value:.3f}"
    return i18n.fixed_text(value, decimals=3)


def probability_shown(kr: KrEvaluation) -> str:
    """A key result's probability as the Goals page shows it ("—" without a forecast)."""
    return kr.probability_text or "—"


@depends_on(*BACKTEST)
@st.cache_data(ttl=3600, max_entries=8, show_spinner=False)
def quality(versions: Versions, today: date) -> ForecastQuality:
    """The store's forecast backtest (also cached in the domain per observations version)."""
    del versions
    config = app_config()
    with read_session() as session:
        as_of = data_as_of(session=session, config=config, today=today)
        return backtest_quality(session=session, config=config, as_of=as_of)


def _scores(values: list[float | None]) -> list[float | None] | list[str]:
    """Brier scores for a table column, to three decimals in the team's format."""
    rounded = [round(v or 0.0, 3) for v in values]
    return list(figures(rounded, lambda v: i18n.decimal_text(v, decimals=3)))


def bins_table(score: Score) -> pa.Table:
    """The reliability bins as a table: stated range, mean stated, hit rate, forecasts."""
    stated, mean, hits, forecasts = _("Stated"), _("Mean stated"), _("Hit rate"), _("Forecasts")
    return pa.Table.from_pylist(
        [
            {
                stated: f"{format_whole_percent(b.low)}–{format_whole_percent(b.high)}",
                mean: format_whole_percent(b.stated),
                hits: format_whole_percent(b.hit_rate),
                forecasts: b.n,
            }
            for b in score.bins
        ],
        schema=pa.schema(
            [
                (stated, pa.string()),
                (mean, pa.string()),
                (hits, pa.string()),
                (forecasts, pa.int64()),
            ]
        ),
    )


def reliability_chart(score: Score) -> Chart:
    """Mean stated probability against hit rate per bin (sized by forecasts), and the diagonal
    a perfectly calibrated forecaster would sit on."""
    points = pd.DataFrame(
        {
            "stated": [b.stated for b in score.bins],
            "hit_rate": [b.hit_rate for b in score.bins],
            "forecasts": [b.n for b in score.bins],
        }
    )
    scale = alt.Scale(domain=[0, 1])
    diagonal = (
        alt.Chart(pd.DataFrame({"stated": [0.0, 1.0], "hit_rate": [0.0, 1.0]}))
        .mark_line(color="#999999", strokeDash=[4, 4])
        .encode(x=alt.X("stated:Q", scale=scale), y=alt.Y("hit_rate:Q", scale=scale))
    )
    dots = (
        alt.Chart(points)
        .mark_circle(opacity=0.8)
        .encode(
            x=alt.X(
                "stated:Q", title=_("Stated probability"), scale=scale, axis=alt.Axis(format="%")
            ),
            y=alt.Y("hit_rate:Q", title=_("Hit rate"), scale=scale, axis=alt.Axis(format="%")),
            size=alt.Size("forecasts:Q", title=_("Forecasts")),
            tooltip=[
                alt.Tooltip("stated:Q", title=_("Stated"), format=".0%"),
                alt.Tooltip("hit_rate:Q", title=_("Hit rate"), format=".0%"),
                alt.Tooltip("forecasts:Q", title=_("Forecasts")),
            ],
        )
    )
    chart = alt.layer(diagonal, dots).properties(
        title=_("Stated probability against how often it came true"), height=280
    )
    return from_altair(chart)


@dataclass(frozen=True)
class QualityShown:
    """The expander's contents: a note when there is not enough history, else the summary,
    the reliability chart and the two tables."""

    summary: str
    chart: Chart | None = None
    bins: pa.Table | None = None
    kinds: pa.Table | None = None


@depends_on(*BACKTEST)
@shared_read(ttl=3600, max_entries=8)
def quality_shown(versions: Versions, today: date, language: str) -> QualityShown:
    """What the expander shows, written once per data version and `language`
    (i18n.locale_key) rather than on every rerun of the Goals page."""
    found = quality(versions, today)
    score = found.calibrated
    with i18n.use_locale_key(language):
        if score.n == 0 or score.brier is None or score.base_rate_brier is None:
            return QualityShown(
                _(
                    "Not enough history yet: forecasts are checked once the store holds more "
                    "than {quarters} complete past quarters. Until then a key result's "
                    "probability is shown as a range."
                ).format(quarters=MIN_QUARTERS)
            )
        days = ", ".join(str(d) for d in CHECKPOINTS)
        summary = _(
            "Every metric's past quarters ({first} to {last}) replayed at days {days}, with "
            "only the days up to then, against targets spread around what happened; each "
            "quarter is forecast with a calibration fitted only on the quarters before it. "
            "**{count} forecasts**: Brier score **{brier}** against **{base}** for always "
            "saying the base rate (lower is better; {raw} before calibration)."
        ).format(
            first=found.periods[0],
            last=found.periods[-1],
            days=days,
            count=format_count(score.n),
            brier=_score(score.brier),
            base=_score(score.base_rate_brier),
            raw=_score(found.raw.brier or 0),
        )
        scores = found.by_kind.values()
        kinds = {
            _("Kind of key result"): [
                _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind for kind in found.by_kind
            ],
            _("Forecasts"): [s.n for s in scores],
            _("Brier score"): _scores([s.brier for s in scores]),
            _("Base rate"): _scores([s.base_rate_brier for s in scores]),
        }
        return QualityShown(
            summary,
            chart=reliability_chart(score),
            bins=bins_table(score),
            kinds=pa.Table.from_pydict(kinds),
        )


def quality_expander(versions: Versions, today: date) -> None:
    """The "How good are these forecasts?" expander of the Goals page."""
    with st.expander(_("How good are these forecasts?")):
        shown = quality_shown(versions, today, i18n.locale_key())
        st.write(shown.summary)
        if shown.chart is None:
            return
        draw(shown.chart)
        forecasts = {_("Forecasts"): st.column_config.NumberColumn(format=whole_format())}
        show_table(shown.bins, forecasts)
        show_table(shown.kinds, forecasts)
