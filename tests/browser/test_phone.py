"""On a phone (390 × 844, touch): a member posts a status update from This week, from the
Initiatives list and a check-in from Goals, a director reads the week's ranking and the weekly
digest, a stakeholder reads the Roadmap and Goals, in English and in German. The page never
scrolls sideways, nor does a table: a short read-only table reads as stacked rows, one card a
row, the Initiatives list and the ranked backlog as compact cards, the Roadmap's key results and
board folded behind their counts (ui/tables.py), and a laptop still shows the grids.
Screenshots: artifacts/screenshots/phone-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from planning import clock
from planning.access.languages import set_language
from planning.config import default_config
from planning.reports.this_week import what_i_owe
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import (
    CheckIn,
    Initiative,
    KeyResult,
    KrKind,
    Person,
    Role,
    StatusUpdate,
)
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, Server
from tests.browser.test_journeys import _settle

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
WAIT_MS = 30_000
# How far the page and Streamlit's main area can be scrolled sideways (0 when nothing overflows).
OVERFLOW_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const page = document.scrollingElement;
  return Math.max(page.scrollWidth - page.clientWidth, main.scrollWidth - main.clientWidth);
}"""
# How far the widest table on screen scrolls sideways inside its own frame (0 when none does).
TABLE_OVERFLOW_JS = """() => Math.max(0,
  ...[...document.querySelectorAll('[data-testid="stDataFrame"]')]
  .filter(t => t.checkVisibility())
  .map(t => t.querySelector('.dvn-scroller'))
  .filter(s => s)
  .map(s => s.scrollWidth - s.clientWidth))"""
# How far the furthest chart legend reaches past the window's right edge (0 when none does).
LEGEND_OVERFLOW_JS = """() => Math.max(0,
  ...[...document.querySelectorAll('[data-testid="stVegaLiteChart"] .role-legend')]
  .map(g => g.getBoundingClientRect().right - window.innerWidth))"""


@pytest.fixture
def phone() -> Iterator[Page]:
    """Headless Chromium as a phone: 390 × 844, touch, a mobile user agent's layout."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
        )
        yield context.new_page()
        chromium.close()


def _visit(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name=heading, level=1).wait_for(timeout=WAIT_MS)
    _settle(page)


def _tables_fit(page: Page) -> bool:
    """Whether every visible table fits the phone once the page has drawn its cards: a table's
    grid and the cards that replace it arrive as two elements, so a check between the two (or
    during a rerun that is redrawing them) would see the grid; a table still scrolling sideways
    after a few seconds is a failure."""
    try:
        page.wait_for_function(f"() => ({TABLE_OVERFLOW_JS})() <= 1", timeout=5_000)
    except PlaywrightTimeout:
        return False
    return True


def _shot_and_check(page: Page, name: str) -> None:
    """Nothing scrolls sideways; then a screenshot of the whole page (Streamlit scrolls its main
    area inside the window, so the window is stretched to the content's height for the shot)."""
    assert page.evaluate(OVERFLOW_JS) <= 1, f"{name}: the page scrolls sideways on a phone"
    assert _tables_fit(page), f"{name}: a table scrolls sideways on a phone"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = int(page.get_by_test_id("stMain").evaluate("e => e.scrollHeight"))
    page.set_viewport_size({"width": PHONE["width"], "height": max(height, PHONE["height"])})
    page.wait_for_timeout(500)  # charts and tables redraw at the new size
    try:
        page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(PHONE)


def _post_note(page: Page, *, button: str, field: str, note: str, posted: str, shot: str) -> None:
    """Type `note` into `field` of the form sent with `button`, send it, wait for the `posted`
    message, then check and shoot the page as `shot`."""
    main = page.get_by_test_id("stMain")
    form = main.get_by_test_id("stForm").filter(has=page.get_by_role("button", name=button))
    form.get_by_role("textbox", name=field).fill(note)
    form.get_by_role("button", name=button).click()
    main.get_by_text(posted, exact=False).wait_for(timeout=WAIT_MS)
    _settle(page)
    _shot_and_check(page, shot)


def _post_status_update(
    page: Page, server: Server, member: Person, *, note: str, posted: str, shot: str
) -> None:
    """Post `note` from the status update form on screen (see _post_note); it is stored as
    `member`'s."""
    _post_note(
        page, button="Post update", field="Note (required)", note=note, posted=posted, shot=shot
    )
    assert note in _notes_by(server.database_url, StatusUpdate, member)


def _person(engine_url: str, role: Role, pick: object = None) -> Person:
    engine = create_store_engine(engine_url)
    with Session(engine) as session:
        people = session.exec(
            select(Person).where(Person.role == role, col(Person.active)).order_by(col(Person.id))
        ).all()
        chosen = next((p for p in people if pick is None or pick(session, p)), None)  # type: ignore[operator]
        assert chosen is not None
        session.expunge(chosen)
    engine.dispose()
    return chosen


def _notes_by(
    engine_url: str, table: type[StatusUpdate] | type[CheckIn], author: Person
) -> list[str]:
    """The notes `author` has written in `table` (status updates or check-ins), as stored."""
    engine = create_store_engine(engine_url)
    with Session(engine) as session:
        notes = session.exec(select(table.note).where(table.author_id == author.id)).all()
    engine.dispose()
    return list(notes)


def test_member_posts_an_update_on_a_phone(server: Server, phone: Page) -> None:
    settings = default_config().settings
    today = clock.today()

    def owes_an_update(session: Session, person: Person) -> bool:
        owed = what_i_owe(
            session=session,
            person_id=int(person.id or 0),
            today=today,
            every_days=settings.updates.stale_after_days,
            fiscal_start_month=settings.fiscal_year_start_month,
        )
        return bool(owed.updates)

    member = _person(server.database_url, Role.member, owes_an_update)
    page = phone
    _visit(page, f"{server.url}/?as={member.id}", "This week")
    main = page.get_by_test_id("stMain")
    main.get_by_role("heading", name="What I owe").wait_for(timeout=WAIT_MS)
    _shot_and_check(page, "member-what-i-owe")

    _post_status_update(
        page,
        server,
        member,
        note="Phone check: on track, copy due.",
        posted="Status update posted on",
        shot="member-update-posted",
    )


def test_member_checks_in_on_a_key_result_on_a_phone(server: Server, phone: Page) -> None:
    def owns_a_metric_kr(session: Session, person: Person) -> bool:
        return (
            session.exec(
                select(KeyResult).where(
                    KeyResult.owner_id == person.id, KeyResult.kind == KrKind.metric
                )
            ).first()
            is not None
        )

    member = _person(server.database_url, Role.member, owns_a_metric_kr)
    page = phone
    _visit(page, f"{server.url}/goals?as={member.id}", "Goals")
    main = page.get_by_test_id("stMain")
    form = main.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Post check-in")
    )
    form.scroll_into_view_if_needed()
    _shot_and_check(page, "member-goals")
    _post_note(
        page,
        button="Post check-in",
        field="Note",
        note="Phone check-in: steady.",
        posted="Check-in posted",
        shot="member-check-in-posted",
    )

    assert "Phone check-in: steady." in _notes_by(server.database_url, CheckIn, member)


def test_stakeholder_reads_roadmap_and_goals_on_a_phone(server: Server, phone: Page) -> None:
    stakeholder = _person(server.database_url, Role.stakeholder)
    page = phone
    _visit(page, f"{server.url}/roadmap?as={stakeholder.id}", "Roadmap")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    _settle(page)
    timeline = page.get_by_test_id("stVegaLiteChart").first
    expect(timeline).to_be_visible()
    _shot_and_check(page, "stakeholder-roadmap")

    _visit(page, f"{server.url}/goals?as={stakeholder.id}", "Goals")
    _shot_and_check(page, "stakeholder-goals")


def _read_in_german(engine_url: str, person: Person) -> None:
    """Store German as `person`'s language, chosen by a director."""
    director = _person(engine_url, Role.director)
    engine = create_store_engine(engine_url)
    with session_scope(engine) as session:
        set_language(session=session, actor=director, person_id=int(person.id or 0), language="de")
    engine.dispose()


def test_german_stakeholder_opens_goals_from_its_address_on_a_phone(
    server: Server, phone: Page
) -> None:
    """A session's first run draws in the team's language, then starts over in the reader's:
    the page in the address stays open (it used to give way to the landing page)."""
    stakeholder = _person(server.database_url, Role.stakeholder)
    _read_in_german(server.database_url, stakeholder)
    _visit(phone, f"{server.url}/goals?as={stakeholder.id}", "Ziele")
    _shot_and_check(phone, "stakeholder-goals-de")


def test_key_results_read_as_stacked_rows_on_a_phone_and_as_a_grid_on_a_laptop(
    server: Server, phone: Page
) -> None:
    stakeholder = _person(server.database_url, Role.stakeholder)
    _visit(phone, f"{server.url}/goals?as={stakeholder.id}", "Goals")
    main = phone.get_by_test_id("stMain")
    cards = main.locator(".qd-card")
    expect(cards.first).to_be_visible()
    # A key result's whole name is its card's title, however long (the grid cut it).
    expect(cards.first.locator(".qd-card-title")).not_to_have_text("")
    assert main.get_by_test_id("stDataFrame").first.is_hidden()

    phone.set_viewport_size(LAPTOP)
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
    assert cards.first.is_hidden()


def test_member_reads_the_impact_chart_whole_on_a_phone(server: Server, phone: Page) -> None:
    """The verdict legend wraps onto two columns and the initiatives' names leave the chart its
    width (the legend ran past the screen's edge, the names took two thirds of it)."""
    member = _person(server.database_url, Role.member)
    _visit(phone, f"{server.url}/impact?as={member.id}", "Impact")
    chart = phone.get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    chart.locator(".role-legend").first.wait_for(timeout=WAIT_MS)
    assert phone.evaluate(LEGEND_OVERFLOW_JS) <= 1, "a legend runs past the phone's screen"
    labels = chart.locator(".role-axis-label text")
    widest = max(box["width"] for t in labels.all() if (box := t.bounding_box()) is not None)
    assert widest <= 0.4 * PHONE["width"], f"axis labels {widest:.0f} px wide"
    _shot_and_check(phone, "member-impact")


def test_member_finds_an_initiative_on_a_phone_and_posts_an_update(
    server: Server, phone: Page
) -> None:
    """The list's grid scrolled sideways on a phone: it reads as cards there, the member opens
    an initiative with the picker and posts an update; a laptop shows the grid as before."""

    def runs_work(session: Session, person: Person) -> bool:
        owned = select(Initiative).where(
            Initiative.owner_id == person.id, Initiative.status == "in_progress"
        )
        return session.exec(owned).first() is not None

    member = _person(server.database_url, Role.member, runs_work)
    page = phone
    _visit(page, f"{server.url}/initiatives?as={member.id}", "Initiatives")
    main = page.get_by_test_id("stMain")
    card = main.locator(".qd-card").filter(has_text=f"{member.name} · In progress").first
    expect(card).to_be_visible()
    title = card.locator(".qd-card-title").inner_text()
    expect(main.get_by_test_id("stDataFrame")).to_be_hidden()
    _shot_and_check(page, "member-initiatives")

    picker = main.get_by_role("combobox", name="Open an initiative", exact=True)
    picker.click()
    page.keyboard.type(title)  # a long list shows only its first options until narrowed
    page.get_by_role("option", name=title, exact=True).click()
    main.get_by_role("button", name="Post update").wait_for(timeout=WAIT_MS)
    _settle(page)
    _post_status_update(
        page,
        server,
        member,
        note="Phone list check: shipping next week.",
        posted="Status update posted.",
        shot="member-initiative-update-posted",
    )

    page.set_viewport_size(LAPTOP)
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()
    expect(main.locator(".qd-card").filter(has_text=title).first).to_be_hidden()


def test_director_reads_the_ranking_on_a_phone_and_edits_it_on_a_laptop(
    server: Server, phone: Page
) -> None:
    """The editable backlog scrolled sideways on a phone: there it reads as ranked cards (and
    capacity and the week's changes as cards too), while a laptop keeps the editable grid."""
    director = _person(server.database_url, Role.director)
    page = phone
    _visit(page, f"{server.url}/planning?as={director.id}", "Weekly planning")
    main = page.get_by_test_id("stMain")
    first = main.locator(".qd-card-title").first
    expect(first).to_have_text(re.compile(r"^1\. \S"))
    expect(main.locator(".qd-card-line").first).to_contain_text("Score ")
    editor = main.get_by_test_id("stDataFrame").first
    expect(editor).to_be_hidden()
    # The caption under the cards gives the counts, not how to edit a grid the phone hides.
    counts = main.locator(".st-key-backlog-caption-narrow")
    how_to_edit = main.locator(".st-key-backlog-caption-wide")
    expect(counts).to_be_visible()
    expect(counts).to_contain_text(re.compile(r"open initiatives, \d+ ranked by"))
    expect(counts).not_to_contain_text("Edit the inputs")
    expect(how_to_edit).to_be_hidden()
    _shot_and_check(page, "director-ranking")

    page.set_viewport_size(LAPTOP)
    expect(editor).to_be_visible()
    expect(first).to_be_hidden()
    expect(how_to_edit).to_be_visible()
    expect(how_to_edit).to_contain_text("Edit the inputs")
    expect(counts).to_be_hidden()


def test_stakeholder_opens_a_lanes_key_results_on_a_phone(server: Server, phone: Page) -> None:
    """The phone Roadmap ran to about 8,000 px (16,000 device pixels) of cards: the key results
    and board columns are folded behind their counts, a tap opens one; a laptop shows grids."""
    stakeholder = _person(server.database_url, Role.stakeholder)
    page = phone
    _visit(page, f"{server.url}/roadmap?as={stakeholder.id}", "Roadmap")
    page.get_by_role("heading", name="Now / Next / Later").wait_for(timeout=WAIT_MS)
    _settle(page)
    main = page.get_by_test_id("stMain")
    height = main.evaluate("e => e.scrollHeight")
    assert height < 5_000, f"the phone Roadmap is {height} px long"
    fold = main.locator(".qd-fold").first
    expect(fold.locator(".qd-card").first).to_be_hidden()
    fold.locator("summary").click()
    expect(fold.locator(".qd-card").first).to_be_visible()
    assert page.evaluate(OVERFLOW_JS) <= 1

    page.set_viewport_size(LAPTOP)
    expect(fold).to_be_hidden()
    expect(main.get_by_test_id("stDataFrame").first).to_be_visible()


# The digest preview's figure cells ("53.16 %", "+5 pts") whose text runs over more than one line.
BROKEN_FIGURES_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] table td')]
  .filter(td => /^[+\\-−±]?[\\d.,]+\\s(%|pts)$/.test(td.innerText.trim()))
  .filter(td => {
    const range = document.createRange();
    range.selectNodeContents(td);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
  })
  .map(td => td.innerText)"""


def test_director_reads_the_weekly_digest_on_a_phone(server: Server, phone: Page) -> None:
    """The digest preview's key-result table wrapped "53.16 %" before its "%" and ran past the
    screen, so the page scrolled sideways: its figures stay whole and the table scrolls inside
    its own frame."""
    director = _person(server.database_url, Role.director)
    _visit(phone, f"{server.url}/impact?as={director.id}", "Impact")
    phone.get_by_role("tab", name="Digest").click()
    main = phone.get_by_test_id("stMain")
    main.get_by_role("heading", name="Key results", exact=False).first.wait_for(timeout=WAIT_MS)
    _settle(phone)
    assert phone.evaluate(BROKEN_FIGURES_JS) == []
    _shot_and_check(phone, "director-digest")
