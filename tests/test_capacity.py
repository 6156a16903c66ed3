"""Capacity per person per week and initiative load, pinned with worked examples."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from planning.config.settings import CapacitySettings
from planning.work.capacity_maths import (
    Contribution,
    PersonCapacity,
    Work,
    capacity_hours,
    capacity_table,
    load_skip_reason,
    week_start,
    weekly_load,
    weeks_from,
)

SETTINGS = CapacitySettings()  # 40 hours per person-week, 5 working days
MONDAY = date(2026, 3, 2)
WEEK1, WEEK2, WEEK3, WEEK4 = (MONDAY + timedelta(weeks=i) for i in range(4))


def day(week: date, weekday: int) -> date:
    """The given weekday (0 = Monday) of the week starting on `week`."""
    return week + timedelta(days=weekday)


def ana(*time_off: tuple[date, date]) -> PersonCapacity:
    return PersonCapacity(
        person_id=1, name="Ana", weekly_hours=40, bau_share=0.25, time_off=time_off
    )


def work(
    initiative_id: int = 10,
    *,
    owner_id: int = 1,
    effort_weeks: float = 3,
    start: date | None = WEEK1,
    target: date | None = None,
    status: str = "in_progress",
) -> Work:
    return Work(
        initiative_id=initiative_id,
        owner_id=owner_id,
        effort_weeks=effort_weeks,
        start=start,
        target=day(WEEK3, 4) if target is None and start is not None else target,
        status=status,
    )


def test_the_fixture_week_starts_on_a_monday() -> None:
    assert MONDAY.weekday() == 0
    assert week_start(day(WEEK2, 6)) == WEEK2
    assert weeks_from(day(WEEK1, 3), 3) == [WEEK1, WEEK2, WEEK3]


# --- capacity ----------------------------------------------------------------------------------


def test_capacity_is_weekly_hours_less_bau_share() -> None:
    # 40 h × (1 − 0.25) = 30 h
    assert capacity_hours(ana(), WEEK1, SETTINGS) == pytest.approx(30)


def test_a_day_off_costs_a_fifth_of_the_weekly_hours() -> None:
    wednesday = day(WEEK1, 2)
    # 30 h − 40 h / 5 days = 22 h
    assert capacity_hours(ana((wednesday, wednesday)), WEEK1, SETTINGS) == pytest.approx(22)
    assert capacity_hours(ana((wednesday, wednesday)), WEEK2, SETTINGS) == pytest.approx(30)


def test_weekend_days_off_cost_nothing() -> None:
    weekend = (day(WEEK1, 5), day(WEEK1, 6))
    assert capacity_hours(ana(weekend), WEEK1, SETTINGS) == pytest.approx(30)


def test_time_off_across_a_weekend_is_charged_to_each_week() -> None:
    thursday_to_tuesday = (day(WEEK1, 3), day(WEEK2, 1))
    person = ana(thursday_to_tuesday)
    # Thursday and Friday in week 1, Monday and Tuesday in week 2: 30 − 2 × 8 = 14 h each.
    assert capacity_hours(person, WEEK1, SETTINGS) == pytest.approx(14)
    assert capacity_hours(person, WEEK2, SETTINGS) == pytest.approx(14)


def test_overlapping_time_off_counts_each_day_once() -> None:
    person = ana((day(WEEK1, 0), day(WEEK1, 1)), (day(WEEK1, 1), day(WEEK1, 2)))
    # Monday to Wednesday off: 30 − 3 × 8 = 6 h
    assert capacity_hours(person, WEEK1, SETTINGS) == pytest.approx(6)


def test_capacity_never_goes_below_zero() -> None:
    person = ana((day(WEEK1, 0), day(WEEK1, 4)))
    assert capacity_hours(person, WEEK1, SETTINGS) == 0


def test_a_four_day_week_charges_a_quarter_of_the_hours_per_day_off() -> None:
    four_days = CapacitySettings(working_days_per_week=4)
    thursday, friday = day(WEEK1, 3), day(WEEK1, 4)
    # 30 h − 40 h / 4 days = 20 h; Friday is not a working day
    assert capacity_hours(ana((thursday, thursday)), WEEK1, four_days) == pytest.approx(20)
    assert capacity_hours(ana((friday, friday)), WEEK1, four_days) == pytest.approx(30)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bau_share": 1.5}, "BAU share 1.5 is not between 0 and 1"),
        ({"weekly_hours": -1}, "weekly hours -1 is below 0"),
        ({"time_off": [(date(2026, 3, 5), date(2026, 3, 4))]}, "ends on 2026-03-04 before"),
    ],
)
def test_bad_person_figures_are_refused_with_a_message(
    kwargs: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "person_id": 1,
        "name": "Ana",
        "weekly_hours": 40,
        "bau_share": 0.25,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        PersonCapacity(**fields)  # type: ignore[arg-type]


# --- load --------------------------------------------------------------------------------------


def test_three_person_weeks_over_three_full_weeks_over_allocate_a_thirty_hour_week() -> None:
    table = capacity_table([ana()], [work()], [WEEK1, WEEK2, WEEK3, WEEK4], SETTINGS)
    # 3 person-weeks × 40 h = 120 h over 15 working days: 40 h a week against 30 h of capacity.
    assert [(row.week_start, row.load_hours, row.over) for row in table] == [
        (WEEK1, pytest.approx(40), True),
        (WEEK2, pytest.approx(40), True),
        (WEEK3, pytest.approx(40), True),
        (WEEK4, 0, False),
    ]
    assert table[0].capacity_hours == pytest.approx(30)
    assert table[0].contributions == (Contribution(initiative_id=10, hours=40),)
    assert table[3].contributions == ()


def test_partial_weeks_get_their_share_of_working_days() -> None:
    # Thursday of week 1 to Tuesday of week 3: 2 + 5 + 2 = 9 working days.
    # 1.8 person-weeks × 40 h = 72 h, 8 h a working day: 16 h, 40 h, 16 h.
    item = work(effort_weeks=1.8, start=day(WEEK1, 3), target=day(WEEK3, 1))
    assert weekly_load(item, SETTINGS) == {
        WEEK1: pytest.approx(16),
        WEEK2: pytest.approx(40),
        WEEK3: pytest.approx(16),
    }


def test_weekend_start_and_end_dates_do_not_take_load() -> None:
    # Saturday before week 2 to Sunday after it: only week 2's 5 working days carry the 40 h.
    item = work(effort_weeks=1, start=day(WEEK1, 5), target=day(WEEK2, 6))
    assert weekly_load(item, SETTINGS) == {WEEK2: pytest.approx(40)}


def test_hours_per_person_week_comes_from_settings() -> None:
    item = work(effort_weeks=1, start=WEEK1, target=day(WEEK1, 4))
    assert weekly_load(item, CapacitySettings(hours_per_person_week=35)) == {
        WEEK1: pytest.approx(35)
    }


def test_load_equal_to_capacity_is_not_over() -> None:
    # 0.75 person-weeks × 40 h = 30 h in one week, exactly Ana's capacity.
    item = work(effort_weeks=0.75, start=WEEK1, target=day(WEEK1, 4))
    (row,) = capacity_table([ana()], [item], [WEEK1], SETTINGS)
    assert row.load_hours == pytest.approx(30)
    assert row.over is False


def test_time_off_can_tip_a_week_into_over_allocation() -> None:
    item = work(effort_weeks=0.7, start=WEEK1, target=day(WEEK1, 4))  # 28 h
    wednesday = day(WEEK1, 2)
    (free,) = capacity_table([ana()], [item], [WEEK1], SETTINGS)
    (away,) = capacity_table([ana((wednesday, wednesday))], [item], [WEEK1], SETTINGS)
    assert free.over is False
    assert away.capacity_hours == pytest.approx(22)
    assert away.over is True


def test_several_initiatives_add_up_and_are_listed_by_id() -> None:
    first = work(12, effort_weeks=0.5, start=WEEK1, target=day(WEEK1, 4))  # 20 h
    second = work(11, effort_weeks=0.25, start=WEEK1, target=day(WEEK1, 4))  # 10 h
    someone_else = work(13, owner_id=2, effort_weeks=1, start=WEEK1, target=day(WEEK1, 4))
    (row,) = capacity_table([ana()], [first, second, someone_else], [WEEK1], SETTINGS)
    assert row.load_hours == pytest.approx(30)
    assert [c.initiative_id for c in row.contributions] == [11, 12]
    assert [c.hours for c in row.contributions] == [pytest.approx(10), pytest.approx(20)]


def test_one_row_per_person_per_week_in_the_order_given() -> None:
    ben = PersonCapacity(person_id=2, name="Ben", weekly_hours=32, bau_share=0.5)
    table = capacity_table([ben, ana()], [], [WEEK2, WEEK1], SETTINGS)
    assert [(row.name, row.week_start, row.capacity_hours) for row in table] == [
        ("Ben", WEEK2, pytest.approx(16)),
        ("Ben", WEEK1, pytest.approx(16)),
        ("Ana", WEEK2, pytest.approx(30)),
        ("Ana", WEEK1, pytest.approx(30)),
    ]


@pytest.mark.parametrize("status", ["planned", "in_progress", "blocked"])
def test_committed_statuses_load_their_owner(status: str) -> None:
    assert load_skip_reason(work(status=status), SETTINGS) is None
    (row,) = capacity_table([ana()], [work(status=status)], [WEEK1], SETTINGS)
    assert row.load_hours == pytest.approx(40)


@pytest.mark.parametrize("status", ["idea", "done", "dropped"])
def test_ideas_and_finished_work_do_not_load(status: str) -> None:
    assert load_skip_reason(work(status=status), SETTINGS) == (
        f"status {status} does not load capacity"
    )
    (row,) = capacity_table([ana()], [work(status=status)], [WEEK1], SETTINGS)
    assert row.load_hours == 0
    assert row.contributions == ()


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (work(start=None, target=None), "no start date and target date"),
        (Work(10, 1, 3, start=WEEK1, target=None, status="planned"), "no start date"),
        (
            work(start=WEEK2, target=WEEK1),
            "target date 2026-03-02 is before start date 2026-03-09",
        ),
        (work(effort_weeks=0), "no effort estimate"),
        (work(start=day(WEEK1, 5), target=day(WEEK1, 6)), "no working day"),
    ],
)
def test_work_that_cannot_be_placed_loads_nothing_and_says_why(item: Work, reason: str) -> None:
    skip = load_skip_reason(item, SETTINGS)
    assert skip is not None and skip.startswith(reason)
    assert weekly_load(item, SETTINGS) == {}


def test_weeks_must_be_mondays() -> None:
    with pytest.raises(ValueError, match="2026-03-03 is not a Monday"):
        capacity_table([ana()], [], [day(WEEK1, 1)], SETTINGS)


def test_negative_effort_is_refused() -> None:
    with pytest.raises(ValueError, match="effort -1 is below 0"):
        work(effort_weeks=-1)


@pytest.mark.parametrize("days_per_week", [5, 6, 7])
@pytest.mark.parametrize(
    "first_day",
    [date(2027, 12, 20), date(2028, 2, 14)],  # weeks across the year end; the leap day's week
    ids=["year end", "leap day"],
)
def test_the_table_counts_only_the_weeks_shown_and_gets_the_whole_range_spread(
    days_per_week: int, first_day: date
) -> None:
    """capacity_table works out the eight weeks shown, not each initiative's whole range, and
    gets to the last bit the hours, totals and over-allocation of spreading every initiative
    over its whole range (weekly_load) and keeping the weeks shown: on 400 seeded initiatives of
    three people, starting up to a year before the weeks and ending up to a year after."""
    settings = CapacitySettings(working_days_per_week=days_per_week)
    weeks = weeks_from(first_day, 8)
    people = [
        PersonCapacity(person_id=p, name=f"P{p}", weekly_hours=40, bau_share=0.2) for p in (1, 2, 3)
    ]
    draw = random.Random(22)
    items = []
    for initiative_id in range(1, 401):
        start = first_day + timedelta(days=draw.randint(-370, 80))
        items.append(
            Work(
                initiative_id=initiative_id,
                owner_id=draw.choice([1, 2, 3, 4]),  # 4 is nobody listed: left out
                effort_weeks=draw.choice([0, 0.5, 1, 2.5, 3, 7.3, 12]),
                start=start,
                target=start + timedelta(days=draw.randint(-3, 400)),
                status=draw.choice(["planned", "in_progress", "blocked", "idea", "done"]),
            )
        )
    table = capacity_table(people, items, weeks, settings)
    spread = {(w.owner_id, w.initiative_id): weekly_load(w, settings) for w in items}
    assert len(table) == len(people) * len(weeks)
    for row in table:
        expected = [
            Contribution(initiative_id=i, hours=load[row.week_start])
            for (owner, i), load in sorted(spread.items(), key=lambda pair: pair[0][1])
            if owner == row.person_id and load.get(row.week_start, 0.0) > 0
        ]
        assert list(row.contributions) == expected
        assert row.load_hours == sum(c.hours for c in expected)
        assert row.over == (row.load_hours > row.capacity_hours + 1e-9)
    assert any(row.contributions for row in table if row.week_start.year == 2028)
