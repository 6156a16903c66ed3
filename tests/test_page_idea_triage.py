"""Ideas to triage on This week, under AppTest on a copy of the demo store: a director accepts a
member's idea to the backlog or declines it with a reason, in one click each; the member who
proposed it then reads the outcome on their own This week; members and stakeholders get no
triage at all."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import default_config
from planning.store.engine import create_store_engine, read_engine, session_scope
from planning.store.models import PersonRead, Role
from planning.work.initiative_input import InitiativeDraft
from planning.work.initiative_reads import initiative_detail
from planning.work.initiatives import create_initiative
from tests.app_pages import first_active
from tests.page_text import headers, plain

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PICK = "tw_idea_pick"


def propose(engine: Engine, member: PersonRead, title: str) -> int:
    with session_scope(engine) as session:
        made = create_initiative(
            session=session,
            actor=member,
            config=default_config(),
            draft=InitiativeDraft(
                title=title,
                owner_id=member.id,
                description="Let shoppers add a gift note and wrapping.",
                effort_weeks=2.0,
            ),
        )
    return int(made.id)


def state(engine: Engine, initiative_id: int) -> tuple[str, str, float, list[str]]:
    """Status, description, effort and status-update notes (newest first) of an initiative."""
    with Session(read_engine(engine)) as session:
        detail = initiative_detail(session=session, initiative_id=initiative_id)
    assert detail is not None
    item = detail.initiative
    return (
        item.status.value,
        item.description,
        item.effort_weeks,
        [str(n) for n in detail.updates["note"]],
    )


def open_this_week(person_id: int) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = person_id
    at.run()
    if at.title[0].value != "This week":
        at.switch_page("pages/this_week.py").run()
    assert not at.exception
    return at


def pick_and_click(at: AppTest, initiative_id: int, label: str, reason: str = "") -> AppTest:
    at.selectbox(key=PICK).set_value(initiative_id).run()
    if reason:
        at.text_input(key=f"tw_reason_{initiative_id}").input(reason)
    form = f"tw_triage_{initiative_id}"
    [button] = [b for b in at.button if b.form_id == form and b.label == label]
    return button.click().run()


def texts(at: AppTest) -> str:
    return " ".join(plain(e.value) for e in [*at.success, *at.info, *at.error])


def test_director_accepts_an_idea_and_the_member_sees_it_accepted(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member, director = first_active(engine, Role.member), first_active(engine, Role.director)
    idea = propose(engine, member, "Gift wrapping at checkout")

    at = open_this_week(director.id)
    assert "Ideas to triage" in headers(at)
    assert "Gift wrapping at checkout" in at.selectbox(key=PICK).options
    at = pick_and_click(at, idea, "Accept to backlog")
    assert not at.exception
    status, description, effort, notes = state(engine, idea)
    assert status == "planned"
    assert (description, effort) == ("Let shoppers add a gift note and wrapping.", 2.0)
    assert notes[0].startswith("Idea accepted to the backlog")
    assert "accepted to the backlog" in texts(at)

    seen = open_this_week(member.id)
    assert "Your idea “Gift wrapping at checkout” was accepted to the backlog" in texts(seen)


def test_director_declines_with_a_reason_and_the_member_reads_it(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member, director = first_active(engine, Role.member), first_active(engine, Role.director)
    idea = propose(engine, member, "Gift wrapping at checkout")

    at = pick_and_click(open_this_week(director.id), idea, "Decline", "Too little demand in Q4.")
    assert not at.exception
    status, _, _, notes = state(engine, idea)
    assert status == "dropped"
    assert notes[0] == "Idea declined: Too little demand in Q4."

    seen = open_this_week(member.id)
    assert f"Your idea “Gift wrapping at checkout” was declined by {director.name}" in texts(seen)
    assert "Too little demand in Q4." in texts(seen)


def test_declining_without_a_reason_is_refused_and_changes_nothing(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member, director = first_active(engine, Role.member), first_active(engine, Role.director)
    idea = propose(engine, member, "Gift wrapping at checkout")
    before = state(engine, idea)

    at = pick_and_click(open_this_week(director.id), idea, "Decline")
    assert not at.exception
    assert "a short reason is required" in texts(at)
    assert state(engine, idea) == before
    assert before[0] == "idea"


def test_members_and_stakeholders_get_no_triage(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member = first_active(engine, Role.member)
    propose(engine, member, "Gift wrapping at checkout")
    for person in (member, first_active(engine, Role.stakeholder)):
        at = open_this_week(person.id)
        assert "Ideas to triage" not in headers(at)
        assert not [b for b in at.button if b.form_id.startswith("tw_triage_")]
