"""The Initiatives page under AppTest, on a copy of the demo store: the list and its filters, the
detail with status history and audit trail, and what each role may do from it (stakeholders
read, members propose ideas and update their own, directors create and edit any), including a
second editor's conflict that keeps what they typed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import default_config
from planning.store.engine import create_store_engine, read_engine
from planning.store.models import (
    Initiative,
    PersonRead,
    Role,
    StatusUpdate,
)
from planning.work.initiative_reads import (
    initiative_detail,
    list_initiatives,
    objective_choices,
)
from tests.app_pages import click, open_as, people
from tests.config_support import GERMAN_TEAM, config_copy
from tests.page_text import first_phone_cards, plain
from tests.planning_seed import count, edit_initiative, stored_initiative
from tests.shown_text import shown_texts

PAGE = "pages/initiatives.py"


def open_page(person_id: int, pick: int | None = None) -> AppTest:
    return open_as(person_id, PAGE, query={} if pick is None else {"initiative": str(pick)})


def owned_by(engine: Engine, owner_id: int, status: str) -> Initiative:
    with Session(read_engine(engine)) as session:
        found = session.scalars(
            select(Initiative)
            .where(Initiative.owner_id == owner_id, Initiative.status == status)
            .order_by(Initiative.id)
        ).first()
    assert found is not None
    return found


def newest(engine: Engine) -> Initiative:
    """The initiative created last."""
    with Session(read_engine(engine)) as session:
        found = session.scalars(select(Initiative).order_by(Initiative.id.desc())).first()  # type: ignore[union-attr]
    assert found is not None
    return found


def director_edits_running_work(app_store: str) -> tuple[Engine, PersonRead, Initiative, AppTest]:
    """The page as the first director, opened on the first member's first running initiative:
    (engine, that member, the initiative, the page)."""
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    member = people(engine, Role.member)[0]
    running = owned_by(engine, member.id, "in_progress")
    return engine, member, running, open_page(director.id, pick=running.id)


def director_starts_new(app_store: str, title: str) -> tuple[Engine, AppTest]:
    """The page as the first director, with `title` typed into the new-initiative form."""
    engine = create_store_engine(app_store)
    at = open_page(people(engine, Role.director)[0].id)
    at.text_input(key="new_title").input(title)
    return engine, at


def test_a_member_reads_list_and_detail_of_someone_elses_initiative(app_store: str) -> None:
    engine = create_store_engine(app_store)
    reader, owner = people(engine, Role.member)[:2]
    running = owned_by(engine, owner.id, "in_progress")
    at = open_page(reader.id, pick=running.id)
    with Session(read_engine(engine)) as session:
        listing = list_initiatives(session=session)
        detail = initiative_detail(session=session, initiative_id=running.id)
    assert detail is not None
    table = at.dataframe[0].value
    assert list(table["title"]) == list(listing["title"])
    assert plain(at.subheader[0].value) == running.title
    assert {m.label: m.value for m in at.metric}["Owner"] == detail.owner
    history = next(d.value for d in at.dataframe if "note" in d.value.columns)
    assert list(history["note"]) == list(detail.updates["note"])
    trail = next(d.value for d in at.dataframe if "changes" in d.value.columns)
    assert len(trail) == len(detail.audit)
    assert not any(b.label in {"Post update", "Save changes"} for b in at.button)


def test_stakeholders_do_not_open_initiatives(app_store: str) -> None:
    # Stakeholders read the Roadmap, Goals, Metrics and This week; the router sends the
    # Initiatives page's address to their landing page, the Roadmap.
    engine = create_store_engine(app_store)
    [sue] = people(engine, Role.stakeholder)
    running = owned_by(engine, people(engine, Role.member)[0].id, "in_progress")
    at = open_page(sue.id, pick=running.id)
    assert [t.value for t in at.title] == ["Roadmap"]
    assert len(at.form_submit_button) == 0
    assert not any(b.label in {"Post update", "Save changes", "Propose idea"} for b in at.button)


def test_filters_narrow_the_list(app_store: str) -> None:
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    at = open_page(director.id)
    objective_label = at.selectbox(key="filter_objective").options[1]
    at.selectbox(key="filter_objective").select_index(1).run()
    at.multiselect(key="filter_status").select("in_progress").run()
    with Session(read_engine(engine)) as session:
        chosen = next(iter(objective_choices(session=session)))
        expected = list_initiatives(session=session, objective_id=chosen, status="in_progress")
        everything = list_initiatives(session=session)
    assert objective_label == objectives_label(engine, chosen)
    shown = at.dataframe[0].value
    assert list(shown["title"]) == list(expected["title"])
    assert set(shown["status"]) == {"In progress"}
    assert 0 < len(shown) < len(everything)


def objectives_label(engine: Engine, objective_id: int) -> str:
    with Session(read_engine(engine)) as session:
        return objective_choices(session=session)[objective_id]


def test_member_posts_a_status_update_on_their_own_initiative(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member = people(engine, Role.member)[0]
    running = owned_by(engine, member.id, "in_progress")
    before = count(engine, StatusUpdate)
    at = open_page(member.id, pick=running.id)
    tag = f"{running.id}_{running.version}"
    # No note: refused, nothing written, the chosen health is kept.
    at.selectbox(key=f"su_health_{tag}").set_value("at_risk")
    click(at, "Post update")
    assert "a note is required" in plain(at.error[0].value)
    assert count(engine, StatusUpdate) == before
    assert at.selectbox(key=f"su_health_{tag}").value == "at_risk"
    at.text_area(key=f"su_note_{tag}").input("Payment provider API is slow; testing a fallback.")
    click(at, "Post update")
    assert not at.exception
    assert at.success[0].value == "Status update posted."
    assert count(engine, StatusUpdate) == before + 1
    assert stored_initiative(engine, running.id).health == "at_risk"
    history = next(d.value for d in at.dataframe if "note" in d.value.columns)
    assert history["note"].iloc[0] == "Payment provider API is slow; testing a fallback."


def test_a_note_alone_is_posted_once_and_the_form_starts_empty_again(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member = people(engine, Role.member)[0]
    running = owned_by(engine, member.id, "in_progress")
    before = count(engine, StatusUpdate)
    at = open_page(member.id, pick=running.id)
    # A note alone keeps the initiative's version, and so the form's widget keys.
    note = f"su_note_{running.id}_{running.version}"
    at.text_area(key=note).input("Waiting on the payment provider.")
    click(at, "Post update")
    assert at.success[0].value == "Status update posted."
    assert at.text_area(key=note).value == ""
    click(at, "Post update")  # a second click has no note: refused, not posted twice
    assert "a note is required" in plain(at.error[0].value)
    assert count(engine, StatusUpdate) == before + 1


def test_member_has_no_forms_on_someone_elses_initiative(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member, other = people(engine, Role.member)[:2]
    theirs = owned_by(engine, other.id, "in_progress")
    at = open_page(member.id, pick=theirs.id)
    labels = {b.label for b in at.button}
    assert "Post update" not in labels and "Save changes" not in labels
    assert "Propose idea" in labels  # proposing ideas is always open to members


def test_member_proposes_an_idea(app_store: str) -> None:
    engine = create_store_engine(app_store)
    member = people(engine, Role.member)[0]
    before = count(engine, Initiative)
    at = open_page(member.id)
    assert "new_status" not in [w.key for w in at.selectbox]  # members propose ideas only
    click(at, "Propose idea")
    assert "title is required" in plain(at.error[0].value)
    assert count(engine, Initiative) == before
    at.text_input(key="new_title").input("Size guide on product pages")
    click(at, "Propose idea")
    assert not at.exception
    assert "created" in plain(at.success[0].value)
    created = newest(engine)
    assert (created.title, created.status, created.owner_id) == (
        "Size guide on product pages",
        "idea",
        member.id,
    )
    assert plain(at.subheader[0].value) == "Size guide on product pages"  # opened right away


def test_director_creates_with_any_status_and_owner(app_store: str) -> None:
    engine, at = director_starts_new(app_store, "Sticky add-to-cart on mobile")
    member = people(engine, Role.member)[1]
    at.selectbox(key="new_owner").set_value(member.id)
    at.selectbox(key="new_status").set_value("planned")
    click(at, "Create")
    assert not at.exception
    created = newest(engine)
    assert (created.title, created.status, created.owner_id) == (
        "Sticky add-to-cart on mobile",
        "planned",
        member.id,
    )


def test_second_editor_is_told_of_the_conflict_and_keeps_their_text(app_store: str) -> None:
    engine, member, running, at = director_edits_running_work(app_store)
    tag = f"{running.id}_{running.version}"
    at.text_input(key=f"ed_title_{tag}").input("The director's new title")
    # Meanwhile the owner saves a change.
    edit_initiative(
        engine,
        default_config(),
        member,
        running.id,
        running.version,
        description="Owner's fresh description",
    )
    click(at, "Save changes")
    assert not at.exception
    message = plain(at.error[0].value)
    assert "was changed by someone else while you were editing" in message
    assert "Your input is kept" in message
    assert at.text_input(key=f"ed_title_{tag}").value == "The director's new title"
    stored = stored_initiative(engine, running.id)
    assert (stored.title, stored.description) == (running.title, "Owner's fresh description")
    assert any("Someone else changed this initiative" in w.value for w in at.warning)


def scores_shown(at: AppTest) -> dict[str, Any]:
    """The detail's "Scores under each framework" table: framework label -> row."""
    [table] = [d.value for d in at.dataframe if "framework" in d.value.columns]
    return {row["framework"]: row for row in table.to_dict(orient="records")}


def test_a_new_initiative_shows_its_score_at_once_here_and_in_weekly_planning(
    app_store: str,
) -> None:
    engine, at = director_starts_new(app_store, "One-page checkout")
    at.selectbox(key="new_status").set_value("planned")
    at.text_input(key="new_effort").input("13")
    at.text_input(key="new_score_reach").input("3,000")
    at.selectbox(key="new_score_impact").set_value(2.0)
    at.selectbox(key="new_score_confidence").set_value(0.8)
    click(at, "Create")
    assert not at.exception
    created = newest(engine)
    assert created.title == "One-page checkout"
    assert created.scores == {"rice": {"reach": 3000.0, "impact": 2.0, "confidence": 0.8}}
    # 13 person-weeks are 3 person-months: 3000 × 2 × 0.8 / 3 = 1600, shown right away.
    rice = scores_shown(at)["RICE"]
    assert rice["score"] == "1,600"
    assert "effort 3 person-months (from 13 person-weeks)" in rice["inputs"]
    at.switch_page("pages/planning.py")
    at.run()
    assert not at.exception
    shown = at.data_editor[0].value.set_index("id")
    assert shown.loc[created.id, "score"].strip() == "1,600"
    assert int(shown.loc[created.id, "rank"]) >= 1


def test_figures_that_cannot_be_read_are_all_listed_and_nothing_is_created(
    app_store: str,
) -> None:
    engine, at = director_starts_new(app_store, "One-page checkout")
    at.text_input(key="new_effort").input("600")
    at.text_input(key="new_score_reach").input("3.000,5")
    at.text_input(key="new_lift_pct").input("4 percent")
    before = count(engine, Initiative)
    click(at, "Create")
    assert not at.exception
    shown = " ".join(plain(e.value) for e in at.error)
    assert "Effort (person-weeks): 600 is above the highest allowed, 520." in shown
    assert "“3.000,5” is not a number; write it like 1,234.5." in shown
    assert "Expected relative lift (%): “4 percent” is not a number" in shown
    assert count(engine, Initiative) == before
    at.text_input(key="new_effort").input("1.5")
    at.text_input(key="new_score_reach").input("3,000.5")
    at.selectbox(key="new_lift_metric").set_value("conversion_rate")
    at.text_input(key="new_lift_pct").input("4 %")
    click(at, "Create")
    assert not at.exception and not at.error, [e.value for e in at.error]
    created = newest(engine)
    assert (created.effort_weeks, created.lift_pct) == (1.5, pytest.approx(0.04))
    assert created.scores["rice"]["reach"] == 3000.5


def test_director_changes_score_inputs_in_the_edit_form(app_store: str) -> None:
    engine, _, running, at = director_edits_running_work(app_store)
    tag = f"{running.id}_{running.version}"
    at.text_input(key=f"ed_effort_{tag}").input("26")
    at.text_input(key=f"ed_score_{tag}_reach").input("6000")
    at.selectbox(key=f"ed_score_{tag}_impact").set_value(1.0)
    at.selectbox(key=f"ed_score_{tag}_confidence").set_value(0.5)
    click(at, "Save changes")
    assert not at.exception
    stored = stored_initiative(engine, running.id)
    assert stored.effort_weeks == 26
    assert stored.scores["rice"] == {"reach": 6000.0, "impact": 1.0, "confidence": 0.5}
    # 26 person-weeks are 6 person-months: 6000 × 1 × 0.5 / 6 = 500.
    assert scores_shown(at)["RICE"]["score"] == "500"


def test_an_expected_lift_names_where_it_is_measured(app_store: str) -> None:
    engine, at = director_starts_new(app_store, "One-tap wallet on mobile checkout")
    at.selectbox(key="new_lift_metric").set_value("conversion_rate")
    at.text_input(key="new_lift_pct").input("4")
    at.selectbox(key="new_lift_filter_product_line").set_value("Home")
    before = count(engine, Initiative)
    click(at, "Create")
    # Conversion is not recorded per product line, so that filter is refused and nothing saved.
    assert "conversion_rate cannot be measured by product_line" in plain(at.error[0].value)
    assert count(engine, Initiative) == before
    at.selectbox(key="new_lift_filter_product_line").set_value("All")
    at.selectbox(key="new_lift_filter_device").set_value("mobile")
    click(at, "Create")
    assert not at.exception
    created = newest(engine)
    assert created.title == "One-tap wallet on mobile checkout"
    assert created.lift_filters == {"device": "mobile"}
    assert "+4.0% on Device: Mobile" in plain(texts_of(at))


def texts_of(at: AppTest) -> str:
    return "\n".join(
        str(e.value) for kind in ("markdown", "caption", "success") for e in getattr(at, kind)
    )


def test_a_long_list_shows_its_top_and_every_initiative_stays_reachable(
    app_store: str, monkeypatch: Any
) -> None:
    # Tens of thousands of initiatives are not drawn at once: the list shows its first rows
    # (100; 4 here, the demo holding fewer), says how many more there are, and shows more or
    # all of them on request.
    monkeypatch.setattr("ui.bounded.STEP", 4)
    engine = create_store_engine(app_store)
    director = people(engine, Role.director)[0]
    with Session(read_engine(engine)) as session:
        everything = list_initiatives(session=session)
    total = len(everything)
    at = open_page(director.id)
    assert list(at.dataframe[0].value["title"]) == list(everything["title"][:4])
    said = " ".join(plain(c.value) for c in at.caption)
    assert f"Showing the top 4 of {total}: {total - 4} more below." in said
    assert f"{total} initiatives." in said  # the count is of the whole filtered list
    assert [o for o in at.selectbox(key="initiative_pick").options[1:]] == list(
        everything["title"][:4]
    )
    next(b for b in at.button if b.label == "Show 4 more").click().run()
    assert list(at.dataframe[0].value["title"]) == list(everything["title"][:8])
    next(b for b in at.button if b.label == f"Show all {total}").click().run()
    assert list(at.dataframe[0].value["title"]) == list(everything["title"])
    assert not any(b.label.startswith("Show all") for b in at.button)
    assert not any("more below" in plain(c.value) for c in at.caption)


def test_a_german_team_reads_an_initiatives_target_date_as_zieltermin(
    app_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "QUARTERDECK_CONFIG_DIR", str(config_copy(tmp_path / "config", **GERMAN_TEAM))
    )
    st.cache_resource.clear()
    engine = create_store_engine(app_store)
    member = people(engine, Role.member)[0]
    running = owned_by(engine, member.id, "in_progress")
    assert running.target_date is not None
    at = open_page(people(engine, Role.director)[0].id, pick=running.id)
    texts = [s.text for s in shown_texts(at)]
    day, year = running.target_date.day, running.target_date.year
    assert re.search(rf"· Zieltermin {day}\. \S+ {year} ·", " ".join(texts))  # the detail
    columns = json.loads(at.dataframe[0].proto.columns or "{}").values()
    assert "Zieltermin" in [c.get("label") for c in columns]  # the list's column
    assert [t for t in texts if re.search(r"\bZiel\b", t)] == []  # never "Ziel 12.01.2027"
    engine.dispose()


def test_a_phone_reads_the_list_as_cards_and_is_pointed_to_the_picker(app_store: str) -> None:
    """Below 641 px the list's grid scrolled sideways: the same rows read as cards, each the
    initiative's title over its owner, status, health and share done on one line, and a note
    says where to open one."""
    engine = create_store_engine(app_store)
    member = people(engine, Role.member)[0]
    at = open_page(member.id)
    table = at.dataframe[0].value
    stack, cards = first_phone_cards(at)
    assert [title for title, _line in cards] == list(table["title"])
    first = table.iloc[0]
    assert cards[0][1] == (
        f"{first['owner']} · {first['status']} · {first['health']} · "
        f"{first['percent_complete']}\u00a0%"
    )
    assert "Pick one under “Open an initiative” below" in stack
    assert at.selectbox(key="initiative_pick").label == "Open an initiative"
