"""Tokens follow their owner: an API token stops opening the API once the director who created it
is demoted or deactivated (and works again if they are made an active director again), while a
command-line token has no owner to lose. And the OpenAPI document says exactly what the API
accepts: an observation is valid by the document if and only if the API takes it, and a period
is valid by the document if and only if the API reads it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.cli.main import main
from planning.config import AppConfig
from planning.store.engine import create_store_engine, session_scope
from planning.store.models import Person, PersonRead, Role
from tests.api_support import GOOD_ROW, OpenApiChecker, bearer, client_for, fingerprint, new_token
from tests.app_pages import open_admin_tab
from tests.conftest import DEMO_TODAY
from tests.okr_seed import make_team

OKRS = "/api/v1/okrs"
OBSERVATIONS = "/api/v1/observations"


@pytest.fixture
def client(engine: Engine, config: AppConfig) -> Iterator[TestClient]:
    with client_for(engine, config, today=lambda: DEMO_TODAY) as test_client:
        yield test_client


def change(engine: Engine, person_id: int, **fields: Any) -> None:
    with session_scope(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        for name, value in fields.items():
            setattr(person, name, value)
        session.add(person)


@pytest.mark.parametrize(
    ("fields", "now"),
    [
        ({"role": Role.member}, "now a member"),
        ({"role": Role.stakeholder}, "now a stakeholder"),
        ({"active": False}, "now deactivated"),
    ],
    ids=["member", "stakeholder", "deactivated"],
)
def test_a_read_token_stops_when_its_creator_is_no_longer_an_active_director(
    client: TestClient, engine: Engine, fields: dict[str, Any], now: str
) -> None:
    openapi = OpenApiChecker(client.get("/api/v1/openapi.json").json())
    maya = make_team(engine).director
    secret = new_token(engine, [READ_OKRS], actor=maya, name="board-dashboard")
    assert client.get(OKRS, headers=bearer(secret)).status_code == 200
    change(engine, maya.id, **fields)
    response = client.get(OKRS, headers=bearer(secret))
    assert response.status_code == 403
    openapi.check(response, "get", OKRS)
    detail = response.json()["detail"]
    assert f"'board-dashboard' was created by Maya Lindqvist, who is {now}" in detail
    assert "ask a director for a new token" in detail
    # Made an active director again, the same person's token opens the API again.
    change(engine, maya.id, role=Role.director, active=True)
    assert client.get(OKRS, headers=bearer(secret)).status_code == 200


def test_a_write_token_of_a_deactivated_director_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    maya = make_team(engine).director
    secret = new_token(engine, [WRITE_OBSERVATIONS, READ_OKRS], actor=maya)
    change(engine, maya.id, active=False)
    before = fingerprint(engine)
    response = client.post(OBSERVATIONS, json=[GOOD_ROW], headers=bearer(secret))
    assert response.status_code == 403
    assert "now deactivated" in response.json()["detail"]
    assert fingerprint(engine) == before


def test_a_command_line_token_has_no_owner_to_lose(client: TestClient, engine: Engine) -> None:
    maya = make_team(engine).director
    secret = new_token(engine, [READ_OKRS])  # created at the command line
    change(engine, maya.id, active=False)
    assert client.get(OKRS, headers=bearer(secret)).status_code == 200


def test_admin_and_the_cli_list_a_lapsed_token_as_lapsed(
    app_store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_store_engine(app_store)
    with session_scope(engine) as session:
        ola = Person(name="Ola Berg", email="ola@example.com", role=Role.director)
        session.add(ola)
        session.flush()
        ola_read = PersonRead.model_validate(ola)
    new_token(engine, [READ_OKRS], actor=ola_read, name="ola-dashboard")
    new_token(engine, [READ_OKRS], name="etl")
    change(engine, ola_read.id, role=Role.member)
    with Session(engine) as session:
        director = session.exec(
            select(Person).where(Person.role == Role.director, Person.id != ola_read.id)
        ).first()
        assert director is not None
    at = open_admin_tab(director.id, "API tokens")
    table = at.tabs[1].dataframe[0].value
    states = dict(zip(table["name"], table["state"], strict=True))
    assert states == {
        "etl": "active",
        "ola-dashboard": "lapsed: its creator is no longer an active director",
    }
    capsys.readouterr()
    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "lapsed (creator not a director)" in listing
    engine.dispose()


# --- the document says what the API accepts ----------------------------------------------------

CHECKS = settings(
    max_examples=150,
    derandomize=True,  # a fixed sequence: its reach of both verdicts does not depend on luck
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def observation_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    schema = document["components"]["schemas"]["Observation"]
    return jsonschema.Draft202012Validator(
        {**schema, "components": document["components"]},
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


def candidates(config: AppConfig) -> st.SearchStrategy[dict[str, Any]]:
    """Observations near the line: any measure, each dimension filled with one of its values,
    another dimension's value, null, empty or left out, and values around each range's ends."""
    metrics = config.metrics
    every_value = sorted({v for d in metrics.dimensions.values() for v in d.values})

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        measure = draw(st.sampled_from(sorted(metrics.measures)))
        spec = metrics.measures[measure]
        item: dict[str, Any] = {
            "date": draw(
                st.one_of(
                    st.dates(date(2014, 6, 1), date(2041, 6, 1)).map(date.isoformat),
                    st.sampled_from(["2026-02-30", "2026-11-5", "2026-11-25T00:00"]),
                )
            ),
            "measure": measure,
            "value": draw(
                st.one_of(
                    st.sampled_from(
                        [
                            0,
                            -1,
                            spec.max_value,
                            spec.max_value * 1.0001,
                            spec.min_value,
                            spec.min_value * 1.0001,
                            1e308,
                            12.5,
                        ]
                    ),
                    st.floats(-2e12, 2e12),
                )
            ),
        }
        for name, dimension in metrics.dimensions.items():
            declared = name in spec.dimensions
            options = [*dimension.values] if declared else [None, ""]
            pick = draw(
                st.one_of(
                    st.sampled_from(options),
                    st.sampled_from(options),
                    st.sampled_from([None, "", *every_value, "absent"]),
                )
            )
            if pick != "absent":
                item[name] = pick
        return item

    return build()


def test_an_observation_is_valid_by_the_document_exactly_when_the_api_takes_it(
    client: TestClient, engine: Engine, config: AppConfig
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    validator = observation_validator(document)
    writer = new_token(engine, [WRITE_OBSERVATIONS])
    seen: set[bool] = set()

    @CHECKS
    @given(item=candidates(config))
    def run(item: dict[str, Any]) -> None:
        valid = validator.is_valid(item)
        response = client.post(OBSERVATIONS, json=[item], headers=bearer(writer))
        assert response.status_code in (200, 422), response.text
        errors = [e.message for e in validator.iter_errors(item)][:3]
        assert (response.status_code == 200) == valid, (
            f"document says {'valid' if valid else f'invalid ({errors})'}, "
            f"API answered {response.status_code}: {response.text[:300]}"
        )
        seen.add(valid)

    run()
    assert seen == {True, False}  # both sides of the line were tried


@pytest.mark.parametrize(
    "period",
    [
        "2026-Q4",
        "2026-q4",
        " 2026-Q1 ",
        "2000-Q1",
        "2100-Q4",
        "1999-Q4",
        "2101-Q1",
        "0001-Q1",
        "9999-Q4",
        "2026-Q5",
        "26-Q1",
        "",
        "2026-Q4x",
    ],
)
def test_a_period_is_valid_by_the_document_exactly_when_the_api_reads_it(
    client: TestClient, engine: Engine, period: str
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    [parameter] = document["paths"][OKRS]["get"]["parameters"]
    valid = re.search(parameter["schema"]["pattern"], period) is not None
    reader = new_token(engine, [READ_OKRS])
    response = client.get(OKRS, params={"period": period}, headers=bearer(reader))
    assert response.status_code == (200 if valid else 422), json.dumps(response.json())[:300]
