"""The Impact page under AppTest on a copy of the demo store: directors and members read the
ledger, the metric around a ship date, calibration and the weekly digest with its downloads (only
the open tab is built); nobody gets an edit control; people's text in the digest stays text."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from planning.store.engine import create_store_engine, session_scope
from planning.store.models import Decision, Person, Role
from tests.app_pages import open_as, people

PAGE = "pages/impact.py"


def open_page(url: str, role: Role) -> AppTest:
    return open_as(people(url, role)[0].id, PAGE, timeout=90)


def open_tab(at: AppTest, label: str) -> AppTest:
    """Switch to a tab: only the open tab's content runs."""
    at.session_state["impact_tab"] = label
    at.run()
    assert not at.exception
    return at


def digest_text(at: AppTest) -> str:
    """The digest as the page shows it (the sidebar holds Markdown too)."""
    found = [m.value for m in at.markdown if m.value.startswith("# Weekly digest")]
    assert len(found) == 1
    return str(found[0])


def ledger_table(at: AppTest) -> dict[str, dict[str, object]]:
    frame = at.dataframe[0].value
    return {str(row["Initiative"]): dict(row) for row in frame.to_dict(orient="records")}


# Stakeholders do not open Impact (ui/navigation.py): the page is for the team.
@pytest.mark.parametrize("role", [Role.director, Role.member])
def test_every_role_reads_the_ledger_calibration_and_digest(app_store: str, role: Role) -> None:
    at = open_page(app_store, role)
    assert at.title[0].value == "Impact"
    assert [t.label for t in at.tabs] == ["Ledger", "Calibration", "Digest"]

    rows = ledger_table(at)
    redesign = rows["One-page checkout redesign"]
    assert redesign["Expected"] == "+8.0 %"
    assert redesign["Verdict"] == "Met"
    assert str(redesign["Interval"]).endswith("%") and " to " in str(redesign["Interval"])
    assert rows["Product page enrichment for Home (PIM/DAM)"]["Read on"] == "Product line: Home"

    # Hidden tabs are not built: the ledger's table only, no digest yet.
    assert len(at.dataframe) == 1
    assert not any(m.value.startswith("# Weekly digest") for m in at.markdown)

    calibration = open_tab(at, "Calibration").dataframe[0].value
    assert list(calibration["Estimator"]) == ["Jonas Becker"]
    assert int(calibration["Measured"].iloc[0]) >= 3
    assert len(at.dataframe) == 1  # the ledger's table is not built while it is hidden

    digest = digest_text(open_tab(at, "Digest"))
    assert digest.startswith("# Weekly digest · 2026-W48")
    assert "## Realised impact" in digest and "One\\-page checkout redesign" not in digest
    assert "One-page checkout redesign" in digest
    downloads = at.get("download_button")
    assert len(downloads) == 2

    # Reading only: no forms, text inputs or plain buttons for anyone.
    assert len(at.button) == 0
    assert len(at.text_input) == 0 and len(at.text_area) == 0 and len(at.number_input) == 0


def test_choosing_an_initiative_shows_its_windows_and_values(app_store: str) -> None:
    at = open_page(app_store, Role.member)
    box = at.selectbox(key="impact_initiative")
    home = next(o for o in box.options if o.startswith("Product page enrichment for Home"))
    box.select(home).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(
        "(Product line: Home)" in c and "post window 11 Oct – 07 Nov 2026" in c for c in captions
    )
    labels = [m.label for m in at.metric]
    assert {"Before", "After", "Before, last year", "After, last year"} <= set(labels)
    after = next(m for m in at.metric if m.label == "After")
    assert after.value.endswith("%")
    # The change is shown beside the value, so two tiles rounded alike still tell it apart.
    tiles = {m.label: m for m in at.metric}
    assert re.fullmatch(r"[+-]\d+\.\d\d pts", tiles["After"].delta)
    assert re.fullmatch(r"[+-]\d+\.\d\d pts", tiles["After, last year"].delta)
    assert not tiles["Before"].delta


def test_digest_of_an_earlier_week_and_escaped_decisions(app_store: str) -> None:
    engine: Engine = create_store_engine(app_store)
    with session_scope(engine) as session:
        director = session.scalars(select(Person).where(Person.role == Role.director)).first()
        assert director is not None
        session.add(
            Decision(
                decided_on=date(2026, 11, 10),
                text="Pause <script>alert(1)</script> **bold** tests",
                author_id=int(director.id or 0),
            )
        )
    engine.dispose()
    at = open_tab(open_page(app_store, Role.member), "Digest")
    at.selectbox(key="digest_week").select("2026-W46").run()
    assert not at.exception
    digest = digest_text(at)
    assert digest.startswith("# Weekly digest · 2026-W46")
    assert "<script>" not in digest
    assert "\\<script\\>" in digest and "\\*\\*bold\\*\\*" in digest
