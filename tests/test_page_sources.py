"""Data sources in the app under AppTest: Admin → Sources lists each source's runs and runs or
previews one; Metrics and Goals say when a source feeding them is stale."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import streamlit as st
import yaml
from streamlit.testing.v1 import AppTest

from planning import clock, i18n
from planning.store.models import Role
from tests.app_pages import people
from tests.sources_support import config_dir
from tests.test_page_admin import open_admin, open_tab
from tests.test_sources import CSV
from tests.test_sources import http_files as http_files
from ui.tables import WRAPPING_ROW_HEIGHT

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
    assert list(table["schedule"]) == ["every 1h", "manual"]
    assert list(table.columns[-3:]) == ["freshness", "notes", "last error"]  # notes not last
    # Narrow columns whose text wraps: notes and last error were beyond the right edge at 1366 px.
    assert at.dataframe[0].proto.row_height == WRAPPING_ROW_HEIGHT

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


@pytest.mark.parametrize(("team", "reader"), [("en", "de"), ("de", "en")])
def test_a_director_reads_a_runs_notes_and_reason_in_their_own_language(
    app_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, team: str, reader: str
) -> None:
    from planning.access.languages import set_language
    from planning.store.engine import create_store_engine, session_scope
    from tests.config_support import config_copy
    from tests.test_source_run_words import (
        CURRENCY_DE,
        CURRENCY_EN,
        EXPORT,
        LEFT_OUT_DE,
        LEFT_OUT_EN,
        MOVED_DE,
        MOVED_EN,
        PREFIXES,
    )

    export = tmp_path / "orders_export.csv"
    export.write_bytes(EXPORT.read_bytes())
    folder = config_copy(tmp_path / "config", locale=team, time_zone="UTC")
    settings = yaml.safe_load((folder / "settings.yaml").read_text())
    settings["imports"]["shopify_orders"]["sku_prefixes"] = PREFIXES
    (folder / "settings.yaml").write_text(yaml.safe_dump(settings))
    (folder / "sources.yaml").write_text(
        f"sources:\n  orders:\n    kind: shopify_orders_csv\n    settings:\n      path: {export}\n"
    )
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(folder))
    st.cache_resource.clear()  # the team's settings are read once per process
    i18n.set_language(reader)  # AppTest formats widget values in this thread
    director = people(app_store, Role.director)[0]
    store = create_store_engine(app_store)
    with session_scope(store) as session:
        set_language(session=session, actor=director, person_id=director.id, language=reader)
    store.dispose()
    left_out, moved, currency = {
        "en": (LEFT_OUT_EN, MOVED_EN, CURRENCY_EN),
        "de": (LEFT_OUT_DE, MOVED_DE, CURRENCY_DE),
    }[reader]

    at = open_tab(open_admin(app_store), "Quellen" if reader == "de" else "Sources")
    at.button(key="admin_sources_run").click().run()
    assert not at.exception
    notes = " ".join(i.value for i in at.info).replace("\\", "")
    assert left_out in notes and moved in notes

    export.write_text(EXPORT.read_text(encoding="utf-8").replace(",USD,", ",CAD,"))
    at.button(key="admin_sources_run").click().run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]
    assert len(errors) == 2 and all(currency in e for e in errors)  # the flash and the last run
    table = at.dataframe[0].value
    error, schedule = (
        ("letzter Fehler", "Zeitplan") if reader == "de" else ("last error", "schedule")
    )
    assert currency in table[error].iloc[0]
    assert table[schedule].iloc[0] == ("manuell" if reader == "de" else "manual")
