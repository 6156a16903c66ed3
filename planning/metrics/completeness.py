"""How complete and current the observations are: the last complete day ("data through"), the
partial days after it, the newest observed day and the last finished import.

A day is complete once it is over and every series present on most of the week before it has a
value on it, or once the configured hours have passed since it ended; metrics, key results and the
impact ledger read up to the last complete day. A day that is not over is never complete: an
hourly export of today has every series, each only up to the hour it ran.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from typing import Any

from sqlalchemy import (
    and_,
    case,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from planning import clock
from planning.formatting import format_count, format_day
from planning.i18n import gettext as _
from planning.metrics.metric_query import OBSERVATION, as_date
from planning.store.models_metrics import ImportBatch

# A series is expected on a day when it was present on at least EXPECTED_ON of the LOOKBACK_DAYS
# days before it ("most of the last week").
LOOKBACK_DAYS = 7
EXPECTED_ON = 4
# At most this many days after the last cut-off day are checked (one statement covers them).
MAX_OPEN_DAYS = 14


@dataclass(frozen=True)
class PartialDay:
    """A day after "data through" that does not count yet: how many expected series it has."""

    day: date
    present: int  # expected series with a value on the day
    expected: int  # series present on most of the week before it


@dataclass(frozen=True)
class Freshness:
    """How current the store is: the last complete day ("data through"), the newer partial days,
    the newest observed day, the last finished import and the observation count."""

    latest_day: date | None  # the last complete day: everything reads up to here
    last_import_at: datetime | None
    observation_rows: int
    partial_days: tuple[PartialDay, ...] = ()
    observed_day: date | None = None  # the newest day with any observation


def freshness(*, session: Session, complete_after_hours: float) -> Freshness:
    """The last complete day and the partial days after it (see `data_through`), the last
    finished import and the number of observations."""
    latest = select(func.max(OBSERVATION.c.day)).scalar_subquery()
    rows = select(func.count()).select_from(OBSERVATION).scalar_subquery()
    last_import = select(func.max(col(ImportBatch.finished_at))).scalar_subquery()
    latest_day, count, last_import_at = session.execute(select(latest, rows, last_import)).one()
    observed = as_date(latest_day) if latest_day is not None else None
    through: date | None = observed
    partial: tuple[PartialDay, ...] = ()
    if observed is not None:
        through, partial = _complete_through(session, observed, complete_after_hours)
    return Freshness(
        latest_day=through,
        last_import_at=last_import_at,
        observation_rows=int(count or 0),
        partial_days=partial,
        observed_day=observed,
    )


def data_through(
    *, session: Session, complete_after_hours: float
) -> tuple[date | None, tuple[PartialDay, ...]]:
    """The last complete day (None for an empty store) and the partial days after it.

    A day is complete once it is over and every series present on at least EXPECTED_ON of the
    LOOKBACK_DAYS days before it has a value on it, or once `complete_after_hours` have passed
    since it ended (in the team's time zone). "Data through" is the day before the first day that
    is not complete; only days whose cut-off has not passed are checked, in one aggregated
    statement over them and the week before them.
    """
    value = session.execute(select(func.max(OBSERVATION.c.day))).scalar_one_or_none()
    if value is None:
        return None, ()
    return _complete_through(session, as_date(value), complete_after_hours)


def partial_days_text(partial: Sequence[PartialDay]) -> str:
    """The partial days as shown after "data through", e.g. "25 Nov partial (3 of 412 series)"."""
    return ", ".join(_partial_day_text(p) for p in partial)


def _partial_day_text(partial: PartialDay) -> str:
    """One partial day: how many of its expected series it has, or that it is not over (a day
    without history, or today with every series in)."""
    day = format_day(partial.day, year=False)
    waits_for_its_end = partial.present >= partial.expected and partial.day >= clock.today()
    if partial.expected == 0 or waits_for_its_end:
        return _("{day} partial (the day is not over)").format(day=day)
    return _("{day} partial ({present} of {expected} series)").format(
        day=day, present=format_count(partial.present), expected=format_count(partial.expected)
    )


def last_cut_off_day(complete_after_hours: float) -> date:
    """The latest day whose cut-off has passed: it counts whatever has arrived for it."""
    moment = clock.now() - timedelta(hours=complete_after_hours)
    return moment.date() - timedelta(days=1)


def _complete_through(
    session: Session, observed: date, complete_after_hours: float
) -> tuple[date, tuple[PartialDay, ...]]:
    """The last complete day up to `observed`, and the days after it that have observations."""
    open_from = last_cut_off_day(complete_after_hours) + timedelta(days=1)
    if observed < open_from:
        return observed, ()
    # Days past the cap (future-dated rows far ahead) are left partial without a check.
    candidates = [
        open_from + timedelta(days=i)
        for i in range(min((observed - open_from).days + 1, MAX_OPEN_DAYS))
    ]
    counts = _expected_and_present(session, candidates)
    through = observed
    today = clock.today()
    for day in candidates:
        expected, present, _ = counts[day]
        # A day that is not over proves nothing by its rows: a new store's first morning, or an
        # hourly export whose series are all there, each only up to the hour it ran.
        if present < expected or day >= today:
            through = day - timedelta(days=1)
            break
    else:
        if candidates[-1] >= observed:
            return observed, ()
        through = candidates[-1]
    partial = tuple(
        PartialDay(day, present, expected)
        for day, (expected, present, any_rows) in counts.items()
        if day > through and any_rows
    )
    return through, partial


def _expected_and_present(session: Session, days: list[date]) -> dict[date, tuple[int, int, bool]]:
    """For each day: how many series were present on at least EXPECTED_ON of the LOOKBACK_DAYS
    days before it, how many of those it has, and whether it has any row. One statement: a
    presence flag per series and day, summed over the series."""
    start = days[0] - timedelta(days=LOOKBACK_DAYS)
    span = [start + timedelta(days=i) for i in range((days[-1] - start).days + 1)]
    day_col = OBSERVATION.c.day
    flags = (
        select(
            *(
                func.max(case((day_col == day, 1), else_=0)).label(f"p{i}")
                for i, day in enumerate(span)
            )
        )
        .where(day_col >= start, day_col <= days[-1])
        .group_by(OBSERVATION.c.series_id)
        .subquery()
    )
    columns: list[ColumnElement[Any]] = []
    for j in range(len(days)):
        k = LOOKBACK_DAYS + j
        recent = reduce(operator.add, (flags.c[f"p{i}"] for i in range(k - LOOKBACK_DAYS, k)))
        expected = recent >= EXPECTED_ON
        columns += [
            func.sum(case((expected, 1), else_=0)),
            func.sum(case((and_(expected, flags.c[f"p{k}"] == 1), 1), else_=0)),
            func.max(flags.c[f"p{k}"]),
        ]
    row = session.execute(select(*columns)).one()
    return {
        day: (int(row[3 * j] or 0), int(row[3 * j + 1] or 0), bool(row[3 * j + 2]))
        for j, day in enumerate(days)
    }
