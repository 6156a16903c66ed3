"""Property-based fuzzing of the API against its own OpenAPI document (hypothesis): valid,
near-valid and garbage JSON and CSV bodies, wrong content types and tokens, huge numbers and
unicode. Every answer must be one the document lists for the operation (never a 500) with a body
matching its schema, a refused request must write nothing, and an accepted one must be idempotent.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from starlette.testclient import TestClient

from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.config import AppConfig
from tests.api_support import GOOD_ROW, OpenApiChecker, bearer, client_for, fingerprint, new_token
from tests.conftest import DEMO_TODAY

OBSERVATIONS = "/api/v1/observations"
OKRS = "/api/v1/okrs"
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Api:
    """A client on a store plus the OpenAPI checker and a token of each kind."""

    def __init__(self, client: TestClient, engine: Engine, config: AppConfig) -> None:
        self.client = client
        self.engine = engine
        self.config = config
        self.openapi = OpenApiChecker(client.get("/api/v1/openapi.json").json())
        self.writer = new_token(engine, [WRITE_OBSERVATIONS], name="fuzz-writer")
        self.reader = new_token(engine, [READ_OKRS], name="fuzz-reader")
        self.schema = self.openapi.document["components"]["schemas"]["Observation"]


@pytest.fixture
def api(sqlite_engine: Engine, config: AppConfig) -> Iterator[Api]:
    # A small body limit so that oversize bodies are cheap to generate.
    with client_for(
        sqlite_engine, config, max_body_bytes=20_000, today=lambda: DEMO_TODAY
    ) as client:
        yield Api(client, sqlite_engine, config)


# --- strategies, from the document's Observation schema ------------------------------------------

text = st.text(st.characters(codec="utf-8"), max_size=30)
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -0.0, 1e308, -1e308, 5e-324, 10**400, 2**63, -(2**63)]),
)


def days() -> st.SearchStrategy[str]:
    real = st.dates(date(2014, 6, 1), date(2041, 6, 1)).map(date.isoformat)
    near = st.sampled_from(["2026-02-30", "2026-13-01", "26-11-25", "2026/11/25", "", " "])
    return st.one_of(real, real, near, text)


def cell(schema: dict[str, Any], name: str) -> st.SearchStrategy[Any]:
    """A value for one field: usually what the schema allows, sometimes not."""
    spec = schema["properties"][name]
    if name == "date":
        return days()
    if name == "value":
        return st.one_of(numbers, numbers, text, st.booleans(), st.none())
    allowed = st.sampled_from(spec["enum"])
    return st.one_of(allowed, allowed, allowed, text, numbers, st.none())


def observation(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the schema's fields (each one sometimes left out) and now and then more."""
    names = list(schema["properties"])
    required = set(schema["required"])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for name in names:
            keep = 0.97 if name in required else 0.6
            if draw(st.floats(0, 1)) < keep:
                item[name] = draw(cell(schema, name))
        if draw(st.integers(0, 9)) == 0:
            item[draw(text)] = draw(st.one_of(text, numbers))
        return item

    return build()


def valid_observation(config: AppConfig) -> st.SearchStrategy[dict[str, Any]]:
    """An observation the store accepts: a declared measure with its declared dimensions."""
    metrics = config.metrics

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        measure = draw(st.sampled_from(list(metrics.measures)))
        highest = metrics.measures[measure].max_value  # the measure's plausible range
        item: dict[str, Any] = {
            "date": draw(st.dates(date(2015, 1, 1), date(2040, 12, 31))).isoformat(),
            "measure": measure,
            "value": draw(
                st.one_of(
                    st.floats(0, highest, allow_nan=False),
                    st.integers(0, int(highest)),
                    st.sampled_from([0, highest, 5e-324]),
                )
            ),
        }
        for name in metrics.measures[measure].dimensions:
            item[name] = draw(st.sampled_from(list(metrics.dimensions[name].values)))
        return item

    return build()


json_garbage = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=20,
)
EDGE_VALUES = [
    10**400,
    -(10**400),
    2**63,
    1e308,
    -1e-320,
    float("nan"),
    float("inf"),
    "",
    " ",
    "\x00",
    "NaN",
    "1e999",
    "ß",
    "2026-11-25T00:00",
    True,
    None,
    [],
    {},
]
edge = st.sampled_from(EDGE_VALUES)
nasty = st.one_of(
    edge,
    edge,
    edge,
    numbers,
    text,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(text, st.integers(), max_size=2),
)


def near_valid(schema: dict[str, Any], config: AppConfig) -> st.SearchStrategy[dict[str, Any]]:
    """An accepted observation with one or two things wrong: a field replaced by a nasty value,
    a field dropped, or an unknown field added."""
    # The required fields come up more often: they are where the checks are.
    names = [*schema["required"], *schema["required"], *schema["properties"]]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        item = draw(valid_observation(config))
        for _ in range(draw(st.integers(1, 2))):
            change = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
            name = draw(st.sampled_from(names))
            if change == "replace":
                item[name] = draw(nasty)
            elif change == "drop":
                item.pop(name, None)
            else:
                item[draw(text)] = draw(nasty)
        return item

    return build()


def json_bodies(schema: dict[str, Any], config: AppConfig) -> st.SearchStrategy[bytes]:
    valid = st.lists(valid_observation(config), min_size=1, max_size=12)
    some_bad = st.lists(
        st.one_of(valid_observation(config), near_valid(schema, config)), min_size=1, max_size=8
    )
    items = st.one_of(
        valid, some_bad, some_bad, st.lists(observation(schema), min_size=0, max_size=12)
    )
    mixed = st.lists(st.one_of(observation(schema), json_garbage), max_size=6)
    as_json = st.one_of(items, items, items, mixed, json_garbage).map(
        lambda v: json.dumps(v, allow_nan=True).encode()
    )
    broken = st.one_of(
        as_json.map(lambda b: b[: max(len(b) - 3, 0)]),  # cut short
        st.binary(max_size=200),
        st.just(b"[" * 3000 + b"]" * 3000),
        st.just(b'[{"value": ' + b"9" * 5000 + b"}]"),
    )
    return st.one_of(as_json, as_json, as_json, broken)


def csv_bodies(schema: dict[str, Any], config: AppConfig) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        columns = draw(st.permutations(list(schema["properties"])))
        kind = draw(st.sampled_from(["valid", "near", "random"]))
        if kind == "valid":
            rows = draw(st.lists(valid_observation(config), min_size=1, max_size=10))
        elif kind == "near":
            rows = draw(st.lists(near_valid(schema, config), min_size=1, max_size=10))
        else:
            columns = columns[: draw(st.integers(1, len(columns)))]
            if draw(st.integers(0, 5)) == 0:
                columns = [*columns, draw(text)]
            rows = draw(st.lists(observation(schema), max_size=10))
        out = io.StringIO()
        writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ",", ",", ";", "\t"])))
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        body = out.getvalue()
        if draw(st.integers(0, 6)) == 0:
            body = body[: draw(st.integers(0, len(body)))]
        encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16"]))
        return body.encode(encoding, errors="surrogatepass")

    return st.one_of(build(), build(), build(), st.binary(max_size=300))


content_types = st.sampled_from(
    [
        "application/json",
        "text/csv",
        "text/csv; charset=utf-8",
        "application/json; charset=latin-1",
        "text/plain",
        "",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ]
)


def auth(api: Api) -> st.SearchStrategy[dict[str, str]]:
    return st.one_of(
        st.just(bearer(api.writer)),
        st.just(bearer(api.writer)),
        st.just(bearer(api.writer)),
        st.just(bearer(api.reader)),
        st.just({}),
        text.filter(lambda t: t.isascii() and t.isprintable()).map(
            lambda t: {"Authorization": f"Bearer {t}"}
        ),
        st.just({"Authorization": "Basic Zm9vOmJhcg=="}),
    )


def send(api: Api, body: bytes, media: str, headers: dict[str, str]) -> Any:
    if media:
        headers = {**headers, "Content-Type": media}
    return api.client.post(OBSERVATIONS, content=body, headers=headers)


# --- properties ----------------------------------------------------------------------------------


def exchange(api: Api, body: bytes, media: str, headers: dict[str, str]) -> int:
    """Send a body and check the answer: documented, never 500, nothing written unless
    accepted, and an accepted body accepted again without changing anything."""
    before = fingerprint(api.engine)
    response = send(api, body, media, headers)
    assert response.status_code != 500, response.text
    api.openapi.check(response, "post", OBSERVATIONS)
    after = fingerprint(api.engine)
    if response.status_code != 200:
        assert after == before, f"{response.status_code} but the store changed"
        return response.status_code
    result = response.json()
    assert after.batches == before.batches + 1
    assert after.observations == before.observations + result["added"]
    replay = send(api, body, media, headers)
    assert replay.status_code == 200
    again = replay.json()
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, result["rows"])
    assert fingerprint(api.engine).content == after.content
    return 200


def as_csv_text(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return out.getvalue().encode("utf-8", errors="surrogatepass")


def test_anything_sent_is_answered_as_documented_and_refusals_write_nothing(api: Api) -> None:
    seen: set[int] = set()
    as_json, as_csv = json_bodies(api.schema, api.config), csv_bodies(api.schema, api.config)

    # A fixed sequence of examples: a random one reached a written (200) body in only about four
    # runs of five, and the reach below is asserted, so the run must not depend on luck.
    @settings(FUZZ, derandomize=True)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        media = data.draw(content_types, label="content type")
        if media.startswith("application/json"):
            body = data.draw(as_json, label="json body")
        elif media.startswith("text/csv"):
            body = data.draw(as_csv, label="csv body")
        else:
            body = data.draw(st.one_of(as_json, as_csv), label="body")
        if data.draw(st.integers(0, 15), label="oversize") == 0:
            body = body + b" " * 20_001
        headers = data.draw(auth(api), label="auth")
        seen.add(exchange(api, body, media, headers))

    run()
    # The generators reach every kind of answer, not only refusals.
    assert seen >= {200, 401, 403, 413, 415, 422}, seen


def every_edge_value(test: Any) -> Any:
    """Always try each edge value in each required field and a dimension, as JSON and as CSV,
    before the random examples."""
    for field in ("date", "measure", "value", "channel"):
        for value in EDGE_VALUES:
            for as_csv in (False, True):
                test = example(
                    good=[], bad=GOOD_ROW, field=field, value=value, position=0, as_csv=as_csv
                )(test)
    return test


def test_one_bad_field_in_a_good_body_is_never_a_500(api: Api) -> None:
    names = list(api.schema["properties"])

    @FUZZ
    @every_edge_value
    @given(
        good=st.lists(valid_observation(api.config), max_size=4),
        bad=valid_observation(api.config),
        field=st.sampled_from([*names, "unknown"]),
        value=nasty,
        position=st.integers(0, 4),
        as_csv=st.booleans(),
    )
    def run(
        good: list[dict[str, Any]],
        bad: dict[str, Any],
        field: str,
        value: Any,
        position: int,
        as_csv: bool,
    ) -> None:
        bad = {**bad, field: value}
        rows = [*good[:position], bad, *good[position:]]
        if as_csv:
            columns = names if field in names else [*names, field]
            body, media = as_csv_text(rows, columns), "text/csv"
        else:
            body, media = json.dumps(rows, allow_nan=True).encode(), "application/json"
        exchange(api, body, media, bearer(api.writer))

    run()


def test_okrs_and_health_never_fail(api: Api) -> None:
    periods = st.one_of(
        st.none(),
        text,
        st.builds(lambda y, q: f"{y}-Q{q}", st.integers(-5, 12000), st.integers(-1, 9)),
    )

    @FUZZ
    @given(period=periods, headers=auth(api), path=st.sampled_from([OKRS, "/api/v1/health"]))
    def run(period: str | None, headers: dict[str, str], path: str) -> None:
        params = {} if period is None else {"period": period}
        response = api.client.get(path, params=params, headers=headers)
        assert response.status_code != 500, response.text
        api.openapi.check(response, "get", path)

    run()
