"""In a real browser: a share link opens the Roadmap alone (no sidebar, no other page, even by
URL), the visitor filters it, and reloading the filtered address shows the same filters. People's
text with HTML tricks shows literally and runs nothing."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from planning import clock
from planning.access.share_links import create_share_link
from planning.config import default_config
from planning.periods import quarter_of
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import KeyResult, Objective, Person, PersonRead, Role
from planning.work.initiative_input import InitiativeDraft
from planning.work.initiatives import create_initiative
from tests.browser.conftest import Browser, Server
from tests.page_text import TRICKS

pytestmark = pytest.mark.browser


def shared_ideas(server: Server, titles: tuple[str, ...]) -> tuple[str, str]:
    """A share link, and one idea of this quarter per title (linked to a key result of it);
    returns the token and the ideas' owner's name."""
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        director = session.exec(select(Person).where(Person.role == Role.director)).first()
        member = session.exec(
            select(Person).where(Person.role == Role.member).order_by(Person.id)  # type: ignore[arg-type]
        ).first()
        assert director is not None and member is not None
        boss, owner = PersonRead.model_validate(director), PersonRead.model_validate(member)
        kr = session.exec(
            select(KeyResult)
            .join(Objective, Objective.id == KeyResult.objective_id)  # type: ignore[arg-type]
            .where(Objective.period == quarter_of(clock.today()))
        ).first()
        assert kr is not None and kr.id is not None
    with session_scope(engine) as session:
        token = create_share_link(session=session, actor=boss, label="Board").token
        for title in titles:
            create_initiative(
                session=session,
                actor=owner,
                config=default_config(),
                draft=InitiativeDraft(title=title, owner_id=owner.id, key_result_ids=[kr.id]),
            )
    engine.dispose()
    return token, owner.name


def test_share_link_roadmap_filters_survive_a_reload(server: Server, browser: Browser) -> None:
    token, owner = shared_ideas(server, (TRICKS,))
    page = browser.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]

    page.goto(f"{server.url}/?share={token}")  # type: ignore[attr-defined]
    page.get_by_text("Read-only view shared by link").wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30000)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # type: ignore[attr-defined]
    assert page.get_by_text("Acting as").count() == 0  # type: ignore[attr-defined]
    # The idea's title shows as typed, and nothing in it became an element or ran.
    page.get_by_text(TRICKS, exact=False).first.wait_for(timeout=10000)  # type: ignore[attr-defined]
    assert page.locator('img[src="x"]').count() == 0  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    browser.shot("roadmap-share")

    # Filter by owner: the address bar gets the filter and keeps the token.
    owner_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Owner")  # type: ignore[attr-defined]
    owner_box.click()
    page.get_by_role("option", name=owner, exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => /owner=\\d+/.test(window.location.search)", timeout=15000
    )
    filtered = page.url  # type: ignore[attr-defined]
    assert f"share={token}" in filtered and "quarter=" in filtered
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    before = page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()  # type: ignore[attr-defined]

    # Reopen the same address: the same filters, the same roadmap.
    page.goto(filtered)  # type: ignore[attr-defined]
    page.get_by_text("Read-only view shared by link").wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30000)  # type: ignore[attr-defined]
    owner_box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Owner")  # type: ignore[attr-defined]
    assert owner_box.get_by_role("combobox").input_value() == owner
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]
    after = page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()  # type: ignore[attr-defined]
    assert after == before
    assert page.url == filtered  # type: ignore[attr-defined]
    browser.shot("roadmap-share-filtered")

    # Another page's address with the token still shows the Roadmap and nothing else.
    page.goto(f"{server.url}/initiatives?share={token}")  # type: ignore[attr-defined]
    page.get_by_text("Read-only view shared by link").wait_for(timeout=30000)  # type: ignore[attr-defined]
    titles = page.locator("h1").all_inner_texts()  # type: ignore[attr-defined]
    assert "Roadmap" in titles and "Initiatives" not in titles
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # type: ignore[attr-defined]
    assert f"share={token}" in page.url  # type: ignore[attr-defined]
    page.wait_for_timeout(1000)  # type: ignore[attr-defined]
    browser.shot("roadmap-share-other-page")
    assert dialogs == []
    # Streamlit logs that the requested page does not exist before running the Roadmap: that is
    # the point here, so that one message is expected.
    expected = "The page that you have requested does not seem to exist"
    browser.problems[:] = [p for p in browser.problems if expected not in p]
    browser.assert_clean()


def test_a_revoked_or_unknown_link_shows_only_a_message(server: Server, browser: Browser) -> None:
    page = browser.page
    page.goto(f"{server.url}/?share=not-a-token")  # type: ignore[attr-defined]
    page.get_by_text("This roadmap link is not valid").wait_for(timeout=30000)  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # type: ignore[attr-defined]
    assert page.locator('[data-testid="stVegaLiteChart"]').count() == 0  # type: ignore[attr-defined]
    browser.shot("roadmap-share-refused")
    browser.assert_clean()
