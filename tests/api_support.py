"""Helpers for the API tests: a client on a store, tokens, the store's fingerprint, and the check
that an answer is one the OpenAPI document describes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema
from sqlalchemy import Engine, text
from starlette.testclient import TestClient

from api.app import api_app
from api.context import ApiContext
from planning.access.api_tokens import create_token
from planning.store.engine import session_scope
from planning.store.models import PersonRead

# One observation the API accepts, as a JSON body's row.
GOOD_ROW = {
    "date": "2026-11-25",
    "measure": "sessions",
    "value": 10,
    "channel": "email",
    "device": "mobile",
}


def new_token(
    engine: Engine, scopes: Iterable[str], *, actor: PersonRead | None = None, name: str = "etl"
) -> str:
    """Create a token and return its secret."""
    with session_scope(engine) as session:
        return create_token(session=session, actor=actor, name=name, scopes=list(scopes)).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@dataclass(frozen=True)
class Fingerprint:
    """What an import may change: observation and batch counts and the observations' content."""

    observations: int
    batches: int
    content: str


def fingerprint(engine: Engine) -> Fingerprint:
    """Counts plus a SHA-256 over every observation (measure, dimensions, day, value), sorted."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT s.measure, s.dims_key, o.day, o.value FROM observation o "
                "JOIN series s ON s.id = o.series_id ORDER BY s.measure, s.dims_key, o.day"
            )
        )
        count = 0
        for measure, key, day, value in rows:
            digest.update(f"{measure}|{key}|{str(day)[:10]}|{float(value)!r}\n".encode())
            count += 1
        batches = int(conn.execute(text("SELECT COUNT(*) FROM import_batch")).scalar_one())
    return Fingerprint(observations=count, batches=batches, content=digest.hexdigest())


class OpenApiChecker:
    """Checks answers against the served OpenAPI document: the status is listed for the
    operation and the JSON body validates against that status's schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.seen: set[tuple[str, str, str]] = set()

    def check(self, response: Any, method: str, path: str) -> None:
        operation = self.document["paths"][path][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method} {path} answered {status}, which the OpenAPI document does not list: "
            f"{response.text[:500]}"
        )
        self.seen.add((method.lower(), path, status))
        content = operation["responses"][status].get("content")
        if content is None:
            return
        assert response.headers["content-type"].startswith("application/json")
        schema = content["application/json"]["schema"]
        validator = jsonschema.Draft202012Validator(
            {**schema, "components": self.document["components"]},
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
        assert not errors, f"{method} {path} {status} does not match its schema: " + "; ".join(
            f"{list(e.path)}: {e.message}" for e in errors[:5]
        )


def client_for(engine: Engine, config: Any, **options: Any) -> TestClient:
    """A test client on the API routes over this store (raising nothing: 500s are answers)."""
    context = ApiContext(config=config, engine=engine, **options)
    return TestClient(api_app(context), raise_server_exceptions=False)
