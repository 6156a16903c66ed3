"""The Weekly planning page's value/effort matrix, built from the cached backlog of
ui/planning_data.py and kept as a Vega-Lite spec (planning/reports/chart_specs.py's
matrix_spec, drawn through ui/charts.py), keyed by the store's data versions and the
framework. Clicking a point selects it (the selection parameter "pick")."""

from __future__ import annotations

import streamlit as st

from planning.i18n import gettext as _
from planning.reports.chart_specs import MatrixWords, matrix_spec
from planning.work.backlog import value_axis_label
from planning.work.initiative_status import status_label
from ui import planning_data as data
from ui.charts import Chart, rows_table
from ui.state import Versions, app_config

TTL = 600
ENTRIES = 32


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def matrix(versions: Versions, framework_id: str, language: str = "") -> Chart | None:
    """Scored open initiatives by effort and value, coloured by quadrant, with the median splits
    as dashed lines and the quadrant names in the corners; None when nothing is scored. Its
    words are the reader's (`language`: i18n.locale_key, for the cache)."""
    del language
    config = app_config()
    scoring = config.scoring
    framework = scoring.frameworks[framework_id]
    backlog = data.ranked_backlog(versions, framework_id)
    scored = backlog[backlog["score"].notna()]
    value_split = backlog.attrs.get("value_split")
    effort_split = backlog.attrs.get("effort_split")
    if scored.empty or value_split is None or effort_split is None:
        return None
    names_of = scoring.matrix.quadrants
    quadrant_names = (
        _(names_of.quick_wins),
        _(names_of.big_bets),
        _(names_of.fill_ins),
        _(names_of.money_pits),
    )
    points_data = scored[
        ["id", "rank", "title", "owner", "status", "score", "value", "effort_weeks", "quadrant"]
    ].assign(
        status=scored["status"].map(lambda s: _(status_label(s))),
        quadrant=scored["quadrant"].map(lambda q: _(q) if isinstance(q, str) else q),
    )
    words = MatrixWords(
        quadrants=quadrant_names,
        value=value_axis_label(framework, config.settings.currency_symbol),
        effort=_("Effort (person-weeks)"),
        score=_("{framework} score").format(framework=_(framework.label)),
        initiative=_("Initiative"),
        rank=_("Rank"),
        owner=_("Owner"),
        status=_("Status"),
        quadrant=_("Quadrant"),
    )
    built = matrix_spec(
        points_data, value_split=value_split, effort_split=effort_split, words=words
    )
    return Chart(spec=built.spec, rows=rows_table(built.rows))
