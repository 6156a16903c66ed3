"""Bulk edit and the trash on the Initiatives page, and Undo last save on Weekly planning, under
AppTest on a copy of the demo store, for each role: a director changes several initiatives at
once, deletes one and restores it from the Trash, and undoes the last planning save; a member
changes only their own (a row of someone else's is refused with its reason, nothing written) and
sees no Trash; a stakeholder does not reach the Initiatives page."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.config import default_config
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import Initiative, KeyResult, Objective, PersonRead, Role
from planning.store.models_trash import TrashItem
from planning.work.backlog_edits import RowEdit, apply_backlog_edits
from tests.app_pages import click, open_as, people
from tests.page_text import plain
from tests.test_page_initiatives import owned_by


def _open(person_id: int, page: str, **state: object) -> AppTest:
    return open_as(person_id, page, state=state)


def _planned(engine: Engine) -> Initiative:
    with Session(read_engine(engine)) as session:
        found = session.scalars(
            select(Initiative).where(Initiative.status == "planned").order_by(Initiative.id)
        ).first()
    assert found is not None
    return found


def _get(engine: Engine, initiative_id: int) -> Initiative | None:
    with Session(read_engine(engine)) as session:
        return session.get(Initiative, initiative_id)


def test_a_director_sets_health_on_two_initiatives_at_once(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    a, b = people(engine, Role.member)[:2]
    first, second = owned_by(engine, a.id, "in_progress"), owned_by(engine, b.id, "in_progress")
    at = _open(director.id, "pages/initiatives.py")
    assert not [m for m in at.multiselect if m.key == "bulk_ids"]  # drawn once asked for
    at.toggle(key="bulk_open").set_value(True).run()
    assert at.selectbox(key="bulk_owner") is not None  # directors set owner and status too
    at.multiselect(key="bulk_ids").set_value([first.id, second.id])
    at.selectbox(key="bulk_health").set_value("off_track")
    click(at, "Apply to selected")
    assert not at.exception
    assert [s.value for s in at.success] == ["2 initiatives changed."]
    assert [_get(engine, i).health.value for i in (first.id, second.id)] == ["off_track"] * 2  # type: ignore[union-attr]


def test_a_member_is_refused_a_row_of_someone_else_and_nothing_is_written(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    ana, ben = people(engine, Role.member)[:2]
    mine, theirs = owned_by(engine, ana.id, "in_progress"), owned_by(engine, ben.id, "in_progress")
    at = _open(ana.id, "pages/initiatives.py", bulk_open=True)
    assert not [s for s in at.selectbox if s.key in ("bulk_owner", "bulk_status")]
    assert not any(e.label.startswith("Trash") for e in at.expander)
    at.multiselect(key="bulk_ids").set_value([mine.id, theirs.id])
    at.selectbox(key="bulk_health").set_value("at_risk")
    click(at, "Apply to selected")
    [error] = at.error
    assert f"“{theirs.title}” is owned by {ben.name}" in plain(error.value)
    assert _get(engine, mine.id).health == mine.health  # type: ignore[union-attr]


def test_a_director_deletes_an_initiative_and_restores_it_from_the_trash(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    doomed = _planned(engine)
    at = _open(director.id, "pages/initiatives.py", initiative_pick=doomed.id)
    tag = f"{doomed.id}_{doomed.version}"
    at.checkbox(key=f"del_sure_{tag}").check()
    click(at, "Delete initiative")
    assert not at.exception
    assert "gone for good on 26 Dec 2026" in at.success[0].value
    assert _get(engine, doomed.id) is None
    trash = next(d.value for d in at.dataframe if "gone_on" in d.value.columns)
    row = trash[trash["title"] == doomed.title].iloc[0]
    assert (row["kind"], row["how"], row["gone_on"]) == ("Initiative", "Deleted", "26 Dec 2026")
    pick = at.selectbox(key="trash_pick")
    pick.select_index(next(i for i, label in enumerate(pick.options) if doomed.title in label))
    [restore] = [b for b in at.button if b.key == "trash_restore"]
    restore.click().run()
    assert not at.exception
    assert "restored" in at.success[0].value
    assert _get(engine, doomed.id) is not None
    with Session(read_engine(engine)) as session:
        assert session.scalars(select(TrashItem)).first() is None


def _save_more_effort(engine: Engine, director: PersonRead) -> Initiative:
    """A planned initiative whose effort the director raises by two weeks in one planning save."""
    work = _planned(engine)
    edit = RowEdit(
        initiative_id=work.id,
        title=work.title,
        expected_version=work.version,
        changes={"effort_weeks": work.effort_weeks + 2},
    )
    with session_scope(engine) as session:
        apply_backlog_edits(session=session, actor=director, config=default_config(), edits=[edit])
    return work


def test_a_director_undoes_the_last_planning_save(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    work = _save_more_effort(engine, director)
    at = _open(director.id, "pages/planning.py")
    assert any("Last save:" in plain(c.value) and work.title in plain(c.value) for c in at.caption)
    [undo] = [b for b in at.button if b.key == "undo_planning_save"]
    undo.click().run()
    assert not at.exception
    assert _get(engine, work.id).effort_weeks == work.effort_weeks  # type: ignore[union-attr]
    assert not [b for b in at.button if b.key == "undo_planning_save"]


def test_a_stakeholder_gets_neither_bulk_edit_nor_trash(app_store: str) -> None:
    # The router sends a stakeholder to the Roadmap (Weekly planning's own test covers its page).
    engine = create_store_engine(app_store)
    [sue] = people(engine, Role.stakeholder)
    at = _open(sue.id, "pages/initiatives.py", bulk_open=True)
    assert [t.value for t in at.title] == ["Roadmap"]
    assert not [b for b in at.button if b.key == "trash_restore"]
    assert not [m for m in at.multiselect if m.key == "bulk_ids"]


def test_a_director_deletes_an_objective_on_goals_and_restores_it_with_its_key_results(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    with Session(read_engine(engine)) as session:
        doomed = session.scalars(
            select(Objective).where(Objective.period == "2026-Q4").order_by(Objective.id)
        ).first()
        assert doomed is not None
        krs = session.scalars(select(KeyResult.id).where(KeyResult.objective_id == doomed.id)).all()
    assert krs, "the demo objective has key results"
    at = _open(director.id, "pages/goals.py", goals_task="edit_objective", edit_objective=doomed.id)
    tag = f"objective_{doomed.id}_{doomed.version}"
    click(at, "Delete objective")
    assert [e.value for e in at.error] == ["Tick “Yes, delete it” to delete the objective."]
    with Session(read_engine(engine)) as session:
        assert session.get(Objective, doomed.id) is not None  # not ticked: nothing written
    at.checkbox(key=f"del_sure_{tag}").check()
    click(at, "Delete objective")
    assert not at.exception
    assert "moved to the trash; it is gone for good on 26 Dec 2026" in at.success[0].value
    with Session(read_engine(engine)) as session:
        assert session.get(Objective, doomed.id) is None
        assert not session.scalars(select(KeyResult).where(KeyResult.id.in_(krs))).all()

    at = _open(director.id, "pages/initiatives.py")
    pick = at.selectbox(key="trash_pick")
    pick.select_index(next(i for i, label in enumerate(pick.options) if doomed.title in label))
    [restore] = [b for b in at.button if b.key == "trash_restore"]
    restore.click().run()
    assert not at.exception
    with Session(read_engine(engine)) as session:
        assert session.get(Objective, doomed.id) is not None
        back = session.scalars(select(KeyResult.id).where(KeyResult.id.in_(krs))).all()
    assert sorted(back) == sorted(krs)


def test_a_member_has_no_delete_on_goals(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member = people(engine, Role.member)[0]
    at = _open(member.id, "pages/goals.py")
    assert not [e for e in at.expander if e.label.startswith("Delete this")]
    assert not [b for b in at.button if b.label in ("Delete objective", "Delete key result")]


def test_planning_save_and_scenario_times_read_in_the_team_time_zone(
    app_store: str, berlin_team: None
) -> None:
    # 08:00 UTC is 09:00 in Berlin: a Berlin team reads its own clock, labelled with the zone.
    clock.pin("2027-01-04T08:00:00+00:00")
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    _save_more_effort(engine, director)
    at = _open(director.id, "pages/planning.py")
    [undo] = [plain(c.value) for c in at.caption if "Last save:" in plain(c.value)]
    assert undo.startswith("Last save: 04 Jan 2027 09:00 CET by ")
    [name] = [t for t in at.text_input if t.label == "Name of a new scenario"]
    name.input("Lean week")
    click(at, "Make a scenario")
    assert not at.exception
    assert any("last saved 04 Jan 2027 09:00 CET." in plain(c.value) for c in at.caption)
