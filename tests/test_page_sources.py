"""Data sources in the app under AppTest: Admin → Sources lists each source's runs and runs or
previews one; Metrics and Goals say when a source feeding them is stale."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from planning import clock
from planning.store.models import Role
from tests.app_pages import people
from tests.sources_support import config_dir
from tests.test_page_admin import open_admin, open_tab
from tests.test_sources import CSV
from tests.test_sources import http_files as http_files

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def sources_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http_files: tuple[str, dict[str, bytes]]
) -> Iterator[dict[str, bytes]]:
    base, files = http_files
    files["/daily.csv"] = CSV.encode()
    body = (
        "sources:\n"
        "  sheet:\n    kind: csv_url\n    label: Team sheet\n    schedule: every 1h\n"
        f"    settings:\n      url: {base}/daily.csv\n      measures: [sessions, orders]\n"
        "  broken:\n    kind: csv_url\n"
        f"    settings:\n      url: {base}/gone.csv\n"
    )
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(config_dir(tmp_path, body)))
    yield files


def run_rows(url: str) -> list[tuple[str, str, int]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        return conn.execute("SELECT source, status, rows FROM source_run ORDER BY id").fetchall()


def test_admin_lists_previews_and_runs_sources(app_store: str, sources_config: object) -> None:
    at = open_tab(open_admin(app_store), "Sources")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["source"]) == ["Team sheet", "broken"]
    assert list(table["last run"]) == ["never", "never"]
    assert list(table["kind"]) == ["CSV or XLSX file at a URL"] * 2  # the kind in words

    at.button(key="admin_sources_preview_button").click().run()
    assert "would read 2 rows: add 0, change 2, leave 0" in " ".join(i.value for i in at.info)
    assert run_rows(app_store) == []  # a preview writes nothing

    at.button(key="admin_sources_run").click().run()
    assert not at.exception
    assert "sheet: 2 rows" in at.success[0].value
    assert run_rows(app_store) == [("sheet", "ok", 2)]
    table = at.dataframe[0].value
    assert table["status"].iloc[0] == "ok"
    assert table["freshness"].iloc[0] == "fresh (data through 2026-11-24)"

    at.selectbox(key="admin_sources_pick").set_value("broken").run()
    at.button(key="admin_sources_run").click().run()
    shown = " ".join(e.value for e in at.error)
    assert "broken failed, nothing written" in shown and "answered 404" in shown
    assert run_rows(app_store)[-1] == ("broken", "failed", 0)


def _old_good_run(url: str, source: str, days_ago: int, through: str) -> None:
    finished = clock.utcnow() - timedelta(days=days_ago)
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        conn.execute(
            "INSERT INTO source_run (source, trigger, started_at, finished_at, status, rows, "
            "rows_added, rows_updated, through_day, measures, error) "
            "VALUES (?, 'schedule', ?, ?, 'ok', 10, 10, 0, ?, 'sessions,orders', '')",
            (source, finished.isoformat(), finished.isoformat(), through),
        )


def test_metrics_and_goals_say_a_source_is_stale(app_store: str, sources_config: object) -> None:
    _old_good_run(app_store, "sheet", 3, "2026-11-22")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = people(app_store, Role.director)[0].id
    at.run()
    at.switch_page("pages/metrics.py").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    moment = f"{clock.utcnow() - timedelta(days=3):%Y-%m-%d}"
    assert "Data through 2026-11-22 (Team sheet has not synced since " + moment in warnings
    assert "No data yet (broken has never synced)" in warnings

    at.switch_page("pages/goals.py").run()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "Team sheet has not synced since" in warnings


def test_admin_without_sources_says_how_to_add_them(app_store: str) -> None:
    at = open_tab(open_admin(app_store), "Sources")
    assert not at.exception
    assert "No data sources are configured" in at.info[0].value


def test_admin_shows_a_mistake_in_sources_yaml(
    app_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = "sources:\n  w:\n    kind: sql\n    settings:\n      url_secret: not a name\n"
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(config_dir(tmp_path, body)))
    at = open_tab(open_admin(app_store), "Sources")
    assert not at.exception
    shown = at.error[0].value
    assert "sources.w.settings.url_secret" in shown and "is not a secret name" in shown
    at.switch_page("pages/metrics.py").run()
    assert not at.exception  # the pages keep working
