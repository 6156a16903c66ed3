"""The benchmark on PostgreSQL (bench --store postgresql+psycopg://…), at the small scale, when
QUARTERDECK_TEST_POSTGRES_URL names a server: the same measurements as on SQLite, the import
against a bare COPY of the same rows, and nothing left behind on the server. Numbers are checked
for sanity, never against budgets."""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from planning.cli.main import main
from tests.conftest import POSTGRES_URL_ENV

needs_postgres = pytest.mark.skipif(
    not os.environ.get(POSTGRES_URL_ENV), reason=f"{POSTGRES_URL_ENV} is not set"
)


def _bench_schemas(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'")
            ).all()
    finally:
        engine.dispose()
    return {str(r[0]) for r in rows}


@needs_postgres
def test_small_bench_on_postgresql_measures_everything_and_drops_its_schemas(
    tmp_path: Path,
) -> None:
    url = os.environ[POSTGRES_URL_ENV]
    out = tmp_path / "pg.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["bench", "--scale", "small", "--store", url, "--runs", "1", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["store"] == "postgresql"
    assert result["bare_method"] == "COPY"
    assert result["import_rows"] == result["counts"]["observations"] > 40_000
    assert result["import_rows_per_s"] > 0 and result["bare_rows_per_s"] > 0
    assert result["key_results_evaluated"] == 30
    for name, page in result["pages"].items():
        assert page["roles"]["director"]["errors"] == [], name
    assert "CSV import vs bare COPY" in printed.getvalue()
    assert "on postgresql" in printed.getvalue()
    made = set(result["postgres_schemas"])
    assert len(made) == 3  # the data set's store, the import's and the bare table's
    assert not made & _bench_schemas(url)


def test_store_must_be_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--store", "sqlite:///x.db"]) != 0
    assert "postgresql+psycopg://" in capsys.readouterr().err
