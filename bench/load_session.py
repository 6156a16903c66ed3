"""One session of the load benchmark: a browser visitor acting out its plan and tallying what each
action took."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.app_process import CHROMIUM, CHROMIUM_ARGS
from bench.load_setup import (
    ACTION_TIMEOUT_MS,
    HEADER_PX,
    MARK_JS,
    NOTE_PREFIX,
    PROBLEM_SELECTORS,
    QUIET_MS,
    ROW_PX,
    SETTLED_JS,
    SHOTS_ENV,
    VIEWPORT,
    WATCH_JS,
    LoadError,
    Pace,
    SessionPlan,
    cpu_seconds,
)

# --- one session -------------------------------------------------------------------------------


@dataclass
class Tally:
    """What every session saw, gathered as they run."""

    timings: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    confirmed_notes: list[str] = field(default_factory=list)
    saves: int = 0


class Acting:
    """What every session does whatever drives it: its role's rounds with a reading pause
    between them, the stakeholder's round, and a failed action counted as an error."""

    plan: SessionPlan
    tally: Tally
    pace: Pace

    async def open(self, path: str, heading: str) -> None:
        """Open a page and wait for it to settle (each driver its own way)."""
        raise NotImplementedError

    async def member_round(self, round_: int) -> None:
        """Open This week and post a status update (each driver its own way)."""
        raise NotImplementedError

    async def director_round(self, round_: int) -> None:
        """Edit and save the planning table (each driver its own way)."""
        raise NotImplementedError

    async def failed(self, round_: int) -> None:
        """What a driver does once an action has failed (nothing by default)."""
        del round_

    async def think(self) -> None:
        """Pause as a person reading the page would."""
        await asyncio.sleep(self.pace.think_s * random.uniform(0.5, 1.5))

    async def stakeholder_round(self, round_: int) -> None:
        """Open the Roadmap, then Goals."""
        del round_
        await self.open("roadmap", "Roadmap")
        await self.think()
        await self.open("goals", "Goals")

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
                await self.failed(round_)
                return
            await self.think()


class Visitor(Acting):
    """One browser context acting as one person."""

    def __init__(
        self,
        *,
        context: Any,
        page: Any,
        plan: SessionPlan,
        base: str,
        tally: Tally,
        run_id: str,
        pace: Pace,
    ) -> None:
        self.pace = pace
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
            for _ in range(10):
                await page.mouse.click(box["x"] + 10, box["y"] + HEADER_PX + row * ROW_PX + 17)
                for key in ["ArrowLeft"] * (column + 3) + ["ArrowRight"] * column:
                    await page.keyboard.press(key)  # from the first column, wherever the click was
                if await _becomes(cell, "aria-selected", "true"):
                    break
                await asyncio.sleep(0.5)  # let a redraw in progress finish before trying again
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

    async def failed(self, round_: int) -> None:
        """Keep what the page showed when an action failed, if asked to."""
        shots = os.environ.get(SHOTS_ENV)
        if shots:  # what the page showed when the action failed, for the one reading
            Path(shots).mkdir(parents=True, exist_ok=True)
            name = f"load-{self.run_id}-s{self.plan.index}-r{round_}.png"
            with contextlib.suppress(Exception):  # a page too busy to draw is no fault
                await self.page.screenshot(
                    path=str(Path(shots) / name), full_page=True, timeout=15_000
                )


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
    pace: Pace,
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
                        context=context,
                        page=page,
                        plan=plan,
                        base=base,
                        tally=tally,
                        run_id=run_id,
                        pace=pace,
                    )
                )

            async def start(visitor: Visitor) -> None:
                await asyncio.sleep(visitor.plan.index * pace.apart(len(plans)))
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
