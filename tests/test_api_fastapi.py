"""What the API's FastAPI app adds around the routes tests/test_api.py covers: every method on an
API path gets a JSON answer (405 with Allow, 404), GET routes answer HEAD, a parameter FastAPI
itself cannot read gets the API's 422 body rather than FastAPI's, and the server's route hands
the API every /api/ path and nothing else."""

from __future__ import annotations

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from api.app import api_app, api_mount
from api.context import ApiContext
from planning.config import AppConfig
from tests.api_support import client_for


def test_any_method_on_an_api_path_gets_json(sqlite_engine: Engine, config: AppConfig) -> None:
    with client_for(sqlite_engine, config) as client:
        response = client.request("TRACE", "/api/v1/health")
        assert response.status_code == 405
        assert response.json() == {"detail": "TRACE is not allowed here; use GET, HEAD."}
        assert response.headers["allow"] == "GET, HEAD"
        response = client.request("TRACE", "/api/v1/nowhere")
        assert response.status_code == 404
        assert response.json()["detail"].startswith("No API route /api/v1/nowhere")
        head = client.head("/api/v1/health")
        assert (head.status_code, head.content) == (200, b"")


def test_a_parameter_fastapi_cannot_read_gets_the_api_422_body(
    sqlite_engine: Engine, config: AppConfig
) -> None:
    app = api_app(ApiContext(config=config, engine=sqlite_engine))

    async def probe(days: int) -> dict[str, int]:
        return {"days": days}

    app.add_api_route("/api/v1/probe", probe, methods=["GET"])
    with TestClient(app) as client:
        response = client.get("/api/v1/probe", params={"days": "many"})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request cannot be read."
    [problem] = body["problems"]
    assert problem["parameter"] == "days"
    assert "integer" in problem["reason"]


def test_the_server_route_hands_the_api_every_api_path_and_nothing_else(
    sqlite_engine: Engine, config: AppConfig
) -> None:
    async def page(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"page {request.url.path}")

    server = Starlette(
        routes=[
            api_mount(ApiContext(config=config, engine=sqlite_engine)),
            Route("/{rest:path}", page),
        ]
    )
    with TestClient(server) as client:
        assert client.get("/api/v1/health").json()["status"] == "ok"
        assert client.get("/api/v2/x").json()["detail"].startswith("No API route /api/v2/x")
        assert client.delete("/api/v1/observations").headers["allow"] == "POST"
        for path in ("/api", "/apis", "/roadmap"):
            assert client.get(path).text == f"page {path}"
