"""The benchmark's scales (how big a data set, what is measured) and the budgets of DESIGN.md §7."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


PROJECT_DIR = Path(__file__).resolve().parent.parent
APP_SCRIPT = PROJECT_DIR / "app.py"
RESULT_MARK = "BENCH-RESULT "

# DESIGN.md §7.
FLOOR_FACTOR = 20
WARM_LIMIT_MS = 250.0
COLD_LIMIT_MS = 2000.0
KR_EVAL_LIMIT_MS = 300.0
BACKTEST_LIMIT_MS = 2000.0  # the forecast backtest, worked out once per observations version
BACKTEST_RUNS = 3
IMPORT_MIN_ROWS_PER_S = 100_000.0
IMPORT_MIN_SHARE = 0.25
SYNC_MIN_ROWS_PER_S = 100_000.0
# The PostgreSQL server the sync row reads from (a schema of its own, dropped after); without it
# the row says "not measured".
BENCH_POSTGRES_ENV = "QUARTERDECK_BENCH_POSTGRES_URL"
MEMORY_LIMIT_MB = 500.0
# Reminders at a Monday check-in, sent to a local SMTP server (bench/notify_send.py).
NOTIFY_LIMIT_S = 10.0  # for the large scale's 500 (the small scale sends 100)

KR_EVAL_RUNS = 5
# What `streamlit run server.py` imports when the server starts, before anyone opens a page
# (its lifespan then loads the pages' own imports: ui.preload.page_modules).
SERVER_MODULES = ["server"]
KRS_PER_OBJECTIVE = 5
PERSON_PICKER_KEY = "demo_person_id"  # ui/identity.py's picker; set before the first run


@dataclass(frozen=True)
class Scale:
    """How big the data set is and how much the bench measures."""

    name: str
    years: int
    widen: tuple[tuple[str, int], ...]  # (dimension, values each declared value becomes)
    people: int
    key_results: int
    initiatives: int
    status_updates: int
    warm_runs: int
    roles: tuple[str, ...]
    dependencies: int = 0  # between the added initiatives, none closing a loop
    reminders: int = 500  # members owed a check-in reminder in the reminders row
    shopify_lines: int = 200_000  # line items in the Shopify export the Shopify row syncs
    # Budgets that differ by scale (issue 22 gives the xl data set its own).
    kr_eval_limit_ms: float = KR_EVAL_LIMIT_MS
    cold_limit_ms: float = COLD_LIMIT_MS
    warm_limit_ms: float | None = WARM_LIMIT_MS  # a cap on 20 × floor; None: 20 × floor alone
    memory_limit_mb: float = MEMORY_LIMIT_MB


EVERY_ROLE = ("director", "member", "stakeholder")
LARGE_WIDEN = (("channel", 3), ("device", 2), ("product_line", 10))
# Ten times the large data: five years (the demo's most), each channel split into 15 values, each
# device into 3 and each product line into 40: 10,013,784 daily observations.
XL_WIDEN = (("channel", 15), ("device", 3), ("product_line", 40))
SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        # name, years, widen, people, key results, initiatives, status updates, warm runs, roles,
        # dependencies
        Scale(
            "small",
            1,
            (),
            10,
            30,
            100,
            1_000,
            3,
            ("director",),
            150,
            reminders=100,
            shopify_lines=20_000,
        ),
        Scale("large", 3, LARGE_WIDEN, 20, 300, 2_000, 50_000, 15, EVERY_ROLE, 3_000),
        replace(  # the xl data set has budgets of its own
            Scale("xl", 5, XL_WIDEN, 60, 1_000, 20_000, 200_000, 5, EVERY_ROLE, 10_000),
            kr_eval_limit_ms=1000.0,
            cold_limit_ms=3000.0,
            warm_limit_ms=None,
            memory_limit_mb=1024.0,
        ),
    )
}


class BenchError(RuntimeError):
    """The benchmark could not measure something (a page raised, a child process failed)."""
