"""The load tool's protocol driver (python -m planning bench --load N, the default ws client): at
the small scale it starts the real server, drives a director, a member and a stakeholder as
websocket tabs, finds every status update a tab saw confirmed in the store afterwards, and
reports a session that cannot do its part as an error. Nothing here judges speed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bench.load import load_checks, run_load_benchmark
from bench.load_session import Tally
from bench.load_setup import Pace, SessionPlan, plan_sessions, start_server, stop_server
from bench.load_ws import drive_ws
from bench.scales import SCALES
from planning import clock
from planning.cli.main import main
from tests.bench_support import assert_every_write_landed

ROUNDS = 2
QUICK = Pace(arrive_over_s=0.5, think_s=0.2)


def test_three_tabs_post_save_and_read_and_every_confirmed_update_is_in_the_store(
    small_store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    result = run_load_benchmark(
        scale=SCALES["small"],
        steps=[3],
        out=out,
        keep=small_store,
        rounds=ROUNDS,
        client="ws",
        pace=QUICK,
    )
    step: dict[str, Any] = result["load"]["steps"][0]
    assert step["roles"] == {"director": 1, "member": 1, "stakeholder": 1}
    assert_every_write_landed(step, client="ws", rounds=ROUNDS)
    assert set(step["actions"]) >= {
        "open This week",
        "post a status update",
        "open Weekly planning",
        "edit the planning table",
        "save the planning table",
        "open Roadmap",
        "open Goals",
    }
    assert step["actions"]["open Goals"]["count"] == ROUNDS
    assert step["server_cpu_seconds"] > 0
    written = json.loads(out.read_text())
    assert written["load"]["client"] == "ws" and written["load"]["arrive_over_s"] == 0.5
    rows = {c.what: c for c in load_checks(result["load"])}
    assert rows["load, 3 sessions: lost status updates"].value == f"0 of {ROUNDS} confirmed"


def test_two_app_processes_on_one_store_share_the_sessions_and_lose_no_write(
    small_store: Path, tmp_path: Path
) -> None:
    """The director's tab on one process and the member's on the other write to the same store;
    each process has its own log and every confirmed update is found."""
    keep = tmp_path / "store"
    keep.mkdir()
    (keep / "bench.db").write_bytes((small_store / "bench.db").read_bytes())
    (keep / "config").symlink_to(small_store / "config", target_is_directory=True)
    result = run_load_benchmark(
        scale=SCALES["small"],
        steps=[3],
        keep=keep,
        rounds=1,
        client="ws",
        pace=QUICK,
        processes=2,
    )
    step: dict[str, Any] = result["load"]["steps"][0]
    assert step["processes"] == 2
    assert_every_write_landed(step, client="ws", rounds=1)
    assert (keep / "server-3-0.log").exists() and (keep / "server-3-1.log").exists()
    [row] = [c for c in load_checks(result["load"]) if "settled page p95" in c.what]
    assert "2 app processes" in row.what


def test_a_session_that_cannot_post_is_reported_as_an_error_and_confirms_nothing(
    small_store: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{small_store / 'bench.db'}"
    config_dir = small_store / "config"
    plans = plan_sessions(url=url, config_dir=config_dir, sessions=3, rounds=1, today=clock.today())
    stakeholder = next(p for p in plans if p.role == "stakeholder")
    member = next(p for p in plans if p.role == "member")
    # A stakeholder owes no status update: This week offers them no form to post one.
    broken = SessionPlan(
        index=1, role="member", person_id=stakeholder.person_id, titles=member.titles
    )
    copy = tmp_path / "store.db"
    copy.write_bytes((small_store / "bench.db").read_bytes())
    server = start_server(
        database_url=f"sqlite:///{copy}", config_dir=config_dir, log=tmp_path / "server.log"
    )
    tally = Tally()
    try:
        asyncio.run(
            drive_ws(
                base=server.url,
                server_pid=server.process.pid,
                plans=[plans[0], broken],
                rounds=1,
                run_id="broken01",
                tally=tally,
                pace=QUICK,
            )
        )
    finally:
        stop_server(server.process)
    assert tally.confirmed_notes == []
    assert len(tally.errors) == 1
    assert tally.errors[0].startswith("session 1 (member): no selectbox “Post an update on”")
    assert tally.saves == 1  # the director's session went on regardless


def test_pace_arguments_out_of_range_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for option, bad in (
        ("--arrive-over", "-1"),
        ("--think", "x"),
        ("--load-client", "curl"),
        ("--processes", "0"),
    ):
        assert main(["bench", "--load", "2", option, bad]) != 0
        assert f"argument {option}" in capsys.readouterr().err
    assert main(["bench", "--load", "2", "--processes", "2", "--load-client", "chromium"]) != 0
    assert "ws client only" in capsys.readouterr().err
