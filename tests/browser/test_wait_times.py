"""How long a user waits, in a real browser on a copy of the demo store: from the click that
changes a tab, a filter or a choice to the page settled (the script run over and nothing on
screen changing any more). Each wait is recorded in artifacts/wait_times.json with the server's
CPU time and the time the browser's page thread was busy over it, so a slow wait shows whether
the server or the drawing is the cost; nothing is asserted about speed (the benchmark judges
speed). The test checks that each interaction did what the user asked, without errors.
QUARTERDECK_WAIT_LABEL names the record (e.g. "before" and "after" a change), and the test runs only
when it is set: it is a measurement, taken on a quiet machine, not a check for every test run
(the journeys and the page tests cover what these clicks do)."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, col, select

from planning import clock
from planning.config import default_config
from planning.periods import previous_quarter, quarter_of
from planning.reports.this_week import updates_owed
from planning.store.engine import create_store_engine
from planning.store.models import Person, Role
from tests.browser.conftest import ROOT, Browser, Server
from tests.browser.test_journeys import _act_as, _open, _open_app, _settle

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.environ.get("QUARTERDECK_WAIT_LABEL"),
        reason="a measurement, run by QUARTERDECK_WAIT_LABEL=<name> (README: Waits in the browser)",
    ),
]

RECORD = ROOT / "artifacts" / "wait_times.json"

# Installed before each click: notes, on the page's clock, when the app's script state changes
# and when anything in the main area last changed (elements drawn, charts rendered).
WATCH_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const qd = {changes: [], drawn: 0, clicked: performance.now()};
  window.__qd = qd;
  if (window.__qdObservers) window.__qdObservers.forEach((o) => o.disconnect());
  const state = new MutationObserver(() => {
    qd.changes.push([performance.now(), app.dataset.testScriptState]);
  });
  state.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const drawn = new MutationObserver(() => { qd.drawn = performance.now(); });
  drawn.observe(app, {childList: true, subtree: true, attributes: true, characterData: true});
  window.__qdObservers = [state, drawn];
}"""

# Settled: a run started and ended since the click and nothing changed for QUIET_MS; the wait is
# from the click to the later of the run's end and the last change on screen.
QUIET_MS = 500
SETTLED_JS = """(quiet) => new Promise((resolve, reject) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const qd = window.__qd;
  const started = performance.now();
  const check = () => {
    const ran = qd.changes.some(([, s]) => s === 'running');
    const idle = app.dataset.testScriptState === 'notRunning';
    const ended = qd.changes.filter(([, s]) => s === 'notRunning').map(([t]) => t).pop() || 0;
    const last = Math.max(ended, qd.drawn);
    if (ran && idle && performance.now() - last > quiet) {
      resolve({script_ms: ended - qd.clicked, settled_ms: last - qd.clicked,
               runs: qd.changes.filter(([, s]) => s === 'running').length});
      return;
    }
    if (performance.now() - started > 30000) { reject(new Error('never settled')); return; }
    setTimeout(check, 20);
  };
  check();
})"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


class Stopwatch:
    """Times interactions on one page against one server and keeps the results."""

    def __init__(self, page: Page, server_pid: int) -> None:
        self.page = page
        self.pid = server_pid
        self.results: dict[str, dict[str, float | int]] = {}
        self.idle_cpu_ms = 0.0
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def _renderer_busy(self) -> float:
        """Seconds the page's renderer main thread has spent on tasks so far."""
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))

    def time(self, name: str, act: Callable[[], None]) -> None:
        """Do `act` (a click or a choice) and note how long until the page settled."""
        self.page.evaluate(WATCH_JS)
        cpu = _cpu_seconds(self.pid)
        busy = self._renderer_busy()
        wall = time.perf_counter()
        act()
        settled = cast("dict[str, Any]", self.page.evaluate(SETTLED_JS, QUIET_MS))
        self.results[name] = entry = {
            "settled_ms": round(float(settled["settled_ms"]), 1),
            "script_done_ms": round(float(settled["script_ms"]), 1),
            "harness_wall_ms": round((time.perf_counter() - wall) * 1000 - QUIET_MS, 1),
            "server_cpu_ms": round((_cpu_seconds(self.pid) - cpu) * 1000, 1),
            "browser_busy_ms": round((self._renderer_busy() - busy) * 1000, 1),
            "runs": int(settled["runs"]),
        }
        _settle(self.page)
        print(name, entry)
        self.save()

    def idle(self, seconds: float) -> None:
        """Note the server's CPU time over `seconds` with nobody acting (its live checks), which
        each wait's server CPU time includes for its quiet period."""
        cpu = _cpu_seconds(self.pid)
        self.page.wait_for_timeout(seconds * 1000)
        self.idle_cpu_ms = round((_cpu_seconds(self.pid) - cpu) * 1000 / seconds, 1)

    def save(self) -> None:
        """Write what was timed so far to the record."""
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        label = os.environ.get("QUARTERDECK_WAIT_LABEL", "")
        record = {
            "label": label,
            "quiet_ms": QUIET_MS,
            "server_idle_cpu_ms_per_s": self.idle_cpu_ms,
            "load_average": os.getloadavg()[0],
            "waits": self.results,
        }
        RECORD.write_text(json.dumps(record, indent=2) + "\n")


def _choose(page: Page, label: str, option: str) -> Callable[[], None]:
    def act() -> None:
        page.get_by_test_id("stMain").get_by_role("combobox", name=label, exact=True).click()
        page.get_by_role("option", name=option, exact=True).click()

    return act


def _tab(page: Page, label: str) -> Callable[[], None]:
    return lambda: page.get_by_role("tab", name=label, exact=True).click()


def test_the_waits_users_notice_are_recorded(server: Server, browser: Browser) -> None:
    fiscal = default_config().settings.fiscal_year_start_month
    this_quarter = quarter_of(clock.today(), fiscal)
    engine = create_store_engine(server.database_url)
    with Session(engine) as session:
        director = session.exec(
            select(Person).where(Person.role == Role.director).order_by(col(Person.id))
        ).first()
        members = session.exec(select(Person).where(Person.role == Role.member)).all()
        every_days = default_config().settings.updates.stale_after_days
        owing = {
            p.id: updates_owed(
                session=session, today=clock.today(), every_days=every_days, owner_id=p.id
            )
            for p in members
        }
        # The member who owes the most updates: their list offers other items to open.
        member = max(members, key=lambda p: (len(owing[p.id]), -(p.id or 0)))
        owed = owing[member.id]
        assert director is not None and len(owed) > 1
    engine.dispose()
    page = cast("Page", browser.page)
    watch = Stopwatch(page, server.process.pid)

    _open_app(page, server.url)
    _act_as(page, director)
    main = page.get_by_test_id("stMain")
    watch.idle(3)

    # Impact: each tab, twice (the first opening and a later one).
    watch.time("impact: open the page", lambda: _open(page, "Impact", "Impact"))
    for round_ in ("first", "again"):
        for tab in ("Calibration", "Digest", "Ledger"):
            watch.time(f"impact: open {tab} ({round_})", _tab(page, tab))
            assert page.get_by_role("tab", name=tab, exact=True).get_attribute("aria-selected") == (
                "true"
            )
    watch.time("impact: open Digest", _tab(page, "Digest"))
    assert main.get_by_text("Weekly digest", exact=False).first.is_visible()

    # Roadmap: each filter.
    _open(page, "Roadmap", "Roadmap")
    watch.time("roadmap: quarter → all quarters", _choose(page, "Quarter", "All quarters"))
    watch.time(
        "roadmap: quarter → this quarter",
        _choose(page, "Quarter", f"{this_quarter} (current)"),
    )
    objective = main.get_by_role("combobox", name="Objective", exact=True)
    objective.click()
    first_objective = page.get_by_role("option").nth(1).inner_text()
    page.keyboard.press("Escape")
    _settle(page)
    watch.time("roadmap: objective", _choose(page, "Objective", first_objective))
    watch.time("roadmap: objective → all", _choose(page, "Objective", "All objectives"))
    watch.time("roadmap: owner", _choose(page, "Owner", director.name))
    watch.time("roadmap: owner → everyone", _choose(page, "Owner", "Everyone"))
    watch.time("roadmap: status", _choose(page, "Status", "In progress"))
    page.keyboard.press("Escape")  # a multiselect's list stays open after a choice
    assert "status=" in page.url

    # Goals: another quarter.
    _open(page, "Goals", "Goals")
    last_quarter = previous_quarter(this_quarter)
    watch.time("goals: quarter switch", _choose(page, "Quarter", last_quarter))
    watch.time("goals: quarter back", _choose(page, "Quarter", f"{this_quarter} (current)"))

    # Weekly planning: another framework.
    _open(page, "Weekly planning", "Weekly planning")
    scoring = default_config().scoring
    active = scoring.frameworks[scoring.active].label
    other = next(f.label for f in scoring.frameworks.values() if f.label != active)

    def button(label: str) -> Callable[[], None]:
        return lambda: main.locator("button", has_text=re.compile(rf"^{re.escape(label)}$")).click()

    watch.time("planning: framework switch", button(other))
    watch.time("planning: framework back", button(active))

    # This week, as a member: open another item's form.
    _act_as(page, member)
    _open(page, "This week", "This week")
    watch.time(
        "this week: open another item's form",
        _choose(page, "Post an update on", owed[1].title),
    )
    expect(main.get_by_role("combobox", name="Post an update on", exact=True)).to_have_value(
        owed[1].title
    )

    browser.assert_clean()
