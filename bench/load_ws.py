"""The load benchmark's default driver: each session is a tab speaking Streamlit's websocket
protocol (bench/load_ws_client.py) rather than a Chromium context.

On the two-core machine the Chromium driver's renderers take the cores the server needs, so its
figures measure Chromium as much as Quarterdeck; at the Monday review each of the thirty people
has their own browser on their own computer. A protocol tab costs this machine a few
milliseconds per message, and costs the server what a browser costs it: the first visit's HTTP
requests, every rerun a widget causes, the live-refresh fragment's reruns and, with
permessage-deflate, the compression of every message. It does not draw anything, so "settled"
here is the server's side of it: the script_finished of the run the action started, with every
message before it received.

The roles and the write checks are the Chromium driver's (bench/load_session.py): the director
opens Weekly planning, edits one score input (the data editor's value is a JSON of edited rows)
and saves; members open This week, pick an initiative they owe an update on and post one with a
note unique to the run; stakeholders open the Roadmap, then Goals. A first visit is an address
typed in; later page opens are clicks in the sidebar of the same tab. Once its rounds are done
a session stays on its page, its live refresh still ticking, until every session is done, as
the thirty tabs of the Monday review stay open.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from typing import Any

from bench.load_session import Acting, Tally, _score_input_label
from bench.load_setup import ACTION_TIMEOUT_MS, NOTE_PREFIX, LoadError, Pace, SessionPlan
from bench.load_ws_client import Run, Tab, text, trigger

LIVE_REFRESH = "live refresh"  # the fragment's reruns: reported per action, not as page waits


class WsVisitor(Acting):
    """One person in one tab, acting out their plan."""

    def __init__(
        self, *, plan: SessionPlan, base: str, tally: Tally, run_id: str, pace: Pace
    ) -> None:
        self.plan = plan
        self.tally = tally
        self.run_id = run_id
        self.pace = pace
        self.tab = Tab(base=base, query=f"as={plan.person_id}", timeout_s=ACTION_TIMEOUT_MS / 1000)
        self.tab.on_fragment = self._refreshed
        self.visited = False

    def _note(self, action: str, run: Run, *, background: bool = False) -> None:
        """Tally an action's settled time; an exception or error message on the page fails it."""
        finished = run.finished if run.finished is not None else run.sent
        started = run.started if run.started is not None else run.sent
        first = run.first_finished if run.first_finished is not None else finished
        self.tally.timings.append(
            {
                "action": action,
                "role": self.plan.role,
                "session": self.plan.index,
                "settled_ms": round((finished - run.sent) * 1000, 1),
                "script_ms": round((first - started) * 1000, 1),
                "runs": run.full_runs,
                "background": background,
            }
        )
        problems = run.problems()
        if problems:
            raise LoadError(f"{action}: {problems[0]}")

    def _refreshed(self, outcome: str, run: Run) -> None:
        """A live-refresh tick finished (a check, or a check that reran the page)."""
        if outcome.startswith("error"):
            self.tally.errors.append(f"session {self.plan.index} ({LIVE_REFRESH}): {outcome}")
            return
        try:
            self._note(f"{LIVE_REFRESH} {outcome}", run, background=True)
        except LoadError as exc:
            self.tally.errors.append(f"session {self.plan.index}: {exc}")

    async def open(self, path: str, title: str) -> None:
        """Open a page: typed in on the first visit, clicked in the sidebar afterwards."""
        run = await (self.tab.open(path) if self.visited else self.tab.visit(path))
        self.visited = True
        self._note(f"open {title}", run)
        if not self.tab.heading(title):
            raise LoadError(f"{title} did not open")

    def _one(self, kind: str, label: str) -> Any:
        found = self.tab.find(kind, label)
        if not found:
            raise LoadError(f"no {kind} “{label}” on the page")
        return found[0]

    async def member_round(self, round_: int) -> None:
        """Open This week, pick an initiative owed an update and post one."""
        await self.open("", "This week")
        await self.think()
        title = self.plan.titles[round_]
        picker = self._one("selectbox", "Post an update on")
        shown = picker.raw_value if picker.set_value else _option(picker.options, picker.default)
        if shown != title:
            if title not in picker.options:
                raise LoadError(f"“{title}” is not offered to post an update on")
            self._note("pick an initiative", await self.tab.change(text(picker.id, title)))
        note = f"{NOTE_PREFIX} {self.run_id} s{self.plan.index} r{round_}"
        forms = {b.form_id: b for b in self.tab.find("button", "Post update")}
        area = next(
            (a for a in self.tab.find("text_area", "Note (required)") if a.form_id in forms),
            None,
        )
        if area is None:
            raise LoadError("no status-update form with a note on the page")
        button = forms[area.form_id]
        run = await self.tab.change(text(area.id, note), trigger(button.id))
        self._note("post a status update", run)
        if not run.shows("Status update posted on"):
            raise LoadError("post a status update: “Status update posted on” not shown")
        self.tally.confirmed_notes.append(note)

    async def director_round(self, round_: int) -> None:
        """Open Weekly planning, change one score input in the table and save it."""
        await self.open("planning", "Weekly planning")
        await self.think()
        editors = [d for d in self.tab.find("dataframe") if d.id and d.editing_mode]
        if not editors:
            raise LoadError("the planning table is not on the page")
        editor = editors[0]
        column = _column_named(editor.columns, _score_input_label())
        row = round_ % 3
        value = _cell(editor, column, row)
        edits: dict[str, Any] = {"edited_rows": {str(row): {column: int(value) + 1}}}
        edits |= {"added_rows": [], "deleted_rows": []}
        run = await self.tab.change(text(editor.id, json.dumps(edits)))  # JSON as a string
        self._note("edit the planning table", run)
        save = self._one("button", "Save changes")
        run = await self.tab.change(trigger(save.id))
        self._note("save the planning table", run)
        if not run.shows("Saved 1 initiative"):
            raise LoadError("save the planning table: “Saved 1 initiative” not shown")
        self.tally.saves += 1


def _option(options: Sequence[str], index: int) -> str:
    return options[index] if 0 <= index < len(options) else ""


def _column_named(columns: str, label: str) -> str:
    """The data editor's column whose configured label is `label`."""
    for name, settings in json.loads(columns or "{}").items():
        if isinstance(settings, dict) and settings.get("label") == label:
            return str(name)
    raise LoadError(f"no column “{label}” in the planning table")


def _cell(editor: Any, column: str, row: int) -> float:
    """A cell of the data editor's table as the browser received it (Arrow IPC)."""
    import pyarrow as pa

    data = editor.arrow_data.data or editor.lazy_data.initial_chunk.data
    table = pa.ipc.open_stream(data).read_all()
    if column not in table.column_names or row >= table.num_rows:
        raise LoadError(f"no row {row} of “{column}” in the planning table")
    value = table.column(column)[row].as_py()
    return float(value or 0)


async def drive_ws(
    *,
    base: str | Sequence[str],
    server_pid: int,
    plans: Sequence[SessionPlan],
    rounds: int,
    run_id: str,
    tally: Tally,
    pace: Pace,
) -> dict[str, float]:
    """All sessions as protocol tabs from one asyncio loop; returns this client's CPU seconds.
    Given several servers (app processes on one store), session i stays on server i mod n, as a
    proxy with sticky sessions keeps each browser tab on one process."""
    del server_pid
    bases = [base] if isinstance(base, str) else list(base)
    for url in bases:
        # A first visitor before the measured ones, as the Chromium driver has (a fresh
        # server's first session is slower and once lost its first widget change).
        warm = Tab(base=url, query=f"as={plans[0].person_id}", timeout_s=ACTION_TIMEOUT_MS / 1000)
        try:
            await warm.visit("")
        finally:
            await warm.close()
    visitors = [
        WsVisitor(plan=plan, base=bases[n % len(bases)], tally=tally, run_id=run_id, pace=pace)
        for n, plan in enumerate(plans)
    ]

    async def session(visitor: WsVisitor) -> None:
        await asyncio.sleep(visitor.plan.index * pace.apart(len(plans)))
        await visitor.run(rounds)

    own = os.times()
    try:
        await asyncio.gather(*(session(v) for v in visitors))
    finally:
        for visitor in visitors:  # every tab stayed open (and refreshing) until all were done
            await visitor.tab.close()
    spent = os.times()
    return {"client_cpu_seconds": spent.user + spent.system - own.user - own.system}
