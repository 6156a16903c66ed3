"""Team capacity per person per week and the load that initiatives put on it.

Rules (DESIGN.md §4, Capacity):

- Weeks are ISO weeks, named by their Monday. The working days of a week are its first
  `working_days_per_week` days (settings.yaml; 5 means Monday to Friday).
- Capacity = weekly hours × (1 − BAU share) − time off, never below 0. Each working day off costs
  weekly hours / working days per week; days off on non-working days cost nothing, and a day
  covered by two overlapping time-off ranges counts once.
- An initiative loads its owner with effort (person-weeks) × hours per person-week, spread evenly
  over the working days from its start date to its target date, both included. A week therefore
  carries the share of the load matching its share of those working days: in a range of 12 working
  days, a first week holding 2 of them gets 2/12 of the hours. Time off does not move load.
- Only planned, in-progress and blocked initiatives load anyone. Ideas are not committed, and done
  or dropped work is over. An initiative without a start or target date, with a target before its
  start, with no effort, or with no working day in its range loads nothing; load_skip_reason()
  says which rule applied so a page can show it.
- A person is over-allocated in a week when the load is above the capacity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from planning.config.settings import CapacitySettings
from planning.i18n import gettext as _
from planning.store.models import InitiativeStatus

LOADING_STATUSES: frozenset[str] = frozenset(
    {InitiativeStatus.planned, InitiativeStatus.in_progress, InitiativeStatus.blocked}
)

# Load and capacity are sums of fractions of hours; ignore differences below this.
_HOURS_TOLERANCE = 1e-9


@dataclass(frozen=True)
class PersonCapacity:
    """A team member's hours, BAU share and time off as inclusive date ranges."""

    person_id: int
    name: str
    weekly_hours: float
    bau_share: float
    time_off: Sequence[tuple[date, date]] = ()

    def __post_init__(self) -> None:
        if self.weekly_hours < 0:
            raise ValueError(f"{self.name}: weekly hours {self.weekly_hours} is below 0")
        if not 0 <= self.bau_share <= 1:
            raise ValueError(f"{self.name}: BAU share {self.bau_share} is not between 0 and 1")
        for start, end in self.time_off:
            if end < start:
                raise ValueError(f"{self.name}: time off ends on {end} before it starts on {start}")


@dataclass(frozen=True)
class Work:
    """An initiative as capacity sees it: owner, effort in person-weeks, dates and status."""

    initiative_id: int
    owner_id: int
    effort_weeks: float
    start: date | None
    target: date | None
    status: str

    def __post_init__(self) -> None:
        if self.effort_weeks < 0:
            raise ValueError(
                f"initiative {self.initiative_id}: effort {self.effort_weeks} is below 0"
            )


@dataclass(frozen=True)
class Contribution:
    """Hours one initiative adds to its owner's week."""

    initiative_id: int
    hours: float


@dataclass(frozen=True)
class WeekLoad:
    """One person's capacity and load in one week, and the initiatives making up the load."""

    person_id: int
    name: str
    week_start: date
    capacity_hours: float
    load_hours: float
    over: bool
    contributions: tuple[Contribution, ...] = field(default=())


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def weeks_from(first_day: date, count: int) -> list[date]:
    """`count` consecutive week Mondays, starting with the week holding `first_day`."""
    monday = week_start(first_day)
    return [monday + timedelta(weeks=i) for i in range(count)]


def is_working_day(day: date, settings: CapacitySettings) -> bool:
    """True for the first `working_days_per_week` days of the ISO week."""
    return day.weekday() < settings.working_days_per_week


def working_days(start: date, end: date, settings: CapacitySettings) -> list[date]:
    """The working days from start to end, both included (empty when end is before start)."""
    span = (end - start).days + 1
    days = (start + timedelta(days=i) for i in range(max(span, 0)))
    return [day for day in days if is_working_day(day, settings)]


def days_off(person: PersonCapacity, week: date, settings: CapacitySettings) -> int:
    """Working days of the week starting on `week` that the person has off."""
    week_days = set(working_days(week, week + timedelta(days=6), settings))
    off: set[date] = set()
    for start, end in person.time_off:
        off.update(day for day in working_days(start, end, settings) if day in week_days)
    return len(off)


def capacity_hours(person: PersonCapacity, week: date, settings: CapacitySettings) -> float:
    """Hours free for initiatives in a week: weekly hours × (1 − BAU share) − time off, ≥ 0."""
    day_cost = person.weekly_hours / settings.working_days_per_week
    time_off = days_off(person, week, settings) * day_cost
    free = person.weekly_hours * (1 - person.bau_share) - time_off
    return max(free, 0.0)


def load_skip_reason(work: Work, settings: CapacitySettings) -> str | None:
    """Why an initiative puts no load on its owner, or None when it does."""
    if work.status not in LOADING_STATUSES:
        return _("status {status} does not load capacity").format(status=work.status)
    if work.start is None or work.target is None:
        return _("no start date and target date")
    if work.target < work.start:
        return _("target date {target} is before start date {start}").format(
            target=work.target, start=work.start
        )
    if work.effort_weeks <= 0:
        return _("no effort estimate")
    if not _any_working_day(work.start, work.target, settings):
        return _("no working day between start date and target date")
    return None


def weekly_load(work: Work, settings: CapacitySettings) -> dict[date, float]:
    """Hours the initiative adds to its owner, by week Monday, over its whole date range."""
    if load_skip_reason(work, settings) is not None:
        return {}
    assert work.start is not None and work.target is not None  # checked by load_skip_reason
    counts = _working_days_by_week(work.start, work.target, settings)
    per_day = work.effort_weeks * settings.hours_per_person_week / sum(counts.values())
    load: dict[date, float] = {}
    for monday, count in counts.items():
        hours = 0.0
        for _day in range(count):  # added day by day, as the hours add up to the same float
            hours += per_day
        load[monday] = hours
    return load


def _any_working_day(start: date, end: date, settings: CapacitySettings) -> bool:
    """True when a working day falls from start to end (both included): a look at a week at
    most, however long the span."""
    days = min((end - start).days + 1, 7)
    return any(is_working_day(start + timedelta(days=i), settings) for i in range(days))


def _working_days_by_week(start: date, end: date, settings: CapacitySettings) -> dict[date, int]:
    """How many working days from start to end (both included) fall in each week, by its
    Monday; weeks without one are left out. Counted a week at a time: a year-long initiative
    is 52 steps, not 365 days made and tested."""
    counts: dict[date, int] = {}
    monday = week_start(start)
    while monday <= end:
        first = max(start, monday)
        last = min(end, monday + timedelta(days=settings.working_days_per_week - 1))
        if last >= first:
            counts[monday] = (last - first).days + 1
        monday += timedelta(weeks=1)
    return counts


def capacity_table(
    people: Iterable[PersonCapacity],
    work: Iterable[Work],
    weeks: Sequence[date],
    settings: CapacitySettings,
) -> list[WeekLoad]:
    """Capacity, load and over-allocation per person per week, in the order given.

    `weeks` are week Mondays. Work owned by someone not in `people` is left out.
    """
    check_mondays(weeks)
    by_owner: dict[int, list[tuple[int, dict[date, float]]]] = {}
    for item in work:
        load = window_load(item, weeks, settings)  # the weeks shown, not the whole range
        if load:
            by_owner.setdefault(item.owner_id, []).append((item.initiative_id, load))

    table: list[WeekLoad] = []
    for person in people:
        owned = sorted(by_owner.get(person.person_id, []), key=lambda pair: pair[0])
        for week in weeks:
            contributions = tuple(
                Contribution(initiative_id=initiative_id, hours=load[week])
                for initiative_id, load in owned
                if load.get(week, 0.0) > 0
            )
            capacity = capacity_hours(person, week, settings)
            total = sum(c.hours for c in contributions)
            table.append(
                WeekLoad(
                    person_id=person.person_id,
                    name=person.name,
                    week_start=week,
                    capacity_hours=capacity,
                    load_hours=total,
                    over=total > capacity + _HOURS_TOLERANCE,
                    contributions=contributions,
                )
            )
    return table


def check_mondays(weeks: Sequence[date]) -> None:
    """Refuse (ValueError) weeks not given by their Monday, naming the first such day."""
    not_mondays = [week for week in weeks if week.weekday() != 0]
    if not_mondays:
        raise ValueError(f"weeks must be given by their Monday; {not_mondays[0]} is not a Monday")


def working_day_count(start: date, end: date, settings: CapacitySettings) -> int:
    """How many working days lie from start to end, both included, counted without a loop over
    the days (0 when end is before start): the same number as len(working_days(...))."""
    span = (end - start).days + 1
    if span <= 0:
        return 0
    full_weeks, rest = divmod(span, 7)
    first = start.weekday()
    extra = sum(1 for i in range(rest) if (first + i) % 7 < settings.working_days_per_week)
    return full_weeks * settings.working_days_per_week + extra


def window_load(work: Work, weeks: Sequence[date], settings: CapacitySettings) -> dict[date, float]:
    """weekly_load for the given week Mondays only, the same hours to the last bit, counted per
    week shown rather than over the whole range: the capacity grid and the scenario comparison
    load thousands of initiatives at once."""
    if work.status not in LOADING_STATUSES or work.effort_weeks <= 0:
        return {}
    if work.start is None or work.target is None or work.target < work.start:
        return {}
    total = working_day_count(work.start, work.target, settings)
    if total == 0:
        return {}
    per_day = work.effort_weeks * settings.hours_per_person_week / total
    last_working_day = timedelta(days=settings.working_days_per_week - 1)
    load: dict[date, float] = {}
    for monday in weeks:
        # The working days are a week's first ones, so those in range are one run of days.
        days = (min(work.target, monday + last_working_day) - max(work.start, monday)).days + 1
        if days > 0:
            hours = 0.0
            for _day in range(days):  # added day by day, as weekly_load adds them
                hours += per_day
            load[monday] = hours
    return load
