"""Pages a reader can read at 1,440 px: no raw value in a page's text or its tables' cells, and a
screenshot of each page under artifacts/screenshots/readable-* (or QUARTERDECK_SHOTS). The walk
over every page of every role that checks this is tests/browser/test_accessibility.py's, which
opens the same pages for axe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from planning.store.models import Role
from tests.browser.conftest import SCREENSHOTS, Browser
from tests.browser.test_journeys import _settle, _shot
from tests.shown_text import RAW_PATTERNS

if TYPE_CHECKING:
    from playwright.sync_api import Page

WIDTH = 1_440
SHOTS = Path(os.environ.get("QUARTERDECK_SHOTS", SCREENSHOTS))
PAGES = {
    Role.director: [
        "This week",
        "Goals",
        "Weekly planning",
        "Initiatives",
        "Roadmap",
        "Metrics",
        "Impact",
        "Admin",
    ],
    Role.member: ["This week", "Goals", "Initiatives", "Roadmap", "Metrics", "Impact"],
    Role.stakeholder: ["This week", "Goals", "Roadmap", "Metrics"],
}
# tests/test_page_raw_values.py explains its allow-list: the grid's faded placeholder in the
# backlog editor's empty input cells (an idea with no dates yet), and the import file's measure
# ids in the Admin tab open first. Besides, the backlog editor's accessible mirror (the hidden
# table a screen reader reads) holds a pick-list cell's stored value (in_progress), Streamlit's
# own, while the canvas draws its label (In progress), as the screenshots show.
ALLOWED = {
    ("Weekly planning", "None/nan"),
    ("Weekly planning", "snake_case code"),
    ("Admin", "snake_case code"),
}
# Parts of a page drawn only once a tab is clicked or a detail picked, looked at for a director.
TABS = {
    "Impact": ["Calibration", "Digest"],
    "Admin": ["API tokens", "Import history", "Share links", "People", "Configuration"],
}


def shot(page: Page, name: str) -> Path:
    """The whole main area, saved as a PNG under SHOTS."""
    return _shot(page, name, SHOTS)


def _shown_text(page: Page) -> list[str]:
    """The main area's text without its icons (a Material icon is a word such as edit_note the
    icon font draws as a glyph), and every rendered table cell (the grid's accessible mirror)."""
    main = page.get_by_test_id("stMain")
    text = main.evaluate(
        """e => {
            const copy = e.cloneNode(true);
            document.body.appendChild(copy);
            copy.querySelectorAll('[data-testid="stDataFrame"]').forEach(t => t.remove());
            copy.querySelectorAll('span, i').forEach(s => {
                if (getComputedStyle(s).fontFamily.includes('Material')) s.remove();
            });
            const text = copy.innerText;
            copy.remove();
            return text;
        }"""
    )
    cells = main.locator('td[role="gridcell"], th[role="columnheader"]').all_text_contents()
    return [str(text), *cells]


def _leaks(page: Page, where: str, title: str) -> list[str]:
    found = []
    for text in _shown_text(page):
        for kind, pattern in RAW_PATTERNS.items():
            if (title, kind) not in ALLOWED:
                found += [f"{where} · {kind}: {m}" for m in pattern.findall(text)]
    return found


def _slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def raw_values(page: Page, browser: Browser, role: Role, title: str) -> list[str]:
    """The raw values the open page shows (for a director also behind its tabs and, on
    Initiatives, in a picked initiative's detail), each part screenshot; the page settled."""
    where = f"{role.value} · {title}"
    leaks = _leaks(page, where, title)
    shot(page, f"readable-{role.value}-{_slug(title)}")
    browser.assert_clean()
    if role != Role.director:
        return leaks
    for tab in TABS.get(title, []):
        page.get_by_role("tab", name=tab, exact=True).click()
        _settle(page)
        leaks += _leaks(page, f"{where} · {tab}", title)
        shot(page, f"readable-{role.value}-{_slug(title)}-{_slug(tab)}")
        browser.assert_clean()
    if title == "Initiatives":
        picker = page.get_by_role("combobox", name="Open an initiative", exact=True)
        picker.click()
        page.get_by_role("option").nth(1).click()
        _settle(page)
        leaks += _leaks(page, f"{where} · detail", title)
        shot(page, f"readable-{role.value}-initiative-detail")
        browser.assert_clean()
    return leaks
