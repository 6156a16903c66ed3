"""Schemathesis (the real tool) against the OpenAPI document FastAPI generates for the API: cases
drawn from the document, valid and invalid, sent with a token of each kind or none. No answer is a
500, every answer is one the document lists with a body that matches it (status, content type,
headers, schema), a request the document says is invalid is refused, and a refused request writes
nothing to the store. The run is derandomized and bounded, so it takes seconds and the same
cases every time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.app import api_app
from api.context import ApiContext
from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.config import AppConfig
from tests.api_support import bearer, fingerprint, new_token
from tests.conftest import DEMO_TODAY

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# The tokens are chosen below; an unknown query parameter is ignored, as HTTP APIs do, so it is not
# one of the invalid requests that must be refused.
CONFIG = schemathesis.Config.from_dict(
    {"generation": {"with-security-parameters": False, "allow-extra-parameters": False}}
)
RUN = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


EVERY_ANSWER = frozenset({200, 401, 403, 422})
BOTH = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
VALID_ONLY = (GenerationMode.POSITIVE,)  # an operation without inputs has no invalid request


@dataclass(frozen=True)
class Operation:
    """One operation of the document and how hard to try it."""

    path: str
    method: str
    media: str | None
    examples: int  # per generation mode
    modes: tuple[GenerationMode, ...]
    reached: frozenset[int]  # the answers its cases must reach

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.media or ''}".strip()


# The import gets most examples, being the one operation that writes.
OPERATIONS = [
    Operation("/api/v1/observations", "POST", "application/json", 60, BOTH, EVERY_ANSWER),
    Operation("/api/v1/observations", "POST", "text/csv", 25, BOTH, EVERY_ANSWER),
    Operation("/api/v1/okrs", "GET", None, 25, BOTH, EVERY_ANSWER),
    Operation("/api/v1/dependencies", "GET", None, 6, VALID_ONLY, frozenset({200, 401, 403})),
    Operation("/api/v1/health", "GET", None, 3, VALID_ONLY, frozenset({200})),
    Operation("/api/v1/openapi.json", "GET", None, 3, VALID_ONLY, frozenset({200})),
]
# Who sends the request: a token with both scopes most often, so that most cases get past the
# token check to the body and the parameters.
WHO = ["both", "both", "both", "writer", "reader", "none"]


@pytest.fixture
def app(sqlite_engine: Engine, config: AppConfig) -> Any:
    return api_app(ApiContext(config=config, engine=sqlite_engine, today=lambda: DEMO_TODAY))


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_schemathesis_finds_no_500_no_undocumented_answer_and_no_write_on_refusal(
    app: Any, sqlite_engine: Engine, operation: Operation
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=CONFIG)
    endpoint = schema[operation.path][operation.method]
    tokens = {
        "both": bearer(new_token(sqlite_engine, [WRITE_OBSERVATIONS, READ_OKRS], name="both")),
        "writer": bearer(new_token(sqlite_engine, [WRITE_OBSERVATIONS], name="writer")),
        "reader": bearer(new_token(sqlite_engine, [READ_OKRS], name="reader")),
        "none": {},
    }
    seen: set[int] = set()

    for mode in operation.modes:
        cases = endpoint.as_strategy(generation_mode=mode, media_type=operation.media)

        @settings(RUN, max_examples=operation.examples)
        @given(case=cases, who=st.sampled_from(WHO))
        def run(case: Any, who: str) -> None:
            before = fingerprint(sqlite_engine)
            response = case.call(headers=tokens[who])
            case.validate_response(response, checks=CHECKS, headers=tokens[who])
            seen.add(response.status_code)
            if response.status_code != 200 or operation.method != "POST":
                assert fingerprint(sqlite_engine) == before, f"{response.status_code} but it wrote"

        run()
    # The cases reach past the token check: written imports and refused bodies, not 401s alone.
    assert seen == operation.reached, seen
