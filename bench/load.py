"""Concurrent sessions against the real server (``python -m planning bench --load 5,10,20,30``).

For each number of sessions the tool copies the scale's store (built as bench/run.py builds it),
starts ``streamlit run server.py`` on it on a free port, as scripts/start.sh does, and drives that
many sessions at once from one asyncio loop:

- one director opens Weekly planning, edits one score input in the planning table and saves it;
- members (every other session) open This week, pick one of the initiatives they owe an update
  on and post a status update; sessions acting as the same person pick different initiatives, so
  a refused post is a fault rather than two people editing the same record;
- stakeholders (the rest) open the Roadmap, then Goals.

Two drivers play the sessions (``--load-client``). ``ws``, the default, is a tab speaking
Streamlit's websocket protocol (bench/load_ws.py): it costs the server what a browser costs it
(the first visit's HTTP requests and static files, every rerun a widget causes, the live-refresh
fragment's reruns) and costs this machine next to nothing, so the figures are the server's, as
on the Monday review where each of the thirty people has their own browser on their own
computer. ``chromium`` is one headless Chromium (Debian's package) with a browser context per
session (bench/load_session.py): the whole stack down to the drawn page, but on a two-core
machine its renderers take the cores the server needs (5 sessions drove the load average past
11), so its figures measure Chromium as much as Quarterdeck. Its CPU time is reported beside the
server's, as is the protocol client's.

The pace is the review's (issue 22: "thirty people open the Roadmap and This week within a
minute while owners post updates"): the sessions arrive evenly spread over ``--arrive-over``
seconds (60) and each pauses about ``--think`` seconds (5, ± half at random) between actions, the
time it takes to read a page before acting on it. Three rounds each; a protocol tab then stays
on its page, its live refresh ticking, until every session is done, as the thirty tabs stay open.
The earlier, harsher pace (sessions 0.2 s apart, a second's pause) is
``--arrive-over 0.2*N --think 1``.

Settled means, for ``ws``: the script_finished of the run the action started (after a page's own
st.rerun(), of the last run), every message before it received; for ``chromium``: a script run
started after the action, the app is marked ``data-test-script-state="notRunning"`` and nothing
on the page has changed for QUIET_MS, the time reported running to the later of the run's end
and the last change on screen, read on the page's own clock. Either way from the action (for an
address typed in, the navigation's start, the HTTP requests included). The live-refresh
fragment's reruns are reported per action and left out of the settled-page percentiles: nobody
waits for them. Writes are counted: every status update a session saw confirmed carries a note
unique to the run, and after the server stops the store is searched for each one; a confirmed
update not found is a lost write. Errors are an exception or error message drawn, a confirmation
not shown, a timeout and, for ``ws``, a dropped connection. Server CPU is the user and system
time of the server process and its children over the run; memory is their summed resident set,
sampled twice a second, the peak above the idle server's divided by the number of sessions. The
machine's load average is noted before and after each step, because every other process on these
cores shows up in every timing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from bench.app_process import CHROMIUM
from bench.load_profile import PROFILE_ENV
from bench.load_session import Tally, _drive
from bench.load_setup import (
    LOAD_P95_LIMIT_MS,
    LOAD_SESSIONS,
    MONDAY,
    NOTE_PREFIX,
    QUIET_MS,
    ROUNDS,
    LoadError,
    Pace,
    cpu_seconds,
    load_average,
    plan_sessions,
    rss_mb,
    start_server,
    stop_server,
)
from bench.load_ws import drive_ws

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
    client: str = "ws",
    pace: Pace = MONDAY,
    processes: int = 1,
) -> dict[str, Any]:
    """Copy the store, start the server (`processes` app processes on the one store copy, each
    session kept on one of them), drive `sessions` sessions (protocol tabs, or Chromium contexts
    with `client="chromium"`), stop it, count the writes."""
    copy = directory / f"load-{sessions}.db"
    shutil.copy(store, copy)
    url = f"sqlite:///{copy}"
    plans = plan_sessions(
        url=url, config_dir=config_dir, sessions=sessions, rounds=rounds, today=today
    )
    run_id = uuid.uuid4().hex[:8]
    tally = Tally()
    before = load_average()
    profiles = os.environ.get(PROFILE_ENV)  # a folder for a sampled profile of each step
    profile = Path(profiles) / f"profile-{client}-{sessions}.json" if profiles else None
    if profile is not None:
        profile.parent.mkdir(parents=True, exist_ok=True)
        log(f"  profiling the server into {profile}")
    servers = []
    samples: list[float] = []
    try:
        for n in range(processes):
            name = f"server-{sessions}.log" if processes == 1 else f"server-{sessions}-{n}.log"
            servers.append(
                start_server(
                    database_url=url,
                    config_dir=config_dir,
                    log=directory / name,
                    profile=profile if n == 0 else None,
                )
            )
        pids = [server.process.pid for server in servers]
        idle_rss = sum(rss_mb(pid) for pid in pids)

        async def main() -> dict[str, float]:
            done = asyncio.Event()

            async def sample() -> None:
                while not done.is_set():
                    samples.append(sum(rss_mb(pid) for pid in pids))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            try:
                # The protocol client spreads its sessions over every server; the browser has one.
                drive = (
                    partial(drive_ws, base=[server.url for server in servers])
                    if client == "ws"
                    else partial(_drive, base=servers[0].url)
                )
                return await drive(
                    server_pid=pids[0],
                    plans=plans,
                    rounds=rounds,
                    run_id=run_id,
                    tally=tally,
                    pace=pace,
                )
            finally:
                done.set()
                await sampler

        cpu = sum(cpu_seconds(pid) for pid in pids)
        began = time.perf_counter()
        spent = asyncio.run(main())
        seconds = time.perf_counter() - began
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
        hwm = sum(_vm_hwm(pid) for pid in pids)
    finally:
        for server in servers:
            stop_server(server.process)
    after = load_average()
    found = found_notes(url=url, run_id=run_id)
    copy.unlink(missing_ok=True)
    lost = [n for n in tally.confirmed_notes if n not in found]
    # The live-refresh fragment's reruns are nobody's wait: reported per action, not as pages.
    settled = [float(t["settled_ms"]) for t in tally.timings if not t.get("background")]
    actions: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(t["action"] for t in tally.timings):
        of_action = [t for t in tally.timings if t["action"] == name]
        actions[name] = _summary([t["settled_ms"] for t in of_action])
        # How long the action's first script run took once started (the rest is waiting).
        actions[name]["script_p50_ms"] = round(statistics.median(t["script_ms"] for t in of_action))
    peak = max([idle_rss, *samples])
    result: dict[str, Any] = {
        "sessions": sessions,
        "client": client,
        "processes": processes,
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
        "client_cpu_seconds": round(next(iter(spent.values())), 2),
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
    client: str = "ws",
    pace: Pace = MONDAY,
    processes: int = 1,
) -> dict[str, Any]:
    """Every step in turn on a fresh copy of the store; the load section of the bench JSON
    (also handed to `measured_step` after each step, so a long run keeps what it measured)."""
    if client == "chromium" and not Path(CHROMIUM).exists():
        raise LoadError(f"{CHROMIUM} is missing (Debian's chromium package)")
    measured: list[dict[str, Any]] = []
    for sessions in steps:
        if measured:
            measured_step(_section(measured, client, pace))
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
                client=client,
                pace=pace,
                processes=processes,
            )
        )
    return _section(measured, client, pace)


def _section(measured: list[dict[str, Any]], client: str, pace: Pace) -> dict[str, Any]:
    """The load section of the bench JSON for the steps measured so far."""
    return {
        "budget": {"sessions": LOAD_SESSIONS, "p95_settled_ms": LOAD_P95_LIMIT_MS},
        "client": client,
        "quiet_ms": QUIET_MS if client == "chromium" else 0,
        "arrive_over_s": pace.arrive_over_s,
        "think_s": pace.think_s,
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
        if int(step.get("processes", 1)) > 1:
            who += f"; {step['processes']} app processes"
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
                f"(peak {float(step['server_peak_rss_mb']):.0f} MB; the {step['client']} "
                f"client's CPU {float(step['client_cpu_seconds']):.0f} s)",
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
    from sqlmodel import Session

    from bench.data_set import record_counts
    from planning.store.engine import create_store_engine

    engine = create_store_engine(url)
    try:
        with Session(engine) as session:
            return record_counts(
                session, ("observations", "people", "key_results", "initiatives", "status_updates")
            )
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
    client: str = "ws",
    pace: Pace = MONDAY,
    processes: int = 1,
) -> dict[str, Any]:
    """Build the scale's store (or reuse the one `keep` holds), run every step, and write the
    load section into `out` (beside the other measurements when `out` holds a run of the same
    scale)."""
    import json
    import tempfile

    from bench.data_set import build_data_set

    if client == "chromium" and processes > 1:
        raise LoadError("more than one app process is driven by the ws client only")
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
            client=client,
            pace=pace,
            processes=processes,
        )
    write(section)
    return result_of(section)
