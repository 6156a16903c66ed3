"""The translated pages in German under AppTest: a person picks German in the sidebar (stored and
kept), and no English string of the catalogue shows on a covered page; the sign-in and first-run
setup pages follow the team's locale.

COVERED lists the translated pages and the roles that open them: translating another page adds
one line here. The walks run as the director and as a stakeholder; a member opens a subset of the
director's covered pages, drawn with the same words, so a third walk would add time, not cover
more (the suite's time budget is tight).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
import yaml
from babel.messages.pofile import read_po
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from planning import clock, i18n
from planning.access.languages import all_languages, set_language
from planning.config import DEFAULT_CONFIG_DIR, default_config
from planning.periods import iso_week
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import Initiative, InitiativeStatus, Person, PersonRead, Role
from planning.work import scenarios
from tests.shown_text import shown_texts as whole_page_texts

APP = str(Path(__file__).resolve().parent.parent / "app.py")
D, M, S = Role.director, Role.member, Role.stakeholder
# The translated pages, and who opens each (every role that may).
COVERED: dict[str, tuple[Role, ...]] = {
    "pages/roadmap.py": (D, M, S),
    "pages/metrics.py": (D, M, S),
    "pages/impact.py": (D, M),
    "pages/planning.py": (D,),
}
# Weekly planning's sections drawn only once opened, as one more run each: the calibration and
# decision expanders with the scenario comparison and the expected-value framework's table, then
# the scenario's commit view with WSJF's (its derived job size).
PLANNING_OPENED: tuple[dict[str, object], ...] = (
    {
        "planning_calibration": True,
        "planning_decision": True,
        "planning_decision_change": True,
        "scenario_view": "compare",
        "planning_framework": "expected_value",
    },
    {"scenario_view": "commit", "planning_framework": "wsjf"},
)
TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error")
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
)
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


@pytest.fixture(autouse=True)
def _team_locale_restored() -> Iterator[None]:
    yield
    i18n.use_team_locale("en", currency="USD")
    i18n.set_language(None)


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
    """Names from configuration, which stay as written (metrics, dimensions and their values)."""
    metrics = default_config().metrics
    names = {m.label for m in metrics.metrics.values()}
    for dimension in metrics.dimensions.values():
        names.add(dimension.label)
        names.update(dimension.value_label(v) for v in dimension.values)
    return names


def shown_texts(at: AppTest) -> list[str]:
    """Every text a reader sees on the page: texts, widget labels and options, table headings."""
    texts: list[str] = []
    for kind in TEXT_KINDS:
        texts += [str(e.value) for e in at.get(kind)]
    for kind in WIDGET_KINDS:
        for widget in at.get(kind):
            for attribute in ("label", "placeholder", "help"):
                value = getattr(widget, attribute, None)
                if isinstance(value, str) and value:
                    texts.append(value)
            options = getattr(widget, "options", None)
            if options:
                texts += [str(o) for o in options]
    for frame in at.dataframe:
        texts += [str(c) for c in frame.value.columns]
        configs = json.loads(frame.proto.columns) if frame.proto.columns else {}
        texts += [
            str(config[part])
            for config in configs.values()
            for part in ("label", "help")
            if isinstance(config, dict) and config.get(part)
        ]
    return [re.sub(r"\\(.)", r"\1", t) for t in texts]


def untranslated(
    at: AppTest, english: tuple[set[str], list[str]], *, whole: bool = False
) -> list[str]:
    """The English strings of the catalogue that show on the page; `whole` reads every text of
    the run too (table cells, chart titles and categories, help, expander labels)."""
    labels, pieces = english
    names = _names()
    found = []
    texts = shown_texts(at)
    if whole:
        texts += [shown.text for shown in whole_page_texts(at)]
    for text in texts:
        bare = text.strip().strip("*").strip()
        if bare in names:
            continue
        if bare in labels:
            found.append(bare)
        found += [piece for piece in pieces if piece in text]
    return sorted(set(found))


def _person(url: str, role: Role) -> PersonRead:
    engine = create_store_engine(url)
    with Session(engine) as session:
        person = session.scalars(select(Person).where(Person.role == role)).first()
        assert person is not None
        found = PersonRead.model_validate(person)
    engine.dispose()
    return found


def _speaks_german(url: str, person: PersonRead) -> None:
    engine = create_store_engine(url)
    with session_scope(engine) as session:
        set_language(session=session, actor=person, person_id=person.id, language="de")
    engine.dispose()


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
        elif page == "pages/planning.py":  # every table, chart and cell; then what opens
            leaks[page] = untranslated(at, english, whole=True)
            for opened in PLANNING_OPENED:
                for key, value in opened.items():
                    at.session_state[key] = value
                at.run()
                assert not at.exception, (page, opened, at.exception)
                leaks[f"{page} {opened}"] = untranslated(at, english, whole=True)
        else:
            leaks[page] = untranslated(at, english)
    return {page: found for page, found in leaks.items() if found}


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


def test_a_director_picks_german_and_every_covered_page_speaks_it(
    app_store: str, english: tuple[set[str], list[str]]
) -> None:
    director = _person(app_store, D)
    _a_scenario_moving_an_idea_in(app_store, director)
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


@pytest.mark.parametrize("role", [S])
def test_a_stakeholder_reads_the_covered_pages_in_german(
    app_store: str, english: tuple[set[str], list[str]], role: Role
) -> None:
    person = _person(app_store, role)
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
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    settings = yaml.safe_load((config / "settings.yaml").read_text())
    settings.update(locale="de", currency="EUR", currency_symbol="€")
    (config / "settings.yaml").write_text(yaml.safe_dump(settings))
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
