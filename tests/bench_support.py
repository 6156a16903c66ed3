"""What the benchmark tests share: a result with every always-measured row passing its budget, and
the small scale cut down for the tests that run the whole bench command."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from bench.scales import SCALES, Scale

PASSING_RESULT: dict[str, Any] = {
    "floor_ms": 1.0,
    "pages": {},
    "kr_eval_ms": 1.0,
    "counts": {"key_results": 0},
    "import_rows_per_s": 1.0,
    "sqlite_executemany_rows_per_s": 1.0,
    "peak_rss_mb": 1.0,
}


@contextmanager
def small_scale_for_tests() -> Iterator[Scale]:
    """`bench --scale small` with the Shopify export and the reminders cut to sizes like those
    their own tests use (tests/test_bench_shopify.py, tests/test_bench_notify.py): every row is
    still measured and judged, on the same data set, in less time. SCALES is as it was after."""
    scale = replace(SCALES["small"], shopify_lines=2_000, reminders=10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(SCALES, "small", scale)
        yield scale
