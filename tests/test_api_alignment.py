"""The API on the demo store: the OKR report names each objective's parents and the key results
counted towards it, and the dependencies between initiatives are readable with a read token (and
refused without one)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from planning.access.api_tokens import READ_OKRS, WRITE_OBSERVATIONS
from planning.config import AppConfig
from planning.store.engine import create_store_engine
from tests.api_support import bearer, client_for, new_token
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def demo(demo_store_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    target = tmp_path_factory.mktemp("api_alignment") / "demo.db"
    shutil.copy(demo_store_file, target)
    engine = create_store_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(demo: Engine, config: AppConfig) -> Any:
    return client_for(demo, config, today=lambda: DEMO_TODAY)


def test_the_okr_report_has_parents_and_contributions(demo: Engine, client: Any) -> None:
    token = bearer(new_token(demo, [READ_OKRS], name="okr reader"))
    answer = client.get("/api/v1/okrs?period=2026-Q4", headers=token)
    assert answer.status_code == 200
    objectives = {o["title"]: o for o in answer.json()["objectives"]}
    company = objectives["Grow profitable online revenue"]
    checkout = objectives["Make checkout effortless on every device"]
    assert [p["title"] for p in checkout["parents"]] == [company["title"]]
    assert checkout["parents"][0]["period"] == "2026-Q4"
    counted = {c["title"]: c for c in company["contributions"]}
    assert counted["Conversion rate up"]["weight"] == 1.0
    assert counted["Conversion rate up"]["objective_id"] == checkout["id"]


def test_dependencies_are_read_with_a_read_token_only(demo: Engine, client: Any) -> None:
    assert client.get("/api/v1/dependencies").status_code == 401
    writer = bearer(new_token(demo, [WRITE_OBSERVATIONS], name="writer only"))
    assert client.get("/api/v1/dependencies", headers=writer).status_code == 403
    reader = bearer(new_token(demo, [READ_OKRS], name="reader"))
    answer = client.get("/api/v1/dependencies", headers=reader)
    assert answer.status_code == 200
    links = {
        (d["blocker"]["title"], d["blocked"]["title"]): d for d in answer.json()["dependencies"]
    }
    wallets = links[("One-page checkout redesign", "Express checkout with wallets")]
    assert wallets["late"] is False  # the redesign shipped before the wallets work started
    assert wallets["blocker"]["status"] == "done"
    assert wallets["blocker"]["end"] < wallets["blocked"]["start"]  # ISO dates compare as text
    assert len(links) == 5
