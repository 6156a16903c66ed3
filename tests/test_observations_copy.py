"""PostgreSQL's COPY write path for observations gives exactly what the executemany upsert gives:
the same rows, values and counts for new rows, changed values, equal values and a mix of all
three (run only when QUARTERDECK_TEST_POSTGRES_URL names a server)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from planning.metrics.observations import UpsertCounts, dims_key, upsert_observations
from tests.sources_support import stored

START = date(2026, 1, 1)


def _frame(
    days: range, *, shift: float = 0.0, devices: tuple[str, ...] = ("mobile",)
) -> pd.DataFrame:
    rows = [
        {
            "measure": measure,
            "day": START + timedelta(days=d),
            "dims_key": dims_key({"channel": "email", "device": device}),
            "value": round(d * 1.1 + k + shift, 2) if measure != "revenue" else d / 3 + shift,
        }
        for k, measure in enumerate(("sessions", "orders", "revenue"))
        for device in devices
        for d in days
    ]
    return pd.DataFrame(rows)


# Each step: new rows; the same rows again; half of them changed and a new series; a mix; new
# days after every stored one (nothing to merge: COPY goes straight into the table).
STEPS = [
    _frame(range(0, 40)),
    _frame(range(0, 40)),
    pd.concat([_frame(range(0, 20), shift=0.5), _frame(range(0, 20), devices=("desktop",))]),
    pd.concat([_frame(range(30, 60), shift=0.25), _frame(range(10, 25), devices=("desktop",))]),
    _frame(range(60, 75), devices=("mobile", "desktop")),
]


def _write_all(
    engine: Engine, *, copy: bool
) -> tuple[list[UpsertCounts], dict[tuple[str, str, str], float]]:
    """Write every step, one transaction each; the counts and the rows stored, then none."""
    counts = []
    for frame in STEPS:
        with engine.begin() as connection:
            counts.append(upsert_observations(connection=connection, frame=frame, copy=copy))
    rows = stored(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM observation"))
    return counts, rows


def test_copy_and_executemany_leave_the_same_rows_and_counts(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    by_executemany = _write_all(engine, copy=False)
    by_copy = _write_all(engine, copy=True)
    assert by_copy == by_executemany
    counts, rows = by_copy
    assert counts[0] == UpsertCounts(added=120, updated=0, unchanged=0)
    assert counts[1] == UpsertCounts(added=0, updated=0, unchanged=120)
    assert counts[2] == UpsertCounts(added=60, updated=60, unchanged=0)
    assert counts[4] == UpsertCounts(added=90, updated=0, unchanged=0)
    assert len(rows) == 3 * (75 + 40)


def test_two_copies_in_one_transaction(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with engine.begin() as connection:
        first = upsert_observations(connection=connection, frame=STEPS[0])
        again = upsert_observations(connection=connection, frame=STEPS[2])
    assert (first.added, again.added, again.updated) == (120, 60, 60)


def test_rows_copied_straight_in_keep_the_daily_totals_equal_to_the_raw_sums(
    engine: Engine,
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    with engine.begin() as connection:
        upsert_observations(connection=connection, frame=STEPS[0])
        upsert_observations(connection=connection, frame=STEPS[4])
        totals = connection.execute(
            text("SELECT measure, day, total, rows FROM observation_daily ORDER BY 1, 2")
        ).all()
        summed = connection.execute(
            text(
                "SELECT s.measure, o.day, SUM(o.value), COUNT(*) FROM observation o "
                "JOIN series s ON s.id = o.series_id GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
    assert [tuple(r) for r in totals] == [tuple(r) for r in summed]
    assert len(totals) == 3 * (40 + 15)


def test_copy_is_refused_on_sqlite(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as connection, pytest.raises(ValueError, match="PostgreSQL"):
        upsert_observations(connection=connection, frame=STEPS[0], copy=True)
    with sqlite_engine.begin() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM observation")).scalar_one() == 0
