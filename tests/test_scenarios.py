"""Scenarios of the week's plan: the comparison with the committed plan worked by hand, and the
writes (make, change, throw away, commit) that leave the live backlog alone until a commit, and
refuse a commit whole when something changed underneath."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.config.settings import CapacitySettings
from planning.store.engine import read_engine, session_scope
from planning.store.models import Initiative, InitiativeStatus, WeeklyPlan, WeeklyPlanRead
from planning.store.models_scenarios import PlanScenario
from planning.validation import InputError
from planning.work import scenario_plan, scenarios
from planning.work.capacity_maths import (
    PersonCapacity,
    Work,
    weekly_load,
    weeks_from,
    window_load,
    working_day_count,
    working_days,
)
from planning.work.scenario_compare import PlanItem, compare_plans
from planning.work.weekly_plan import PlanAlreadyCommitted, get_plan
from tests.planning_seed import (
    Team,
    add_initiative,
    commit_plan,
    count,
    initiative_row,
    seed_team,
    store_state,
)

WEEK = "2026-W48"
MONDAY = date(2026, 11, 23)


# --- the comparison, worked by hand ------------------------------------------------------------


def test_a_draft_beside_the_committed_plan_worked_example() -> None:
    """Ana: 40 h a week, a quarter BAU, so 30 h for initiatives; Ben: 40 h, no BAU.
    Committed: checkout (Ana, 1 person-week over the 5 days of week 48: 40 h > 30 h, over) and
    search (Ben, 0.5 person-weeks in week 49: 20 h); gift cards is an idea.
    The draft hands checkout to Ben, brings gift cards in (2 person-weeks over 10 days: 40 h in
    each week) and takes search out. Ben's week 48 then holds 40 + 40 = 80 h (over), his week 49
    40 h, exactly his capacity (not over). Expected value: KR 10 had checkout's 500; it gains gift
    cards' 300 (800). KR 20 had search (no expected value, 0) and now has gift cards' 300."""
    items = [
        PlanItem(1, "Checkout", 1, "planned", 1.0, MONDAY, date(2026, 11, 27), 500.0, (10,)),
        PlanItem(2, "Gift cards", 2, "idea", 2.0, MONDAY, date(2026, 12, 4), 300.0, (10, 20)),
        PlanItem(
            3, "Search", 2, "planned", 0.5, date(2026, 11, 30), date(2026, 12, 4), None, (20,)
        ),
    ]
    people = [
        PersonCapacity(person_id=1, name="Ana", weekly_hours=40, bau_share=0.25),
        PersonCapacity(person_id=2, name="Ben", weekly_hours=40, bau_share=0.0),
    ]
    result = compare_plans(
        items=items,
        changes={1: {"owner_id": 2}, 2: {"status": "planned"}, 3: {"status": "idea"}},
        people=people,
        weeks=[MONDAY, date(2026, 11, 30)],
        settings=CapacitySettings(),
        key_results={10: "Conversion", 20: "Basket size"},
        names={1: "Ana", 2: "Ben"},
    )
    cells = {(c.name, c.week_start.isoformat()): c for c in result.capacity}
    assert [
        (name, week, c.capacity_hours, c.committed_hours, c.draft_hours, c.draft_over)
        for (name, week), c in cells.items()
    ] == [
        ("Ana", "2026-11-23", 30.0, 40.0, 0.0, False),
        ("Ana", "2026-11-30", 30.0, 0.0, 0.0, False),
        ("Ben", "2026-11-23", 40.0, 0.0, 80.0, True),
        ("Ben", "2026-11-30", 40.0, 20.0, 40.0, False),
    ]
    assert cells[("Ana", "2026-11-23")].committed_over
    assert (result.committed_over, result.draft_over) == (1, 1)
    assert [
        (v.title, v.committed_value, v.draft_value, v.committed_count, v.draft_count)
        for v in result.values
    ] == [("Basket size", 0.0, 300.0, 1, 1), ("Conversion", 500.0, 800.0, 1, 2)]
    assert [(m.title, m.kind, m.details) for m in result.moves] == [
        ("Checkout", "changed", ("owner Ana → Ben",)),
        ("Gift cards", "in", ("status Idea → Planned",)),
        ("Search", "out", ("status Planned → Idea",)),
    ]


@pytest.mark.parametrize("days_per_week", [5, 6, 7])
def test_the_load_counted_per_week_is_the_load_spread_per_day(days_per_week: int) -> None:
    """window_load (what the comparison uses at thousands of initiatives) gives weekly_load's
    hours for each shown week, e.g. 2 person-weeks from Wednesday 25 Nov to Tuesday 8 Dec 2026
    over 5-day weeks: 10 working days, 8 h each, so 24 h, 40 h and 16 h."""
    settings = CapacitySettings(working_days_per_week=days_per_week)
    weeks = weeks_from(MONDAY, 4)
    cases = [
        (2.0, date(2026, 11, 25), date(2026, 12, 8)),
        (1.0, date(2026, 11, 28), date(2026, 11, 29)),  # a weekend: nothing on 5-day weeks
        (3.5, date(2026, 10, 1), date(2027, 2, 1)),  # runs past the window on both sides
        (0.5, date(2026, 12, 3), date(2026, 12, 3)),
    ]
    for effort, start, target in cases:
        work = Work(1, 1, effort, start, target, "planned")
        spread = {w: h for w, h in weekly_load(work, settings).items() if w in weeks}
        counted = window_load(work, weeks, settings)
        assert counted.keys() == spread.keys()
        assert counted == spread  # the same floats, not just close
        assert working_day_count(start, target, settings) == len(
            working_days(start, target, settings)
        )
    first = window_load(Work(1, 1, 2.0, date(2026, 11, 25), date(2026, 12, 8), "planned"), weeks,
                        CapacitySettings())  # fmt: skip
    assert [round(h, 9) for h in first.values()] == [24.0, 40.0, 16.0]


def test_the_draft_table_keeps_the_first_version_of_rows_left_alone() -> None:
    """A row changed in an earlier save keeps its version; a row edited now takes the live one;
    a row put back to its live values leaves the draft; a bad cell is named."""
    items = [
        PlanItem(1, "Checkout", 1, "planned", 1.0, None, None),
        PlanItem(2, "Gift cards", 2, "idea", 2.0, None, None),
        PlanItem(3, "Search", 2, "planned", 0.5, None, None),
    ]
    versions = {1: 5, 2: 7, 3: 2}
    shown = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "in_plan": [True, False, True],
            "owner_id": [2, 2, 2],  # the draft already gave checkout to Ben
            "effort_weeks": [1.0, 2.0, 0.5],
            "start_date": [None, None, None],
            "target_date": [None, None, None],
        }
    )
    edited = shown.copy()
    edited.loc[1, "in_plan"] = True  # gift cards in
    kept = [scenarios.DraftChange(1, 4, {"owner_id": 2}, "Checkout")]
    changes, problems = scenario_plan.changes_from_table(
        items=items, versions=versions, shown=shown, edited=edited, kept=kept
    )
    assert problems == []
    assert [(c.initiative_id, c.base_version, dict(c.fields)) for c in changes] == [
        (1, 4, {"owner_id": 2}),
        (2, 7, {"status": "planned"}),
    ]
    edited.loc[0, "owner_id"] = 1  # checkout back to Ana: no longer a change
    edited["effort_weeks"] = edited["effort_weeks"].astype(object)
    edited.loc[2, "effort_weeks"] = "lots"
    changes, problems = scenario_plan.changes_from_table(
        items=items, versions=versions, shown=shown, edited=edited, kept=kept
    )
    assert [c.initiative_id for c in changes] == [2]
    assert problems == ["“Search”: effort 'lots' is not a number"]


# --- the writes --------------------------------------------------------------------------------


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, Team, dict[str, int]]:
    team = seed_team(engine)
    ids = {
        "checkout": add_initiative(
            engine,
            title="Checkout",
            owner_id=team.ana.id,
            status=InitiativeStatus.planned,
            start_date=MONDAY,
            target_date=date(2026, 11, 27),
        ),
        "gifts": add_initiative(engine, title="Gift cards", owner_id=team.ben.id),
    }
    return engine, team, ids


def _save(
    engine: Engine, team: Team, scenario_id: int, version: int, *changes: scenarios.DraftChange
) -> None:
    """Save a draft's changes as the director, who last saw it at `version`."""
    with session_scope(engine) as session:
        scenarios.save_scenario(
            session=session,
            actor=team.director,
            scenario_id=scenario_id,
            expected_version=version,
            changes=list(changes),
        )


def _commit(
    engine: Engine, team: Team, config: AppConfig, scenario_id: int, version: int, **extra: Any
) -> WeeklyPlanRead:
    """Commit a draft as the director with the RICE framework."""
    with session_scope(engine) as session:
        return scenarios.commit_scenario(
            session=session,
            actor=team.director,
            config=config,
            scenario_id=scenario_id,
            expected_version=version,
            framework="rice",
            **extra,
        )


def _change_underneath(engine: Engine, initiative_id: int, **fields: Any) -> None:
    """Someone else edits an initiative straight in the store: it moves to version 2."""
    with session_scope(engine) as session:
        changed = session.get(Initiative, initiative_id)
        assert changed is not None
        for name, value in {**fields, "version": 2}.items():
            setattr(changed, name, value)
        session.add(changed)


def _draft(engine: Engine, team: Team, ids: dict[str, int], name: str = "Lean") -> int:
    with session_scope(engine) as session:
        made = scenarios.create_scenario(session=session, actor=team.director, week=WEEK, name=name)
    _save(
        engine,
        team,
        made.id,
        1,
        scenarios.DraftChange(ids["checkout"], 1, {"owner_id": team.ben.id}),
        scenarios.DraftChange(ids["gifts"], 1, {"status": "planned", "effort_weeks": 3.0}),
    )
    return made.id


def test_drafts_leave_the_backlog_alone_until_committed(
    world: tuple[Engine, Team, dict[str, int]], config: AppConfig
) -> None:
    engine, team, ids = world
    before = store_state(engine)["initiatives"]
    first = _draft(engine, team, ids)
    _draft(engine, team, ids, name="Bold")  # several named drafts for one week
    assert store_state(engine)["initiatives"] == before
    with Session(read_engine(engine)) as session:
        assert [s.name for s in scenarios.list_scenarios(session=session, week=WEEK)] == [
            "Bold",
            "Lean",
        ]
        comparison = scenario_plan.scenario_comparison(
            session=session, config=config, scenario_id=first, first_day=MONDAY, weeks=2
        )
    assert {(m.title, m.kind) for m in comparison.moves} == {
        ("Checkout", "changed"),
        ("Gift cards", "in"),
    }
    plan = _commit(engine, team, config, first, 2, note="Lean week")
    assert initiative_row(engine, ids["checkout"]).owner_id == team.ben.id
    gifts = initiative_row(engine, ids["gifts"])
    assert (gifts.status, gifts.effort_weeks) == (InitiativeStatus.planned, 3.0)
    with Session(read_engine(engine)) as session:
        committed = get_plan(session=session, week=WEEK)
    assert committed is not None and committed.id == plan.id and committed.note == "Lean week"
    assert {row["title"]: row["owner_id"] for row in committed.snapshot}["Checkout"] == team.ben.id
    assert count(engine, PlanScenario) == 1  # the committed draft is gone, "Bold" stays


def test_a_commit_is_refused_whole_when_an_initiative_changed_underneath(
    world: tuple[Engine, Team, dict[str, int]], config: AppConfig
) -> None:
    engine, team, ids = world
    scenario_id = _draft(engine, team, ids)
    _change_underneath(engine, ids["gifts"], status=InitiativeStatus.dropped)
    before = store_state(engine)
    with pytest.raises(scenarios.ScenarioCommitError) as refused:
        _commit(engine, team, config, scenario_id, 2)
    assert list(refused.value.problems) == ["“Gift cards” is Dropped now and left the backlog"]
    assert store_state(engine) == before  # checkout keeps Ana, no plan, no audit event
    assert count(engine, WeeklyPlan) == 0 and count(engine, PlanScenario) == 1


def test_an_edit_since_the_draft_is_named_and_an_existing_plan_needs_replace(
    world: tuple[Engine, Team, dict[str, int]], config: AppConfig
) -> None:
    engine, team, ids = world
    scenario_id = _draft(engine, team, ids)
    _change_underneath(engine, ids["checkout"], effort_weeks=2.0)
    with pytest.raises(scenarios.ScenarioCommitError) as refused:
        _commit(engine, team, config, scenario_id, 2)
    assert "“Checkout” was changed after this draft was made" in refused.value.problems[0]
    # Editing the row again takes the latest version; a week with a plan then asks to replace.
    _save(
        engine,
        team,
        scenario_id,
        2,
        scenarios.DraftChange(ids["checkout"], 2, {"owner_id": team.ben.id}),
    )
    commit_plan(engine, config, team.director, WEEK)
    before = store_state(engine)
    with pytest.raises(PlanAlreadyCommitted):
        _commit(engine, team, config, scenario_id, 3)
    assert store_state(engine) == before
    _commit(engine, team, config, scenario_id, 3, replace=True)
    assert initiative_row(engine, ids["checkout"]).owner_id == team.ben.id


def test_bad_drafts_and_other_roles_write_nothing(
    world: tuple[Engine, Team, dict[str, int]],
) -> None:
    engine, team, ids = world
    scenario_id = _draft(engine, team, ids)
    before = (store_state(engine), count(engine, PlanScenario))
    with session_scope(engine) as session:
        stored = session.get(PlanScenario, scenario_id)
        assert stored is not None
        kept_changes = stored.changes
    with pytest.raises(InputError) as refused:
        _save(
            engine,
            team,
            scenario_id,
            2,
            scenarios.DraftChange(ids["checkout"], 1, {"owner_id": team.sue.id}),
            scenarios.DraftChange(
                ids["gifts"], 1, {"start_date": date(2026, 12, 9), "target_date": MONDAY}
            ),
        )
    assert list(refused.value.problems) == [
        "“Checkout”: Sue Stakeholder cannot own initiatives",
        "“Gift cards”: target date 2026-11-23 is before start date 2026-12-09",
    ]
    taken = "already has a scenario named “Lean”"
    with pytest.raises(InputError, match=taken), session_scope(engine) as session:
        scenarios.create_scenario(session=session, actor=team.director, week=WEEK, name="Lean")
    for who in (team.ana, team.sue):
        with pytest.raises(PermissionDenied), session_scope(engine) as session:
            scenarios.create_scenario(session=session, actor=who, week=WEEK, name="Mine")
    assert (store_state(engine), count(engine, PlanScenario)) == before
    with session_scope(engine) as session:
        assert session.exec(select(PlanScenario)).one().changes == kept_changes
        scenarios.discard_scenario(
            session=session, actor=team.director, scenario_id=scenario_id, expected_version=2
        )
    assert count(engine, PlanScenario) == 0
    assert store_state(engine)["initiatives"] == before[0]["initiatives"]


def test_a_taken_scenario_name_is_refused_in_german_and_writes_nothing(
    world: tuple[Engine, Team, dict[str, int]],
) -> None:
    engine, team, ids = world
    _draft(engine, team, ids)
    before = (store_state(engine), count(engine, PlanScenario))
    with (
        i18n.use_locale("de"),
        pytest.raises(InputError) as refused,
        session_scope(engine) as session,
    ):
        scenarios.create_scenario(session=session, actor=team.director, week=WEEK, name="Lean")
    assert list(refused.value.problems) == [
        "2026-W48 hat bereits ein Szenario namens „Lean“; wählen Sie einen anderen Namen"
    ]
    assert (store_state(engine), count(engine, PlanScenario)) == before
