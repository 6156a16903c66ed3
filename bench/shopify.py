"""The benchmark's Shopify row: a Shopify orders export of SHOPIFY_LINES line items (the shape of
the tests' fixture, bench/shopify_export.py) synced by a `shopify_orders_csv` source from a local
file into an empty SQLite store: reading, converting, validating and writing, timed whole.

Its budget (DESIGN.md §7, issue 18): under SHOPIFY_LIMIT_S seconds for 200,000 line items.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.shopify_export import PREFIXES, shopify_export

SHOPIFY_LINES = 200_000
SHOPIFY_LIMIT_S = 10.0


def measure_shopify(
    *,
    config_dir: Path,
    directory: Path,
    log: Callable[[str], None],
    lines: int = SHOPIFY_LINES,
) -> dict[str, Any]:
    """Write the export to `directory`, then time one run of a shopify_orders_csv source on it."""
    from planning.config import load_config
    from planning.sources.config import load_sources
    from planning.sources.runs import run_source
    from planning.store.engine import create_store_engine, migrate

    config = load_config(config_dir)
    shopify = config.settings.imports.shopify_orders.model_copy(update={"sku_prefixes": PREFIXES})
    imports = config.settings.imports.model_copy(update={"shopify_orders": shopify})
    config = config.model_copy(
        update={"settings": config.settings.model_copy(update={"imports": imports})}
    )
    export = directory / "orders_export.csv"
    export.write_bytes(shopify_export(lines))
    megabytes = export.stat().st_size / 1e6
    shop_dir = directory / "shopify-config"
    shutil.copytree(config_dir, shop_dir, dirs_exist_ok=True)
    (shop_dir / "sources.yaml").write_text(
        f"sources:\n  shop:\n    kind: shopify_orders_csv\n    settings:\n      path: {export}\n",
        encoding="utf-8",
    )
    source = load_sources(shop_dir, config.metrics).get("shop")
    path = directory / "shopify.db"
    engine = create_store_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
        start, cpu = time.perf_counter(), time.process_time()
        outcome = run_source(engine=engine, config=config, source=source, trigger="command")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)
        export.unlink(missing_ok=True)
    if not outcome.ok:
        from bench.scales import BenchError

        raise BenchError(f"the bench Shopify export failed: {outcome.error}")
    log(
        f"  Shopify export of {lines:,} line items ({megabytes:.0f} MB) into "
        f"{outcome.rows:,} rows: {seconds:.1f} s ({cpu:.1f} s CPU)"
    )
    return {
        "shopify_lines": lines,
        "shopify_megabytes": megabytes,
        "shopify_rows": outcome.rows,
        "shopify_seconds": seconds,
        "shopify_cpu_seconds": cpu,
    }


def shopify_check(result: Mapping[str, Any]) -> tuple[str, str, str, bool, str] | None:
    """The Shopify row as (what, value, budget, ok, CPU time), or None when it was not measured."""
    if "shopify_seconds" not in result:
        return None
    seconds = float(result["shopify_seconds"])
    return (
        f"Shopify export of {int(result['shopify_lines']):,} line items, synced",
        f"{seconds:.1f} s",
        f"< {SHOPIFY_LIMIT_S:.0f} s",
        seconds < SHOPIFY_LIMIT_S,
        f"{float(result.get('shopify_cpu_seconds', 0.0)) * 1000:.0f} ms",
    )
