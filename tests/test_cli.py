"""The command line, run in-process on a temporary SQLite store: help, init, import, query, and
one-line errors with exit code 2 for bad arguments and broken configuration."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from planning.cli.main import COMMANDS, main
from planning.config import CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR
from planning.store.engine import DATABASE_URL_ENV, PROJECT_DIR
from tests.cli_support import point_cli_at

Output = Callable[[], tuple[str, str]]

# Day 1: 1,000 email/mobile sessions with 30 orders; day 2: 10,000 organic/desktop with 100.
TINY = (
    "date,measure,value,channel,device\n"
    "2026-01-05,sessions,1000,email,mobile\n"
    "2026-01-05,orders,30,email,mobile\n"
    "2026-01-06,sessions,10000,organic,desktop\n"
    "2026-01-06,orders,100,organic,desktop\n"
)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SQLite file the CLI will use (not created yet)."""
    point_cli_at(tmp_path / "cli.db", monkeypatch)
    return tmp_path / "cli.db"


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def observation_count(store: Path) -> int:
    with sqlite3.connect(store) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0])


def batch_count(store: Path) -> int:
    with sqlite3.connect(store) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM import_batch").fetchone()[0])


# --- help ----------------------------------------------------------------------------------------


HELP_MENTIONS = {
    "init": ["schema"],
    "demo": ["--reset", "--seed"],
    "import": ["FILE", ".xlsx"],
    "query": ["METRIC", "--start", "--end", "--grain", "--where", "--format", "quarter", "json"],
}


@pytest.mark.parametrize("name", list(HELP_MENTIONS))
def test_help_of_each_command(name: str, store: Path, output: Output) -> None:
    assert main([name, "--help"]) == 0
    out, _ = output()
    assert out.startswith(f"usage: python -m planning {name}")
    for word in HELP_MENTIONS[name]:
        assert word in out
    assert not store.exists()


def test_every_command_has_a_help_entry() -> None:
    assert set(COMMANDS) >= set(HELP_MENTIONS)


def test_top_level_help_lists_the_commands(store: Path, output: Output) -> None:
    assert main(["--help"]) == 0
    out, _ = output()
    for name in HELP_MENTIONS:
        assert f"    {name}" in out


def test_no_command_is_a_usage_error(store: Path, output: Output) -> None:
    assert main([]) == 2
    _, err = output()
    assert err.count("\n") == 1 and err.startswith("error: ")


def test_module_entry_point(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", DATABASE_URL_ENV: f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "planning", "--help"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "import" in done.stdout and "query" in done.stdout


# --- init ----------------------------------------------------------------------------------------


def test_init_creates_the_schema_and_says_where(store: Path, output: Output) -> None:
    assert main(["init"]) == 0
    out, _ = output()
    assert out.strip() == f"store ready at {store.resolve()}"
    with sqlite3.connect(store) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"observation", "series", "import_batch", "calendar_day", "alembic_version"} <= tables
    assert main(["init"]) == 0  # running it again is harmless


def test_a_store_that_cannot_be_opened_is_one_line(
    monkeypatch: pytest.MonkeyPatch, output: Output
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql+psycopg://nobody:secret@127.0.0.1:1/none")
    assert main(["init"]) == 1
    _, err = output()
    assert err.count("\n") == 1 and err.startswith("error: the store at ")
    assert "secret" not in err


def test_a_store_from_a_newer_version_is_refused_in_one_line_and_left_alone(
    tmp_path: Path, store: Path, output: Output
) -> None:
    assert main(["init"]) == 0
    with sqlite3.connect(store) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    output()
    before = store.read_bytes()

    assert main(["import", str(write(tmp_path, "tiny.csv", TINY))]) == 1

    _, err = output()
    assert err == (
        f"error: the store at {store.resolve()} cannot be used: the store's schema is at "
        "revision 9999, which this version of Quarterdeck does not know: a newer version has "
        "upgraded it. Run that version, or restore an export into a new store\n"
    )
    assert store.read_bytes() == before


# --- import --------------------------------------------------------------------------------------


def test_import_then_reimport_then_change(tmp_path: Path, store: Path, output: Output) -> None:
    path = write(tmp_path, "tiny.csv", TINY)
    assert main(["import", str(path)]) == 0  # a fresh machine: the store is migrated first
    assert output()[0] == "added 4, updated 0, unchanged 0\n"

    assert main(["import", str(path)]) == 0
    assert output()[0] == "added 0, updated 0, unchanged 4\n"

    write(tmp_path, "tiny.csv", TINY.replace(",30,", ",33,"))
    assert main(["import", str(path)]) == 0
    assert output()[0] == "added 0, updated 1, unchanged 3\n"
    assert observation_count(store) == 4
    with sqlite3.connect(store) as conn:
        sources = {r[0] for r in conn.execute("SELECT source FROM import_batch")}
    assert sources == {"cli"}


def test_import_of_bad_rows_lists_each_and_writes_nothing(
    tmp_path: Path, store: Path, output: Output
) -> None:
    assert main(["import", str(write(tmp_path, "tiny.csv", TINY))]) == 0
    output()
    bad = write(
        tmp_path,
        "bad.csv",
        "date,measure,value,channel,device\n"
        "2026-01-05,sessions,999,email,mobile\n"
        "2026-02-30,sessions,5,email,mobile\n"
        "2026-01-07,orders,-2,email,mobile\n"
        "2026-01-07,orders,2,email,tablet\n",
    )

    assert main(["import", str(bad)]) == 1

    out, err = output()
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "line 3, column date: 2026-02-30 is not a real date"
    assert lines[1].startswith("line 4, column value: value -2 is negative")
    assert lines[2].startswith("line 5, column device: 'tablet' is not a declared device value")
    assert lines[3] == f"3 problems in {bad}; nothing was imported"
    assert len(lines) == 4
    assert (observation_count(store), batch_count(store)) == (4, 1)


def test_import_of_an_unreadable_file(tmp_path: Path, store: Path, output: Output) -> None:
    path = write(tmp_path, "obs.csv", "date,measure,value,colour\n2026-01-05,orders,1,red\n")
    assert main(["import", str(path)]) == 1
    _, err = output()
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}: unknown column 'colour'")
    assert err.rstrip().endswith("nothing was imported")
    assert (observation_count(store), batch_count(store)) == (0, 0)


def test_import_of_a_missing_file_is_a_usage_error(tmp_path: Path, output: Output) -> None:
    assert main(["import", str(tmp_path / "nowhere.csv")]) == 2
    _, err = output()
    assert err.startswith("error: cannot read ") and err.count("\n") == 1


# --- query ---------------------------------------------------------------------------------------


@pytest.fixture
def tiny_store(tmp_path: Path, store: Path, output: Output) -> Path:
    assert main(["import", str(write(tmp_path, "tiny.csv", TINY))]) == 0
    output()
    return store


def query_json(output: Output, *args: str) -> list[dict[str, object]]:
    assert main(["query", *args, "--format", "json"]) == 0
    out, _ = output()
    parsed = json.loads(out)
    assert isinstance(parsed, list)
    return parsed


def test_query_json_is_a_ratio_of_sums(tiny_store: Path, output: Output) -> None:
    window = ["--start", "2026-01-05", "--end", "2026-01-11"]
    assert query_json(output, "conversion_rate", *window) == [
        {"period": "2026-01-05", "value": pytest.approx(30 / 1000), "held": 1, "days": 1},
        {"period": "2026-01-06", "value": pytest.approx(100 / 10000), "held": 1, "days": 1},
    ]
    # A week is (30 + 100) / (1,000 + 10,000) = 1.18 %, not the 2 % mean of the daily rates.
    assert query_json(output, "conversion_rate", *window, "--grain", "week") == [
        {"period": "2026-01-05", "value": pytest.approx(130 / 11000), "held": 7, "days": 7}
    ]
    assert query_json(
        output, "conversion_rate", *window, "--grain", "week", "--where", "device=desktop"
    ) == [{"period": "2026-01-05", "value": pytest.approx(100 / 10000), "held": 7, "days": 7}]
    assert query_json(output, "sessions", *window, "--grain", "month") == [
        {"period": "2026-01-01", "value": 11000.0, "held": 7, "days": 31}
    ]


def test_query_value_without_denominator_is_null(
    tmp_path: Path, tiny_store: Path, output: Output
) -> None:
    extra = "date,measure,value,channel,device\n2026-01-07,orders,3,email,mobile\n"
    assert main(["import", str(write(tmp_path, "extra.csv", extra))]) == 0
    output()
    rows = query_json(output, "conversion_rate", "--start", "2026-01-07", "--end", "2026-01-07")
    assert rows == [{"period": "2026-01-07", "value": None, "held": 1, "days": 1}]


def test_query_table_and_csv(tiny_store: Path, output: Output) -> None:
    args = ["query", "conversion_rate", "--start", "2026-01-05", "--end", "2026-01-06"]
    assert main([*args, "--grain", "week"]) == 0
    lines = output()[0].splitlines()
    assert lines[0].split() == ["period", "Conversion", "rate"]
    assert lines[2].split() == ["2026-01-05", "*", "1.18", "%"]  # 2 days of the week
    assert len({len(line) for line in lines[:3]}) == 1  # columns aligned

    assert main([*args, "--format", "csv"]) == 0
    assert output()[0].splitlines() == [
        "period,value,held,days",
        "2026-01-05,0.03,1,1",
        "2026-01-06,0.01,1,1",
    ]


# Sessions on the days the partial-period tests use (each day ≤ the day they pin).
AROUND_NEW_YEAR = "date,measure,value,channel,device\n" + "".join(
    f"{d},sessions,100,organic,desktop\n"
    for d in ["2026-12-01", "2026-12-07", "2026-12-28", "2027-01-01", "2027-01-02", "2027-01-03"]
)
AROUND_LEAP_DAY = "date,measure,value,channel,device\n" + "".join(
    f"{d},sessions,100,organic,desktop\n" for d in ["2028-02-01", "2028-02-14", "2028-02-28"]
)


@pytest.mark.parametrize(
    ("grain", "marked", "note"),
    [
        # The window starts on a Tuesday and today, a Sunday, is not over: both ends are short.
        (
            "week",
            {"2026-11-30": (6, 7), "2026-12-28": (6, 7)},
            "The week from 30 Nov holds 6 of its 7 days · The week from 28 Dec holds 6 of its 7 "
            "days",
        ),
        (
            "month",
            {"2027-01-01": (2, 31)},
            "The month from 01 Jan holds 2 of its 31 days",
        ),
        (
            "quarter",
            {"2026-10-01": (31, 92), "2027-01-01": (2, 90)},
            "The quarter from 01 Oct holds 31 of its 92 days · The quarter from 01 Jan holds 2 of "
            "its 90 days",
        ),
    ],
)
def test_query_marks_the_periods_the_window_cuts_or_today_has_not_ended(
    tmp_path: Path,
    store: Path,
    output: Output,
    monkeypatch: pytest.MonkeyPatch,
    grain: str,
    marked: dict[str, tuple[int, int]],
    note: str,
) -> None:
    """On Sunday 3 January 2027 a trend from 1 December to today: a week of 6 days reads as a
    dive unless it says so, as the Metrics page's caption does."""
    monkeypatch.setenv("QUARTERDECK_TODAY", "2027-01-03")
    assert main(["import", str(write(tmp_path, "obs.csv", AROUND_NEW_YEAR))]) == 0
    output()
    window = ["sessions", "--start", "2026-12-01", "--end", "2027-01-03", "--grain", grain]
    assert main(["query", *window]) == 0
    lines = output()[0].splitlines()
    rows = {line.split()[0]: line for line in lines[2:] if line[:1].isdigit()}
    assert {p for p, line in rows.items() if line.split()[1] == "*"} == set(marked)
    assert lines[-1] == f"* {note}: a short period's value is no drop or rise."
    by_period = {r["period"]: (r["held"], r["days"]) for r in query_json(output, *window)}
    assert {p: c for p, c in by_period.items() if c[0] < c[1]} == marked


def test_query_marks_a_leap_february_by_its_29_days(
    tmp_path: Path, store: Path, output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 29 February 2028 February holds 28 of its 29 days (the day is not over), the week from
    Monday 28 Feb holds 1; ten days later the same February is whole."""
    monkeypatch.setenv("QUARTERDECK_TODAY", "2028-02-29")
    assert main(["import", str(write(tmp_path, "obs.csv", AROUND_LEAP_DAY))]) == 0
    output()
    window = ["sessions", "--start", "2028-02-01", "--end", "2028-02-29"]
    assert main(["query", *window, "--grain", "month"]) == 0
    assert output()[0].splitlines()[-1] == (
        "* The month from 01 Feb holds 28 of its 29 days: a short period's value is no drop "
        "or rise."
    )
    weeks = query_json(output, *window, "--grain", "week")
    assert [(w["period"], w["held"], w["days"]) for w in weeks] == [
        ("2028-01-31", 6, 7),
        ("2028-02-14", 7, 7),
        ("2028-02-28", 1, 7),
    ]
    monkeypatch.setenv("QUARTERDECK_TODAY", "2028-03-10")
    assert main(["query", *window, "--grain", "month"]) == 0
    assert "*" not in output()[0]
    assert main(["query", *window, "--grain", "month", "--format", "csv"]) == 0
    assert output()[0].splitlines() == ["period,value,held,days", "2028-02-01,300.0,29,29"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["conversion_rate", "--start", "2026-02-30", "--end", "2026-03-01"], "'2026-02-30'"),
        (["conversion_rate", "--start", "5/1/2026", "--end", "2026-03-01"], "YYYY-MM-DD"),
        (["conversion_rate", "--start", "2026-01-05"], "--end"),
        (
            ["conversion_rate", "--start", "2026-01-05", "--end", "2026-01-06", "--where", "x"],
            "dimension=value",
        ),
        (["nope", "--start", "2026-01-05", "--end", "2026-01-06"], "unknown metric 'nope'"),
        (
            ["sessions", "--start", "2026-01-05", "--end", "2026-01-06", "--where", "hue=red"],
            "unknown dimension 'hue'",
        ),
        (
            [
                "sessions",
                "--start",
                "2026-01-05",
                "--end",
                "2026-01-06",
                "--where",
                "device=tablet",
            ],
            "'tablet'",
        ),
        (["sessions", "--start", "2026-01-07", "--end", "2026-01-06"], "after"),
        (
            ["sessions", "--start", "2026-01-05", "--end", "2026-01-06", "--grain", "year"],
            "--grain",
        ),
    ],
    ids=[
        "impossible date",
        "day-first date",
        "missing end",
        "where syntax",
        "unknown metric",
        "unknown dimension",
        "unknown dimension value",
        "start after end",
        "unknown grain",
    ],
)
def test_query_bad_arguments_are_one_line_and_exit_2(
    tiny_store: Path, output: Output, args: list[str], message: str
) -> None:
    assert main(["query", *args]) == 2
    out, err = output()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err


# --- configuration mistakes ----------------------------------------------------------------------


@pytest.fixture
def broken_config(store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/ where net_revenue's unit is not one of the allowed units (set after
    the store fixture, which clears the variable)."""
    directory = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, directory)
    metrics = directory / "metrics.yaml"
    text = metrics.read_text(encoding="utf-8")
    assert "    unit: money\n" in text
    metrics.write_text(text.replace("    unit: money\n", "    unit: dollars\n", 1), "utf-8")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
    return directory


@pytest.mark.parametrize(
    "argv",
    [
        ["init"],
        ["demo"],
        ["demo", "--reset", "--seed", "3"],
        ["import", "whatever.csv"],
        ["query", "sessions", "--start", "2026-01-05", "--end", "2026-01-06"],
    ],
    ids=["init", "demo", "demo reset", "import", "query"],
)
def test_broken_config_is_one_line_naming_file_key_and_reason(
    broken_config: Path, store: Path, output: Output, argv: list[str]
) -> None:
    assert main(argv) == 2
    out, err = output()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: {broken_config / 'metrics.yaml'}: measures.net_revenue.unit: ")
    assert "'money'" in err  # the reason lists the allowed units
    assert not store.exists()  # nothing was touched


def test_broken_settings_is_named_too(
    tmp_path: Path, store: Path, output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, directory)
    with (directory / "settings.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\ncolour: blue\n")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
    assert main(["init"]) == 2
    _, err = output()
    assert err == f"error: {directory / 'settings.yaml'}: colour: unknown key\n"


# --- demo ----------------------------------------------------------------------------------------


def test_demo_loads_once_and_reset_replaces_it(store: Path, output: Output) -> None:
    assert main(["demo", "--seed", "7"]) == 0
    out, _ = output()
    printed = dict(line.strip().split(": ", 1) for line in out.splitlines()[1:])
    assert out.startswith(f"demo data loaded into {store.resolve()} (seed 7)")
    with sqlite3.connect(store) as conn:
        people = conn.execute("SELECT COUNT(*) FROM person").fetchone()[0]
        initiatives = conn.execute("SELECT COUNT(*) FROM initiative").fetchone()[0]
    assert int(printed["observations"]) == observation_count(store) > 0
    assert int(printed["people"]) == people > 0
    assert int(printed["initiatives"]) == initiatives > 0

    assert main(["demo"]) == 1  # the store holds data: refused, nothing changed
    _, err = output()
    assert err.count("\n") == 1 and "--reset" in err
    assert observation_count(store) == int(printed["observations"])

    assert main(["demo", "--reset", "--seed", "7"]) == 0
    assert observation_count(store) == int(printed["observations"])
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM person").fetchone()[0] == people
