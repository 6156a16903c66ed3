"""The Metrics page under AppTest: what each role sees, filters, and new data while open."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
import yaml
from sqlalchemy import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from planning.config import DEFAULT_CONFIG_DIR, default_config
from planning.demo.loader import load_demo
from planning.formatting import format_value
from planning.metrics import dashboard
from planning.metrics.engine import metric_value
from planning.metrics.observations import UpsertCounts, dims_key, record_batch, upsert_observations
from planning.store.engine import create_store_engine, migrate
from planning.store.models import Role
from tests.app_pages import APP, open_as, people
from tests.conftest import DEMO_TODAY, demo_app_on

LATEST = date(2026, 11, 25)


def open_app(person_id: int | None = None) -> AppTest:
    return open_as(person_id, "pages/metrics.py")  # This week is the landing page


def tile_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("role", [Role.director, Role.member, Role.stakeholder])
def test_every_role_sees_kpis_and_freshness(app_store: str, role: Role) -> None:
    at = open_app(people(app_store, role)[0].id)
    assert not at.exception
    assert at.title[0].value == "Metrics"
    labels = list(tile_values(at))
    assert labels == [
        "Net revenue",
        "Sessions",
        "Conversion rate",
        "Average order value",
        "Revenue per session",
        "Gross margin",
    ]
    assert any("Data through **Wed 25 Nov 2026**" in c.value for c in at.caption)
    assert [s.value for s in at.subheader] == [
        "Trend",
        "Checkout funnel",
        "Margin by product line",
        "Breakdown",
    ]


def test_tiles_show_ratio_of_sums_for_the_window(app_store: str) -> None:
    at = open_app()
    engine = create_store_engine(app_store)
    config = default_config()
    with Session(engine) as session:
        expected = metric_value(
            session=session,
            config=config.metrics,
            metric_id="conversion_rate",
            start=LATEST - timedelta(days=27),
            end=LATEST,
        )
    engine.dispose()
    assert tile_values(at)["Conversion rate"] == format_value(expected, "percent")


def test_device_filter_changes_conversion(app_store: str) -> None:
    at = open_app()
    everyone = tile_values(at)["Conversion rate"]
    at.selectbox(key="filter_device").set_value("mobile").run()
    assert not at.exception
    engine = create_store_engine(app_store)
    with Session(engine) as session:
        mobile = metric_value(
            session=session,
            config=default_config().metrics,
            metric_id="conversion_rate",
            start=LATEST - timedelta(days=27),
            end=LATEST,
            filters={"device": "mobile"},
        )
    engine.dispose()
    assert tile_values(at)["Conversion rate"] == format_value(mobile, "percent")
    assert tile_values(at)["Conversion rate"] != everyone
    # Gross margin is recorded by product line, not device: the page says the filter does not apply
    assert any("filters do not apply" in c.value for c in at.caption)


def test_window_switch_to_last_quarter(app_store: str) -> None:
    at = open_app()
    at.selectbox[0].set_value("Last quarter").run()
    assert not at.exception
    assert at.text_input[0].value == "01 Jul 2026 – 30 Sep 2026"


@pytest.mark.parametrize(
    ("window", "shown"),
    [
        ("Quarter to date", "01 Nov 2026 – 25 Nov 2026"),
        ("Last quarter", "01 Aug 2026 – 31 Oct 2026"),
    ],
)
def test_quarter_windows_follow_the_teams_fiscal_quarters(
    app_store: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    window: str,
    shown: str,
) -> None:
    """A fiscal year starting in February makes November to January a quarter, on Goals and so
    on Metrics too (the windows were calendar quarters: 1 Oct, 1 Jul to 30 Sep)."""
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, config)
    settings = yaml.safe_load((config / "settings.yaml").read_text())
    settings["fiscal_year_start_month"] = 2
    (config / "settings.yaml").write_text(yaml.safe_dump(settings))
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(config))
    st.cache_resource.clear()
    assert date(2026, 11, 26) == DEMO_TODAY  # data through 25 Nov
    at = open_app()
    at.selectbox[0].set_value(window).run()
    assert not at.exception
    assert at.text_input[0].value == shown


def _write_day(engine: Engine, day: date, sessions: float, source: str = "test") -> None:
    """Email/mobile sessions for one day, recorded as an import batch from `source`."""
    frame = pd.DataFrame(
        {
            "measure": ["sessions"],
            "day": [day],
            "dims_key": [dims_key({"channel": "email", "device": "mobile"})],
            "value": [sessions],
        }
    )
    with engine.begin() as conn:
        counts = upsert_observations(connection=conn, frame=frame)
        with Session(bind=conn) as session:
            record_batch(
                session=session,
                actor=None,
                source=source,
                filename="",
                counts=UpsertCounts(counts.added, counts.updated, counts.unchanged),
                checksum="",
            )
            session.commit()


def test_new_data_shows_without_reload_and_unchanged_store_reads_nothing(
    app_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"kpi": 0}
    original = dashboard.kpi_tiles

    def counting(**kwargs):  # type: ignore[no-untyped-def]
        calls["kpi"] += 1
        return original(**kwargs)

    monkeypatch.setattr(dashboard, "kpi_tiles", counting)
    at = open_app()
    assert calls["kpi"] == 1
    at.run()
    at.run()
    assert calls["kpi"] == 1, "an unchanged store must be served from the cache"

    engine = create_store_engine(app_store)
    _write_day(engine, LATEST + timedelta(days=1), 900)
    engine.dispose()
    at.run()
    assert not at.exception
    assert calls["kpi"] == 2
    # One series of 138 is not a complete day: it shows as partial and moves no number.
    assert any(
        "Data through **Wed 25 Nov 2026** · 26 Nov partial (1 of 138 series)" in c.value
        for c in at.caption
    )


def test_empty_store_explains_how_to_get_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()  # the new store's setup page: make the first director
    at.text_input(key="setup_name").input("Ada")
    at.text_input(key="setup_email").input("ada@example.com")
    at.button[-1].click().run()
    at.switch_page("pages/metrics.py").run()
    assert not at.exception
    assert "no observations yet" in at.info[0].value
    assert "Admin → Data import" in at.info[0].value
    assert [link.proto.page for link in at.get("page_link")] == ["admin"]
    st.cache_resource.clear()
    st.cache_data.clear()


def test_config_mistake_stops_the_app_with_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, broken)
    data = yaml.safe_load((broken / "metrics.yaml").read_text())
    data["metrics"]["aov"]["denominator"] = "baskets"
    (broken / "metrics.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("QUARTERDECK_CONFIG_DIR", str(broken))
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = open_app()
    assert not at.exception
    message = at.error[0].value
    assert "metrics.yaml: metrics.aov.denominator: unknown measure 'baskets'" in message
    assert not at.metric
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.mark.skipif(not os.environ.get("QUARTERDECK_TEST_POSTGRES_URL"), reason="needs PostgreSQL")
def test_processes_sharing_postgres_see_each_others_imports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another app process (here: another engine) writes; this one's cached reads follow."""
    from tests.conftest import _drop_postgres_schema, _postgres_engine

    schema = f"t_{uuid.uuid4().hex[:12]}"
    other = _postgres_engine(schema)
    try:
        migrate(other)
        load_demo(engine=other, config=default_config(), seed=42, today=DEMO_TODAY)
        url = f"{os.environ['QUARTERDECK_TEST_POSTGRES_URL']}?options=-csearch_path%3D{schema}"
        monkeypatch.setenv("QUARTERDECK_DATABASE_URL", url)
        monkeypatch.setenv("QUARTERDECK_DEMO", "0")
        st.cache_resource.clear()
        st.cache_data.clear()
        at = open_app()
        assert any("Data through **Wed 25 Nov 2026**" in c.value for c in at.caption)
        _write_day(other, LATEST + timedelta(days=1), 900.0, source="other-process")
        at.run()
        assert not at.exception
        # One series of the new day's 138 has arrived: the day shows as partial, not counted.
        assert any("26 Nov partial (1 of 138 series)" in c.value for c in at.caption)
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()
        other.dispose()
        _drop_postgres_schema(schema)


def test_dimension_values_read_as_labels(app_store: str) -> None:
    at = open_app()
    channel = at.selectbox(key="filter_channel")
    assert "Paid search" in channel.options and "paid_search" not in channel.options
    shown: set[str] = set()
    for chart in at.get("vega_lite_chart"):
        buffers = [chart.proto.data.data] if chart.proto.data.data else []
        buffers += [d.data.data for d in chart.proto.datasets]
        for buffer in buffers:
            frame = pa.ipc.open_stream(buffer).read_all().to_pandas()
            if "member" in frame:
                shown |= set(frame["member"].astype(str))
    assert "Paid search" in shown and "paid_search" not in shown  # the breakdown by channel


def test_a_week_the_window_cuts_is_marked_not_drawn_as_a_drop(
    demo_store_as_of: Callable[[date], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today 3 Jan 2027: the last 28 days run from Sun 6 Dec to Sat 2 Jan, so the week of 30 Nov
    holds one day (about 26k sessions against some 190k in a whole week) and the week of 28 Dec
    six; each is named under the trend and left off its line."""
    url = demo_app_on(date(2027, 1, 3), demo_store_as_of, tmp_path, monkeypatch)
    at = open_app(people(url, Role.director)[0].id)
    at.segmented_control(key="metrics_grain").set_value("week").run()
    assert not at.exception
    assert any(
        c.value.startswith(
            "The week from 30 Nov holds 1 of its 7 days · The week from 28 Dec holds 6 of its "
            "7 days: drawn as hollow points off the line"
        )
        for c in at.caption
    )
    at.segmented_control(key="metrics_grain").set_value("day").run()
    assert not any("hollow points" in c.value for c in at.caption)
