"""The roadmap: initiatives on a timeline in swimlanes by objective, a Now / Next / Later board,
the filters a shared view is rebuilt from, and the CSV of what is shown. Read-only.

Now / Next / Later (``horizon``), with `next_within_days` (NEXT_WITHIN_DAYS, six weeks):

- Now: in progress or blocked, or planned with a start date that has come.
- Next: planned to start within the next `next_within_days` days, or planned without a date.
- Later: ideas, and planned work starting after that.
- Shipped: done. Dropped work is not on the roadmap unless the status filter asks for it.

Swimlanes: an initiative sits in the lane of the objective whose key results it is linked to most
(the oldest objective on a tie, among the objectives the filter keeps); unlinked work sits in
"No objective". Its other objectives are listed beside it. Lanes of the filtered quarter's
objectives come first, then other quarters' (late work kept in sight), then "No objective".

Quarter filter: an initiative belongs to a quarter when its dates (start to shipped, else to
target) overlap it; an undated one when it is linked to an objective of that quarter. The quarter
holding today also keeps all that is Now, whatever its dates (late work stays in sight when the
quarter turns), and what is Next after its end (planned to start within the coming weeks), so its
board is not empty in the quarter's last weeks while work is about to start.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlmodel import Session, col, select

from planning.i18n import N_
from planning.i18n import gettext as _
from planning.periods import (
    PeriodOutOfRange,
    format_quarter,
    parse_quarter,
    quarter_bounds,
    quarter_of,
    year_range_text,
)
from planning.store.models import (
    Initiative,
    InitiativeKeyResult,
    InitiativeStatus,
    KeyResult,
    Objective,
)
from planning.validation import whole_number
from planning.work.initiative_reads import (
    INITIATIVE_COLUMNS,
    ROW_FIELDS,
    initiative_columns,
    initiative_row,
    person_names,
)
from planning.work.initiative_status import HEALTH_LABELS, STATUS_ORDER, status_label

S = InitiativeStatus
NEXT_WITHIN_DAYS = 42
HORIZONS: tuple[str, ...] = ("now", "next", "later", "shipped")
HORIZON_LABELS: dict[str, str] = {
    "now": N_("Now"),
    "next": N_("Next"),
    "later": N_("Later"),
    "shipped": N_("Shipped"),
}
ALL_QUARTERS = "all"
NO_OBJECTIVE = N_("No objective")
# Query-string keys of the filters (the share link's own key, "share", is left alone).
QUERY_KEYS: tuple[str, ...] = ("quarter", "objective", "owner", "status")
ITEM_COLUMNS: tuple[str, ...] = (
    *INITIATIVE_COLUMNS,
    "end_date",
    "progress_date",
    "objective_id",
    "objective",
    "objective_period",
    "also_moves",
    "horizon",
)
CSV_COLUMNS: dict[str, str] = {
    "objective": "objective",
    "title": "initiative",
    "owner": "owner",
    "status": "status",
    "health": "health",
    "percent_complete": "percent_complete",
    "start_date": "start_date",
    "target_date": "target_date",
    "shipped_date": "shipped_date",
    "horizon": "horizon",
    "also_moves": "also_moves",
}
# Spreadsheets run cells starting with these as formulas; exported text is kept as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RoadmapFilters:
    """What the roadmap shows: a quarter (None: every quarter), an objective, an owner, statuses
    (empty: every status but dropped)."""

    quarter: str | None = None
    objective_id: int | None = None
    owner_id: int | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoadmapSummary:
    """The roadmap in a few numbers and short lists, for This week's stakeholder view."""

    counts: dict[str, int]  # per horizon
    now: pd.DataFrame
    coming_next: pd.DataFrame
    shipped_recently: pd.DataFrame


# --- rules (pure) ------------------------------------------------------------------------------


# The board columns the quarter holding today keeps whatever the work's dates.
LIVE = frozenset({"now", "next"})


def horizon(
    *,
    status: str,
    start_date: date | None,
    today: date,
    next_within_days: int = NEXT_WITHIN_DAYS,
) -> str | None:
    """The board column of an initiative: now, next, later or shipped (None when dropped)."""
    if status == S.done:
        return "shipped"
    if status == S.dropped:
        return None
    if status in (S.in_progress, S.blocked):
        return "now"
    if status == S.planned:
        if start_date is None:
            return "next"
        if start_date <= today:
            return "now"
        if start_date <= today + timedelta(days=next_within_days):
            return "next"
        return "later"
    return "later"


def span(
    start_date: date | None, target_date: date | None, shipped_date: date | None
) -> tuple[date, date] | None:
    """The days an initiative occupies: start to shipped (else target); None when undated.

    With only one of the dates, the span is that day.
    """
    end = shipped_date or target_date
    first = start_date or end
    last = end or start_date
    if first is None or last is None:
        return None
    return (first, last) if first <= last else (last, first)


def overlaps(days: tuple[date, date] | None, first: date, last: date) -> bool:
    """Whether a span shares at least one day with [first, last]."""
    return days is not None and days[0] <= last and days[1] >= first


def progress_date(start: date, end: date, percent_complete: int) -> date:
    """Where % complete reaches along a bar from start to end (rounded to the day)."""
    share = min(max(percent_complete, 0), 100) / 100
    return start + timedelta(days=round((end - start).days * share))


def primary_objective(counts: Mapping[int, int]) -> int | None:
    """The objective an initiative is linked to by most key results (oldest id on a tie)."""
    if not counts:
        return None
    return min(counts, key=lambda objective_id: (-counts[objective_id], objective_id))


def filters_from_query(
    params: Mapping[str, str],
    *,
    default_quarter: str | None,
    objective_ids: Collection[int],
    owner_ids: Collection[int],
) -> tuple[RoadmapFilters, list[str]]:
    """Filters read from a URL's query string, and what in it could not be used (and was left out).

    quarter=2026-Q4 or quarter=all (absent: `default_quarter`); objective=<id>; owner=<id>;
    status=in_progress,blocked.
    """
    problems: list[str] = []
    quarter = default_quarter
    raw = params.get("quarter")
    if raw is not None:
        if raw.strip().lower() == ALL_QUARTERS:
            quarter = None
        else:
            try:
                quarter = format_quarter(*parse_quarter(raw.strip().upper()))
            except PeriodOutOfRange:
                problems.append(
                    _("quarter {value} is outside the supported range (years {years})").format(
                        value=repr(raw), years=year_range_text()
                    )
                )
            except ValueError:
                problems.append(
                    _("quarter {value} is not a quarter like 2026-Q4").format(value=repr(raw))
                )
    objective_id = whole_number(params.get("objective"))
    if params.get("objective") is not None and objective_id not in objective_ids:
        problems.append(
            _("objective {value} is not an objective").format(value=repr(params["objective"]))
        )
        objective_id = None
    owner_id = whole_number(params.get("owner"))
    if params.get("owner") is not None and owner_id not in owner_ids:
        problems.append(
            _("owner {value} is not a person who owns initiatives").format(
                value=repr(params["owner"])
            )
        )
        owner_id = None
    statuses: list[str] = []
    for part in (params.get("status") or "").split(","):
        wanted = part.strip().lower()
        if not wanted:
            continue
        if wanted in STATUS_ORDER:
            statuses.append(wanted)
        else:
            problems.append(
                _("status {value} is not one of {statuses}").format(
                    value=repr(part.strip()), statuses=", ".join(STATUS_ORDER)
                )
            )
    ordered = tuple(s for s in STATUS_ORDER if s in statuses)
    return RoadmapFilters(quarter, objective_id, owner_id, ordered), problems


def filters_to_query(filters: RoadmapFilters) -> dict[str, str]:
    """The query-string entries that reopen exactly these filters (the quarter always given)."""
    query = {"quarter": filters.quarter or ALL_QUARTERS}
    if filters.objective_id is not None:
        query["objective"] = str(filters.objective_id)
    if filters.owner_id is not None:
        query["owner"] = str(filters.owner_id)
    if filters.statuses:
        query["status"] = ",".join(s for s in STATUS_ORDER if s in filters.statuses)
    return query


def spreadsheet_safe(text: str) -> str:
    """Text that a spreadsheet shows as typed: a leading formula character gets a quote first."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def export_csv(items: pd.DataFrame) -> str:
    """The roadmap's rows as CSV (one row per initiative, labels as shown on the page)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(CSV_COLUMNS.values()))
    # Column by column (tolist hands Python values), then written row by row.
    columns = [
        [_csv_cell(key, value) for value in items[key].tolist()]
        if key in items.columns
        else [""] * len(items)
        for key in CSV_COLUMNS
    ]
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue()


def _csv_cell(key: str, value: Any) -> str:
    """One cell of the CSV: labels as shown on the page, blanks for missing values."""
    if key == "status":
        value = status_label(str(value))
    elif key == "health":
        value = HEALTH_LABELS.get(str(value), str(value))
    elif key == "horizon":
        value = HORIZON_LABELS.get(str(value), "")
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    return str(value)


def board_date(horizon: str) -> str:
    """The date a board column shows and goes by: Now the target date, Next and Later the start
    date, Shipped the day it shipped."""
    if horizon == "shipped":
        return "shipped_date"
    return "target_date" if horizon == "now" else "start_date"


def board(items: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The items per horizon column: Now by target date, Next and Later by start date, Shipped
    newest first."""
    columns: dict[str, pd.DataFrame] = {}
    for name in HORIZONS:
        part = items[items["horizon"] == name]
        if name == "shipped":
            part = part.sort_values(board_date(name), ascending=False, na_position="last")
        else:
            part = part.sort_values([board_date(name), "id"], na_position="last")
        columns[name] = part.reset_index(drop=True)
    return columns


def timeline_items(items: pd.DataFrame) -> pd.DataFrame:
    """The items that can be drawn as bars: those with both a start and an end date."""
    if items.empty:
        return items
    drawn = items[items["start_date"].notna() & items["end_date"].notna()]
    return drawn.reset_index(drop=True)


def summarise(
    items: pd.DataFrame, *, today: date, recent_days: int = 30, limit: int = 8
) -> RoadmapSummary:
    """Counts per column, what is under way, what comes next and what shipped recently."""
    columns = board(items)
    shipped = columns["shipped"]
    recent = shipped[
        shipped["shipped_date"].notna()
        & (shipped["shipped_date"] >= today - timedelta(days=recent_days))
    ]
    return RoadmapSummary(
        counts={name: len(frame) for name, frame in columns.items()},
        now=columns["now"].head(limit),
        coming_next=columns["next"].head(limit),
        shipped_recently=recent.head(limit).reset_index(drop=True),
    )


# --- reads -------------------------------------------------------------------------------------


def roadmap_quarters(*, session: Session, today: date, fiscal_start_month: int = 1) -> list[str]:
    """Quarters to offer: the current one, any with objectives, any that dated work touches."""
    found = {quarter_of(today, fiscal_start_month)}
    found.update(str(p) for p in session.exec(select(Objective.period).distinct()).all())
    for start, target, shipped in session.exec(
        select(
            col(Initiative.start_date), col(Initiative.target_date), col(Initiative.shipped_date)
        ).where(Initiative.status != S.dropped.value)
    ).all():
        days = span(start, target, shipped)
        if days is None:
            continue
        try:
            quarter = quarter_of(days[0], fiscal_start_month)
            last = quarter_of(days[1], fiscal_start_month)
        except ValueError:  # work dated outside the supported years offers no quarter
            continue
        found.add(quarter)
        # Long work touches every quarter between its first and last day.
        while quarter != last:
            last_day = quarter_bounds(quarter, fiscal_start_month)[1]
            quarter = quarter_of(last_day + timedelta(days=1), fiscal_start_month)
            found.add(quarter)
    return sorted(found)


def roadmap_items(
    *,
    session: Session,
    filters: RoadmapFilters,
    today: date,
    fiscal_start_month: int = 1,
    next_within_days: int = NEXT_WITHIN_DAYS,
) -> pd.DataFrame:
    """The initiatives the filters keep, lane by lane (objective order, "No objective" last),
    each lane by start date. Columns: ITEM_COLUMNS."""
    # The columns a row shows, not whole initiatives: tens of thousands of them load at once.
    # A row reads like an initiative (i.id, i.status…), so initiative_row takes it as one.
    query = initiative_columns(*ROW_FIELDS)
    if filters.owner_id is not None:
        query = query.where(col(Initiative.owner_id) == filters.owner_id)
    statuses = list(filters.statuses) or [s for s in STATUS_ORDER if s != S.dropped.value]
    query = query.where(col(Initiative.status).in_(statuses))
    initiatives: Sequence[Any] = session.execute(query).all()
    ids = [int(i.id) for i in initiatives if i.id is not None]
    links: dict[int, dict[int, int]] = {}  # initiative -> objective -> linked key results
    objectives: dict[int, tuple[str, str]] = {}  # objective -> (title, period)
    if ids:
        for initiative_id, objective_id, title, period in session.exec(
            select(
                InitiativeKeyResult.initiative_id, Objective.id, Objective.title, Objective.period
            )
            .join(KeyResult, col(KeyResult.id) == col(InitiativeKeyResult.key_result_id))
            .join(Objective, col(Objective.id) == col(KeyResult.objective_id))
            .where(col(InitiativeKeyResult.initiative_id).in_(ids))
            .where(Objective.archived == False)  # noqa: E712
        ).all():
            assert objective_id is not None
            per = links.setdefault(int(initiative_id), {})
            per[objective_id] = per.get(objective_id, 0) + 1
            objectives[objective_id] = (str(title), str(period))
    bounds = quarter_bounds(filters.quarter, fiscal_start_month) if filters.quarter else None
    # The quarter holding today is the live roadmap: it also keeps what is Now whatever its dates
    # (late work does not vanish when a quarter turns) and what is Next after its end (Next means
    # the coming weeks, not the rest of the quarter).
    current = filters.quarter == quarter_of(today, fiscal_start_month)
    names = person_names(session=session)
    rows = []
    for i in initiatives:
        assert i.id is not None
        linked = links.get(i.id, {})
        if filters.objective_id is not None:
            if filters.objective_id not in linked:
                continue
            linked = {filters.objective_id: linked[filters.objective_id]}
        days = span(i.start_date, i.target_date, i.shipped_date)
        column = horizon(
            status=i.status.value,
            start_date=i.start_date,
            today=today,
            next_within_days=next_within_days,
        )
        if bounds is not None:
            if days is not None:
                if not overlaps(days, *bounds) and not (current and column in LIVE):
                    continue
            elif not any(objectives[o][1] == filters.quarter for o in linked):
                continue
        lane = primary_objective(linked)
        others = [objectives[o][0] for o in sorted(links.get(i.id, {})) if o != lane]
        end = i.shipped_date or i.target_date
        drawn = i.start_date is not None and end is not None and i.start_date <= end
        rows.append(
            {
                **initiative_row(i, names),
                "end_date": end,
                "progress_date": (
                    progress_date(i.start_date, end, i.percent_complete) if drawn else None
                ),
                "objective_id": lane,
                "objective": objectives[lane][0] if lane is not None else NO_OBJECTIVE,
                "objective_period": objectives[lane][1] if lane is not None else None,
                "also_moves": "; ".join(others),
                "horizon": column,
            }
        )
    # The quarter's own objectives lead; lanes of other quarters' objectives (late work kept in
    # sight) follow, so a new quarter's roadmap opens on the new quarter's goals.
    rows.sort(
        key=lambda r: (
            r["objective_id"] is None,
            filters.quarter is not None and r["objective_period"] != filters.quarter,
            r["objective_id"] or 0,
            r["start_date"] or r["end_date"] or date.max,
            r["id"],
        )
    )
    frame = pd.DataFrame(rows, columns=list(ITEM_COLUMNS))
    return frame.astype({"objective_id": "Int64"})
