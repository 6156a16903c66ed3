"""The team's capacity and initiative load per person per week, read from the store.

The rules are planning.work.capacity_maths's (DESIGN §4): capacity = weekly hours × (1 − BAU share)
− time off; an initiative in planned, in progress or blocked loads its owner with effort × hours per
person-week spread over the working days from start to target date. Everyone active who can own
work (directors and members) is listed, in the team's usual order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from planning.access.people import list_people
from planning.config.settings import CapacitySettings
from planning.i18n import gettext as _
from planning.periods import iso_week
from planning.store.models import Initiative, InitiativeStatus, Role, TimeOff
from planning.validation import InputError
from planning.work.capacity_maths import (
    LOADING_STATUSES,
    PersonCapacity,
    WeekLoad,
    Work,
    capacity_table,
    load_skip_reason,
    weeks_from,
)

MAX_WEEKS = 52
COLUMNS = [
    "person_id",
    "person",
    "week",
    "week_start",
    "capacity_hours",
    "load_hours",
    "over",
    "initiatives",
]


def _check_weeks(weeks: object) -> int:
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= MAX_WEEKS:
        raise InputError(
            [
                _("weeks must be a whole number from 1 to {most}, not {weeks}").format(
                    most=MAX_WEEKS, weeks=repr(weeks)
                )
            ]
        )
    return weeks


def team_capacity(
    *, session: Session, settings: CapacitySettings, first_day: date, weeks: int = 8
) -> list[WeekLoad]:
    """Capacity, load and over-allocation per person for `weeks` weeks from first_day's week."""
    return _team_capacity(session, settings, first_day, weeks, loading_work(session=session))


def _team_capacity(
    session: Session, settings: CapacitySettings, first_day: date, weeks: int, work: list[Work]
) -> list[WeekLoad]:
    shown = weeks_from(first_day, _check_weeks(weeks))
    return capacity_table(team_people(session=session), work, shown, settings)


def team_people(*, session: Session) -> list[PersonCapacity]:
    """Everyone active who can own work, with their hours, BAU share and time off."""
    people = [p for p in list_people(session=session) if p.role != Role.stakeholder]
    ids = [p.id for p in people]
    time_off: dict[int, list[tuple[date, date]]] = {}
    for row in session.exec(select(TimeOff).where(col(TimeOff.person_id).in_(ids))).all():
        time_off.setdefault(row.person_id, []).append((row.start_date, row.end_date))
    return [
        PersonCapacity(
            person_id=p.id,
            name=p.name,
            weekly_hours=p.weekly_hours,
            bau_share=p.bau_share,
            time_off=tuple(time_off.get(p.id, [])),
        )
        for p in people
    ]


def loading_work(*, session: Session) -> list[Work]:
    """Initiatives in a status that loads capacity, as the capacity rules see them."""
    return _loading(session)[0]


def _loading(session: Session) -> tuple[list[Work], dict[int, str]]:
    """loading_work and those initiatives' titles, from one read."""
    # The columns the rules and the tables read, not whole initiatives: thousands load at once.
    rows = session.execute(
        sa_select(
            col(Initiative.id),
            col(Initiative.owner_id),
            col(Initiative.effort_weeks),
            col(Initiative.start_date),
            col(Initiative.target_date),
            col(Initiative.status),
            col(Initiative.title),
        ).where(col(Initiative.status).in_(sorted(LOADING_STATUSES)))
    ).all()
    work = [
        Work(
            initiative_id=int(iid),
            owner_id=owner_id,
            effort_weeks=effort_weeks,
            start=start,
            target=target,
            status=InitiativeStatus(status).value,
        )
        for iid, owner_id, effort_weeks, start, target, status, _title in rows
    ]
    return work, {int(row[0]): str(row[-1]) for row in rows}


def unloaded_work(*, session: Session, settings: CapacitySettings) -> pd.DataFrame:
    """Planned or running initiatives that load nobody, and why (missing dates, no effort…)."""
    work, titles = _loading(session)
    rows = []
    for item in work:
        reason = load_skip_reason(item, settings)
        if reason is not None:
            rows.append(
                {"id": item.initiative_id, "title": titles[item.initiative_id], "reason": reason}
            )
    return pd.DataFrame(rows, columns=["id", "title", "reason"])


def capacity_frame(loads: Sequence[WeekLoad], titles: dict[int, str]) -> pd.DataFrame:
    """One row per person per week: hours of capacity and load, over-allocation, what loads it."""
    rows = [
        {
            "person_id": load.person_id,
            "person": load.name,
            "week": iso_week(load.week_start),
            "week_start": load.week_start,
            "capacity_hours": load.capacity_hours,
            "load_hours": load.load_hours,
            "over": load.over,
            "initiatives": ", ".join(
                f"{titles.get(c.initiative_id, f'#{c.initiative_id}')} ({c.hours:.0f} h)"
                for c in load.contributions
            ),
        }
        for load in loads
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


def capacity_overview(
    *, session: Session, settings: CapacitySettings, first_day: date, weeks: int = 8
) -> pd.DataFrame:
    """team_capacity as a frame (see capacity_frame), ready to show or print."""
    work, titles = _loading(session)  # the titles of the work that loads anyone, in the same read
    return capacity_frame(_team_capacity(session, settings, first_day, weeks, work), titles)
