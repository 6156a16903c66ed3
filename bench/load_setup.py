"""The load benchmark's constants, who does what in each session, and the server it runs against
with the resources it reads (CPU, memory, load average)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.app_process import answers, free_port, launch_app, stop_process
from bench.data_set import active_people

# Issue 22's budget on the two-core machine at the large scale.
LOAD_SESSIONS = 30
LOAD_P95_LIMIT_MS = 2000.0
DEFAULT_STEPS = (5, 10, 20, 30)
ROUNDS = 3
# The Monday review's pace (issue 22): the sessions arrive spread over a minute, and a person
# reads a page for a few seconds (± half of it, at random) before the next action. The earlier,
# harsher pace (sessions 0.2 s apart, a second's pause) is `--arrive-over 0.2*N --think 1`.
ARRIVE_OVER_S = 60.0
THINK_S = 5.0
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


@dataclass(frozen=True)
class Pace:
    """How fast the sessions come and act: all arrive within `arrive_over_s` seconds, evenly
    spread, and pause about `think_s` seconds between actions."""

    arrive_over_s: float = ARRIVE_OVER_S
    think_s: float = THINK_S

    def apart(self, sessions: int) -> float:
        """Seconds between one session's arrival and the next."""
        return self.arrive_over_s / max(1, sessions)


MONDAY = Pace()  # the review's pace, the default


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
    from sqlmodel import Session

    from planning.config import load_config
    from planning.reports.this_week import updates_owed
    from planning.store.engine import create_store_engine, read_engine
    from planning.store.models import Role

    every_days = load_config(config_dir).settings.updates.stale_after_days
    engine = create_store_engine(url)
    try:
        with Session(read_engine(engine)) as session:
            people = active_people(session)
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


@dataclass
class Server:
    """A running `streamlit run server.py`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_server(
    *, database_url: str, config_dir: Path, log: Path, profile: Path | None = None
) -> Server:
    """Start the app as scripts/start.sh does, on a free port; wait until it answers. With
    `profile`, the server runs under bench/load_profile.py's sampler, writing there."""
    port = free_port()
    env = {
        **os.environ,
        "QUARTERDECK_DATABASE_URL": database_url,
        "QUARTERDECK_CONFIG_DIR": str(config_dir),
        "QUARTERDECK_DEMO": "0",
    }
    runner = ("-m", "streamlit") if profile is None else ("-m", "bench.load_profile", str(profile))
    process = launch_app(port=port, env=env, log=log, runner=runner)
    url = f"http://127.0.0.1:{port}"
    if answers(f"{url}/_stcore/health", process, seconds=START_TIMEOUT_S):
        return Server(url=url, process=process, log=log)
    stop_server(process)
    tail = log.read_text(errors="replace").strip().splitlines()[-5:]
    raise LoadError(f"the app server did not start: {' | '.join(tail)}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server this tool started (its own process id only)."""
    stop_process(process, seconds=15)


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
