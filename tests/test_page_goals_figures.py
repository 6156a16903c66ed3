"""A key result's figures and detail chart on Goals as a German team reads them: each figure has
room for its value (a German amount is longer than an English one), a guardrail's verdict sits
under its value, and the chart's money axis is written without English "M" and "k"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.store.models import KeyResult, Person
from tests.app_pages import open_as
from tests.config_support import GERMAN_TEAM, config_copy


@pytest.fixture
def german_store(app_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The demo store read by a team whose settings.yaml says locale: de (and euros)."""
    monkeypatch.setenv(
        "QUARTERDECK_CONFIG_DIR", str(config_copy(tmp_path / "config", **GERMAN_TEAM))
    )
    st.cache_resource.clear()
    return app_engine


def _goals_on(engine: Engine, key_result: str) -> AppTest:
    """Goals as the director, the demo quarter, with this key result's detail open."""
    with Session(engine) as session:
        director = session.execute(select(Person.id).where(Person.role == "director")).scalar()
        kr_id = session.execute(
            select(KeyResult.id).where(KeyResult.title == key_result)
        ).scalar_one()
    at = open_as(int(director or 0), "pages/goals.py", timeout=90)
    at.selectbox(key="goals_period").set_value("2026-Q4").run()
    at.selectbox(key="goals_kr").set_value(kr_id).run()
    assert not at.exception
    return at


def _figure_columns(at: AppTest) -> list[float]:
    """The widths (shares of the row) of the columns that hold the key result's figures."""
    return [
        column.weight
        for column in at.columns
        if any(getattr(child, "type", None) == "metric" for child in column.children.values())
    ]


def test_each_figure_of_a_key_result_has_room_for_a_german_amount(
    german_store: Engine,
) -> None:
    at = _goals_on(german_store, "Net revenue for the quarter")
    figures = {m.label: m.value for m in at.metric}
    assert "Mio." in figures["Aktuell"], figures
    # Seven figures in one row left each a seventh of the width: "6,66 Mio. €" read "6,66 …".
    widths = _figure_columns(at)
    assert len(widths) >= len(figures) and min(widths) >= 0.25, widths


def test_the_detail_chart_writes_german_amounts_on_its_axis(german_store: Engine) -> None:
    at = _goals_on(german_store, "Net revenue for the quarter")
    detail = [
        spec
        for spec in (json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart"))
        if "Erwarteter Verlauf" in json.dumps(spec)
    ]
    assert detail, "the key result's detail chart is drawn"
    drawn = json.dumps(detail)
    assert '"$.3~s"' not in drawn  # 4M € is English shorthand; German has "Mio."
    assert '"format": "$,.0f"' in drawn  # 4.000.000 €, grouped the team's way


def test_a_guardrails_verdict_sits_under_its_value(german_store: Engine) -> None:
    at = _goals_on(german_store, "Gross margin stays above its floor")
    current = next(m for m in at.metric if m.label == "Aktuell")
    assert current.value.endswith("%") and "·" not in current.value, current.value
    assert current.proto.delta.startswith(("eingehalten", "verletzt")), current.proto.delta


def test_german_key_result_cells_fit_and_the_detail_tables_span_the_page(
    german_store: Engine,
) -> None:
    at = _goals_on(german_store, "Net revenue for the quarter")
    tables = [d.value for d in at.dataframe if "Schlüsselergebnis" in d.value.columns]
    cells = [str(c) for t in tables for column in t.columns for c in t[column]]
    # "7/10 ⚠ Abweichung" and "nicht erledigt" were cut in their 80 and 72 px columns.
    assert any(c.endswith("/10 ⚠") for c in cells), cells
    assert "offen" in cells and not any("Abweichung" in c or "nicht erledigt" in c for c in cells)
    # Check-ins and linked initiatives sat side by side in half-width columns, scrolling sideways.
    beside = [
        column
        for column in at.columns
        if any(
            getattr(child, "type", None) == "arrow_data_frame" for child in column.children.values()
        )
    ]
    assert beside == []
    assert {"Check-ins", "Verknüpfte Initiativen"} <= {m.value.strip("*") for m in at.markdown}
