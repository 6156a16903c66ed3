"""The translated pages in German under AppTest: a person picks German in the sidebar (stored and
kept), and no English string of the catalogue shows on a covered page; the sign-in and first-run
setup pages follow the team's locale.

COVERED lists the translated pages and the roles that open them: translating another page adds
one line here. The walks run as the director and as a stakeholder; a member opens a subset of the
director's covered pages, drawn with the same words, so a third walk would add time, not cover
more (the suite's time budget is tight). What only a member sees there, This week's forms for
what they owe, is read in the director's session once it acts as a member who owes a status
update and a check-in (the demo identity picker: no new app start), forms refused and posted.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import streamlit as st
import yaml
from babel.messages.pofile import read_po
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from planning import clock, i18n
from planning.access.languages import all_languages, set_language
from planning.config import default_config
from planning.periods import iso_week, next_quarter, quarter_of
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import (
    CheckIn,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KrKind,
    Objective,
    Person,
    PersonRead,
    Role,
    StatusUpdate,
)
from planning.work import scenarios
from planning.work.bulk_edit import BulkChanges, bulk_edit_initiatives
from tests.app_pages import people, submit_form, table_edits
from tests.config_support import GERMAN_TEAM, config_copy
from tests.page_text import plain
from tests.shown_text import displayed_cell
from tests.shown_text import shown_texts as whole_page_texts

APP = str(Path(__file__).resolve().parent.parent / "app.py")
D, M, S = Role.director, Role.member, Role.stakeholder
# The translated pages, and who opens each (every role that may).
COVERED: dict[str, tuple[Role, ...]] = {
    "pages/roadmap.py": (D, M, S),
    "pages/metrics.py": (D, M, S),
    "pages/impact.py": (D, M),
    "pages/goals.py": (D, M, S),
    "pages/admin.py": (D,),
    "pages/initiatives.py": (D, M),
    "pages/this_week.py": (D, M, S),
    "pages/planning.py": (D,),
}
# Admin's tabs in German, each drawn when opened.
ADMIN_TABS = (
    "Datenimport",
    "API-Tokens",
    "Importverlauf",
    "Quellen",
    "Freigabelinks",
    "Personen",
    "Benachrichtigungen",
    "Konfiguration",
)
# A file with one bad row: Data import's check, with its problems, drawn once it is uploaded.
BAD_FILE = b"date,measure,value,channel,device\n2026-11-20,sessions,viele,email,mobile\n"
# Its column names, which the check shows as the file has them.
BAD_FILE_COLUMNS = frozenset(BAD_FILE.decode().splitlines()[0].split(","))
# Weekly planning's sections drawn only once opened, as one more run each: the calibration and
# decision expanders with the scenario comparison and the expected-value framework's table, then
# the scenario's commit view with WSJF's (its derived job size).
PLANNING_OPENED: tuple[dict[str, object], ...] = (
    {
        "planning_calibration": True,
        "planning_decision": True,
        "planning_decision_change": True,
        "planning_dependency_open": True,
        "scenario_view": "compare",
        "planning_framework": "expected_value",
    },
    {"scenario_view": "commit", "planning_framework": "wsjf"},
)
TEXT_KINDS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "info",
    "warning",
    "error",
    "success",
)
WIDGET_KINDS = (
    "selectbox",
    "multiselect",
    "text_input",
    "text_area",
    "date_input",
    "button",
    "metric",
    "tabs",
    "toggle",
    "checkbox",
    "radio",
    "slider",
    "number_input",
    "expander",
)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
# Counts of a thousand or more written without the team's grouping (1360, not 1.360); years and
# parts of dates, times, versions and addresses are not counts.
BARE_COUNT = re.compile(r"(?<![\d.,:/\-#\w])(?!(?:19|20)\d\d\b)\d{4,}(?![\d.,:/\-\w])")


def _reading_german() -> None:
    """AppTest formats a widget's value in the test's own thread (format_func): that thread
    reads the app's language too."""
    i18n.set_language("de")


@pytest.fixture(scope="module")
def english() -> tuple[set[str], list[str]]:
    """The catalogue's English strings that German writes differently: whole short labels (a
    page element equal to one is untranslated) and the sentence pieces of the longer ones."""
    with i18n.catalogue_path("de").open("rb") as handle:
        catalogue = read_po(handle, locale="de")
    labels: set[str] = set()
    pieces: list[str] = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english_text, german in zip(ids, strings, strict=False):
            if english_text == german:
                continue  # the same word in both (Roadmap, Status)
            labels.add(english_text)
            for piece in _PLACEHOLDER.split(english_text):
                piece = piece.strip(" .:·()")
                if len(piece.split()) >= 3:
                    pieces.append(piece)
    return labels, pieces


def _names() -> set[str]:
    """Names from configuration, which stay as written (metrics, dimensions and their values,
    scoring frameworks and their inputs, with the ids the configuration gives them)."""
    config = default_config()
    metrics = config.metrics
    names = {m.label for m in metrics.metrics.values()} | set(metrics.metrics)
    names |= set(metrics.dimensions) | set(metrics.measures)
    for framework in config.scoring.frameworks.values():
        names.add(framework.label)
        names.update(framework.inputs)
        names.update(spec.label for spec in framework.inputs.values())
    for dimension in metrics.dimensions.values():
        names.add(dimension.label)
        names.update(dimension.value_label(v) for v in dimension.values)
    return names


def shown_texts(at: AppTest, *, elsewhere: tuple[str, ...] = ()) -> list[str]:
    """Every text a reader sees on the page: texts, widget labels and options, table headings
    (widgets whose key starts with one of `elsewhere` left out: a form another page translates)."""
    texts: list[str] = []
    for kind in TEXT_KINDS:
        texts += [str(e.value) for e in at.get(kind)]
    for kind in WIDGET_KINDS:
        for widget in at.get(kind):
            if elsewhere and str(getattr(widget, "key", None) or "").startswith(elsewhere):
                continue
            for attribute in ("label", "placeholder", "help"):
                value = getattr(widget, attribute, None)
                if isinstance(value, str) and value:
                    texts.append(value)
            options = getattr(widget, "options", None)
            if options:
                texts += [str(o) for o in options]
    for frame in at.dataframe:
        # A heading as the reader sees it: the column's label when it has one; hidden: none.
        config = json.loads(frame.proto.columns or "{}")
        for column in frame.value.columns:
            shown = config.get(str(column)) or {}
            if not shown.get("hidden"):
                texts.append(str(shown.get("label") or column))
                if shown.get("help"):
                    texts.append(str(shown["help"]))
    return [re.sub(r"\\(.)", r"\1", t) for t in texts]


def table_cells(at: AppTest) -> list[str]:
    """The words in the page's tables (statuses, audit actions, changes), names aside."""
    return [
        value
        for frame in at.dataframe
        for column in frame.value.columns
        for value in frame.value[column]
        if isinstance(value, str)
    ]


def untranslated(
    at: AppTest,
    english: tuple[set[str], list[str]],
    *,
    cells: bool = False,
    elsewhere: tuple[str, ...] = (),
    whole: bool = True,
    written: frozenset[str] = frozenset(),
) -> list[str]:
    """The English strings of the catalogue that show on the page (with `cells`, in its
    tables' raw cells too; `whole`, on for every page, reads every text of the run: table cells
    as displayed, chart titles, axis, legend and tooltip titles and the categories a chart
    names, help, expander labels; the configuration shown as JSON stays as written, as do the
    `written` words of a reader's own file); with `whole`, also any count of a thousand or more
    not grouped in the team's format."""
    labels, pieces = english
    names = _names() | written
    found: list[str] = []
    texts = shown_texts(at, elsewhere=elsewhere) + (table_cells(at) if cells else [])
    if whole:
        shown_whole = [shown for shown in whole_page_texts(at) if shown.where != "json.body"]
        texts += [shown.text for shown in shown_whole]
        # A count of a thousand or more must be grouped in the team's format too.
        found += [f"ungrouped count: {s.text}" for s in shown_whole if BARE_COUNT.search(s.text)]
    for text in texts:
        bare = text.strip().strip("*").strip()
        if bare in names:
            continue
        if bare in labels:
            found.append(bare)
        found += [piece for piece in pieces if piece in text]
    return sorted(set(found))


def _speaks_german(url: str, person: PersonRead) -> None:
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        set_language(session=session, actor=person, person_id=person.id, language="de")
    engine.dispose()


# The director's forms on Goals, each drawn only once its task is picked.
GOALS_TASKS = (
    "add_objective",
    "edit_objective",
    "add_key_result",
    "align",
    "contribute",
    "edit_key_result",
    "close",
)


def _goals_sections(at: AppTest, english: tuple[set[str], list[str]]) -> dict[str, list[str]]:
    """Goals as the director sees it: a refused check-in, each "Shape the quarter" form, the next
    quarter (no objectives yet) with the previews of its draft and of a template, and the
    present view."""
    page = "pages/goals.py"
    leaks = {page: untranslated(at, english)}
    next(b for b in at.button if b.label == "Check-in speichern").click().run()
    assert at.error[0].value.startswith("Nicht gespeichert:")  # a check-in needs a note
    assert "Schreiben Sie eine kurze Notiz" in at.error[0].value
    leaks[f"{page} refused check-in"] = untranslated(at, english)
    for task in GOALS_TASKS:
        at.session_state["goals_task"] = task
        at.run()
        assert not at.exception, (task, at.exception)
        leaks[f"{page} {task}"] = untranslated(at, english)
    quarter = at.selectbox(key="goals_period").value
    at.selectbox(key="goals_period").set_value(next_quarter(quarter)).run()
    at.button(key="draft_preview").click().run()
    at.button(key="template_preview").click().run()
    assert not at.exception
    assert at.dataframe, "both previews show their tables"
    leaks[f"{page} empty quarter"] = untranslated(at, english)
    at.query_params["present"] = "1"
    at.selectbox(key="goals_period").set_value(quarter).run()
    assert not at.exception
    leaks[f"{page} present"] = untranslated(at, english)
    return leaks


# The demo initiative whose detail shows the most: shipped, with a decision and work waiting on it.
BUSIEST_INITIATIVE = "One-page checkout redesign"


def _walk(at: AppTest, role: Role, english: tuple[set[str], list[str]]) -> dict[str, list[str]]:
    """Open every covered page the role opens; what shows in English on each."""
    leaks: dict[str, list[str]] = {}
    for page, roles in COVERED.items():
        if role not in roles:
            continue
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        if page == "pages/impact.py":  # every tab, each drawn when opened
            for tab in ("Bilanz", "Kalibrierung", "Wochenbericht"):
                at.session_state["impact_tab"] = tab
                at.run()
                assert not at.exception
                leaks[f"{page} {tab}"] = untranslated(at, english)
        elif page == "pages/goals.py" and role == D:
            leaks.update(_goals_sections(at, english))
        elif page == "pages/admin.py":
            for tab in ADMIN_TABS:
                at.session_state["admin_tab"] = tab
                at.run()
                assert not at.exception, (tab, at.exception)
                leaks[f"{page} {tab}"] = untranslated(at, english)
            at.session_state["admin_tab"] = ADMIN_TABS[0]
            at.run()
            at.file_uploader[0].set_value(("falsch.csv", BAD_FILE, "text/csv")).run()
            assert "falsch\\.csv hat 1 Problem in 1 Zeile." in at.error[0].value
            leaks[f"{page} {ADMIN_TABS[0]} check"] = untranslated(
                at, english, written=BAD_FILE_COLUMNS
            )
        elif page == "pages/initiatives.py":  # the list, then an open detail and bulk edit
            leaks[page] = untranslated(at, english, cells=True)
            picker = at.selectbox(key="initiative_pick")
            # The picker offers "—" and then the listed initiatives in the list's order.
            listed = at.session_state["_initiative_table_ids"]
            picker.set_value(listed[picker.options.index(BUSIEST_INITIATIVE) - 1])
            at.toggle(key="bulk_open").set_value(True)
            at.run()
            assert not at.exception
            # The status-update form (ui/status_update_form.py, keys su_…) is This week's.
            leaks[f"{page} detail"] = untranslated(at, english, cells=True, elsewhere=("su_",))
            # The create form sent empty: its refusal is in German too.
            create = next(b for b in at.button if b.label in ("Anlegen", "Idee vorschlagen"))
            create.click().run()
            assert [e.value for e in at.error] == ["Nicht gespeichert:\n\n- Titel ist erforderlich"]
        elif page == "pages/planning.py":  # then what opens
            leaks[page] = untranslated(at, english)
            for opened in PLANNING_OPENED:
                for key, value in opened.items():
                    at.session_state[key] = value
                at.run()
                assert not at.exception, (page, opened, at.exception)
                leaks[f"{page} {opened}"] = untranslated(at, english)
        else:
            leaks[page] = untranslated(at, english)
    return {page: found for page, found in leaks.items() if found}


def _member_owing(url: str) -> tuple[PersonRead, int, int]:
    """A member who owns a manual key result and work under way, made to owe a status update
    and a check-in on it (their latest ones moved ten days back): the member, the initiative
    and the key result."""
    ago = clock.utcnow() - timedelta(days=10)
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        for kr in session.scalars(
            select(KeyResult)
            .join(Objective, Objective.id == KeyResult.objective_id)  # type: ignore[arg-type]
            .join(Person, Person.id == KeyResult.owner_id)  # type: ignore[arg-type]
            .where(Person.role == Role.member, KeyResult.kind == KrKind.manual)
            .where(Objective.period == quarter_of(clock.today()))
        ):
            work = session.scalars(
                select(Initiative).where(
                    Initiative.owner_id == kr.owner_id,
                    Initiative.status == InitiativeStatus.in_progress,
                )
            ).first()
            if work is not None:
                break
        else:
            raise AssertionError("the demo store should have a member with a manual key result")
        for update in session.scalars(
            select(StatusUpdate).where(StatusUpdate.initiative_id == work.id)
        ):
            update.created_at = min(update.created_at, ago)
        for check_in in session.scalars(select(CheckIn).where(CheckIn.key_result_id == kr.id)):
            check_in.created_at = min(check_in.created_at, ago)
        member = PersonRead.model_validate(session.get(Person, kr.owner_id))
        found = (member, int(work.id or 0), int(kr.id or 0))
    engine.dispose()
    return found


def _member_posts(
    at: AppTest, url: str, english: tuple[set[str], list[str]]
) -> dict[str, list[str]]:
    """In the same session, act as a German-speaking member who owes a status update and a
    check-in: their This week with both forms, a refused check-in and a posted update; what
    shows in English at each step."""
    member, initiative_id, kr_id = _member_owing(url)
    _speaks_german(url, member)
    at.selectbox(key="demo_person_id").set_value(member.id).run()
    at.switch_page("pages/this_week.py").run()
    assert not at.exception
    forms = {b.form_id for b in at.button if b.form_id}
    assert {f"tw_update_{initiative_id}", f"tw_check_in_{kr_id}"} <= forms
    leaks = {"member's This week": untranslated(at, english)}
    submit_form(at, f"tw_check_in_{kr_id}")  # no note, no value: refused, with every reason
    assert at.error[0].value.startswith("Nicht gespeichert:")
    leaks["a refused check-in"] = untranslated(at, english)
    # Words follow the person, formats the team: in an English team 2,5 is not a number.
    at.text_input(key=f"tw_value_{kr_id}").input("2,5")
    submit_form(at, f"tw_check_in_{kr_id}")
    assert "„2,5“ ist keine Zahl; schreiben Sie sie wie 1,234.5." in plain(at.error[0].value)
    at.text_area(key=f"tw_note_{initiative_id}").input("Der Test läuft auf allen Geräten.")
    submit_form(at, f"tw_update_{initiative_id}")
    assert not at.exception
    assert at.success[0].value.startswith("Status-Update zu „")
    leaks["a posted update"] = untranslated(at, english)
    return {step: found for step, found in leaks.items() if found}


def _a_scenario_moving_an_idea_in(url: str, director: PersonRead) -> None:
    """This week's draft that brings the first idea into the plan, for the planning walk."""
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        idea = session.scalars(
            select(Initiative).where(Initiative.status == InitiativeStatus.idea)
        ).first()
        assert idea is not None and idea.id is not None
        draft = scenarios.create_scenario(
            session=session, actor=director, week=iso_week(clock.today()), name="Lean week"
        )
        scenarios.save_scenario(
            session=session,
            actor=director,
            scenario_id=draft.id,
            expected_version=draft.version,
            changes=[scenarios.DraftChange(idea.id, idea.version, {"status": "planned"})],
        )
    engine.dispose()


def _a_note_the_app_writes(url: str, director: PersonRead) -> None:
    """The busiest initiative's health set by a bulk edit: its history gains a note the app
    writes (stored in English), which the walk reads on its detail."""
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        busiest = session.scalars(
            select(Initiative).where(Initiative.title == BUSIEST_INITIATIVE)
        ).one()
        health = "at_risk" if busiest.health.value != "at_risk" else "on_track"
        bulk_edit_initiatives(
            session=session,
            actor=director,
            config=default_config(),
            initiative_ids=[int(busiest.id or 0)],
            changes=BulkChanges(health=health),
        )
        stored = session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.initiative_id == busiest.id)
            .order_by(StatusUpdate.id.desc())  # type: ignore[union-attr]
        ).first()
        assert stored is not None and stored.note.startswith("Health changed from ")
    engine.dispose()


def test_a_director_picks_german_and_every_covered_page_speaks_it(
    app_store: str, english: tuple[set[str], list[str]]
) -> None:
    director = people(app_store, D)[0]
    _a_scenario_moving_an_idea_in(app_store, director)
    _a_note_the_app_writes(app_store, director)
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["demo_person_id"] = director.id
    at.run()
    at.switch_page("pages/metrics.py").run()
    assert at.title[0].value == "Metrics"
    assert "Checkout funnel" in untranslated(at, english)  # the check sees English
    at.selectbox(key="language_picker").set_value("de").run()
    _reading_german()
    assert not at.exception
    assert at.title[0].value == "Kennzahlen"
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        assert all_languages(session=session) == {director.id: "de"}
    engine.dispose()
    assert _walk(at, D, english) == {}
    assert _member_posts(at, app_store, english) == {}


@pytest.mark.parametrize("role", [S])
def test_a_stakeholder_reads_the_covered_pages_in_german(
    app_store: str, english: tuple[set[str], list[str]], role: Role
) -> None:
    person = people(app_store, role)[0]
    _speaks_german(app_store, person)
    _reading_german()
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["demo_person_id"] = person.id
    at.run()
    assert not at.exception
    assert _walk(at, role, english) == {}


@pytest.fixture
def german_team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """settings.yaml with locale: de (and euros) in a private config directory."""
    config = config_copy(tmp_path / "config", **GERMAN_TEAM)
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(config))
    st.cache_resource.clear()
    return config


def test_a_german_team_signs_in_in_german(
    app_store: str, german_team: Path, english: tuple[set[str], list[str]]
) -> None:
    settings = yaml.safe_load((german_team / "settings.yaml").read_text())
    settings["auth"]["mode"] = "password"
    (german_team / "settings.yaml").write_text(yaml.safe_dump(settings))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["signin"] = "refused"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Bei Quarterdeck anmelden"
    assert [e.value for e in at.error] == [
        "E-Mail-Adresse und Passwort passen zu keinem aktiven Konto."
    ]
    assert untranslated(at, english) == []


def test_a_new_german_team_sets_up_in_german(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    german_team: Path,
    english: tuple[set[str], list[str]],
) -> None:
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Quarterdeck einrichten"
    assert any("Das Geschäftsjahr beginnt im **Januar**" in c.value for c in at.caption)
    at.button[-1].click().run()  # the form's Set up button, empty
    assert "Nichts wurde gespeichert:" in at.error[0].value  # no name, no email: nothing saved
    assert untranslated(at, english) == []


def test_a_share_link_opens_in_the_teams_language(
    app_store: str, german_team: Path, english: tuple[set[str], list[str]]
) -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["share"] = "not-a-token"
    at.run()
    assert not at.exception
    assert at.title[0].value == "Quarterdeck-Roadmap"
    assert at.error[0].value.startswith("Dieser Roadmap-Link ist ungültig.")
    assert untranslated(at, english) == []


def _director_signed_in(url: str, *, timeout: float) -> AppTest:
    """The app run as the store's director (the demo picker), read in the team's German."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["demo_person_id"] = people(url, D)[0].id
    at.run()
    _reading_german()
    return at


def test_a_german_team_types_numbers_with_a_decimal_comma_on_goals(
    app_store: str, german_team: Path
) -> None:
    at = _director_signed_in(app_store, timeout=90)
    at.switch_page("pages/goals.py").run()
    at.selectbox(key="goals_period").set_value("2026-Q4").run()
    at.segmented_control(key="goals_task").set_value("add_objective").run()
    assert at.text_input(key="new_objective_weight").value == "1"
    at.text_input(key="new_objective_title").input("Großhandel")
    at.text_input(key="new_objective_weight").input("1,234.5")  # an English way: refused
    submit_form(at, "new_objective")
    assert not at.exception
    [refusal] = [plain(e.value) for e in at.error]
    assert "Gewicht: „1,234.5“ ist keine Zahl; schreiben Sie sie wie 1.234,5." in refusal
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        assert not session.exec(select(Objective).where(Objective.title == "Großhandel")).all()
    at.text_input(key="new_objective_weight").input("1.234,5")
    submit_form(at, "new_objective")
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Session(engine) as session:
        objective = session.exec(select(Objective).where(Objective.title == "Großhandel")).one()
    engine.dispose()
    assert objective.weight == 1234.5
    at.segmented_control(key="goals_task").set_value("edit_objective").run()
    at.selectbox(key="edit_objective").set_value(objective.id).run()
    key = f"edit_objective_{objective.id}_{objective.version}"
    assert at.text_input(key=f"{key}_weight").value == "1.234,5"


def test_the_shipped_scoring_words_read_in_german() -> None:
    scoring = default_config().scoring
    words = [q for q in scoring.matrix.quadrants.model_dump().values()]
    for framework in scoring.frameworks.values():
        if not framework.label.isupper():  # RICE, ICE and WSJF are names
            words.append(framework.label)
        words.append(framework.description)
        words += [spec.label for spec in framework.inputs.values()]
    with i18n.use_locale("de"):
        assert [w for w in words if i18n.gettext(w) == w] == []
        assert i18n.gettext("Reach (customers per quarter)") == "Reichweite (Kunden pro Quartal)"
    assert i18n.gettext("Reach (customers per quarter)") == "Reach (customers per quarter)"


# --- a German team: its formats on every page, whatever the browser ------------------------------

# Ideas added to the demo backlog so that its counts pass a thousand.
MANY_IDEAS = 1_000


def _many_ideas(url: str) -> int:
    """A thousand more ideas in the store (plain rows, as an import of a large backlog leaves
    them); how many open initiatives there are now."""
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        owner = session.scalars(select(Person).where(Person.role == Role.member)).first()
        assert owner is not None
        session.add_all(
            Initiative(
                title=f"Idee {n}",
                owner_id=int(owner.id or 0),
                scores={"rice": {"reach": 1500 + n, "impact": 0.5, "confidence": 0.8}},
            )
            for n in range(MANY_IDEAS)
        )
        session.flush()
        open_work = session.scalars(
            select(Initiative).where(
                Initiative.status.in_(  # type: ignore[attr-defined]
                    [
                        InitiativeStatus.idea,
                        InitiativeStatus.planned,
                        InitiativeStatus.in_progress,
                        InitiativeStatus.blocked,
                    ]
                )
            )
        ).all()
        found = len(open_work)
    engine.dispose()
    return found


def _grid_column(at: AppTest, label: str) -> tuple[dict[str, object], list[str]]:
    """A table column the page shows under this heading: its configuration and its cells as the
    browser displays them."""
    for frame in at.dataframe:
        configs = json.loads(frame.proto.columns or "{}")
        for column in frame.value.columns:
            config = configs.get(str(column)) or {}
            if (config.get("label") or str(column)) == label:
                integer = bool(frame.value[column].dtype.kind in "iu")
                cells = [displayed_cell(v, config, integer) for v in frame.value[column].tolist()]
                return config, cells
    raise AssertionError(f"no column {label!r} on the page")


def test_a_german_team_reads_grids_charts_and_counts_in_its_format(
    app_store: str, german_team: Path, english: tuple[set[str], list[str]]
) -> None:
    open_count = _many_ideas(app_store)
    at = _director_signed_in(app_store, timeout=120)

    at.switch_page("pages/planning.py").run()
    assert not at.exception
    captions = " ".join(str(c.value) for c in at.caption)
    assert f"{format_de(open_count)} offene Initiativen" in captions  # 1.025, not 1025
    # The backlog grid groups the team's way in any browser (a printf format, not the browser's
    # "localized"), and an input scale reads with a decimal comma; the target date is a date.
    reach, cells = _grid_column(at, "Reichweite (Kunden pro Quartal)")
    assert reach["type_config"]["format"] == "%'.,d"  # type: ignore[index]
    assert "150.000" in cells and "150,000" not in cells
    _config, impacts = _grid_column(at, "Wirkung")
    assert "0,5" in impacts and "0.5" not in impacts
    _config, efforts = _grid_column(at, "RICE-Aufwand (Personenmonate)")
    assert any("0,81" in e for e in efforts) and not any("0.81" in e for e in efforts)
    _grid_column(at, "Zieltermin")  # a date, not a key result's "Ziel"
    assert untranslated(at, english) == []  # with any count not grouped (1360)
    # The cells stay numbers: an edit saves as in any team.
    at.session_state["backlog_editor_rice_0"] = table_edits(
        {0: {"input.reach": 160_000, "effort_weeks": 2.5}}
    )
    at.run()
    next(b for b in at.button if b.label == "Änderungen speichern").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "1 Initiative gespeichert."

    at.switch_page("pages/initiatives.py").run()
    assert not at.exception
    captions = " ".join(str(c.value) for c in at.caption)
    assert re.search(r"\b\d\.\d{3} Initiativen\. ", captions), captions
    assert [c for c in at.caption if "Initiativen." in str(c.value)]
    _grid_column(at, "Zieltermin")
    assert untranslated(at, english, cells=True) == []

    at.switch_page("pages/metrics.py").run()
    assert not at.exception
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    assert specs, "the metrics page draws its charts"
    for spec in specs:  # 10 % and 1.500 on the axes, German months on time axes
        assert spec["config"]["locale"]["number"]["percent"] == "\u00a0%"
        assert spec["config"]["locale"]["time"]["shortMonths"][10] == "Nov."
        assert spec["config"]["axisTemporal"]["format"]["date"] == "%-d. %b"
    funnel = json.dumps(specs)
    assert '"format": "~s"' not in funnel  # 800k is English; German axes group: 800.000
    assert untranslated(at, english) == []  # with any count not grouped (1360)

    at.switch_page("pages/roadmap.py").run()
    assert not at.exception
    lanes = json.dumps([json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")])
    assert '"format": "%-d. %b"' in lanes and '"format": "%d %b"' not in lanes  # 1. Sept.

    at.switch_page("pages/impact.py").run()
    assert not at.exception
    _config, where = _grid_column(at, "Gemessen an")
    assert "gesamt" in where and "all" not in where
    assert any("(gesamt)" in str(c.value) for c in at.caption)


def format_de(count: int) -> str:
    """A count as a German team writes it."""
    return f"{count:,}".replace(",", ".")


def test_a_german_team_reads_why_its_store_cannot_open_in_german(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, german_team: Path
) -> None:
    broken = tmp_path / "store.db"
    broken.write_bytes(b"not a database" * 600)
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{broken}")
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    st.cache_data.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=60).run()
        assert not at.exception
        [message] = at.error
        shown = re.sub(r"\\(.)", r"\1", str(message.value))
        assert shown.startswith(
            f"Quarterdeck kann seinen Speicher nicht öffnen: the store at {broken}"
        )
        assert shown.endswith(
            "Diese Seite versucht es alle paar Sekunden erneut und öffnet sich von selbst, "
            "sobald der Speicher verwendet werden kann."
        )
        # Nothing else on the page; the reason between is the store's one English sentence,
        # shared by every request (README, Languages).
        assert not at.title and not at.markdown and not at.warning
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
