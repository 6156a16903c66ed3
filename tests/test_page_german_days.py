"""Days as a German team reads them in date fields and date columns: 29.02.2028, not 2028/02/29
or 2028-02-29 (the tables' other dates already read 29.02.2028); an English team's fields and
columns keep their formats."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from planning.store.models import Role
from tests.app_pages import open_admin_tab, open_as, people
from tests.config_support import GERMAN_TEAM, config_copy

LEAP_DAY = date(2028, 2, 29)


@pytest.fixture
def leap_day(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setenv("QUARTERDECK_TODAY", LEAP_DAY.isoformat())
    return LEAP_DAY


@pytest.fixture
def german_team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "QUARTERDECK_CONFIG_DIR", str(config_copy(tmp_path / "config", **GERMAN_TEAM))
    )
    st.cache_resource.clear()


def _date_fields(at: AppTest) -> dict[str, tuple[str, object]]:
    """Each date field on the page by its label: how it writes a day, and its day."""
    return {d.label: (d.proto.format, d.value) for d in at.date_input}


def _column_formats(at: AppTest) -> dict[str, str]:
    """Each table column's display format by its heading, where it has one."""
    found: dict[str, str] = {}
    for frame in at.dataframe:
        for name, config in json.loads(frame.proto.columns or "{}").items():
            shown = (config.get("type_config") or {}).get("format")
            if shown:
                found[config.get("label") or name] = shown
    return found


def test_a_german_teams_time_off_fields_read_the_leap_day_day_first(
    app_store: str, german_team: None, leap_day: date
) -> None:
    at = open_admin_tab(people(app_store, Role.director)[0].id, "Personen")
    fields = _date_fields(at)
    assert fields["Erster freier Tag"] == ("DD.MM.YYYY", leap_day)  # 29.02.2028
    assert fields["Letzter freier Tag"][0] == "DD.MM.YYYY"


def test_a_german_teams_backlog_and_decision_log_read_days_day_first(
    app_store: str, german_team: None, leap_day: date
) -> None:
    at = open_as(people(app_store, Role.director)[0].id, "pages/planning.py", timeout=90)
    columns = _column_formats(at)
    assert columns["Beginn"] == columns["Zieltermin"] == "DD.MM.YYYY", columns
    assert columns["Tag"] == "DD.MM.YYYY"  # the decision log


def test_an_english_teams_date_fields_keep_their_formats(app_store: str, leap_day: date) -> None:
    at = open_admin_tab(people(app_store, Role.director)[0].id, "People")
    assert _date_fields(at)["First day off"] == ("YYYY/MM/DD", leap_day)
    at = open_as(people(app_store, Role.director)[0].id, "pages/planning.py", timeout=90)
    assert _column_formats(at)["Start"] == "YYYY-MM-DD"
