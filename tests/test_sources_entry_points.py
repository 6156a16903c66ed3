"""Data sources at their other doors: `python -m planning sync` (exit codes, bad names, a bad
sources.yaml), the server's scheduler (jobs per schedule, a due source runs first) and
/api/v1/health's `sources` entry."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from planning import clock
from planning.cli.main import main
from planning.config import load_config
from planning.sources.config import load_sources
from planning.sources.schedule import (
    SCHEDULER_ENV,
    OnceCronTrigger,
    build_scheduler,
    start_scheduler,
)
from planning.store.engine import DATABASE_URL_ENV, create_store_engine, migrate
from tests.api_support import client_for
from tests.sources_support import config_dir
from tests.test_sources import CSV
from tests.test_sources import http_files as http_files

HEALTH = "/api/v1/health"


def two_sources(base: str) -> str:
    return (
        "sources:\n"
        "  sheet:\n    kind: csv_url\n    schedule: every 2h\n"
        f"    settings:\n      url: {base}/daily.csv\n"
        "  nightly:\n    kind: csv_url\n    schedule: '30 5 * * *'\n"
        f"    settings:\n      url: {base}/gone.csv\n"
        "  adhoc:\n    kind: csv_url\n"
        f"    settings:\n      url: {base}/daily.csv\n"
    )


@pytest.fixture
def folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_files: tuple[str, dict[str, bytes]]
) -> Path:
    base, files = http_files
    files["/daily.csv"] = CSV.encode()
    path = config_dir(tmp_path, two_sources(base))
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(path))
    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'store.db'}")
    return path


def test_sync_runs_sources_and_exits_by_outcome(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "sheet"]) == 0
    assert "sheet: 2 rows through 2026-11-24 — added 2" in capsys.readouterr().out
    assert main(["sync", "sheet", "--format", "json"]) == 0
    assert '"unchanged": 2' in capsys.readouterr().out
    assert main(["sync"]) == 1  # nightly fails; the others run
    out, err = capsys.readouterr()
    assert "nightly: failed, nothing written:" in err and "answered 404" in err
    assert "adhoc: 2 rows" in out


def test_sync_refuses_unknown_names_and_a_bad_file(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "sheet", "nope"]) == 2
    assert "no source called nope (configured: sheet, nightly, adhoc)" in capsys.readouterr().err
    (folder / "sources.yaml").write_text("sources:\n  x:\n    kind: sql\n", encoding="utf-8")
    assert main(["sync"]) == 2
    err = capsys.readouterr().err
    assert "sources.yaml: sources.x.settings.url_secret: required key is missing" in err


def test_the_scheduler_has_one_job_per_scheduled_source_and_runs_a_due_one(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(folder)
    engine = create_store_engine()
    migrate(engine)
    sources = load_sources(folder, config.metrics)
    scheduler = build_scheduler(engine=lambda: engine, config=config, sources=sources)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == ["source:nightly", "source:sheet"]  # adhoc is manual
    assert "interval[2:00:00]" in str(jobs["source:sheet"].trigger)
    assert "hour='5', minute='30'" in str(jobs["source:nightly"].trigger)
    assert isinstance(jobs["source:nightly"].trigger, OnceCronTrigger)  # once in a repeated hour
    # Never synced: the interval source is due, and runs within a minute of the start.
    scheduler.start(paused=True)
    first = scheduler.get_job("source:sheet").next_run_time
    assert isinstance(first, datetime) and first - clock.now() < timedelta(minutes=1)
    scheduler.shutdown(wait=False)
    # The job itself runs the source under its lock and records the run.
    job = jobs["source:sheet"]
    job.func(*job.args)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM source_run")).scalar_one() == "ok"
    monkeypatch.setenv(SCHEDULER_ENV, "off")
    assert start_scheduler(engine=lambda: engine, config=config) is None
    engine.dispose()


def test_health_lists_sources_and_degrades_on_a_failure(folder: Path, engine: Engine) -> None:
    config = load_config(folder)
    client = client_for(engine, config)
    answer = client.get(HEALTH).json()
    assert answer["status"] == "degraded"  # nothing has synced yet: every source is stale
    assert answer["sources"]["stale"] == ["sheet", "nightly", "adhoc"]
    from planning.sources.runs import run_source

    sources = load_sources(folder, config.metrics)
    for name in ("sheet", "nightly"):
        run_source(engine=engine, config=config, source=sources.get(name), trigger="command")
    answer = client.get(HEALTH).json()
    entry = answer["sources"]
    assert entry["failing"] == ["nightly"]
    assert entry["stale"] == ["nightly", "adhoc"]
    sheet = entry["items"][0]
    assert (sheet["name"], sheet["last_run"]["status"], sheet["data_through"]) == (
        "sheet",
        "ok",
        "2026-11-24",
    )
    assert "answered 404" in entry["items"][1]["last_run"]["error"]


def test_health_and_admin_report_a_broken_sources_yaml(folder: Path, engine: Engine) -> None:
    (folder / "sources.yaml").write_text("sources:\n  w:\n    kind: ftp\n", encoding="utf-8")
    answer = client_for(engine, load_config(folder)).get(HEALTH).json()
    assert answer["status"] == "degraded"
    assert "sources.yaml: sources.w.kind: unknown kind 'ftp'" in answer["sources"]["error"]
