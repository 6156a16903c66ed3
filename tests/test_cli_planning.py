"""`python -m planning rank` and `python -m planning capacity` on a copy of the demo store."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session

from planning.config import default_config
from planning.store.engine import create_store_engine, read_engine
from planning.work.backlog import ranked_backlog
from planning.work.capacity import capacity_overview
from tests.cli_support import run_cli

run = run_cli


def test_rank_json_matches_the_ranked_backlog(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "rank", "--framework", "wsjf", "--format", "json")
    assert code == 0
    items = json.loads(out)
    with Session(read_engine(create_store_engine(demo_cli))) as session:
        expected = ranked_backlog(session=session, config=default_config(), framework_id="wsjf")
    assert [i["initiative"] for i in items] == list(expected["title"])
    assert [i["owner"] for i in items] == list(expected["owner"])
    first = items[0]
    assert set(first) >= {"rank", "initiative", "owner", "score", "quadrant"}
    assert first["rank"] == 1
    assert first["score"] == pytest.approx(float(expected["score"].iloc[0]))
    assert first["quadrant"] in {"Quick wins", "Big bets", "Fill-ins", "Money pits"}


def test_rank_table_uses_the_active_framework(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "rank")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Backlog ranked by RICE")
    assert lines[1].split() == ["rank", "initiative", "owner", "status", "score", "quadrant"]
    assert lines[3].split()[0] == "1"


def test_rank_unknown_framework_is_one_line_and_exit_2(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "rank", "--framework", "moscow")
    assert code == 2 and out == ""
    assert err == (
        "error: unknown framework 'moscow'; use one of rice, ice, wsjf, weighted, expected_value\n"
    )


def test_capacity_json_per_person_per_week(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "capacity", "--weeks", "3", "--from", "2026-12-01", "--format", "json"
    )
    assert code == 0
    items = json.loads(out)
    with Session(read_engine(create_store_engine(demo_cli))) as session:
        expected = capacity_overview(
            session=session,
            settings=default_config().settings.capacity,
            first_day=date(2026, 12, 1),
            weeks=3,
        )
    assert len(items) == len(expected)
    assert set(items[0]) >= {"person", "week", "capacity_hours", "load_hours", "over"}
    assert [i["week"] for i in items[:3]] == ["2026-W49", "2026-W50", "2026-W51"]
    assert [i["over"] for i in items] == [bool(o) for o in expected["over"]]
    assert items[0]["load_hours"] == pytest.approx(float(expected["load_hours"].iloc[0]), abs=0.01)


def test_capacity_bad_weeks_is_a_usage_error(
    demo_cli: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "capacity", "--weeks", "0")
    assert code == 2 and "0 weeks is out of range; use 1 to 52" in err
