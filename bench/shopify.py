"""The benchmark's Shopify row: a Shopify orders export of SHOPIFY_LINES line items (the shape of
the tests' fixture, bench/shopify_export.py) synced by a `shopify_orders_csv` source from a local
file into an empty SQLite store: reading, converting, validating and writing, timed whole.

Its budget (DESIGN.md §7, issue 18): under SHOPIFY_LIMIT_S seconds for 200,000 line items.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bench.measure import run_source_on_new_store
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
    try:
        outcome, seconds, cpu = run_source_on_new_store(
            config=config, source=source, path=directory / "shopify.db"
        )
    finally:
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
