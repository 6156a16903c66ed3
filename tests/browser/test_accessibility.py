"""Accessibility, checked by axe-core in a real browser: every page each role can open, the shared
roadmap and the sign-in page, with no serious or critical violation. The walk over each role's
pages, at 1,440 px, also fails on a raw value a page shows (tests/browser/readable_support.py),
so the pages are opened once for both.

Findings of lesser impact are written to artifacts/accessibility.json with the page they were on;
the README lists the ones that remain and why (most belong to Streamlit's own widgets).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlmodel import Session, col, select

from planning.access.share_links import create_share_link
from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.browser.conftest import ROOT, Browser, Server
from tests.browser.readable_support import PAGES, WIDTH, raw_values
from tests.browser.sign_in_support import app_server, heading
from tests.browser.test_journeys import _act_as, _open_app, _settle

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

REPORT = ROOT / "artifacts" / "accessibility.json"
BLOCKING = {"serious", "critical"}
# What axe checks: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best-practice rules.
RUN_ONLY = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


# Streamlit fades what a running script has not redrawn yet (stale elements); checked then, a
# faded badge would fail on contrast it does not have once the page has settled.
SETTLED_JS = """() => document.querySelector('[data-testid="stApp"]')?.dataset.testScriptState
  === 'notRunning' && document.querySelectorAll('[data-stale="true"]').length === 0"""


def _findings(page: Page, where: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page once it has settled, each with where it was seen."""
    page.wait_for_function(SETTLED_JS, timeout=30_000)
    page.wait_for_timeout(300)  # the last redraw's transition
    response = Axe().run(page, options=RUN_ONLY).response
    return [
        {
            "where": where,
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
            "html": [node.get("html", "")[:200] for node in violation["nodes"]][:3],
            "summary": violation["nodes"][0].get("failureSummary", "")[:300],
        }
        for violation in response["violations"]
    ]


def _record(findings: list[dict[str, Any]], name: str) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    found = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    found[name] = findings
    REPORT.write_text(json.dumps(found, indent=2))


def _blocking(findings: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['where']}: {f['rule']} ({f['impact']}) {f['help']} at {f['nodes']}: {f['summary']}"
        for f in findings
        if f["impact"] in BLOCKING
    ]


def _first(engine_url: str, role: Role) -> Person:
    engine = create_store_engine(engine_url)
    with Session(engine) as session:
        person = session.exec(
            select(Person).where(Person.role == role, col(Person.active)).order_by(col(Person.id))
        ).first()
        assert person is not None
        session.expunge(person)
    engine.dispose()
    return person


def _pages_in_menu(page: Page) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"]')
    # A link's text starts with its icon's ligature name ("today"); the title is its last line.
    return [link.inner_text().strip().splitlines()[-1] for link in nav.get_by_role("link").all()]


@pytest.mark.parametrize("role", [Role.director, Role.member, Role.stakeholder])
def test_every_page_of_a_role_has_no_serious_violation_and_no_raw_value(
    module_server: Server, browser: Browser, role: Role
) -> None:
    # The walks only read, so the three roles share one server (a start costs seconds).
    server = module_server
    page = browser.page
    page.set_viewport_size({"width": WIDTH, "height": 2200})  # type: ignore[attr-defined]
    _open_app(page, server.url)  # type: ignore[arg-type]
    _act_as(page, _first(server.database_url, role))  # type: ignore[arg-type]
    findings: list[dict[str, Any]] = []
    leaks: list[str] = []
    titles = _pages_in_menu(page)  # type: ignore[arg-type]
    assert set(PAGES[role]) <= set(titles), titles
    for title in titles:
        nav = page.locator('[data-testid="stSidebarNav"]')  # type: ignore[attr-defined]
        nav.get_by_role("link").filter(has_text=title).first.click()
        page.get_by_role("heading", name=title, level=1).wait_for(timeout=30000)  # type: ignore[attr-defined]
        _settle(page)  # type: ignore[arg-type]
        findings += _findings(page, f"{role.value} · {title}")  # type: ignore[arg-type]
        if title in PAGES[role]:
            leaks += raw_values(page, browser, role, title)  # type: ignore[arg-type]
    _record(findings, role.value)
    assert _blocking(findings) == []
    assert not leaks, "\n".join(sorted(set(leaks)))
    browser.assert_clean()


def test_shared_roadmap_has_no_serious_violation(server: Server, browser: Browser) -> None:
    director = _first(server.database_url, Role.director)
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        token = create_share_link(session=session, actor=director, label="Board").token
        session.commit()
    engine.dispose()
    page = browser.page
    page.goto(f"{server.url}/?share={token}")  # type: ignore[attr-defined]
    page.get_by_text("Read-only view shared by link").wait_for(timeout=30000)  # type: ignore[attr-defined]
    _settle(page)  # type: ignore[arg-type]
    findings = _findings(page, "share link · Roadmap")  # type: ignore[arg-type]
    _record(findings, "share")
    assert _blocking(findings) == []


def test_sign_in_page_has_no_serious_violation(
    browser: Browser, demo_store_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "browser.db"
    shutil.copy(demo_store_file, store)
    with app_server(store=store, tmp_path=tmp_path, mode="password") as server:
        page = browser.page
        page.goto(server.url)  # type: ignore[attr-defined]
        heading(page, "Sign in to Quarterdeck")
        _settle(page)  # type: ignore[arg-type]
        findings = _findings(page, "sign-in")  # type: ignore[arg-type]
    _record(findings, "sign-in")
    assert _blocking(findings) == []
