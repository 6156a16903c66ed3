"""The Weekly planning page under AppTest, on a copy of the demo store: directors see the ranked
backlog, matrix, capacity, commit, diff and decision log; members and stakeholders see a short
"directors only" note and no controls; a framework switch re-ranks; saving table edits, committing
the week and logging decisions write through planning/ and refuse bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine, delete, update
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.formatting import format_score
from planning.impact.calibration import calibration_by_person, suggested_confidences
from planning.periods import iso_week
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import (
    Decision,
    Initiative,
    InitiativeStatus,
    Role,
    WeeklyPlan,
)
from planning.work.backlog import backlog_entries, ranked_backlog
from planning.work.capacity import capacity_overview
from planning.work.initiative_input import NewStatusUpdate
from planning.work.status_updates import post_status_update
from planning.work.weekly_plan import get_plan
from tests.app_pages import click, open_as, people, table_edits
from tests.config_support import GERMAN_TEAM, config_copy
from tests.page_text import first_phone_cards, plain
from tests.planning_seed import add_initiative, commit_plan, count, store_state
from tests.shown_text import collation_key, displayed_cell, figure
from tests.test_page_initiatives import stored_initiative

PAGE = "pages/planning.py"
DIRECTORS_ONLY = "Weekly planning is for directors"


def director_name(engine: Engine) -> str:
    return people(engine, Role.director)[0].name


def open_page(person_id: int, **state: Any) -> AppTest:
    return open_as(person_id, PAGE, state=state)


def backlog_of(engine: Engine, framework: str) -> pd.DataFrame:
    with Session(read_engine(engine)) as session:
        return ranked_backlog(session=session, config=default_config(), framework_id=framework)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "success", "error", "warning")
             for e in getattr(at, kind)]  # fmt: skip
    return "\n".join(plain(p) for p in parts)


def test_director_sees_the_whole_ritual(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    at = open_page(director.id)
    assert at.title[0].value == "Weekly planning"
    assert [s.value for s in at.subheader] == [
        "Ranked backlog",
        "Critical paths",
        "Estimator calibration",
        "Value / effort matrix",
        "Capacity, next 8 weeks",
        f"Commit plan for week {iso_week(clock.today())}",
        f"Scenarios for week {iso_week(clock.today())}",
        "Since last week",
        "Decision log",
    ]
    expected = backlog_of(engine, default_config().scoring.active)
    [editor] = at.data_editor
    shown = editor.value
    assert list(shown["id"]) == list(expected["id"])
    assert [figure(r) for r in shown["rank"] if figure(r)] == list(expected["rank"].dropna())
    assert figure(shown["score"].iloc[0]) == round(expected["score"].iloc[0])
    assert {"Save changes", "Discard edits"} <= {b.label for b in at.button}
    assert [b.label for b in at.button if b.label.startswith("Commit plan")] == [
        f"Commit plan for week {iso_week(clock.today())}"
    ]
    # The matrix names its quadrants from scoring.yaml.
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    spec = json.dumps(json.loads(charts[0].proto.spec))
    for name in ("Quick wins", "Big bets", "Fill-ins", "Money pits"):
        assert f'"{name}"' in spec
    # Capacity: one row per person, eight week columns, load / capacity in each cell.
    with Session(read_engine(engine)) as session:
        load = capacity_overview(
            session=session,
            settings=default_config().settings.capacity,
            first_day=clock.today(),
            weeks=8,
        )
    grid = at.dataframe[1].value
    assert list(grid["Person"]) == list(dict.fromkeys(load["person"]))
    assert list(grid.columns[1:]) == list(dict.fromkeys(load["week"]))
    first = load.iloc[0]
    marker = "🔴 " if first["over"] else ""
    assert grid.iloc[0, 1] == f"{marker}{first['load_hours']:.0f} / {first['capacity_hours']:.0f} h"
    over = load[load["over"]]
    assert not over.empty  # the demo's team has more planned than fits in some weeks
    assert f"🔴 over-allocated ({len(over)} person-weeks" in texts(at)
    assert sum(str(cell).startswith("🔴 ") for cell in grid.iloc[:, 1:].to_numpy().ravel()) == (
        len(over)
    )
    # The demo committed last week's plan: the diff says what moved since then.
    last_week = iso_week(clock.today() - pd.Timedelta(days=7))
    assert f"against the plan committed for {last_week} by {director_name(engine)}" in texts(at)
    decisions = at.dataframe[-1].value
    assert len(decisions) == count(engine, Decision)


def test_without_last_weeks_plan_the_page_says_how_to_start(app_store: str) -> None:
    engine = create_store_engine(app_store)
    with session_scope(engine) as session:
        session.execute(delete(WeeklyPlan))
    at = open_page(people(engine, Role.director)[0].id)
    assert not at.exception
    assert "No plan was committed before this week" in texts(at)


def test_members_and_stakeholders_never_reach_the_page(app_store: str) -> None:
    # The router sends them to their landing page (This week, or the Roadmap for stakeholders).
    engine = create_store_engine(app_store)
    for role, landing in ((Role.member, "This week"), (Role.stakeholder, "Roadmap")):
        at = open_page(people(engine, role)[0].id)
        assert [t.value for t in at.title] == [landing]
        assert not [b for b in at.button if b.label.startswith("Commit plan")]
        assert not [b for b in at.button if b.label in {"Make a scenario", "Save the draft"}]
        assert DIRECTORS_ONLY not in texts(at)


def test_framework_switch_re_ranks(app_store: str) -> None:
    engine = create_store_engine(app_store)
    at = open_page(people(engine, Role.director)[0].id)
    at.segmented_control(key="planning_framework").set_value("ice").run()
    assert not at.exception
    expected = backlog_of(engine, "ice")
    shown = at.data_editor[0].value
    assert list(shown["id"]) == list(expected["id"])
    assert list(backlog_of(engine, "rice")["id"]) != list(expected["id"])
    assert "input.impact" in shown.columns and "input.reach" not in shown.columns
    assert "input.ease" not in shown.columns  # ease comes from the effort in person-weeks
    assert any("Impact × Confidence × Ease" in c.value for c in at.caption)


def test_saving_table_edits_writes_them_and_a_bad_row_writes_nothing(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    expected = backlog_of(engine, "rice")
    top, second = int(expected["id"].iloc[0]), int(expected["id"].iloc[1])
    edits = table_edits({0: {"title": "Renamed in planning"}, 1: {"input.impact": 4}})
    at = open_page(director.id, backlog_editor_rice_0=edits)
    click(at, "Save changes")
    assert not at.exception
    error = plain(at.error[0].value)
    assert "Nothing was saved" in error and "Impact 4 is not one of 3, 2, 1, 0.5, 0.25" in error
    assert stored_initiative(engine, top).title == expected["title"].iloc[0]
    # Fix the bad cell: both rows save in one go.
    edits["edited_rows"][1] = {"input.impact": 3}
    at = open_page(director.id, backlog_editor_rice_0=edits)
    click(at, "Save changes")
    assert not at.exception
    assert at.success[0].value == "Saved 2 initiatives."
    assert stored_initiative(engine, top).title == "Renamed in planning"
    assert stored_initiative(engine, second).scores["rice"]["impact"] == 3


def test_an_edited_row_is_rescored_and_reranked_before_save_and_written_only_on_save(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    expected = backlog_of(engine, "rice")
    ranked = expected[expected["rank"].notna()].reset_index(drop=True)
    last = len(ranked) - 1
    last_id, first_id = int(ranked["id"].iloc[last]), int(ranked["id"].iloc[0])
    assert int(ranked["rank"].iloc[last]) > 1
    before = store_state(engine)
    # The last-ranked row reaches far more customers, and the top row grows to a year's work.
    edits = table_edits({last: {"input.reach": 100_000_000}, 0: {"effort_weeks": 52.0}})
    at = open_page(director.id, backlog_editor_rice_0=edits)
    shown = at.data_editor[0].value.set_index("id")
    inputs = ranked.iloc[last]["inputs"]
    months = max(0.5, float(ranked["effort_weeks"].iloc[last]) * 12 / 52)
    assert figure(shown.loc[last_id, "score"]) == pytest.approx(
        100_000_000 * inputs["impact"] * inputs["confidence"] / months
    )
    assert int(shown.loc[last_id, "rank"]) == 1
    top = ranked.iloc[0]["inputs"]
    # 52 person-weeks are 12 person-months, shown beside the effort.
    assert shown.loc[first_id, "effort_input"] == 12
    assert figure(shown.loc[first_id, "score"]) == pytest.approx(
        top["reach"] * top["impact"] * top["confidence"] / 12
    )
    assert shown.loc[first_id, "rank"] == "—" or int(shown.loc[first_id, "rank"]) != 1
    assert store_state(engine) == before  # nothing written while editing
    click(at, "Save changes")
    assert not at.exception
    assert at.success[0].value == "Saved 2 initiatives."
    after = backlog_of(engine, "rice").set_index("id")
    assert after.loc[last_id, "rank"] == 1
    assert after.loc[first_id, "effort_weeks"] == 52


def test_save_without_edits_says_so(app_store: str) -> None:
    engine = create_store_engine(app_store)
    at = open_page(people(engine, Role.director)[0].id)
    click(at, "Save changes")
    assert at.info[0].value == "No changes to save."


def test_commit_then_recommit_needs_confirmation(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    week = iso_week(clock.today())
    plans_before = count(engine, WeeklyPlan)
    at = open_page(director.id)
    click(at, f"Commit plan for week {week}")
    assert not at.exception
    assert at.success[0].value.startswith(f"Plan for {week} committed")
    with Session(read_engine(engine)) as session:
        plan = get_plan(session=session, week=week)
    assert plan is not None and len(plan.snapshot) == len(backlog_of(engine, "rice"))
    click(at, f"Commit plan for week {week}")
    assert "already committed" in at.warning[0].value
    assert count(engine, WeeklyPlan) == plans_before + 1
    [replace] = [c for c in at.checkbox if c.label.startswith("Replace the plan")]
    replace.check()
    click(at, f"Commit plan for week {week}")
    assert at.success[0].value.startswith(f"Plan for {week} committed")
    assert count(engine, WeeklyPlan) == plans_before + 1


def test_diff_against_last_weeks_plan(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    last_week = iso_week(clock.today() - pd.Timedelta(days=7))
    commit_plan(engine, default_config(), director, last_week, replace=True)
    finished = backlog_of(engine, "rice").iloc[0]
    with session_scope(engine) as session:
        post_status_update(
            session=session,
            actor=director,
            initiative_id=int(finished["id"]),
            update=NewStatusUpdate("done", "on_track", 100, "Shipped to everyone."),
        )
    at = open_page(director.id)
    changes = at.dataframe[2].value
    left = changes[changes["change"] == "Left the backlog"]
    assert list(left["initiative"]) == [finished["title"]]
    moved = changes[changes["change"].str.startswith("Up ")]
    assert len(moved) == len(backlog_of(engine, "rice").dropna(subset=["rank"]))
    assert any("the live backlog" in c.value for c in at.caption)


def test_logging_a_decision_and_refusing_an_empty_one(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    before = count(engine, Decision)
    at = open_page(director.id)
    assert not [b for b in at.button if b.label == "Log decision"]  # drawn once opened
    at.session_state["planning_decision"] = True  # what opening the expander does
    at.run()
    at.text_area(key="decision_text").input("   ")
    click(at, "Log decision")
    assert "the decision is required" in at.error[0].value
    assert count(engine, Decision) == before
    at.text_area(key="decision_text").input("Pause paid social until the CDN work ships.")
    click(at, "Log decision")
    assert not at.exception
    assert at.success[0].value == "Decision logged."
    assert count(engine, Decision) == before + 1
    table = at.dataframe[-1].value
    assert table["text"].iloc[0] == "Pause paid social until the CDN work ships."


def test_estimator_calibration_and_applying_its_suggested_confidence(app_store: str) -> None:
    engine = create_store_engine(app_store)
    config = default_config()
    with Session(read_engine(engine)) as session:
        calibrations = calibration_by_person(session=session, config=config)
        suggestions = suggested_confidences(
            backlog_entries(session=session),
            calibrations,
            config.scoring.frameworks["rice"],
            framework_id="rice",
        )
    assert suggestions, "the demo's estimator has landed predictions and open initiatives"
    at = open_page(people(engine, Role.director)[0].id)
    assert not at.table  # measured only once the director opens it
    at.session_state["planning_calibration"] = True  # what opening the expander does
    table = at.run().table[0].value
    assert list(table.index) == sorted(c.person for c in calibrations.values())
    first = sorted(calibrations.values(), key=lambda c: c.person)[0]
    assert int(table["Predictions"].iloc[0]) == first.predictions
    assert table["Suggested confidence"].iloc[0] == f"{first.suggested_confidence:.0%}"
    label = f"Apply suggested confidence to {len(suggestions)} initiatives"
    click(at, label)
    assert not at.exception
    assert at.success[0].value == (
        f"Set RICE confidence on {len(suggestions)} initiatives from the estimators' calibration."
    )
    for suggestion in suggestions:
        stored = stored_initiative(engine, suggestion.initiative_id)
        assert stored.scores["rice"]["confidence"] == suggestion.suggested
        assert stored.version == suggestion.version + 1
    # Nothing is left to apply, and the table re-ranked with the new confidences.
    assert not [b for b in at.button if b.label.startswith("Apply suggested confidence")]
    assert list(at.data_editor[0].value["id"]) == list(backlog_of(engine, "rice")["id"])


def test_unsaved_edits_survive_a_framework_switch(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    rice = backlog_of(engine, "rice")
    top, second = int(rice["id"].iloc[0]), int(rice["id"].iloc[1])
    edits = table_edits({0: {"title": "Renamed before the switch"}, 1: {"input.impact": 3}})
    at = open_page(director.id, backlog_editor_rice_0=edits)
    at.segmented_control(key="planning_framework").set_value("ice").run()
    assert not at.exception
    shown = at.data_editor[0].value.set_index("id")
    assert "input.reach" not in shown.columns  # ICE's table: RICE's reach is not there
    assert shown.loc[top, "title"] == "Renamed before the switch"
    assert "Your unsaved edits to 1 initiative are kept" in texts(at)
    assert "Unsaved RICE inputs on 1 initiative are kept" in texts(at)
    click(at, "Save changes")
    assert at.success[0].value == "Saved 1 initiative."
    assert stored_initiative(engine, top).title == "Renamed before the switch"
    assert stored_initiative(engine, second).scores["rice"]["impact"] != 3
    # Back on RICE the impact edit is still there and saves.
    at.segmented_control(key="planning_framework").set_value("rice").run()
    shown = at.data_editor[0].value.set_index("id")
    assert shown.loc[second, "input.impact"] == 3
    click(at, "Save changes")
    assert at.success[0].value == "Saved 1 initiative."
    assert stored_initiative(engine, second).scores["rice"]["impact"] == 3


def test_a_logged_decision_clears_the_form_and_a_second_click_logs_nothing_more(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    before = count(engine, Decision)
    at = open_page(people(engine, Role.director)[0].id, planning_decision=True)
    words = "Hold the redesign until the holiday freeze ends."
    at.text_area(key="decision_text").input(words)
    click(at, "Log decision")
    assert at.success[0].value == "Decision logged."
    assert at.text_area(key="decision_text").value == ""
    # A double click sends the same form again before the page has redrawn.
    at.text_area(key="decision_text").input(words)
    click(at, "Log decision")
    assert not at.exception
    assert count(engine, Decision) == before + 1
    assert list(at.dataframe[-1].value["text"]).count(words) == 1


def test_a_director_edits_then_withdraws_a_decision_and_it_stays_listed(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    at = open_page(director.id, planning_decision_change=True)
    picked = at.selectbox(key="decision_change_pick").value
    with Session(read_engine(engine)) as session:
        original = session.get(Decision, picked)
        assert original is not None
    suffix = f"{picked}_{original.version}"
    at.text_area(key=f"decision_edit_text_{suffix}").input("Reworded after the review.")
    click(at, "Save the decision")
    assert not at.exception
    assert at.success[0].value == "Decision saved."
    with Session(read_engine(engine)) as session:
        edited = session.get(Decision, picked)
        assert edited is not None and edited.text == "Reworded after the review."
    at.selectbox(key="decision_change_pick").set_value(picked).run()
    click(at, "Withdraw the decision")
    assert at.success[0].value == "Decision withdrawn."
    table = at.dataframe[-1].value
    row = table[table["text"] == "Reworded after the review."]
    assert list(row["state"]) == ["Withdrawn"]
    assert not any("Reworded" in o for o in at.selectbox(key="decision_change_pick").options)
    with Session(read_engine(engine)) as session:
        withdrawn = session.get(Decision, picked)
        assert withdrawn is not None and withdrawn.withdrawn_by == director.id


def test_discard_drops_edits_kept_across_a_framework_switch(app_store: str) -> None:
    engine = create_store_engine(app_store)
    rice = backlog_of(engine, "rice")
    top = int(rice["id"].iloc[0])
    edits = table_edits({0: {"title": "Not wanted"}})
    at = open_page(people(engine, Role.director)[0].id, backlog_editor_rice_0=edits)
    at.segmented_control(key="planning_framework").set_value("ice").run()
    assert at.data_editor[0].value.set_index("id").loc[top, "title"] == "Not wanted"
    click(at, "Discard edits")
    assert at.data_editor[0].value.set_index("id").loc[top, "title"] == rice["title"].iloc[0]
    assert "are kept" not in texts(at)
    at.segmented_control(key="planning_framework").set_value("rice").run()
    assert at.data_editor[0].value.set_index("id").loc[top, "title"] == rice["title"].iloc[0]


@pytest.mark.parametrize("framework", ["rice", "wsjf", "expected_value"])
def test_scores_read_as_people_read_them_and_still_sort_as_numbers(
    app_store: str, framework: str
) -> None:
    """The Score column shows each score as the matrix caption writes it (960,917 · 9.6), never
    with padded decimals (960,916.667) or a "None"; padded to one width, sorting the column
    orders it by number (the browser test checks the browser's own comparison)."""
    engine = create_store_engine(app_store)
    at = open_page(people(engine, Role.director)[0].id, planning_framework=framework)
    editor = at.dataframe[0]
    config = json.loads(editor.proto.columns)
    expected = backlog_of(engine, framework).set_index("id")["score"]
    assert expected.notna().sum() >= 5
    shown = {
        int(row["id"]): displayed_cell(row["score"], config["score"])
        for _, row in editor.value.iterrows()
    }
    assert {i: t.strip() for i, t in shown.items()} == {
        i: "—" if pd.isna(v) else format_score(v) for i, v in expected.items()
    }
    for text in shown.values():
        assert not re.search(r"\d{1,3}(,\d{3})+\.\d|\.\d{3}|None", text), text
    by_column = sorted(shown, key=lambda i: collation_key(shown[i]))
    by_number = sorted(shown, key=lambda i: (pd.notna(expected[i]), expected[i]))
    assert [figure(shown[i]) for i in by_column] == [figure(shown[i]) for i in by_number]
    ranks = [displayed_cell(r, config["rank"]) for r in editor.value["rank"]]
    assert sorted(ranks, key=collation_key) == sorted(ranks, key=lambda r: figure(r) or 0)
    engine.dispose()


def test_a_long_backlog_shows_its_top_ranked_against_the_whole_backlog(
    app_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The table shows the top of the ranking (100 rows; 3 here, the demo holding fewer), says
    # how many more there are and shows them on request; an edit still ranks the row against
    # every open initiative, and Save writes it.
    monkeypatch.setattr("ui.bounded.STEP", 3)
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    expected = backlog_of(engine, "rice")
    total = len(expected)
    ranked = int(expected["rank"].notna().sum())
    top = int(expected["id"].iloc[0])
    at = open_page(director.id)
    assert list(at.data_editor[0].value["id"]) == list(expected["id"][:3])
    assert f"Showing the top 3 of {total}: {total - 3} more below." in texts(at)
    edits = table_edits({0: {"input.reach": 1}})
    at = open_page(director.id, backlog_editor_rice_0=edits)
    shown = at.data_editor[0].value.set_index("id")
    assert int(shown.loc[top, "rank"]) == ranked  # last of all, not of the three shown
    click(at, "Save changes")
    assert at.success[0].value == "Saved 1 initiative."
    next(b for b in at.button if b.label == f"Show all {total}").click().run()
    assert len(at.data_editor[0].value) == total
    assert "more below" not in texts(at)


def test_planned_work_without_dates_is_listed_under_capacity_with_why(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    add_initiative(
        engine, title="Undated launch", owner_id=director.id, status=InitiativeStatus.planned
    )
    at = open_page(director.id)
    [nobody] = [e for e in at.expander if e.label.endswith("nobody")]
    assert nobody.label == "1 planned or running initiative loads nobody"
    [table] = nobody.dataframe
    assert table.value.to_dict(orient="records") == [
        {"title": "Undated launch", "reason": "no start date and target date"}
    ]
    engine.dispose()


@pytest.mark.parametrize(
    ("german", "said"),
    [
        (False, "Nobody is over-allocated in these weeks."),
        (True, "Niemand ist in diesen Wochen überbucht."),
    ],
)
def test_capacity_says_nobody_is_over_allocated_when_nobody_is(
    app_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, german: bool, said: str
) -> None:
    if german:
        config = config_copy(tmp_path / "config", **GERMAN_TEAM)
        monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(config))
        st.cache_resource.clear()
    engine = create_store_engine(app_store)
    with session_scope(engine) as session:  # all work shipped: nobody carries any load
        session.execute(update(Initiative).values(status=InitiativeStatus.done))
    at = open_page(people(engine, Role.director)[0].id)
    caption = next(c.value for c in at.caption if "BAU" in c.value)
    assert plain(caption).endswith(said)
    assert "🔴" not in caption and "(0 " not in caption
    engine.dispose()


def test_a_phone_reads_the_ranking_as_cards_in_the_tables_order(app_store: str) -> None:
    """Below 641 px the editable backlog scrolled sideways: its rows read as cards, "rank.
    title" over the score, owner, status and health, best first, with a note on where to edit."""
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    at = open_page(director.id)
    shown = at.data_editor[0].value
    stack, cards = first_phone_cards(at)
    ranks = [str(r).strip() for r in shown["rank"]]
    assert [title for title, _line in cards] == [
        f"{rank}. {title}" if rank != "—" else title
        for rank, title in zip(ranks, shown["title"], strict=True)
    ]
    names = {p.id: p.name for p in people(engine, Role.director) + people(engine, Role.member)}
    first = shown.iloc[0]
    assert cards[0][1].startswith(
        f"Score {str(first['score']).strip()} · {names[int(first['owner_id'])]} · "
    )
    assert "Editing it needs a wider screen" in stack
