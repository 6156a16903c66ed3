"""What the Weekly planning page draws around its table, read in one cached call: the owners and
names its table and sections show, the value/effort matrix, the capacity grid and the work that
loads nobody.

Each cached call hashes its arguments and unpickles its result on every rerun; at tens of
thousands of initiatives the matrix alone is megabytes. The view is built once per data version,
framework, week and language, and shared by every session (ui.state.shared_read): everything in
it is read-only (mappings, tuples, Arrow tables and the matrix, which the page only draws).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

import pyarrow as pa

from ui import arrow
from ui import planning_charts as charts
from ui import planning_data as data
from ui.charts import Chart
from ui.state import Versions, shared_read

TTL = 600
ENTRIES = 32


@dataclass(frozen=True)
class Unloaded:
    """Planned or running initiatives that load nobody: how many, and their title and reason."""

    count: int
    rows: pa.Table


@dataclass(frozen=True)
class PlanningView:
    """The page's reads beside the ranked backlog (see the module's note)."""

    owners: Mapping[int, str]  # who can own initiatives: id -> name
    names: Mapping[int, str]  # everyone's name by id, inactive people included
    matrix: Chart | None
    capacity: data.CapacityGrid | None
    unloaded: Unloaded | None  # read only beside a capacity grid; None when all load someone


@shared_read(ttl=TTL, max_entries=ENTRIES)
def view(
    versions: Versions, framework_id: str, first_day: date, weeks: int, language: str
) -> PlanningView:
    """The view for one framework and capacity window from `first_day`, in the reader's words
    (`language`: i18n.locale_key)."""
    grid = data.capacity_grid(versions, first_day, weeks, language)
    unloaded = None
    if grid is not None:
        found = data.unloaded_work(versions, language)
        if not found.empty:
            unloaded = Unloaded(count=len(found), rows=arrow.table(found[["title", "reason"]]))
    return PlanningView(
        owners=MappingProxyType(data.owners(versions)),
        names=MappingProxyType(data.person_names(versions)),
        matrix=charts.matrix(versions, framework_id, language),
        capacity=grid,
        unloaded=unloaded,
    )
