"""One poisoned number: a value far beyond what a measure can plausibly be is refused at every
entry point (API JSON and CSV, the command line, the Admin upload check) with a message per row
and nothing written; and any observation set the store does accept (values at the top of their
range, zeros, denominators next to nothing) leaves /api/v1/okrs, `python -m planning okr` and the
This week, Goals and Roadmap pages working, with "no value" where a figure cannot be computed."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st_h
from sqlalchemy import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.cli.main import main
from planning.config import AppConfig, default_config
from planning.config.metrics import MetricsConfig
from planning.metrics.import_checks import NON_NEGATIVE_UNITS
from planning.metrics.import_records import import_records
from planning.metrics.importer import check_file
from planning.okrs.evaluation import period_goals
from planning.store.engine import DATABASE_URL_ENV, create_store_engine, migrate, read_engine
from planning.store.models import Person, Role
from tests.api_support import OpenApiChecker, bearer, client_for, fingerprint, new_token
from tests.cli_support import point_cli_at
from tests.conftest import DEMO_TODAY

APP = str(Path(__file__).resolve().parents[2] / "app.py")
OBSERVATIONS = "/api/v1/observations"
OKRS = "/api/v1/okrs"
CONFIG = default_config()
POISON = {
    "date": "2026-11-20",
    "measure": "sessions",
    "value": 1e308,
    "channel": "email",
    "device": "mobile",
}
POISON_CSV = "date,measure,value,channel,device\n2026-11-20,sessions,1e308,email,mobile\n"


# --- refused at every entry point ----------------------------------------------------------------


@pytest.fixture
def api_store(engine: Engine, config: AppConfig) -> Iterator[tuple[Any, Engine, str]]:
    with client_for(engine, config, today=lambda: DEMO_TODAY) as client:
        yield client, engine, new_token(engine, [WRITE_OBSERVATIONS])


def test_a_huge_value_is_refused_by_the_api_as_json_and_csv(
    api_store: tuple[Any, Engine, str],
) -> None:
    client, engine, writer = api_store
    openapi = OpenApiChecker(client.get("/api/v1/openapi.json").json())
    before = fingerprint(engine)
    good = {**POISON, "value": 1200, "date": "2026-11-19"}
    response = client.post(OBSERVATIONS, json=[good, POISON], headers=bearer(writer))
    assert response.status_code == 422
    openapi.check(response, "post", OBSERVATIONS)
    assert response.json()["problems"] == [
        {
            "index": 1,
            "field": "value",
            "reason": "value 1e+308 is above the plausible maximum for sessions "
            "(1e+12, max_value in metrics.yaml)",
        }
    ]
    headers = {**bearer(writer), "Content-Type": "text/csv"}
    response = client.post(OBSERVATIONS, content=POISON_CSV, headers=headers)
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert (problem["line"], problem["column"]) == (2, "value")
    assert "plausible maximum for sessions" in problem["reason"]
    assert fingerprint(engine) == before


def test_a_huge_value_is_refused_by_the_command_line_and_the_upload_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "cli.db"
    point_cli_at(store, monkeypatch)
    path = tmp_path / "poison.csv"
    path.write_text(POISON_CSV, encoding="utf-8")
    assert main(["import", str(path)]) != 0
    err = capsys.readouterr().err
    assert "line 2, column value: value 1e+308 is above the plausible maximum for sessions" in err
    assert "nothing was imported" in err
    engine = create_store_engine(f"sqlite:///{store}")
    assert fingerprint(engine).observations == 0
    # The Admin upload shows the same problem before anything can be confirmed.
    with Session(engine) as session:
        checked = check_file(
            session=session,
            data=POISON_CSV.encode(),
            filename="poison.csv",
            config=CONFIG.metrics,
        )
    assert not checked.ok
    assert [str(p) for p in checked.problems] == [
        "line 2, column value: value 1e+308 is above the plausible maximum for sessions "
        "(1e+12, max_value in metrics.yaml)"
    ]
    engine.dispose()


def metrics_with(**ranges: dict[str, float]) -> MetricsConfig:
    data = CONFIG.metrics.model_dump()
    for measure, bounds in ranges.items():
        data["measures"][measure].update(bounds)
    return MetricsConfig.model_validate(data)


def test_a_range_declared_in_metrics_yaml_is_the_one_enforced(engine: Engine) -> None:
    metrics = metrics_with(
        sessions={"max_value": 50_000},
        organic_avg_position={"min_value": 1, "max_value": 100},
    )
    rows = [
        {**POISON, "value": 50_000},
        {**POISON, "value": 50_001, "date": "2026-11-21"},
        {"date": "2026-11-20", "measure": "organic_avg_position", "value": 0.5, "device": "mobile"},
        {"date": "2026-11-21", "measure": "organic_avg_position", "value": 3.2, "device": "mobile"},
    ]
    result = import_records(
        engine=engine, actor=None, records=rows, checksum="x", source="test", config=metrics
    )
    assert [(p.index, p.field, p.reason) for p in result.problems] == [
        (
            1,
            "value",
            "value 50001 is above the plausible maximum for sessions "
            "(50000, max_value in metrics.yaml)",
        ),
        (
            2,
            "value",
            "value 0.5 is below the plausible minimum for organic_avg_position "
            "(1, min_value in metrics.yaml)",
        ),
    ]
    assert fingerprint(engine).observations == 0


# --- whatever is accepted, evaluation holds ----------------------------------------------------

QUARTER_FIRST = date(2026, 10, 1)
FIRST_DAY = date(2025, 9, 1)  # last year's same quarter shapes the expected path
LAST_DAY = DEMO_TODAY - timedelta(days=1)


def series_of(metrics: MetricsConfig, measure: str) -> list[dict[str, str]]:
    """Every dimension combination a measure is recorded by."""
    combos: list[dict[str, str]] = [{}]
    for dim in metrics.measures[measure].dimensions:
        combos = [{**c, dim: v} for c in combos for v in metrics.dimensions[dim].values]
    return combos


@st_h.composite
def poisoned_days(draw: st_h.DrawFn) -> list[dict[str, Any]]:
    """Rows the store accepts: a few (measure, day) pairs each set, for every dimension
    combination of the measure, to an extreme value inside the measure's plausible range."""
    metrics = CONFIG.metrics
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, date]] = set()
    for _ in range(draw(st_h.integers(1, 5), label="days")):
        measure = draw(st_h.sampled_from(sorted(metrics.measures)), label="measure")
        spec = metrics.measures[measure]
        low = max(spec.min_value, 0.0) if spec.unit in NON_NEGATIVE_UNITS else spec.min_value
        day = draw(
            st_h.one_of(st_h.dates(QUARTER_FIRST, LAST_DAY), st_h.dates(FIRST_DAY, LAST_DAY)),
            label="day",
        )
        if (measure, day) in seen:
            continue
        seen.add((measure, day))
        value = draw(
            st_h.one_of(
                st_h.sampled_from([0.0, 5e-324, 1e-300, 1e-290, 1e-9, low, spec.max_value]),
                st_h.floats(low, spec.max_value),
            ),
            label="value",
        )
        rows += [
            {"date": day.isoformat(), "measure": measure, "value": value, **combo}
            for combo in series_of(metrics, measure)
        ]
    return rows


def tiny(measure: str, value: float, days: int = 10) -> list[dict[str, Any]]:
    return [
        {"date": (LAST_DAY - timedelta(days=i)).isoformat(), "measure": measure, "value": value}
        | combo
        for i in range(days)
        for combo in series_of(CONFIG.metrics, measure)
    ]


# Orders at the top of their range over sessions next to nothing, revenue at the top over next
# to no orders, and a margin whose revenue is almost nothing: daily ratios near the largest
# float, whose spread overflows, and some past it.
WORST = (
    tiny("sessions", 1e-290)
    + tiny("orders", 1e12)
    + tiny("net_revenue", 1e12, days=5)
    + tiny("line_net_revenue", 1e-296)
    + tiny("line_cogs", 1e12)
    + tiny("email_recipients", 5e-324)
    + tiny("email_revenue", 1e12)
)
EXAMPLES = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class PoisonedStore:
    """A fresh copy of the demo store per example, with its rows imported."""

    def __init__(self, demo: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.demo, self.folder, self.monkeypatch = demo, folder, monkeypatch
        self.count = 0

    def load(self, rows: list[dict[str, Any]]) -> Engine:
        self.count += 1
        path = self.folder / f"poisoned-{self.count}.db"
        shutil.copy(self.demo, path)
        url = f"sqlite:///{path}"
        self.monkeypatch.setenv(DATABASE_URL_ENV, url)
        st.cache_resource.clear()
        st.cache_data.clear()
        engine = create_store_engine(url)
        migrate(engine)
        result = import_records(
            engine=engine,
            actor=None,
            records=rows,
            checksum="poison",
            source="test",
            config=CONFIG.metrics,
        )
        assert result.ok, result.problems[:3]  # the set is one the store accepts
        return engine

    def holds_for_any(self, check: Callable[[Engine], None], *, examples: int) -> None:
        """`check` passes on the store loaded with the worst set, then up to `examples` others."""

        @settings(EXAMPLES, max_examples=examples)
        @example(rows=WORST)
        @given(rows=poisoned_days())
        def run(rows: list[dict[str, Any]]) -> None:
            engine = self.load(rows)
            try:
                check(engine)
            finally:
                engine.dispose()

        run()


@pytest.fixture
def poisoned(
    demo_store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PoisonedStore]:
    monkeypatch.setenv("QUARTERDECK_DEMO", "0")
    yield PoisonedStore(demo_store_file, tmp_path, monkeypatch)
    st.cache_resource.clear()
    st.cache_data.clear()


def assert_figures_finite(engine: Engine) -> None:
    """Every figure of every key result is a number or no value, never inf or nan, and every
    probability is a probability."""
    with Session(read_engine(engine)) as session:
        evaluation = period_goals(
            session=session, config=CONFIG, period="2026-Q4", today=DEMO_TODAY
        )
    for objective in evaluation.objectives:
        assert objective.progress is None or math.isfinite(objective.progress)
        for kr in objective.key_results:
            for name, value in vars(kr).items():
                if isinstance(value, float):
                    assert math.isfinite(value), f"{kr.title}: {name} is {value}"
            assert kr.probability is None or 0.0 <= kr.probability <= 1.0


def assert_api_and_cli_hold(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert_figures_finite(engine)
    reader = new_token(engine, [READ_OKRS])
    with client_for(engine, CONFIG, today=lambda: DEMO_TODAY) as client:
        openapi = OpenApiChecker(client.get("/api/v1/openapi.json").json())
        response = client.get(OKRS, headers=bearer(reader))
        assert response.status_code == 200, response.text
        openapi.check(response, "get", OKRS)
    capsys.readouterr()
    assert main(["okr"]) == 0
    assert main(["okr", "--format", "json"]) == 0
    printed = capsys.readouterr().out
    json.loads(printed[printed.index("[") :])  # the JSON report is whole


def test_any_accepted_values_leave_the_api_and_the_cli_working(
    poisoned: PoisonedStore, capsys: pytest.CaptureFixture[str]
) -> None:
    poisoned.holds_for_any(lambda engine: assert_api_and_cli_hold(engine, capsys), examples=12)


def director_id(engine: Engine) -> int:
    with Session(read_engine(engine)) as session:
        person = session.exec(select(Person).where(Person.role == Role.director)).first()
        assert person is not None and person.id is not None
        return person.id


def assert_pages_hold(engine: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["demo_person_id"] = director_id(engine)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "This week"
    for page, title in (("pages/goals.py", "Goals"), ("pages/roadmap.py", "Roadmap")):
        at.switch_page(page).run()
        assert not at.exception, f"{page}: {at.exception}"
        assert at.title[0].value == title


def test_any_accepted_values_leave_this_week_goals_and_roadmap_working(
    poisoned: PoisonedStore,
) -> None:
    poisoned.holds_for_any(assert_pages_hold, examples=2)
