"""The benchmark's sync row: observations put in PostgreSQL as wide tables and synced back with a
`sql` source, every row arriving; without a PostgreSQL server the row says it was not measured."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bench.data_set import write_config
from bench.measure import measure_sync
from bench.run import checks
from bench.scales import SCALES
from planning.config import load_config
from planning.demo.generator import generate_observations
from tests.bench_support import PASSING_RESULT
from tests.sources_support import PG_SOURCE_BASE


def test_sync_row_reads_every_observation_back(tmp_path: Path) -> None:
    config_dir = write_config(directory=tmp_path / "config", scale=SCALES["small"])
    config = load_config(config_dir)
    frame = generate_observations(
        config=config.metrics, seed=42, end=date(2026, 11, 25), years=1, fiscal_start_month=1
    )
    frame = frame[frame["day"] >= date(2026, 11, 25) - timedelta(days=6)]
    said: list[str] = []
    result = measure_sync(
        frame=frame,
        config_dir=config_dir,
        directory=tmp_path,
        postgres_url=PG_SOURCE_BASE,
        log=said.append,
    )
    assert result["sync_rows"] == len(frame)
    assert result["sync_rows_per_s"] > 0
    assert f"sync of {len(frame):,} rows from PostgreSQL" in said[0]


def test_without_postgres_the_row_is_not_measured() -> None:
    result = dict(PASSING_RESULT)
    row = next(c for c in checks(result) if c.what.startswith("sync from PostgreSQL"))
    assert row.value == "not measured"
    measured = checks({**result, "sync_rows": 10, "sync_rows_per_s": 5.0, "sync_cpu_seconds": 1})
    row = next(c for c in measured if c.what.startswith("sync from PostgreSQL"))
    assert (row.value, row.ok) == ("5", False)
