"""A dependency in a real browser against a real server on a copy of the demo store: a director
opens an initiative on the Initiatives page, makes it wait on another that ends later, saves, and
the Roadmap then shows "waits on #N Title" on the dependent's row with the late-start flag. Fails on
any Streamlit exception box or browser console error; screenshots under
artifacts/screenshots/journey-dependency-*."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import delete
from sqlmodel import Session, select

from planning import clock
from planning.config import default_config
from planning.periods import quarter_of
from planning.store.engine import create_store_engine
from planning.store.models import InitiativeDependency, Role
from planning.work.roadmap import RoadmapFilters, roadmap_items, timeline_items
from tests.browser.conftest import Browser, Server
from tests.browser.test_journeys import (
    WAIT_MS,
    _act_as,
    _open,
    _open_app,
    _page,
    _people,
    _pick,
    _settle,
    _shot,
)

pytestmark = pytest.mark.browser


def test_director_adds_a_dependency_on_initiatives_and_sees_it_on_the_roadmap(
    server: Server, browser: Browser
) -> None:
    fiscal = default_config().settings.fiscal_year_start_month
    today = clock.today()
    engine = create_store_engine(server.database_url)
    director = _people(engine, Role.director)[0]
    with Session(engine) as session:  # start without the demo's dependencies: only this one shows
        session.execute(delete(InitiativeDependency))
        session.commit()
    with Session(engine) as session:
        drawn = timeline_items(
            roadmap_items(
                session=session,
                filters=RoadmapFilters(quarter=quarter_of(today, fiscal)),
                today=today,
                fiscal_start_month=fiscal,
            )
        )
    # Two open, dated initiatives of the first lane: the one ending first will wait on the one
    # ending last, so it starts before what it waits on ends.
    first_lane = drawn[drawn["objective_id"] == drawn["objective_id"].iloc[0]]
    open_rows = first_lane[~first_lane["status"].isin(["done", "dropped"])]
    open_rows = open_rows.sort_values(["end_date", "id"])
    assert len(open_rows) >= 2, "the demo's first lane has two open dated initiatives"
    dependent, blocker = open_rows.iloc[0], open_rows.iloc[-1]
    assert pd.Timestamp(dependent["start_date"]) < pd.Timestamp(blocker["end_date"])
    blocker_label = f"#{blocker['id']} {blocker['title']}"
    page = _page(browser)

    _open_app(page, server.url)
    _act_as(page, director)
    _open(page, "Initiatives", "Initiatives")
    main = page.get_by_test_id("stMain")
    _pick(page, main, "Open an initiative", str(dependent["title"]))
    _settle(page)
    page.get_by_text("Waits on / Blocks").wait_for(timeout=WAIT_MS)
    waits = main.get_by_role("combobox", name="Waits on", exact=True)
    waits.click()
    waits.fill(blocker_label)
    page.get_by_role("option", name=blocker_label, exact=True).click()
    page.keyboard.press("Escape")
    main.get_by_role("button", name="Save dependencies").click()
    _settle(page)
    page.get_by_text("Dependencies saved: 1 added, 0 removed.").wait_for(timeout=WAIT_MS)
    page.get_by_text(f"Waits on: {blocker_label}").wait_for(timeout=WAIT_MS)
    _shot(page, "journey-dependency-1-initiative")
    with Session(engine) as session:
        saved = session.exec(select(InitiativeDependency)).all()
    assert [(d.blocker_id, d.blocked_id) for d in saved] == [
        (int(blocker["id"]), int(dependent["id"]))
    ]
    engine.dispose()

    _open(page, "Roadmap", "Roadmap")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    said = f"{dependent['title']} waits on {blocker_label}"
    page.get_by_text(said, exact=False).first.wait_for(timeout=WAIT_MS)
    page.get_by_text("⚑ starts before what it waits on ends", exact=False).first.wait_for(
        timeout=WAIT_MS
    )
    _shot(page, "journey-dependency-2-roadmap")
    browser.assert_clean()
