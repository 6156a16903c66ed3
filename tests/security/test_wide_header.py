"""A wide header: a CSV whose header names hundreds of thousands of columns is refused with one
clear message before any row is parsed, by the command line, the upload check and the API; a
header at the limit is still read. A regression that goes back to slow column checks fails here
on a timeout instead of hanging the suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import Engine

from planning.access.api_tokens import WRITE_OBSERVATIONS
from planning.config import AppConfig
from planning.metrics.import_file import ImportFileError, column_limit, read_table
from tests.api_support import bearer, client_for, fingerprint, new_token
from tests.conftest import DEMO_TODAY

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = 500_000
WIDE = textwrap.dedent(
    f"""
    import sys
    from planning.cli.main import main

    header = ",".join(["date", "measure", "value"] + [f"c{{i}}" for i in range({COLUMNS})])
    row = "2026-11-25,sessions,1" + "," * {COLUMNS}
    path = sys.argv[1]
    with open(path, "w", encoding="utf-8") as out:
        out.write(header + "\\n" + row + "\\n")
    sys.exit(main(["import", path]))
    """
)


def test_a_header_of_half_a_million_columns_is_refused_quickly_by_the_cli(
    tmp_path: Path,
) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "QUARTERDECK_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
        "QUARTERDECK_DEMO": "0",
        "QUARTERDECK_TODAY": DEMO_TODAY.isoformat(),
    }
    done = subprocess.run(
        [sys.executable, "-c", WIDE, str(tmp_path / "wide.csv")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,  # seconds: minutes of parsing would fail here rather than hang
    )
    assert done.returncode != 0
    assert (
        "the header has 500,003 columns; an observations file has at most 64 "
        "(date, measure, value and one per dimension); nothing was imported"
    ) in done.stderr
    assert "Traceback" not in done.stderr


def test_the_limit_is_read_and_one_more_is_refused(config: AppConfig) -> None:
    limit = column_limit(config.metrics)
    dimensions = list(config.metrics.dimensions)
    # Blank-named columns up to the limit are read (and dropped, being empty).
    header = ",".join(["date", "measure", "value", *dimensions])
    row = "2026-11-25,sessions,1,email,mobile,,"
    filler = limit - 3 - len(dimensions)
    table = read_table(
        data=(header + "," * filler + "\n" + row + "," * filler + "\n").encode(),
        filename="at-limit.csv",
        config=config.metrics,
    )
    assert list(table.columns) == ["date", "measure", "value", *dimensions]
    with pytest.raises(ImportFileError, match=rf"has {limit + 1} columns; .* at most {limit}"):
        read_table(
            data=(header + "," * (filler + 1) + "\n" + row + "," * (filler + 1) + "\n").encode(),
            filename="over.csv",
            config=config.metrics,
        )


def test_the_api_refuses_a_wide_header_with_the_message(engine: Engine, config: AppConfig) -> None:
    header = ",".join(["date", "measure", "value"] + [f"c{i}" for i in range(50_000)])
    body = header + "\n" + "2026-11-25,sessions,1" + "," * 50_000 + "\n"
    with client_for(engine, config, today=lambda: DEMO_TODAY) as client:
        writer = new_token(engine, [WRITE_OBSERVATIONS])
        before = fingerprint(engine)
        response = client.post(
            "/api/v1/observations",
            content=body,
            headers={**bearer(writer), "Content-Type": "text/csv"},
        )
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["reason"].startswith("the header has 50,003 columns")
    assert fingerprint(engine) == before
