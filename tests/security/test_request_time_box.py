"""A request that works past its time box cannot hold the server: an import stops before its write
(503, nothing written) and a read is abandoned (503); within the box the same requests succeed."""

from __future__ import annotations

from sqlalchemy import Engine

from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.config import AppConfig
from tests.api_support import bearer, client_for, fingerprint, new_token
from tests.conftest import DEMO_TODAY

CSV = "date,measure,value,channel,device\n2026-11-24,sessions,1200,organic,mobile\n"
JSON = [
    {"date": "2026-11-24", "measure": "sessions", "value": 1200, "channel": "organic",
     "device": "mobile"}
]  # fmt: skip


def test_an_import_past_its_time_box_writes_nothing(engine: Engine, config: AppConfig) -> None:
    writer = new_token(engine, [WRITE_OBSERVATIONS])
    before = fingerprint(engine)
    with client_for(engine, config, today=lambda: DEMO_TODAY, time_box_seconds=0.0) as client:
        as_csv = client.post(
            "/api/v1/observations",
            content=CSV,
            headers={**bearer(writer), "Content-Type": "text/csv"},
        )
        as_json = client.post("/api/v1/observations", json=JSON, headers=bearer(writer))
    for response in (as_csv, as_json):
        assert response.status_code == 503, response.text
        assert "time box of 0 s" in response.json()["detail"]
        assert "nothing was written" in response.json()["detail"]
        assert response.headers["Retry-After"] == "5"
    assert fingerprint(engine) == before


def test_within_the_time_box_the_same_import_is_written(engine: Engine, config: AppConfig) -> None:
    writer = new_token(engine, [WRITE_OBSERVATIONS])
    with client_for(engine, config, today=lambda: DEMO_TODAY) as client:
        response = client.post(
            "/api/v1/observations",
            content=CSV,
            headers={**bearer(writer), "Content-Type": "text/csv"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
    assert fingerprint(engine).observations == 1


def test_a_read_past_its_time_box_is_abandoned(engine: Engine, config: AppConfig) -> None:
    reader = new_token(engine, [READ_OKRS])
    with client_for(engine, config, today=lambda: DEMO_TODAY, time_box_seconds=0.0) as client:
        okrs = client.get("/api/v1/okrs", headers=bearer(reader))
        health = client.get("/api/v1/health")
    for response in (okrs, health):
        assert response.status_code == 503, response.text
        assert "ran past its time box" in response.json()["detail"]
    with client_for(engine, config, today=lambda: DEMO_TODAY) as client:
        assert client.get("/api/v1/okrs", headers=bearer(reader)).status_code == 200
