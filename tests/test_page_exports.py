"""The meeting's downloads and the present mode under AppTest on a copy of the demo store: every
role that sees the Roadmap, Goals or Impact gets PDF, PNG and SVG buttons there (a share-link
visitor too), the files are built only when clicked, and Goals presents one objective per screen.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from planning import clock, i18n
from planning.access.share_links import create_share_link
from planning.store.engine import session_scope
from planning.store.models import Role
from planning.work.roadmap import RoadmapFilters
from tests.app_pages import DEMO_OBJECTIVES, people
from tests.page_text import plain
from ui import exports

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PERIOD = "2026-Q4"
EXPORT_LABELS = ["PDF report", "PNG image", "SVG image"]


def open_page(
    engine: Engine, role: Role, page: str, query: dict[str, str] | None = None
) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["demo_person_id"] = people(engine, role)[0].id
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    return at


def export_buttons(at: AppTest, prefix: str) -> dict[str, str]:
    """The page's export buttons: label -> help text."""
    return {
        b.label: str(b.help)
        for b in at.download_button
        if b.key is not None and str(b.key).startswith(prefix)
    }


def built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every export the pages build during the test (by name of the builder)."""
    calls: list[str] = []
    for name in ("goals_file", "roadmap_file", "impact_file"):
        original = getattr(exports, name)

        def spy(*args: object, _name: str = name, _original: object = original) -> bytes:
            calls.append(_name)
            return _original(*args)  # type: ignore[operator]

        monkeypatch.setattr(exports, name, spy)
    return calls


@pytest.mark.parametrize("role", [Role.director, Role.member, Role.stakeholder])
def test_every_role_downloads_the_roadmap_and_the_goals(
    app_engine: Engine, role: Role, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = built(monkeypatch)
    at = open_page(app_engine, role, "pages/roadmap.py", {"quarter": PERIOD})
    buttons = export_buttons(at, "roadmap_export")
    assert list(buttons) == EXPORT_LABELS
    assert buttons["PDF report"] == "Download the roadmap as PDF"
    assert "Take the roadmap into a meeting" in " ".join(plain(m.value) for m in at.markdown)
    at = open_page(app_engine, role, "pages/goals.py", {"quarter": PERIOD})
    assert list(export_buttons(at, "goals_export")) == EXPORT_LABELS
    assert [b.label for b in at.button if b.key == "goals_present"] == [f"Present {PERIOD}"]
    assert calls == []  # nothing is built until a button is clicked


@pytest.mark.parametrize("role", [Role.director, Role.member])
def test_the_team_downloads_the_impact_ledger(app_engine: Engine, role: Role) -> None:
    at = open_page(app_engine, role, "pages/impact.py")
    assert list(export_buttons(at, "impact_export")) == EXPORT_LABELS


def test_a_share_link_offers_the_same_roadmap_downloads(app_engine: Engine) -> None:
    director = people(app_engine, Role.director)[0]
    with session_scope(app_engine) as session:
        created = create_share_link(session=session, actor=director, label="Board", valid_days=7)
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["share"] = created.token
    at.run()
    assert not at.exception and at.title[0].value == "Roadmap"
    assert list(export_buttons(at, "roadmap_export")) == EXPORT_LABELS


def test_the_downloaded_file_is_the_shown_roadmap(app_engine: Engine) -> None:
    """What a button hands over when clicked: the builder the page gives it, for its filters."""
    at = open_page(app_engine, Role.stakeholder, "pages/roadmap.py", {"quarter": PERIOD})
    assert not at.exception
    # The builder is keyed by the store's data versions; any key builds from the store.
    data = exports.roadmap_file.__wrapped__(  # type: ignore[attr-defined]
        (), RoadmapFilters(quarter=PERIOD), clock.today(), "pdf"
    )
    reader = PdfReader(io.BytesIO(data))
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    for title in DEMO_OBJECTIVES:
        assert f"Roadmap {PERIOD}: {title}" in " ".join(text.split())


def test_the_goals_report_is_in_the_language_of_who_asked_for_it(app_engine: Engine) -> None:
    """The file is built after the page's run, when the button is clicked, and kept per reader's
    language: an English reader's report never reaches a German one."""
    open_page(app_engine, Role.director, "pages/goals.py", {"quarter": PERIOD})
    texts = {}
    for code in ("en", "de"):
        with i18n.use_locale(code):
            language = i18n.locale_key()
        data = exports.goals_file.__wrapped__(  # type: ignore[attr-defined]
            (), PERIOD, clock.today(), "pdf", language
        )
        reader = PdfReader(io.BytesIO(data))
        texts[code] = " ".join(" ".join((p.extract_text() or "") for p in reader.pages).split())
    assert "the quarter's report" in texts["en"] and "Bericht zum Quartal" in texts["de"]
    assert "Bericht zum Quartal" not in texts["en"] and "the quarter's report" not in texts["de"]


def test_present_shows_one_objective_per_screen(app_engine: Engine) -> None:
    at = open_page(app_engine, Role.stakeholder, "pages/goals.py", {"quarter": PERIOD})
    next(b for b in at.button if b.key == "goals_present").click().run()
    assert at.query_params["present"] in ("1", ["1"])
    shown = " ".join(plain(m.value) for m in at.markdown)
    assert "Objective 1 of 4" in shown and DEMO_OBJECTIVES[0] in shown
    assert DEMO_OBJECTIVES[1] not in shown
    assert not at.dataframe  # no tables, no forms: the room reads large text
    previous = next(b for b in at.button if b.key == "present_previous")
    assert previous.disabled
    next(b for b in at.button if b.key == "present_next").click().run()
    shown = " ".join(plain(m.value) for m in at.markdown)
    assert "Objective 2 of 4" in shown and DEMO_OBJECTIVES[1] in shown
    next(b for b in at.button if b.key == "present_next").click().run()
    next(b for b in at.button if b.key == "present_next").click().run()
    assert next(b for b in at.button if b.key == "present_next").disabled
    next(b for b in at.button if b.key == "present_leave").click().run()
    assert "present" not in at.query_params
    assert any(b.key == "goals_present" for b in at.button)  # back on the whole page
