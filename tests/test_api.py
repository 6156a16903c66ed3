"""The HTTP API through a Starlette test client on SQLite and PostgreSQL: tokens and scopes (401,
403), JSON and CSV imports that are whole, idempotent and recorded as batches, every problem of a
bad body listed (422) with nothing written, size and type limits (413, 415), health, OKRs, and
answers that match the OpenAPI document."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from starlette.routing import Route
from starlette.testclient import TestClient

from api.app import api_app, api_routes
from api.context import ApiContext
from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS, revoke_token
from planning.config import AppConfig
from planning.okrs.evaluation import period_goals
from planning.store.engine import create_store_engine, migrate, session_scope
from planning.store.models import Person, PersonRead, Role
from planning.store.models_access import ApiToken
from planning.store.models_metrics import ImportBatch
from tests.api_support import (
    OpenApiChecker,
    bearer,
    client_for,
    fingerprint,
    new_token,
)
from tests.app_pages import next_year_conversion_kr
from tests.conftest import DEMO_TODAY

OBSERVATIONS = "/api/v1/observations"
HEALTH = "/api/v1/health"
OKRS = "/api/v1/okrs"
OPENAPI = "/api/v1/openapi.json"

ROWS = [
    {"date": "2026-11-24", "measure": "sessions", "value": 1200, "channel": "email",
     "device": "mobile"},
    {"date": "2026-11-24", "measure": "orders", "value": 38, "channel": "email",
     "device": "mobile"},
    {"date": "2026-11-25", "measure": "sessions", "value": 1250.5, "channel": "organic",
     "device": "desktop"},
]  # fmt: skip
CSV = (
    "date,measure,value,channel,device\n"
    "2026-11-24,sessions,1200,email,mobile\n"
    "2026-11-24,orders,38,email,mobile\n"
    "2026-11-25,sessions,1250.5,organic,desktop\n"
)


@pytest.fixture
def client(engine: Engine, config: AppConfig) -> Iterator[TestClient]:
    with client_for(engine, config, today=lambda: DEMO_TODAY) as test_client:
        yield test_client


@pytest.fixture
def openapi(client: TestClient) -> OpenApiChecker:
    return OpenApiChecker(client.get(OPENAPI).json())


@pytest.fixture
def writer(engine: Engine) -> str:
    return new_token(engine, [WRITE_OBSERVATIONS], name="nightly-etl")


@pytest.fixture
def reader(engine: Engine) -> str:
    return new_token(engine, [READ_OKRS], name="dashboard")


def director(engine: Engine) -> PersonRead:
    with session_scope(engine) as session:
        person = Person(name="Maya Lindqvist", email="maya@example.com", role=Role.director)
        session.add(person)
        session.flush()
        return PersonRead.model_validate(person)


def post_json(client: TestClient, secret: str, body: Any) -> Any:
    return client.post(OBSERVATIONS, json=body, headers=bearer(secret))


def post_csv(client: TestClient, secret: str, body: str | bytes) -> Any:
    headers = {**bearer(secret), "Content-Type": "text/csv"}
    return client.post(OBSERVATIONS, content=body, headers=headers)


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"), [("post", OBSERVATIONS), ("get", OKRS)], ids=["observations", "okrs"]
)
@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer qd_not-a-real-token", "Bearer a b"],
    ids=["none", "empty", "no-token", "basic", "unknown", "two-words"],
)
def test_no_valid_token_is_401_and_writes_nothing(
    client: TestClient,
    openapi: OpenApiChecker,
    engine: Engine,
    method: str,
    path: str,
    header: str | None,
) -> None:
    before = fingerprint(engine)
    headers = {} if header is None else {"Authorization": header}
    response = client.request(method, path, json=ROWS, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    openapi.check(response, method, path)
    assert fingerprint(engine) == before


def test_revoked_token_is_401(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, writer: str
) -> None:
    assert post_json(client, writer, ROWS[:1]).status_code == 200
    with session_scope(engine) as session:
        token = session.exec(select(ApiToken)).one()
        revoke_token(session=session, actor=None, token_id=token.id)
    response = post_json(client, writer, ROWS)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    openapi.check(response, "post", OBSERVATIONS)


def test_wrong_scope_is_403(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, writer: str, reader: str
) -> None:
    before = fingerprint(engine)
    response = post_json(client, reader, ROWS)
    assert response.status_code == 403
    assert response.json()["required_scope"] == WRITE_OBSERVATIONS
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    openapi.check(response, "post", OBSERVATIONS)
    assert fingerprint(engine) == before

    response = client.get(OKRS, headers=bearer(writer))
    assert response.status_code == 403
    assert response.json()["required_scope"] == READ_OKRS
    openapi.check(response, "get", OKRS)


def test_token_use_is_noted(client: TestClient, engine: Engine, reader: str) -> None:
    with Session(engine) as session:
        assert session.exec(select(ApiToken.last_used_at)).one() is None
    assert client.get(OKRS, headers=bearer(reader)).status_code == 200
    with Session(engine) as session:
        assert session.exec(select(ApiToken.last_used_at)).one() is not None


def test_a_token_whose_creator_is_no_longer_a_director_cannot_import(
    client: TestClient, openapi: OpenApiChecker, engine: Engine
) -> None:
    maya = director(engine)
    secret = new_token(engine, [WRITE_OBSERVATIONS], actor=maya)
    with session_scope(engine) as session:
        person = session.get(Person, maya.id)
        assert person is not None
        person.role = Role.member
        session.add(person)
    before = fingerprint(engine)
    response = post_json(client, secret, ROWS)
    assert response.status_code == 403
    assert "no longer import" in response.json()["detail"]
    openapi.check(response, "post", OBSERVATIONS)
    assert fingerprint(engine) == before


# --- importing ---------------------------------------------------------------------------------


def test_json_import_is_recorded_and_idempotent(
    client: TestClient, openapi: OpenApiChecker, engine: Engine
) -> None:
    maya = director(engine)
    secret = new_token(engine, [WRITE_OBSERVATIONS], actor=maya, name="nightly-etl")
    response = post_json(client, secret, ROWS)
    assert response.status_code == 200
    openapi.check(response, "post", OBSERVATIONS)
    first = response.json()
    assert {k: first[k] for k in ("added", "updated", "unchanged", "rows")} == {
        "added": 3,
        "updated": 0,
        "unchanged": 0,
        "rows": 3,
    }
    with Session(engine) as session:
        batch = session.get(ImportBatch, first["batch_id"])
        token = session.exec(select(ApiToken)).one()
    assert batch is not None
    assert (batch.source, batch.actor_id, batch.api_token_id) == ("api", maya.id, token.id)
    assert (batch.rows_added, batch.rows_updated) == (3, 0)
    body = json.dumps(ROWS).encode()
    replay = client.post(
        OBSERVATIONS, content=body, headers={**bearer(secret), "Content-Type": "application/json"}
    )
    assert replay.status_code == 200
    assert {k: replay.json()[k] for k in ("added", "updated", "unchanged")} == {
        "added": 0,
        "updated": 0,
        "unchanged": 3,
    }
    with Session(engine) as session:
        second = session.get(ImportBatch, replay.json()["batch_id"])
    assert second is not None and second.checksum == hashlib.sha256(body).hexdigest()

    before = fingerprint(engine)
    again = post_json(client, secret, ROWS)
    assert again.json()["unchanged"] == 3
    after = fingerprint(engine)
    assert (after.observations, after.content) == (before.observations, before.content)

    changed = [dict(ROWS[0], value=1300), *ROWS[1:]]
    response = post_json(client, secret, changed)
    assert {k: response.json()[k] for k in ("added", "updated", "unchanged")} == {
        "added": 0,
        "updated": 1,
        "unchanged": 2,
    }


def test_csv_import_matches_json(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, writer: str
) -> None:
    response = post_csv(client, writer, CSV)
    assert response.status_code == 200
    openapi.check(response, "post", OBSERVATIONS)
    assert response.json()["added"] == 3
    via_csv = fingerprint(engine)
    # The same rows as JSON change nothing: both bodies mean the same observations.
    response = post_json(client, writer, ROWS)
    assert response.json()["unchanged"] == 3
    assert fingerprint(engine).content == via_csv.content
    # JSON that starts with a byte order mark was refused with Python's "Unexpected UTF-8 BOM
    # (decode using utf-8-sig)", in English whatever the language asked for.
    response = client.post(
        OBSERVATIONS,
        content=b"\xef\xbb\xbf" + json.dumps(ROWS).encode(),
        headers={**bearer(writer), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["unchanged"] == 3
    with Session(engine) as session:
        batch = session.get(ImportBatch, 1)
    assert batch is not None
    assert (batch.source, batch.filename, batch.actor_id) == ("api", "request.csv", None)
    assert batch.checksum == hashlib.sha256(CSV.encode()).hexdigest()


def test_json_problems_are_all_listed_by_index_and_field(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, writer: str
) -> None:
    body = [
        ROWS[0],
        {"date": "2026-02-30", "measure": "orders", "value": "12", "channel": "email"},
        {"date": 20261125, "measure": "sesions", "value": -1, "colour": "red"},
        "not an object",
        ROWS[0],
    ]
    before = fingerprint(engine)
    response = post_json(client, writer, body)
    assert response.status_code == 422
    openapi.check(response, "post", OBSERVATIONS)
    payload = response.json()
    assert payload["detail"] == "8 problems in the body; nothing was written."
    found = [(p["index"], p["field"]) for p in payload["problems"]]
    assert found == [
        (1, "date"),
        (1, "value"),
        (1, "device"),
        (2, "date"),
        (2, "measure"),
        (2, "colour"),
        (3, ""),
        (4, ""),
    ]
    reasons = [p["reason"] for p in payload["problems"]]
    assert "2026-02-30 is not a real date" in reasons[0]
    assert reasons[1] == "value must be a JSON number, not text"
    assert "device is missing" in reasons[2]
    assert reasons[3] == "date must be text in YYYY-MM-DD form, not a number"
    assert "did you mean 'sessions'" in reasons[4]
    assert "unknown field 'colour'" in reasons[5]
    assert reasons[6] == "item 3 is text, not an object"
    assert reasons[7] == "duplicate of item 0: same measure, date and dimensions"
    assert fingerprint(engine) == before


def test_csv_problems_are_all_listed_by_line_and_column(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, writer: str
) -> None:
    body = CSV + "2026-11-25,orders,-4,organic,desktop\n2026-13-01,orders,4,organic,desktop\n"
    before = fingerprint(engine)
    response = post_csv(client, writer, body)
    assert response.status_code == 422
    openapi.check(response, "post", OBSERVATIONS)
    problems = response.json()["problems"]
    assert [(p["line"], p["column"]) for p in problems] == [(5, "value"), (6, "date")]
    assert "negative" in problems[0]["reason"]
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    ("media", "body", "reason"),
    [
        ("application/json", b'[{"date": "2026-11-25",', "line 1, column 24"),
        ("application/json", b"", "the body is empty"),
        ("application/json", b'{"date": "2026-11-25"}', "the body is an object"),
        ("application/json", b"[]", "the list is empty"),
        ("application/json", b"[NaN]", "NaN is not a JSON number"),
        ("application/json", b"\xff\xfe[]", "not UTF-8"),
        ("application/json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        ("application/json", b"[" + b"9" * 5000 + b"]", "too many digits"),
        ("text/csv", b"", "the file is empty"),
        ("text/csv", b"date;measure;value\n2026-11-25;sessions;3\n", "';' between cells"),
        ("text/csv", b"date,measure,value\n", "no data rows"),
        ("text/csv", b"date,measure,value,colour\n2026-11-25,sessions,3,red\n", "unknown column"),
    ],
    ids=[
        "truncated-json",
        "empty-json",
        "object",
        "empty-list",
        "nan",
        "not-utf8",
        "deep",
        "huge-integer",
        "empty-csv",
        "semicolons",
        "header-only",
        "unknown-column",
    ],
)
def test_unreadable_bodies_are_422_with_the_reason(
    client: TestClient,
    openapi: OpenApiChecker,
    engine: Engine,
    writer: str,
    media: str,
    body: bytes,
    reason: str,
) -> None:
    before = fingerprint(engine)
    response = client.post(
        OBSERVATIONS, content=body, headers={**bearer(writer), "Content-Type": media}
    )
    assert response.status_code == 422, response.text
    openapi.check(response, "post", OBSERVATIONS)
    assert reason in response.json()["problems"][0]["reason"]
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    ("body", "english", "german"),
    [
        (
            b'[{"date": 2026-11-25}]',
            "line 1, column 15: a comma is expected between items",
            "Zeile 1, Spalte 15: Zwischen den Einträgen wird ein Komma erwartet",
        ),
        (
            b"[{'date': '2026-11-25'}]",
            "line 1, column 3: a key in double quotes is expected",
            "Zeile 1, Spalte 3: Ein Schlüssel in doppelten Anführungszeichen wird erwartet",
        ),
        (
            b"[]\n[]",
            "line 2, column 1: more follows the end of the JSON value",
            "Zeile 2, Spalte 1: Nach dem Ende des JSON-Werts folgt noch mehr",
        ),
        (
            # The later value silently won: 12 sessions were written, not 1,200.
            b'[{"date": "2026-11-25", "measure": "sessions", "value": 1200, "value": 12, '
            b'"channel": "email", "device": "mobile"}]',
            "an object gives the key 'value' twice; give each key once",
            "ein Objekt nennt den Schlüssel 'value' zweimal; nennen Sie jeden Schlüssel nur einmal",
        ),
    ],
    ids=["unquoted-date", "single-quotes", "two-values", "key-twice"],
)
def test_broken_json_is_explained_where_and_what_in_the_readers_language(
    client: TestClient, engine: Engine, writer: str, body: bytes, english: str, german: str
) -> None:
    # Python's own English reason ("Expecting ',' delimiter") reached German readers.
    before = fingerprint(engine)
    for language, reason in (("en", english), ("de", german)):
        response = client.post(
            OBSERVATIONS,
            content=body,
            headers={
                **bearer(writer),
                "Content-Type": "application/json",
                "Accept-Language": language,
            },
        )
        assert response.status_code == 422, response.text
        assert response.json()["problems"][0]["reason"] == reason
    assert fingerprint(engine) == before


@pytest.mark.parametrize(
    "media",
    [None, "text/plain", "application/xml", "multipart/form-data", "text/csv; charset=latin-1"],
)
def test_other_content_types_are_415(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, writer: str, media: str | None
) -> None:
    headers = bearer(writer) if media is None else {**bearer(writer), "Content-Type": media}
    response = client.post(OBSERVATIONS, content=CSV.encode(), headers=headers)
    assert response.status_code == 415
    openapi.check(response, "post", OBSERVATIONS)
    assert fingerprint(engine).observations == 0


def test_bodies_over_the_limit_are_413(engine: Engine, config: AppConfig, writer: str) -> None:
    with client_for(engine, config, max_body_bytes=200) as small:
        openapi = OpenApiChecker(small.get(OPENAPI).json())
        assert "0.0002 MB" in openapi.document["paths"][OBSERVATIONS]["post"]["description"]
        headers = {**bearer(writer), "Content-Type": "text/csv"}
        assert small.post(OBSERVATIONS, content=CSV.encode(), headers=headers).status_code == 200
        big = CSV + "".join(f"2026-10-{d:02d},sessions,5,email,mobile\n" for d in range(1, 20))
        response = small.post(OBSERVATIONS, content=big.encode(), headers=headers)
        assert response.status_code == 413
        openapi.check(response, "post", OBSERVATIONS)

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
            yield big.encode()[:150]
            yield big.encode()[150:]

        response = small.post(OBSERVATIONS, content=chunks(), headers=headers)
        assert response.status_code == 413
        assert fingerprint(engine).observations == 3


# --- health, OKRs, failures --------------------------------------------------------------------


def newest_migration() -> str:
    """The newest revision in planning/store/migrations/versions, read from the files themselves."""
    revisions = [
        line.split("=")[-1].strip().strip('"')
        for path in (Path(__file__).parent.parent / "planning/store/migrations/versions").glob(
            "0*.py"
        )
        for line in path.read_text().splitlines()
        if line.startswith("revision: str =")
    ]
    return max(revisions)


def test_health_reports_schema_and_freshness(
    client: TestClient, openapi: OpenApiChecker, writer: str
) -> None:
    response = client.get(HEALTH)
    assert response.status_code == 200
    openapi.check(response, "get", HEALTH)
    empty = response.json()
    assert empty["status"] == "ok"
    head = newest_migration()
    assert empty["schema"] == {"ok": True, "revision": head, "expected": head}
    assert (empty["latest_observation_day"], empty["observations"]) == (None, 0)
    post_json(client, writer, ROWS)
    filled = client.get(HEALTH).json()
    assert (filled["latest_observation_day"], filled["observations"]) == ("2026-11-25", 3)
    assert filled["last_import_at"] is not None


def test_health_says_degraded_when_the_schema_is_behind(
    client: TestClient, openapi: OpenApiChecker, engine: Engine
) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0002'")
    response = client.get(HEALTH)
    openapi.check(response, "get", HEALTH)
    assert response.json()["status"] == "degraded"
    assert response.json()["schema"] == {
        "ok": False,
        "revision": "0002",
        "expected": newest_migration(),
    }


def test_a_store_from_a_newer_version_is_503_with_the_reason(
    config: AppConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    newer = create_store_engine(url)
    migrate(newer)
    with newer.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    newer.dispose()
    monkeypatch.setenv("QUARTERDECK_DATABASE_URL", url)
    with TestClient(api_app(ApiContext(config=config))) as fresh:  # opens the configured store
        response = fresh.get(HEALTH)
    assert response.status_code == 503
    assert response.json()["detail"].startswith(
        "The store cannot be used: the store's schema is at revision 9999"
    )


def test_unreachable_store_is_503(config: AppConfig, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    missing = create_store_engine(f"sqlite:///{folder}/x.db")
    shutil.rmtree(folder)  # the folder is gone: SQLite cannot open the file
    with client_for(missing, config) as broken:
        openapi = OpenApiChecker(broken.get(OPENAPI).json())
        response = broken.get(HEALTH)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        openapi.check(response, "get", HEALTH)
        response = broken.post(OBSERVATIONS, json=ROWS, headers=bearer("qd_x"))
        assert response.status_code == 503
        openapi.check(response, "post", OBSERVATIONS)


def test_a_bug_is_a_logged_500_without_details(
    client: TestClient,
    openapi: OpenApiChecker,
    writer: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import api.routes_observations

    def broken(**_: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.routes_observations, "import_records", broken)
    with caplog.at_level(logging.ERROR, logger="quarterdeck.api"):
        response = post_json(client, writer, ROWS)
    assert response.status_code == 500
    openapi.check(response, "post", OBSERVATIONS)
    assert "secret internals" not in response.text
    assert "secret internals" in caplog.text


def test_unknown_api_paths_and_methods_answer_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert (response.status_code, response.json()["detail"]) == (
        404,
        "No API route /api/v1/nothing-here; see /api/v1/openapi.json.",
    )
    response = client.delete(OBSERVATIONS)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_okrs_are_the_quarters_evaluation(demo_engine: Engine, config: AppConfig) -> None:
    secret = new_token(demo_engine, [READ_OKRS])
    with client_for(demo_engine, config, today=lambda: DEMO_TODAY) as client:
        openapi = OpenApiChecker(client.get(OPENAPI).json())
        response = client.get(OKRS, headers=bearer(secret))
        assert response.status_code == 200
        openapi.check(response, "get", OKRS)
        report = response.json()
        explicit = client.get(OKRS, params={"period": "2026-q4"}, headers=bearer(secret)).json()
        earlier = client.get(OKRS, params={"period": "2026-Q1"}, headers=bearer(secret))
        openapi.check(earlier, "get", OKRS)
    with Session(demo_engine) as session:
        expected = period_goals(session=session, config=config, period="2026-Q4", today=DEMO_TODAY)
    assert report == explicit
    assert report["period"] == "2026-Q4"
    assert report["as_of"] == expected.as_of.isoformat()
    assert [o["title"] for o in report["objectives"]] == [o.title for o in expected.objectives]
    # The one objective status the pages show, with the worst key result behind it.
    assert [(o["status"], o["status_reason"]) for o in report["objectives"]] == [
        (o.status, o.status_reason) for o in expected.objectives
    ]
    assert any(o["status_reason"].endswith(" is off track") for o in report["objectives"])
    krs = {kr["id"]: kr for o in report["objectives"] for kr in o["key_results"]}
    assert {kr["kind"] for kr in krs.values()} == {"metric", "guardrail", "milestone", "manual"}
    for kr in expected.key_results():
        shown = krs[kr.key_result_id]
        assert (shown["title"], shown["status"]) == (kr.title, kr.status)
        assert same_number(shown["progress"], kr.progress)
        assert same_number(shown["current"], kr.current)
    assert earlier.json()["period"] == "2026-Q1"


def test_okrs_without_data_in_the_window_say_so(demo_engine: Engine, config: AppConfig) -> None:
    """On a quarter's first day a metric key result has no progress and the reason, not 0."""
    with Session(demo_engine) as session:
        owner = session.exec(select(Person)).first()
        assert owner is not None and owner.id is not None
        session.add(next_year_conversion_kr(session, owner.id))
        session.commit()
    secret = new_token(demo_engine, [READ_OKRS])
    with client_for(demo_engine, config, today=lambda: date(2027, 1, 1)) as client:
        report = client.get(OKRS, headers=bearer(secret)).json()
    assert report["period"] == "2027-Q1"
    (kr,) = report["objectives"][0]["key_results"]
    assert (kr["current"], kr["progress"], kr["status"]) == (None, None, "too_early")
    assert kr["status_reason"] == "no data yet in this window"
    assert report["objectives"][0]["progress"] is None


def same_number(shown: float | None, value: float | None) -> bool:
    """A JSON number equals the evaluation's (None and NaN both show as null)."""
    if value is None or value != value:
        return shown is None
    return shown == pytest.approx(value)


@pytest.mark.parametrize("period", ["2026-Q5", "Q4", "26-Q1", "next quarter", ""])
def test_a_bad_period_is_422(
    client: TestClient, openapi: OpenApiChecker, reader: str, period: str
) -> None:
    response = client.get(OKRS, params={"period": period}, headers=bearer(reader))
    assert response.status_code == 422
    openapi.check(response, "get", OKRS)
    assert response.json()["problems"][0]["parameter"] == "period"


# --- the OpenAPI document ----------------------------------------------------------------------


def test_openapi_describes_exactly_the_served_routes(
    client: TestClient, openapi: OpenApiChecker, engine: Engine, config: AppConfig
) -> None:
    document = openapi.document
    assert document["openapi"].startswith("3.1")
    served = {
        (method.lower(), route.path)
        for route in api_routes(ApiContext(config=config, engine=engine))
        if isinstance(route, Route) and "{" not in route.path
        for method in route.methods or ()
        if method != "HEAD"
    }
    described = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert served == described
    for name, schema in document["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            pytest.fail(f"components.schemas.{name} is not a valid JSON Schema: {exc.message}")
    observation = document["components"]["schemas"]["Observation"]
    assert observation["properties"]["measure"]["enum"] == list(config.metrics.measures)
    assert set(observation["properties"]) == {
        "date",
        "measure",
        "value",
        *config.metrics.dimensions,
    }
    response = client.get(OPENAPI)
    openapi.check(response, "get", OPENAPI)


def test_every_documented_status_is_reachable() -> None:
    """The document lists exactly the statuses the tests in this file provoke and check, so a
    status added to the document (or to the handlers) needs a test that answers it."""
    provoked = {
        ("get", HEALTH): {"200", "500", "503"},
        ("post", OBSERVATIONS): {"200", "401", "403", "413", "415", "422", "500", "503"},
        ("get", OKRS): {"200", "401", "403", "422", "500", "503"},
        ("get", OPENAPI): {"200"},
    }
    from planning.config import default_config

    document = ApiContext(config=default_config(), engine=None).document
    for (method, path), statuses in provoked.items():
        assert set(document["paths"][path][method]["responses"]) == statuses, (method, path)


def test_okrs_and_health_failures_are_500_and_503(
    engine: Engine,
    config: AppConfig,
    reader: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.exc import OperationalError

    import api.routes_health
    import planning.okrs.evaluation

    def broken(**_: Any) -> Any:
        raise ValueError("bug")

    def busy(**_: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    with client_for(engine, config) as client:
        openapi = OpenApiChecker(client.get(OPENAPI).json())
        monkeypatch.setattr(planning.okrs.evaluation, "period_goals", broken)
        response = client.get(OKRS, headers=bearer(reader))
        assert response.status_code == 500
        openapi.check(response, "get", OKRS)
        monkeypatch.setattr(planning.okrs.evaluation, "period_goals", busy)
        response = client.get(OKRS, headers=bearer(reader))
        assert response.status_code == 503
        openapi.check(response, "get", OKRS)
        monkeypatch.setattr(api.routes_health, "freshness", broken)
        response = client.get(HEALTH)
        assert response.status_code == 500
        openapi.check(response, "get", HEALTH)


def test_today_default_period_follows_the_fiscal_calendar(
    engine: Engine, config: AppConfig, reader: str
) -> None:
    with client_for(engine, config, today=lambda: date(2027, 2, 3)) as client:
        assert client.get(OKRS, headers=bearer(reader)).json()["period"] == "2027-Q1"


def test_forecast_quality_is_the_backtest_of_the_stores_history(
    demo_engine: Engine, config: AppConfig
) -> None:
    secret = new_token(demo_engine, [READ_OKRS])
    quality = "/api/v1/okrs/forecast-quality"
    with client_for(demo_engine, config, today=lambda: DEMO_TODAY) as client:
        openapi = OpenApiChecker(client.get(OPENAPI).json())
        assert client.get(quality).status_code == 401
        response = client.get(quality, headers=bearer(secret))
        openapi.check(response, "get", quality)
        report = client.get(OKRS, headers=bearer(secret)).json()
    assert response.status_code == 200
    found = response.json()
    assert found["periods"][0] == "2024-Q1" and found["periods"][-1] == "2026-Q3"
    assert found["forecasts"] > 1000
    assert found["brier"] < found["base_rate_brier"]
    assert found["brier"] <= found["raw_brier"]
    for row in found["bins"]:
        if row["forecasts"] >= 20:
            assert abs(row["hit_rate"] - row["stated"]) <= 0.10, row
    assert {k["kind"] for k in found["by_kind"]} >= {"total", "level:period_to_date"}
    # The demo has eleven past quarters: its metric key results' probabilities are calibrated.
    krs = [kr for o in report["objectives"] for kr in o["key_results"] if kr["kind"] == "metric"]
    forecast = [kr for kr in krs if kr["forecast"] is not None]
    assert forecast and all(kr["probability_basis"] == "calibrated" for kr in forecast)
    assert all(0 <= kr["probability"] <= 1 for kr in forecast)
