"""What the benchmark tests share: a result with every always-measured row passing its budget,
and what every load step that went well shows."""

from __future__ import annotations

from typing import Any

PASSING_RESULT: dict[str, Any] = {
    "floor_ms": 1.0,
    "pages": {},
    "kr_eval_ms": 1.0,
    "counts": {"key_results": 0},
    "import_rows_per_s": 1.0,
    "sqlite_executemany_rows_per_s": 1.0,
    "peak_rss_mb": 1.0,
}


def assert_every_write_landed(step: dict[str, Any], *, client: str, rounds: int) -> None:
    """A load step with no error, every confirmed status update found in the store and every
    planning save made, driven by `client`."""
    assert step["client"] == client
    assert step["errors"] == []
    assert step["status_updates_confirmed"] == rounds
    assert step["status_updates_found"] == rounds
    assert step["lost_writes"] == 0
    assert step["planning_saves"] == rounds
