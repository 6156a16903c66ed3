"""Cached reads for the Impact page (the pattern of ui/data.py): each takes the store's data
versions first, opens one short read-only session and returns plain data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import pyarrow as pa
import streamlit as st

from planning.config.metrics import MetricsConfig
from planning.i18n import gettext as _
from planning.impact import ledger_views
from planning.impact.ledger import ImpactEntry, impact_ledger
from planning.impact.lift_estimate import VERDICT_LABELS
from planning.reports import digest, digest_render
from ui import arrow
from ui.state import Versions, app_config, read_session, shared_read

TTL = 600
ENTRIES = 32


@shared_read(ttl=TTL, max_entries=ENTRIES)
def ledger(versions: Versions) -> tuple[ImpactEntry, ...]:
    """Every shipped initiative with an expected lift, measured with the latest data."""
    del versions
    with read_session() as session:
        return tuple(impact_ledger(session=session, config=app_config()))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def ledger_table(versions: Versions, language: str = "") -> pa.Table:
    """The ledger as the page's table: verdict, lifts and interval as text, one row each, its
    headings in the reader's language (`language`: i18n.locale_key, for the cache)."""
    entries = ledger(versions)
    read_on = _read_on(app_config().metrics, entries)
    return arrow.table(
        pd.DataFrame(
            {
                _("Initiative"): [e.initiative for e in entries],
                _("Verdict"): [_(VERDICT_LABELS[e.verdict]) for e in entries],
                _("Expected"): [ledger_views.lift_text(e.expected_lift) for e in entries],
                _("Realised"): [ledger_views.lift_text(e.realised_lift) for e in entries],
                _("Interval"): [ledger_views.interval_text(e.ci_low, e.ci_high) for e in entries],
                _("Metric"): [e.metric_label for e in entries],
                _("Read on"): read_on,
                _("Shipped"): [e.shipped for e in entries],
                _("Seasonally adjusted"): [e.seasonally_adjusted for e in entries],
                _("Estimated by"): [e.estimator for e in entries],
                _("Note"): [ledger_views.reason_text(e.reason) for e in entries],
            }
        )
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def chart_frame(versions: Versions, initiative_id: int) -> pd.DataFrame:
    """Daily values of an initiative's lift metric around its ship date, with last year's."""
    entries = {e.initiative_id: e for e in ledger(versions)}
    with read_session() as session:
        return ledger_views.impact_chart_frame(
            session=session, config=app_config(), entry=entries[initiative_id]
        )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def weekly_digest(
    versions: Versions, week: str, today: date, language: str = ""
) -> tuple[str, str]:
    """One week's digest as (Markdown, HTML); `language` (i18n.locale_key) keys the cache, as
    the digest's own words follow the reader's language where they are translated."""
    del versions, language
    with read_session() as session:
        built = digest.build_digest(session=session, config=app_config(), week=week, today=today)
    return digest_render.digest_markdown(built), digest_render.digest_html(built)


def _read_on(metrics: MetricsConfig, entries: Sequence[ImpactEntry]) -> list[str]:
    """Each entry's filters as text, worked out once per distinct set of filters."""
    texts: dict[tuple[tuple[str, str], ...], str] = {}
    out = []
    for entry in entries:
        key = tuple(sorted(entry.filters.items()))
        if key not in texts:
            texts[key] = metrics.filters_text(entry.filters)
        out.append(texts[key])
    return out
