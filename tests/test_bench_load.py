"""The load tool (python -m planning bench --load N): at a tiny scale it starts the real server,
drives a director and a member at once, and counts every status update the browser saw confirmed
in the store afterwards. Nothing here judges speed: timings belong to the benchmark's own run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bench.load import (
    NOTE_PREFIX,
    found_notes,
    knee,
    load_checks,
    percentile,
    plan_sessions,
    run_load_benchmark,
)
from bench.load_setup import Pace
from bench.scales import SCALES
from planning import clock
from planning.cli.main import main
from planning.store.engine import create_store_engine
from planning.store.models import StatusUpdate
from tests.bench_support import assert_every_write_landed

ROUNDS = 2


def test_sessions_acting_as_one_member_never_post_on_the_same_initiative(
    small_store: Path,
) -> None:
    plans = plan_sessions(
        url=f"sqlite:///{small_store / 'bench.db'}",
        config_dir=small_store / "config",
        sessions=9,
        rounds=ROUNDS,
        today=clock.today(),
    )
    assert [p.role for p in plans][:4] == ["director", "member", "stakeholder", "member"]
    assert sum(p.role == "member" for p in plans) == 4
    posted = [(p.person_id, title) for p in plans for title in p.titles]
    assert len(posted) == 4 * ROUNDS
    assert len(set(posted)) == len(posted)


def test_only_this_runs_confirmed_notes_are_found_in_the_store(small_store: Path) -> None:
    url = f"sqlite:///{small_store / 'bench.db'}"
    engine = create_store_engine(url)
    with Session(engine) as session:
        update = session.get(StatusUpdate, 1)
        assert update is not None
        fields = update.model_dump(exclude={"id", "note"})
        session.add(StatusUpdate(**fields, note=f"{NOTE_PREFIX} aaaa1111 s1 r0"))
        session.add(StatusUpdate(**fields, note=f"{NOTE_PREFIX} bbbb2222 s1 r0"))
        session.commit()
    engine.dispose()
    assert found_notes(url=url, run_id="aaaa1111") == {f"{NOTE_PREFIX} aaaa1111 s1 r0"}
    assert found_notes(url=url, run_id="cccc3333") == set()


def test_percentile_and_knee() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 0.5) == 3.0
    assert percentile(list(map(float, range(1, 21))), 0.95) == 19.0
    steps = [
        {"sessions": 10, "settled": {"p95_ms": 1500.0}},
        {"sessions": 5, "settled": {"p95_ms": 900.0}},
        {"sessions": 20, "settled": {"p95_ms": 2600.0}},
    ]
    assert knee(steps) == 20
    assert knee(steps[:2]) is None


def test_load_arguments_out_of_range_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0", "5,x", "101"):
        assert main(["bench", "--load", bad]) != 0
        assert "argument --load" in capsys.readouterr().err


@pytest.mark.browser
def test_two_sessions_post_and_save_and_every_confirmed_update_is_in_the_store(
    small_store: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bench.json"
    out.write_text(json.dumps({"scale": "small", "floor_ms": 1.0}))  # an earlier bench run
    result = run_load_benchmark(
        scale=SCALES["small"],
        steps=[2],
        out=out,
        keep=small_store,
        rounds=ROUNDS,
        client="chromium",
        pace=Pace(arrive_over_s=0.4, think_s=1.0),  # the earlier, harsher pace: a quick test
    )
    step: dict[str, Any] = result["load"]["steps"][0]
    assert step["roles"] == {"director": 1, "member": 1, "stakeholder": 0}
    assert_every_write_landed(step, client="chromium", rounds=ROUNDS)
    assert set(step["actions"]) >= {
        "open This week",
        "post a status update",
        "open Weekly planning",
        "save the planning table",
    }
    assert step["actions"]["post a status update"]["count"] == ROUNDS
    assert step["server_peak_rss_mb"] >= step["server_idle_rss_mb"] > 0
    assert step["server_cpu_seconds"] > 0
    assert len(step["load_average_before"]) == 3
    # The load section joins the earlier run's JSON rather than replacing it.
    written = json.loads(out.read_text())
    assert written["floor_ms"] == 1.0 and written["load"]["steps"][0]["sessions"] == 2
    rows = {c.what: c for c in load_checks(result["load"])}
    assert rows["load, 2 sessions: lost status updates"].value == f"0 of {ROUNDS} confirmed"
    assert rows["load, 2 sessions: errors"].ok
