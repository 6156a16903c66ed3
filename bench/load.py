"""Concurrent sessions against the real server (``python -m planning bench --load 5,10,20,30``).

For each number of sessions the tool copies the scale's store (built as bench/run.py builds it),
starts ``streamlit run server.py`` on it on a free port, as scripts/start.sh does, and drives that
many sessions at once from one headless Chromium (Debian's package), one browser context per
session, all from one asyncio loop:

- one director opens Weekly planning, edits one score input in the planning table and saves it;
- members (every other session) open This week, pick one of the initiatives they owe an update
  on and post a status update; sessions acting as the same person pick different initiatives, so
  a refused post is a fault rather than two people editing the same record;
- stakeholders (the rest) open the Roadmap, then Goals.

Each session repeats its round a few times with a pause between actions, as a person reading the
page would. Real browser contexts were chosen over speaking Streamlit's websocket protocol: the
protocol is internal to Streamlit (its messages change between versions) and a protocol client
would skip what a visitor's browser costs the server (static files, the host-config and health
probes, component iframes, the reruns that widget values and the live-refresh fragment cause),
so its numbers would flatter the server. The price is that Chromium runs on the same cores as the
server; its CPU time is reported beside the server's.

A page is settled when a script run started after the action, the app is marked
``data-test-script-state="notRunning"`` and nothing on the page has changed for QUIET_MS; the
time reported is from the action (for an address typed in, the navigation's start) to the later
of the run's end and the last change on screen, read on the page's own clock. Writes are counted:
every status update the browser saw confirmed carries a note unique to the run, and after the
server stops the store is searched for each one; a confirmed update not found is a lost write.
Server CPU is the user and system time of the server process and its children over the run;
memory is their summed resident set, sampled twice a second, the peak above the idle server's
divided by the number of sessions. The machine's load average is noted before and after each
step, because every other process on these cores shows up in every timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = PROJECT_DIR / "server.py"
CHROMIUM = os.environ.get("QUARTERDECK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Issue 22's budget on the two-core machine at the large scale.
LOAD_SESSIONS = 30
LOAD_P95_LIMIT_MS = 2000.0
DEFAULT_STEPS = (5, 10, 20, 30)
ROUNDS = 3
THINK_S = 1.0  # a person's pause between actions (± half of it, at random)
STAGGER_S = 0.2  # sessions arrive this far apart
QUIET_MS = 500
ACTION_TIMEOUT_MS = 60_000
START_TIMEOUT_S = 90.0
NOTE_PREFIX = "Load check"
SHOTS_ENV = "QUARTERDECK_LOAD_SHOTS"  # a folder for a screenshot of each failed action
VIEWPORT: Any = {"width": 1280, "height": 900}
ROW_PX = 35  # the data editor's row and header heights
HEADER_PX = 35

# Installed in every document before its scripts run: notes, on the page's clock, each change of
# the app's script state and the time anything on the page last changed.
WATCH_JS = """(() => {
  const qd = {changes: [], drawn: 0, mark: 0};
  window.__qd = qd;
  let app = null;
  let state = null;
  const note = () => {
    const now = performance.now();
    qd.drawn = now;
    if (!app || !app.isConnected) app = document.querySelector('[data-testid="stApp"]');
    const current = app ? app.dataset.testScriptState : null;
    if (current !== state) { state = current; qd.changes.push([now, current]); }
  };
  new MutationObserver(note).observe(document, {
    childList: true, subtree: true, attributes: true, characterData: true,
  });
})();"""

SETTLED_JS = """(quiet) => {
  const qd = window.__qd;
  const app = document.querySelector('[data-testid="stApp"]');
  if (!qd || !app) return false;
  const since = qd.changes.filter(([t]) => t >= qd.mark);
  if (!since.some(([, s]) => s === 'running')) return false;
  if (app.dataset.testScriptState !== 'notRunning') return false;
  const ended = since.filter(([, s]) => s === 'notRunning').map(([t]) => t).pop() || qd.mark;
  const last = Math.max(ended, qd.drawn);
  if (performance.now() - last < quiet) return false;
  return {settled_ms: last - qd.mark, script_ms: ended - qd.mark};
}"""

MARK_JS = "() => { window.__qd.mark = performance.now(); }"

PROBLEM_SELECTORS = {
    "exception": '[data-testid="stException"]',
    "error message": '[data-testid="stAlertContentError"]',
}


class LoadError(RuntimeError):
    """The load run could not start (no browser, the server did not come up)."""


# --- who does what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPlan:
    """One visitor: a role, the person acted as and, for a member, the initiatives to update."""

    index: int
    role: str
    person_id: int
    titles: tuple[str, ...] = ()


def plan_sessions(
    *, url: str, config_dir: Path, sessions: int, rounds: int, today: Any
) -> list[SessionPlan]:
    """Session 0 is the director; odd sessions are members, even ones stakeholders. Members
    owing updates are taken in turn and their owed initiatives dealt out so that no two sessions
    post on the same one."""
    from sqlmodel import Session, col, select

    from planning.config import load_config
    from planning.reports.this_week import updates_owed
    from planning.store.engine import create_store_engine, read_engine
    from planning.store.models import Person, Role

    every_days = load_config(config_dir).settings.updates.stale_after_days
    engine = create_store_engine(url)
    try:
        with Session(read_engine(engine)) as session:
            people = session.exec(
                select(Person).where(Person.active == True).order_by(col(Person.id))  # noqa: E712
            ).all()
            by_role: dict[Role, list[int]] = {}
            for person in people:
                by_role.setdefault(person.role, []).append(int(person.id or 0))
            owed = {
                pid: [
                    o.title
                    for o in updates_owed(
                        session=session, today=today, every_days=every_days, owner_id=pid
                    )
                ]
                for pid in by_role.get(Role.member, [])
            }
    finally:
        engine.dispose()
    members = [pid for pid in owed if len(owed[pid]) >= rounds]
    if not by_role.get(Role.director) or not by_role.get(Role.stakeholder) or not members:
        raise LoadError("the store needs a director, a stakeholder and members owing updates")
    stakeholders = by_role[Role.stakeholder]
    member_sessions = [k for k in range(1, sessions) if k % 2 == 1]
    sharing: dict[int, list[int]] = {}
    for n, k in enumerate(member_sessions):
        sharing.setdefault(members[n % len(members)], []).append(k)
    plans = [SessionPlan(index=0, role="director", person_id=by_role[Role.director][0])]
    for k in range(1, sessions):
        if k % 2 == 0:
            plans.append(
                SessionPlan(
                    index=k, role="stakeholder", person_id=stakeholders[k % len(stakeholders)]
                )
            )
            continue
        member = next(pid for pid, ks in sharing.items() if k in ks)
        slot, share = sharing[member].index(k), len(sharing[member])
        titles = owed[member][slot::share][:rounds]
        if len(titles) < rounds:
            raise LoadError(f"member {member} owes too few updates for {share} sessions")
        plans.append(SessionPlan(index=k, role="member", person_id=member, titles=tuple(titles)))
    return plans


# --- the server and its resources --------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running `streamlit run server.py`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(*, database_url: str, config_dir: Path, log: Path) -> Server:
    """Start the app as scripts/start.sh does, on a free port; wait until it answers."""
    port = free_port()
    env = {
        **os.environ,
        "QUARTERDECK_DATABASE_URL": database_url,
        "QUARTERDECK_CONFIG_DIR": str(config_dir),
        "QUARTERDECK_DEMO": "0",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(SERVER_SCRIPT),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return Server(url=url, process=process, log=log)
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    tail = log.read_text(errors="replace").strip().splitlines()[-5:]
    raise LoadError(f"the app server did not start: {' | '.join(tail)}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server this tool started (its own process id only)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _family(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its descendants so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for member in _family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks
    return total


def rss_mb(pid: int) -> float:
    """The summed resident set of a process and its descendants, in MB."""
    total = 0.0
    for member in _family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
                    break
        except OSError:
            continue
    return total


def load_average() -> list[float]:
    """The machine's 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


# --- one session -------------------------------------------------------------------------------


@dataclass
class Tally:
    """What every session saw, gathered as they run."""

    timings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    confirmed_notes: list[str] = field(default_factory=list)
    saves: int = 0


class Visitor:
    """One browser context acting as one person."""

    def __init__(
        self, *, context: Any, page: Any, plan: SessionPlan, base: str, tally: Tally, run_id: str
    ) -> None:
        self.context = context
        self.page = page
        self.plan = plan
        self.base = base
        self.tally = tally
        self.run_id = run_id

    async def settled(self, action: str, started: float) -> dict[str, Any]:
        """Wait for the page to settle after an action and note how long it took."""
        handle = await self.page.wait_for_function(
            SETTLED_JS, arg=QUIET_MS, timeout=ACTION_TIMEOUT_MS, polling=50
        )
        measured = await handle.json_value()
        entry = {
            "action": action,
            "role": self.plan.role,
            "session": self.plan.index,
            "settled_ms": round(float(measured["settled_ms"]), 1),
            "script_ms": round(float(measured["script_ms"]), 1),
            "wall_ms": round((time.perf_counter() - started) * 1000 - QUIET_MS, 1),
        }
        self.tally.timings.append(entry)
        for what, selector in PROBLEM_SELECTORS.items():
            shown = self.page.locator(selector)
            if await shown.count():
                text = (await shown.first.inner_text()).strip().splitlines()
                raise LoadError(f"{what}: {text[0][:120] if text else ''}")
        return entry

    async def open(self, path: str, heading: str) -> None:
        """Type the page's address (acting as the plan's person) and wait for it to settle."""
        started = time.perf_counter()
        # Not waiting for the load event: the settled page is the measure, and under load the
        # event can come long after the page has drawn.
        await self.page.goto(f"{self.base}/{path}?as={self.plan.person_id}", wait_until="commit")
        await self.settled(f"open {heading}", started)
        title = self.page.get_by_role("heading", name=heading, level=1)
        if not await title.count():
            raise LoadError(f"{heading} did not open")

    async def act(self, action: str, do: Callable[[], Any], expect: str | None = None) -> None:
        """Mark the page's clock, do something that reruns the script, and wait to settle."""
        await self.page.evaluate(MARK_JS)
        started = time.perf_counter()
        await do()
        if expect is not None:
            try:
                await self.page.get_by_text(expect, exact=False).first.wait_for(
                    timeout=ACTION_TIMEOUT_MS
                )
            except Exception:
                raise LoadError(f"{action}: “{expect}” not shown") from None
        await self.settled(action, started)

    async def think(self) -> None:
        """Pause as a person reading the page would."""
        await asyncio.sleep(THINK_S * random.uniform(0.5, 1.5))

    async def member_round(self, round_: int) -> None:
        """Open This week, pick an initiative owed an update and post one."""
        await self.open("", "This week")  # the landing page has the bare address
        await self.think()
        main = self.page.get_by_test_id("stMain")
        title = self.plan.titles[round_]
        picker = main.get_by_role("combobox", name="Post an update on", exact=True)
        if await picker.input_value() != title:

            async def pick() -> None:
                await picker.click()
                await picker.fill(title)
                await self.page.get_by_role("option", name=title, exact=True).click()

            await self.act("pick an initiative", pick)
        note = f"{NOTE_PREFIX} {self.run_id} s{self.plan.index} r{round_}"
        form = main.get_by_test_id("stForm").filter(
            has=self.page.get_by_role("button", name="Post update")
        )
        await form.get_by_role("textbox", name="Note (required)").fill(note)
        await self.act(
            "post a status update",
            lambda: form.get_by_role("button", name="Post update").click(),
            expect="Status update posted on",
        )
        self.tally.confirmed_notes.append(note)

    async def stakeholder_round(self, round_: int) -> None:
        """Open the Roadmap, then Goals."""
        del round_
        await self.open("roadmap", "Roadmap")
        await self.think()
        await self.open("goals", "Goals")

    async def director_round(self, round_: int) -> None:
        """Open Weekly planning, change one score input in the table and save it."""
        await self.open("planning", "Weekly planning")
        await self.think()
        page = self.page
        grid = page.get_by_test_id("stDataFrame").first
        canvas = grid.get_by_test_id("data-grid-canvas")
        await canvas.wait_for(state="attached", timeout=ACTION_TIMEOUT_MS)
        box = None
        for _ in range(ACTION_TIMEOUT_MS // 100):  # a rerun may be redrawing the table
            box = await canvas.bounding_box()
            if box is not None and box["height"] > HEADER_PX:
                break
            await asyncio.sleep(0.1)
        if box is None:
            raise LoadError("the planning table is not on screen")
        column = await self._column_index(grid, _score_input_label())
        row = round_ % 3
        cell = grid.get_by_test_id(f"glide-cell-{column}-{row}")
        value = float((await cell.inner_text()).replace(",", "").strip() or 0)
        new_value = int(value) + 1

        async def edit() -> None:
            # A rerun (the live refresh after someone else's write) can redraw the table while
            # the cursor moves; the move is checked and made again until it lands on the cell.
            for _ in range(5):
                await page.mouse.click(box["x"] + 10, box["y"] + HEADER_PX + row * ROW_PX + 17)
                for key in ["ArrowLeft"] * (column + 3) + ["ArrowRight"] * column:
                    await page.keyboard.press(key)  # from the first column, wherever the click was
                if await _becomes(cell, "aria-selected", "true"):
                    break
            else:
                raise LoadError("could not select the score input in the planning table")
            await page.keyboard.press("Enter")
            editor = page.locator("#portal input.gdg-input")
            await editor.wait_for(timeout=ACTION_TIMEOUT_MS)
            await editor.fill(str(new_value))
            await editor.press("Enter")

        await self.act("edit the planning table", edit)
        await self.act(
            "save the planning table",
            lambda: page.get_by_role("button", name="Save changes").click(),
            expect="Saved 1 initiative",
        )
        self.tally.saves += 1

    async def _column_index(self, grid: Any, header: str) -> int:
        """The zero-based index of a column, read from the grid's accessible mirror (which
        follows the drawn canvas by a moment)."""
        deadline = time.monotonic() + 10
        while True:
            for th in await grid.locator('th[role="columnheader"]').all():
                if (await th.inner_text()).strip() == header:
                    return int(await th.get_attribute("aria-colindex") or 0) - 1
            if time.monotonic() > deadline:
                raise LoadError(f"no column {header!r} in the planning table")
            await asyncio.sleep(0.2)

    async def run(self, rounds: int) -> None:
        """Every round of this session's role; a failed action ends the session."""
        step = {
            "director": self.director_round,
            "member": self.member_round,
            "stakeholder": self.stakeholder_round,
        }[self.plan.role]
        for round_ in range(rounds):
            try:
                await step(round_)
            except Exception as exc:  # every failure is counted, none stops the others
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                self.tally.errors.append(f"session {self.plan.index} ({self.plan.role}): {message}")
                shots = os.environ.get(SHOTS_ENV)
                if shots:  # what the page showed when the action failed, for the one reading
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    name = f"load-{self.run_id}-s{self.plan.index}-r{round_}.png"
                    with contextlib.suppress(Exception):  # a page too busy to draw is no fault
                        await self.page.screenshot(
                            path=str(Path(shots) / name), full_page=True, timeout=15_000
                        )
                return
            await self.think()


async def _becomes(locator: Any, attribute: str, value: str, seconds: float = 2.0) -> bool:
    """Whether the attribute takes the value within a few seconds (the grid's mirror lags)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await locator.get_attribute(attribute) == value:
            return True
        await asyncio.sleep(0.1)
    return False


def _score_input_label() -> str:
    """The label of the active framework's first input typed as a number (not a scale)."""
    from planning.config import default_config

    scoring = default_config().scoring
    framework = scoring.frameworks[scoring.active]
    return next(s.label for s in framework.inputs.values() if s.scale is None)


async def _drive(
    *,
    base: str,
    server_pid: int,
    plans: Sequence[SessionPlan],
    rounds: int,
    run_id: str,
    tally: Tally,
) -> dict[str, float]:
    """All sessions at once from one browser; returns the browser's CPU seconds."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # A first visitor before the measured ones: a fresh server's first session loses
            # its first widget change (see tests/browser/test_journeys.py's _open_app).
            warm = await browser.new_context(viewport=VIEWPORT)
            first = await warm.new_page()
            await first.goto(base)
            await first.wait_for_function(
                "() => document.querySelector('[data-testid=\"stApp\"]')"
                "?.dataset.testScriptState === 'notRunning'",
                timeout=ACTION_TIMEOUT_MS,
            )
            await warm.close()
            visitors = []
            for plan in plans:
                context = await browser.new_context(viewport=VIEWPORT)
                await context.add_init_script(WATCH_JS)
                page = await context.new_page()
                page.set_default_timeout(ACTION_TIMEOUT_MS)
                page.on("pageerror", _page_error(tally, plan.index))
                page.on(
                    "console",
                    lambda message: (
                        tally.console.append(message.text[:200])
                        if message.type == "error" and "404" not in message.text
                        else None
                    ),
                )
                visitors.append(
                    Visitor(
                        context=context, page=page, plan=plan, base=base, tally=tally, run_id=run_id
                    )
                )

            async def start(visitor: Visitor) -> None:
                await asyncio.sleep(visitor.plan.index * STAGGER_S)
                await visitor.run(rounds)

            browser_cpu = _browser_cpu(server_pid)
            await asyncio.gather(*(start(v) for v in visitors))
            browser_cpu = _browser_cpu(server_pid) - browser_cpu
            for visitor in visitors:
                await visitor.context.close()
        finally:
            await browser.close()
    return {"browser_cpu_seconds": browser_cpu}


def _page_error(tally: Tally, index: int) -> Callable[[Any], None]:
    """A listener counting a page's uncaught script errors as the session's errors."""

    def note(error: Any) -> None:
        tally.errors.append(f"session {index}: page error {error}")

    return note


def _browser_cpu(server_pid: int) -> float:
    """CPU seconds of the processes this one started other than the server (Playwright's driver
    and the browser)."""
    own = os.times()
    return cpu_seconds(os.getpid()) - cpu_seconds(server_pid) - own.user - own.system


# --- one step and the whole run ----------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (share in 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return float(ordered[rank - 1])


def _summary(values: Sequence[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def found_notes(*, url: str, run_id: str) -> set[str]:
    """The notes of this run's status updates that are in the store."""
    from sqlmodel import Session, col, select

    from planning.store.engine import create_store_engine
    from planning.store.models import StatusUpdate

    engine = create_store_engine(url)
    try:
        with Session(engine) as session:
            notes = session.exec(
                select(StatusUpdate.note).where(
                    col(StatusUpdate.note).startswith(f"{NOTE_PREFIX} {run_id} ")
                )
            ).all()
    finally:
        engine.dispose()
    return {str(n) for n in notes}


def measure_step(
    *,
    store: Path,
    config_dir: Path,
    directory: Path,
    sessions: int,
    rounds: int,
    today: Any,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Copy the store, start the server, drive `sessions` sessions, stop it, count the writes."""
    copy = directory / f"load-{sessions}.db"
    shutil.copy(store, copy)
    url = f"sqlite:///{copy}"
    plans = plan_sessions(
        url=url, config_dir=config_dir, sessions=sessions, rounds=rounds, today=today
    )
    run_id = uuid.uuid4().hex[:8]
    tally = Tally()
    before = load_average()
    server = start_server(
        database_url=url, config_dir=config_dir, log=directory / f"server-{sessions}.log"
    )
    samples: list[float] = []
    try:
        pid = server.process.pid
        idle_rss = rss_mb(pid)

        async def main() -> dict[str, float]:
            done = asyncio.Event()

            async def sample() -> None:
                while not done.is_set():
                    samples.append(rss_mb(pid))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            try:
                return await _drive(
                    base=server.url,
                    server_pid=pid,
                    plans=plans,
                    rounds=rounds,
                    run_id=run_id,
                    tally=tally,
                )
            finally:
                done.set()
                await sampler

        cpu = cpu_seconds(pid)
        began = time.perf_counter()
        browser = asyncio.run(main())
        seconds = time.perf_counter() - began
        cpu = cpu_seconds(pid) - cpu
        hwm = _vm_hwm(pid)
    finally:
        stop_server(server.process)
    after = load_average()
    found = found_notes(url=url, run_id=run_id)
    copy.unlink(missing_ok=True)
    lost = [n for n in tally.confirmed_notes if n not in found]
    settled = [float(t["settled_ms"]) for t in tally.timings]
    actions: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(t["action"] for t in tally.timings):
        actions[name] = _summary([t["settled_ms"] for t in tally.timings if t["action"] == name])
    peak = max([idle_rss, *samples])
    result: dict[str, Any] = {
        "sessions": sessions,
        "roles": {
            role: sum(1 for p in plans if p.role == role)
            for role in ("director", "member", "stakeholder")
        },
        "rounds": rounds,
        "settled": _summary(settled),
        "actions": actions,
        "errors": tally.errors,
        "console_errors": tally.console[:20],
        "status_updates_confirmed": len(tally.confirmed_notes),
        "status_updates_found": len(found),
        "lost_writes": len(lost),
        "planning_saves": tally.saves,
        "seconds": round(seconds, 1),
        "server_cpu_seconds": round(cpu, 2),
        "server_cpu_seconds_per_session": round(cpu / sessions, 2),
        "browser_cpu_seconds": round(browser["browser_cpu_seconds"], 2),
        "server_idle_rss_mb": round(idle_rss, 1),
        "server_peak_rss_mb": round(peak, 1),
        "server_vm_hwm_mb": round(hwm, 1),
        "server_rss_mb_per_session": round((peak - idle_rss) / sessions, 1),
        "load_average_before": before,
        "load_average_after": after,
    }
    log(
        f"  {sessions} sessions: p50 {result['settled'].get('p50_ms')} ms, p95 "
        f"{result['settled'].get('p95_ms')} ms, {len(tally.errors)} errors, {len(lost)} lost "
        f"writes (load average {before[0]:.2f} → {after[0]:.2f})"
    )
    return result


def _vm_hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def knee(steps: Sequence[dict[str, Any]]) -> int | None:
    """The fewest sessions at which p95 settled passes the budget (None: not within the steps)."""
    for step in sorted(steps, key=lambda s: int(s["sessions"])):
        if float(step["settled"].get("p95_ms", float("inf"))) > LOAD_P95_LIMIT_MS:
            return int(step["sessions"])
    return None


def run_load(
    *,
    store: Path,
    config_dir: Path,
    directory: Path,
    steps: Sequence[int],
    rounds: int = ROUNDS,
    today: Any,
    log: Callable[[str], None],
    measured_step: Callable[[dict[str, Any]], None] = lambda section: None,
) -> dict[str, Any]:
    """Every step in turn on a fresh copy of the store; the load section of the bench JSON
    (also handed to `measured_step` after each step, so a long run keeps what it measured)."""
    if not Path(CHROMIUM).exists():
        raise LoadError(f"{CHROMIUM} is missing (Debian's chromium package)")
    measured: list[dict[str, Any]] = []
    for sessions in steps:
        if measured:
            measured_step(_section(measured))
        log(f"  driving {sessions} concurrent sessions…")
        measured.append(
            measure_step(
                store=store,
                config_dir=config_dir,
                directory=directory,
                sessions=sessions,
                rounds=rounds,
                today=today,
                log=log,
            )
        )
    return _section(measured)


def _section(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """The load section of the bench JSON for the steps measured so far."""
    return {
        "budget": {"sessions": LOAD_SESSIONS, "p95_settled_ms": LOAD_P95_LIMIT_MS},
        "quiet_ms": QUIET_MS,
        "think_s": THINK_S,
        "cpu_count": os.cpu_count(),
        "steps": measured,
        "knee_sessions": knee(measured),
    }


def load_checks(section: dict[str, Any]) -> list[Any]:
    """The load section's figures as rows of the bench table (bench.run.Check)."""
    from bench.run import Check

    found: list[Check] = []
    for step in section["steps"]:
        sessions = int(step["sessions"])
        roles = step["roles"]
        who = f"{roles['director']} director, {roles['member']} members, "
        who += f"{roles['stakeholder']} stakeholders"
        settled = step["settled"]
        p95 = float(settled.get("p95_ms", float("inf")))
        before, after = step["load_average_before"][0], step["load_average_after"][0]
        budgeted = sessions <= int(section["budget"]["sessions"])
        found.append(
            Check(
                f"load, {sessions} sessions ({who}): settled page p95",
                f"{p95:.0f} ms (p50 {float(settled.get('p50_ms', 0)):.0f} ms, "
                f"{settled.get('count', 0)} waits; load avg {before:.1f}→{after:.1f})",
                f"≤ {LOAD_P95_LIMIT_MS:.0f} ms" if budgeted else "(beyond the budget)",
                p95 <= LOAD_P95_LIMIT_MS or not budgeted,
                cpu=f"server {float(step['server_cpu_seconds']):.0f} s",
            )
        )
        for action, figures in step["actions"].items():
            found.append(
                Check(
                    f"load, {sessions} sessions: {action}, p50 / p95",
                    f"{float(figures['p50_ms']):.0f} / {float(figures['p95_ms']):.0f} ms",
                    "(per action)",
                    True,
                )
            )
        errors = step["errors"]
        found.append(
            Check(
                f"load, {sessions} sessions: errors",
                f"{len(errors)}" + (f" ({errors[0][:60]})" if errors else ""),
                "0",
                not errors,
            )
        )
        found.append(
            Check(
                f"load, {sessions} sessions: lost status updates",
                f"{step['lost_writes']} of {step['status_updates_confirmed']} confirmed",
                "0",
                int(step["lost_writes"]) == 0,
            )
        )
        found.append(
            Check(
                f"load, {sessions} sessions: server CPU and memory per session",
                f"{float(step['server_cpu_seconds_per_session']):.1f} s, "
                f"{float(step['server_rss_mb_per_session']):.0f} MB "
                f"(peak {float(step['server_peak_rss_mb']):.0f} MB)",
                "(reference)",
                True,
            )
        )
    knee_at = section.get("knee_sessions")
    found.append(
        Check(
            "load: knee (fewest sessions with p95 over budget)",
            "not reached" if knee_at is None else f"{knee_at} sessions",
            f"> {section['budget']['sessions']} sessions",
            knee_at is None or int(knee_at) > int(section["budget"]["sessions"]),
        )
    )
    return found


def store_counts(url: str) -> dict[str, int]:
    """How many of the records the load touches the store holds."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from planning.store.engine import create_store_engine
    from planning.store.models import Initiative, KeyResult, Observation, Person, StatusUpdate

    engine = create_store_engine(url)
    try:
        with Session(engine) as session:
            return {
                name: int(session.execute(select(func.count()).select_from(model)).scalar_one())
                for name, model in (
                    ("observations", Observation),
                    ("people", Person),
                    ("key_results", KeyResult),
                    ("initiatives", Initiative),
                    ("status_updates", StatusUpdate),
                )
            }
    finally:
        engine.dispose()


def run_load_benchmark(
    *,
    scale: Any,
    steps: Sequence[int],
    out: Path | None = None,
    keep: Path | None = None,
    rounds: int = ROUNDS,
    today: Any = None,
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> dict[str, Any]:
    """Build the scale's store (or reuse the one `keep` holds), run every step, and write the
    load section into `out` (beside the other measurements when `out` holds a run of the same
    scale)."""
    import json
    import tempfile

    from bench.run import build_data_set
    from planning import clock

    today = today or clock.today()
    with tempfile.TemporaryDirectory(prefix="quarterdeck-load-") as scratch:
        directory = keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        store, config_dir = directory / "bench.db", directory / "config"
        if store.exists() and (config_dir / "metrics.yaml").exists():
            log(f"using the store in {directory}")
        else:
            log(f"building the {scale.name} data set in {directory}")
            build_data_set(directory=directory, scale=scale, today=today, log=log)
        counts = store_counts(f"sqlite:///{store}")
        earlier: Any = None
        if out is not None and out.exists():
            try:
                earlier = json.loads(out.read_text(encoding="utf-8"))
            except ValueError:
                earlier = None

        def result_of(section: dict[str, Any]) -> dict[str, Any]:
            return {
                "scale": scale.name,
                "measured_at": clock.wall_time().astimezone().isoformat(timespec="seconds"),
                "today": today.isoformat(),
                "cpu_count": os.cpu_count(),
                "load_average": load_average(),
                "counts": counts,
                "load": section,
            }

        def write(section: dict[str, Any]) -> None:
            if out is None:
                return
            out.parent.mkdir(parents=True, exist_ok=True)
            written = result_of(section)
            if isinstance(earlier, dict) and earlier.get("scale") == scale.name:
                written = {**earlier, "load": section}
            out.write_text(json.dumps(written, indent=2) + "\n", encoding="utf-8")

        section = run_load(
            store=store,
            config_dir=config_dir,
            directory=directory,
            steps=steps,
            rounds=rounds,
            today=today,
            log=log,
            measured_step=write,
        )
    write(section)
    return result_of(section)
