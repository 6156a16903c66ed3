"""What the benchmark tests share: a result with every always-measured row passing its budget."""

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
