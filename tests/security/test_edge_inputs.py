"""Edge inputs get a clear answer, never a 500 or a traceback: JSON holding half a character
(a lone surrogate) is a 422 with details; quarters and weeks outside the supported years (2000 to
2100) are refused with the range named by the API, the command line and the shared Roadmap."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.access.share_links import create_share_link
from planning.cli.main import main
from planning.config import AppConfig, default_config
from planning.periods import parse_iso_week, parse_quarter
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import Person, PersonRead, Role
from planning.validation import InputError
from planning.work.initiative_input import InitiativeDraft
from planning.work.initiatives import create_initiative
from planning.work.roadmap import roadmap_quarters
from tests.api_support import OpenApiChecker, bearer, client_for, fingerprint, new_token
from tests.cli_support import point_cli_at
from tests.conftest import DEMO_TODAY
from tests.page_text import plain

APP = str(Path(__file__).resolve().parents[2] / "app.py")
OBSERVATIONS = "/api/v1/observations"
OKRS = "/api/v1/okrs"
OUT_OF_RANGE = ["0001-Q1", "1999-Q4", "2101-Q1", "9999-Q4"]


class Api:
    def __init__(self, client: Any, engine: Engine) -> None:
        self.client = client
        self.engine = engine
        self.openapi = OpenApiChecker(client.get("/api/v1/openapi.json").json())
        self.writer = new_token(engine, [WRITE_OBSERVATIONS])
        self.reader = new_token(engine, [READ_OKRS])


@pytest.fixture
def api(engine: Engine, config: AppConfig) -> Iterator[Api]:
    with client_for(engine, config, today=lambda: DEMO_TODAY) as client:
        yield Api(client, engine)


@pytest.mark.parametrize(
    "body",
    [
        b'[{"date": "2026-11-25", "measure": "\\ud800", "value": 1}]',
        b'[{"date": "2026-11-25", "measure": "sessions", "value": 1, "\\udfff": "x"}]',
        b'"\\ud800"',
    ],
    ids=["value", "key", "body"],
)
def test_json_with_a_lone_surrogate_is_422_with_details(api: Api, body: bytes) -> None:
    before = fingerprint(api.engine)
    response = api.client.post(
        OBSERVATIONS,
        content=body,
        headers={**bearer(api.writer), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    api.openapi.check(response, "post", OBSERVATIONS)
    [problem] = response.json()["problems"]
    assert "lone surrogate" in problem["reason"]
    assert fingerprint(api.engine) == before


def test_a_whole_character_written_as_a_surrogate_pair_is_read(api: Api) -> None:
    # An escaped pair is one character (here an emoji): an unknown measure, not broken JSON.
    body = b'[{"date": "2026-11-25", "measure": "\\ud83d\\ude00", "value": 1}]'
    response = api.client.post(
        OBSERVATIONS,
        content=body,
        headers={**bearer(api.writer), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["reason"].startswith("unknown measure '\U0001f600'")


@pytest.mark.parametrize("period", OUT_OF_RANGE)
def test_okrs_of_a_quarter_outside_the_supported_years_is_422(api: Api, period: str) -> None:
    response = api.client.get(OKRS, params={"period": period}, headers=bearer(api.reader))
    assert response.status_code == 422, response.text
    api.openapi.check(response, "get", OKRS)
    [problem] = response.json()["problems"]
    assert problem["parameter"] == "period"
    assert "the year must be 2000 to 2100" in problem["reason"]


def test_the_supported_years_are_one_rule_for_quarters_and_weeks() -> None:
    assert parse_quarter("2000-Q1") == (2000, 1)
    assert parse_quarter("2100-Q4") == (2100, 4)
    assert parse_iso_week("2000-W01") == (2000, 1)
    assert parse_iso_week("2100-W52") == (2100, 52)
    for bad in ("1999-Q4", "2101-Q1"):
        with pytest.raises(ValueError, match="outside the supported range"):
            parse_quarter(bad)
    for bad in ("1999-W52", "2101-W01"):
        with pytest.raises(ValueError, match="outside the supported range"):
            parse_iso_week(bad)


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    point_cli_at(tmp_path / "cli.db", monkeypatch)
    return tmp_path / "cli.db"


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["okr", "--period", "0001-Q1"], "'0001-Q1' is outside the supported range"),
        (["okr", "--period", "9999-Q4"], "'9999-Q4' is outside the supported range"),
        (["okr", "export", "--period", "2101-Q1"], "'2101-Q1' is outside the supported range"),
        (["digest", "--week", "0001-W01"], "'0001-W01' is outside the supported range"),
        (["digest", "--week", "9999-W52"], "'9999-W52' is outside the supported range"),
    ],
)
def test_the_cli_refuses_far_off_periods_in_one_line(
    cli_store: Path, capsys: pytest.CaptureFixture[str], argv: list[str], shown: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert shown in err
    assert "the year must be 2000 to 2100" in err
    assert "Traceback" not in err


def director(engine: Engine) -> PersonRead:
    with Session(engine) as session:
        person = session.exec(select(Person).where(Person.role == Role.director)).first()
        assert person is not None
        return PersonRead.model_validate(person)


@pytest.mark.parametrize("quarter", ["9999-Q4", "0001-Q1"])
def test_a_shared_roadmap_with_a_far_off_quarter_names_it_and_shows_this_quarter(
    app_store: str, quarter: str
) -> None:
    engine = create_store_engine(app_store)
    with session_scope(engine) as session:
        token = create_share_link(
            session=session, actor=director(engine), label="Board", valid_days=30
        ).token
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["share"] = token
    at.query_params["quarter"] = quarter
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Roadmap"
    warning = plain(at.warning[0].value)
    assert f"quarter '{quarter}' is outside the supported range (years 2000 to 2100)" in warning
    assert at.query_params["quarter"] == "2026-Q4"  # the far-off quarter is dropped from the link
    engine.dispose()


def test_work_dated_outside_the_supported_years_is_refused_and_old_rows_do_not_break_the_roadmap(
    app_store: str,
) -> None:
    engine = create_store_engine(app_store)
    boss = director(engine)
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        create_initiative(
            session=session,
            actor=boss,
            config=default_config(),
            draft=InitiativeDraft(
                title="Far future", owner_id=boss.id, target_date=date(2150, 1, 1)
            ),
        )
    assert "target date 2150-01-01 is outside the years 2000 to 2100" in caught.value.problems
    # A row written around the checks (an ETL, an old store) leaves the Roadmap's quarters intact.
    with session_scope(engine) as session:
        created = create_initiative(
            session=session,
            actor=boss,
            config=default_config(),
            draft=InitiativeDraft(title="Far future", owner_id=boss.id, status="planned"),
        )
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE initiative SET start_date = :s, target_date = :t WHERE id = :id"),
            {"s": date(2026, 12, 1), "t": date(9999, 12, 31), "id": created.id},
        )
    with Session(engine) as session:
        quarters = roadmap_quarters(session=session, today=DEMO_TODAY)
    assert "2026-Q4" in quarters and all(q <= "2100-Q4" for q in quarters)
    engine.dispose()
