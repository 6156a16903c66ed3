"""The Roadmap's timeline, drawn one swimlane (objective) at a time as charts (ui/charts.py)
that pages cache.

A bar runs from an initiative's start to its target date (to its shipped date once done) and is
coloured by health; a thin dark bar inside it shows % complete; done work is paler with a diamond
on its ship day; the dashed red rule is today. Every lane shares one time axis. Dates are drawn on
a UTC scale so that no browser time zone shifts them by a day.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from planning.reports import chart_specs
from ui.charts import Chart, rows_table


def lane_spec(items: pd.DataFrame, *, domain: tuple[date, date], today: date) -> Chart:
    """One swimlane's timeline (planning/reports/chart_specs.py) with its rows as a table."""
    built = chart_specs.lane_spec(items, domain=domain, today=today)
    return Chart(spec=built.spec, rows=rows_table(built.rows))
