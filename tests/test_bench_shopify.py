"""The benchmark's Shopify row at a small size: the export is synced whole by a
shopify_orders_csv source and the row is checked against its 10 s budget."""

from __future__ import annotations

from pathlib import Path

from bench.data_set import write_config
from bench.run import checks
from bench.scales import SCALES
from bench.shopify import SHOPIFY_LIMIT_S, measure_shopify
from tests.bench_support import PASSING_RESULT


def test_shopify_row_syncs_the_export_and_is_checked(tmp_path: Path) -> None:
    config_dir = write_config(directory=tmp_path / "config", scale=SCALES["small"])
    said: list[str] = []
    result = measure_shopify(
        config_dir=config_dir, directory=tmp_path, log=said.append, lines=2_000
    )
    assert result["shopify_lines"] == 2_000
    # A year of orders: orders and net revenue per day, units and line revenue per day and line.
    assert result["shopify_rows"] > 2 * 300
    assert "Shopify export of 2,000 line items" in said[0]
    assert not (tmp_path / "orders_export.csv").exists()
    row = next(c for c in checks({**PASSING_RESULT, **result}) if c.what.startswith("Shopify"))
    assert row.what == "Shopify export of 2,000 line items, synced"
    assert row.ok and row.budget == f"< {SHOPIFY_LIMIT_S:.0f} s"


def test_a_slow_shopify_row_fails_and_an_unmeasured_one_is_absent() -> None:
    slow = {"shopify_lines": 200_000, "shopify_seconds": 12.5, "shopify_cpu_seconds": 11.0}
    row = next(c for c in checks({**PASSING_RESULT, **slow}) if c.what.startswith("Shopify"))
    assert (row.value, row.ok, row.cpu) == ("12.5 s", False, "11000 ms")
    assert not any(c.what.startswith("Shopify") for c in checks(PASSING_RESULT))
