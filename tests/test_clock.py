"""The one clock: pinned by QUARTERDECK_TODAY, by clock.pin and by the CLI's --today; and no other
reader of the system clock anywhere in the product."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from planning import clock
from planning.cli.main import main
from planning.config import ConfigError, load_config
from tests.product_files import PRODUCT, ROOT

FORBIDDEN = {
    ("date", "today"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("Timestamp", "now"),
    ("Timestamp", "today"),
}


def _clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (name, node.func.attr) in FORBIDDEN:
                where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
                found.append(f"{where}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_module_reads_the_system_clock() -> None:
    offenders = [hit for path in PRODUCT if path.name != "clock.py" for hit in _clock_reads(path)]
    assert offenders == [], "ask planning.clock for today and now:\n" + "\n".join(offenders)


def test_the_guard_sees_a_new_call(tmp_path: Path) -> None:
    module = tmp_path / "x.py"
    module.write_text("from datetime import date\nday = date.today()\n")
    assert len(_clock_reads(module)) == 1


def test_a_pinned_day_is_today_and_the_time_of_day_still_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, "2028-02-29")
    assert clock.today() == date(2028, 2, 29)
    first, second = clock.now(), clock.now()
    assert first.date() == date(2028, 2, 29)
    assert second >= first
    assert clock.utcnow().tzinfo == UTC


def test_a_pinned_moment_runs_on_from_that_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, "2026-12-31T23:30:00+00:00")
    start = clock.now()
    assert start - datetime(2026, 12, 31, 23, 30, tzinfo=UTC) < timedelta(seconds=5)
    assert clock.today() == date(2026, 12, 31)


def test_the_day_is_counted_in_the_team_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    # 23:30 UTC on New Year's Eve is already New Year's Day in Berlin.
    monkeypatch.setenv(clock.TODAY_ENV, "2026-12-31T23:30:00+00:00")
    try:
        clock.use_time_zone("Europe/Berlin")
        assert clock.today() == date(2027, 1, 1)
    finally:
        clock.use_time_zone("UTC")
    assert clock.today() == date(2026, 12, 31)


def test_pin_wins_over_the_variable_and_unpins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, "2027-01-01")
    clock.pin(date(2027, 4, 1))
    assert clock.today() == date(2027, 4, 1)
    clock.pin(None)
    assert clock.today() == date(2027, 1, 1)


def test_unpinned_the_clock_is_the_real_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.TODAY_ENV)
    assert not clock.is_pinned()
    assert abs(clock.utcnow() - clock.wall_time()) < timedelta(seconds=5)


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01", "2026-02-30", "12/31/2026"])
def test_a_pinned_value_that_is_not_a_day_is_a_configuration_mistake(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(clock.TODAY_ENV, value)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert clock.TODAY_ENV in str(caught.value)
    with pytest.raises(clock.ClockError):
        clock.pin(value)


def test_an_unknown_time_zone_is_refused_with_the_file_and_key(tmp_path: Path) -> None:
    source = ROOT / "config"
    for name in ("metrics.yaml", "scoring.yaml"):
        (tmp_path / name).write_text((source / name).read_text())
    (tmp_path / "settings.yaml").write_text("time_zone: Mars/Olympus\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert "settings.yaml" in str(caught.value)
    assert "time_zone" in str(caught.value)


def test_the_cli_takes_today(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["--today", "2027-01-04", "init"]) == 0
    assert main(["--today", "2027-01-04", "digest", "--format", "md"]) == 0
    assert "2027-W01" in capsys.readouterr().out
    assert clock.today() == date(2026, 11, 26)  # unpinned after the command


def test_the_cli_refuses_a_bad_today(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--today", "someday", "init"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "someday" in err
