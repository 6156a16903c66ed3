"""The impact ledger as people read it: the ledger table and its rows for the API, the lift,
points and interval texts, and the frame the impact chart draws around a ship date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session

from planning import i18n
from planning.config import (
    AppConfig,
)
from planning.i18n import gettext as _
from planning.impact import ledger
from planning.impact.ledger import ImpactEntry, latest_complete_day
from planning.impact.lift_estimate import LAST_YEAR
from planning.metrics.engine import metric_series_many

# The lift, its interval and the verdict with its reason: the end of every ledger row, each
# named as the entry's own field.
VERDICT_FIELDS = (
    "expected_lift",
    "realised_lift",
    "ci_low",
    "ci_high",
    "verdict",
    "seasonally_adjusted",
    "reason",
)


# --- an entry's reason in the reader's language ----------------------------------------------


def _day(text: str) -> str:
    return i18n.date_text(datetime.strptime(text, ledger.REASON_DAY).date())


def _share(text: str) -> str:
    if i18n.english_formats():
        return text
    return i18n.percent_text(int(text.rstrip("%")) / 100, decimals=0)


_DAY = r"\d{2} [A-Z][a-z]{2} \d{4}"
_WHOLE = r"\d+"
# Each reason's placeholders as stored (English formats) and as the reader's format writes them.
_REASON_FIELDS: dict[str, tuple[str, Callable[[str], str]]] = {
    "metric": (".+", str),
    "days": (_WHOLE, str),
    "count": (_WHOLE, str),
    "end": (_DAY, _day),
    "through": (_DAY, _day),
    "share": (r"\d+%", _share),
}
_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (i18n.sentence_pattern(sentence, {k: v[0] for k, v in _REASON_FIELDS.items()}), sentence)
    for sentence in (
        ledger.UNKNOWN_METRIC,
        ledger.NO_OBSERVATIONS,
        ledger.WINDOW_OPEN,
        ledger.TOO_FEW_BEFORE,
        ledger.TOO_FEW_AFTER,
        ledger.NOT_ADJUSTED,
    )
)


def reason_text(reason: str) -> str:
    """Why an entry has no realised lift (or no seasonal adjustment), in the reader's language
    with dates and shares in the team's format; English reads it as the ledger wrote it."""
    if not reason or i18n.language() == i18n.SOURCE_LANGUAGE:
        return reason
    for shape, sentence in _REASONS:
        found = shape.fullmatch(reason)
        if found is not None:
            values = {k: _REASON_FIELDS[k][1](v) for k, v in found.groupdict().items()}
            return _(sentence).format(**values)
    return reason


LEDGER_COLUMNS = [
    "initiative_id",
    "initiative",
    "status",
    "owner",
    "estimator",
    "metric",
    "metric_id",
    "where",
    "shipped",
    "ready_on",
    *VERDICT_FIELDS,
]


def ledger_frame(entries: Iterable[ImpactEntry]) -> pd.DataFrame:
    """The ledger as a table, one row per initiative (lifts as fractions: 0.08 is +8 %)."""
    rows = [
        {
            "initiative_id": e.initiative_id,
            "initiative": e.initiative,
            "status": e.status,
            "owner": e.owner,
            "estimator": e.estimator,
            "metric": e.metric_label,
            "metric_id": e.metric_id,
            "where": e.where,
            "shipped": e.shipped,
            "ready_on": e.ready_on,
            **_verdict_fields(e),
        }
        for e in entries
    ]
    return pd.DataFrame(rows, columns=LEDGER_COLUMNS).astype(
        {c: "float64" for c in ("expected_lift", "realised_lift", "ci_low", "ci_high")}
    )


def _verdict_fields(entry: ImpactEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in VERDICT_FIELDS}


def ledger_rows(entries: Iterable[ImpactEntry]) -> list[dict[str, Any]]:
    """JSON-ready rows: initiative, metric, expected and realised lift, interval, verdict."""
    return [
        {
            "initiative_id": e.initiative_id,
            "initiative": e.initiative,
            "metric": e.metric_id,
            "filters": e.filters,
            "shipped": e.shipped.isoformat(),
            "ready_on": e.ready_on.isoformat(),
            "estimator": e.estimator,
            **_verdict_fields(e),
        }
        for e in entries
    ]


def lift_text(value: float | None) -> str:
    """A relative lift as signed percent text: 0.081 -> "+8.1 %"; None -> "—"."""
    if value is None or math.isnan(value):
        return "—"
    if not i18n.english_formats():
        return _signed_percent(value * 100) + "\u00a0%"
    return f"{value * 100:+.1f} %"


def _signed_percent(figure: float) -> str:
    """A figure with one decimal and its sign, in the team's format (+8,1)."""
    text = i18n.fixed_text(figure, decimals=1)
    return text if text.startswith(("-", "\u2212")) else "+" + text


def points_text(value: float | None) -> str:
    """A difference of two lifts in percentage points: 0.012 -> "+1.2 pts"; None -> "—"."""
    if value is None or math.isnan(value):
        return "—"
    if not i18n.english_formats():
        return _("{points} pts").format(points=_signed_percent(value * 100))
    return f"{value * 100:+.1f} pts"


def interval_text(low: float | None, high: float | None) -> str:
    """An interval as percent text: "+5.2 % to +10.9 %"."""
    if low is None or high is None:
        return "—"
    return _("{low} to {high}").format(low=lift_text(low), high=lift_text(high))


def impact_chart_frame(
    *, session: Session, config: AppConfig, entry: ImpactEntry, margin_days: int = 14
) -> pd.DataFrame:
    """The metric's daily values around the ship date, with last year's shifted onto the same
    days: columns day, series ("This year" | "Last year"), value."""
    windows = entry.windows
    start = windows.pre_start - timedelta(days=margin_days)
    end = windows.post_end + timedelta(days=margin_days)
    latest = latest_complete_day(session, config)
    if latest is not None:
        end = min(end, latest)
    columns = ["day", "series", "value"]
    if entry.metric_id not in config.metrics.metrics or latest is None or end < start:
        return pd.DataFrame(columns=columns)
    frames = []
    for label, shift in (("This year", timedelta(0)), ("Last year", LAST_YEAR)):
        frame = metric_series_many(
            session=session,
            config=config.metrics,
            metric_ids=[entry.metric_id],
            start=start - shift,
            end=end - shift,
            filters=entry.filters or None,
        )
        frames.append(
            pd.DataFrame(
                {
                    "day": [d + shift for d in frame["period"]],
                    "series": label,
                    "value": frame[entry.metric_id].astype("float64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[columns]
