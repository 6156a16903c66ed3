"""Time a Shopify orders export of many line items, parsed and imported into a fresh SQLite store.

    .venv/bin/python scripts/time_shopify_import.py [LINES]   # default 200,000 line items

It writes a synthetic export in Shopify's header shape (79 columns; order-level columns on each
order's first row; some cancelled, test and refunded orders) to a temporary folder, then times
reading, converting and writing it with the same code as `python -m planning import FILE
--format shopify_orders`, and prints the seconds of each step.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from planning.config import load_config
from planning.sources.formats import import_converted
from planning.sources.shopify_orders import parse_shopify_orders
from planning.store.engine import create_store_engine, migrate

HEADER_LINE = (
    "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,"
    "Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,"
    "Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,"
    "Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,"
    "Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,"
    "Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,"
    "Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,"
    "Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,"
    "Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,"
    "Tax 2 Name,Tax 2 Value,Tax 3 Name,Tax 3 Value,Tax 4 Name,Tax 4 Value,Tax 5 Name,"
    "Tax 5 Value,Phone,Receipt Number,Duties,Billing Province Name,Shipping Province Name,"
    "Payment ID,Payment Terms Name,Next Payment Due At,Payment References"
)
HEADER = HEADER_LINE.split(",")
PREFIXES = {
    "AP-": "Apparel",
    "FW-": "Footwear",
    "HM-": "Home",
    "BT-": "Beauty",
    "AC-": "Accessories",
}


def synthetic_export(lines: int, seed: int = 7) -> bytes:
    """A Shopify-shaped export of about `lines` line items over a year."""
    rng = np.random.default_rng(seed)
    prefixes = list(PREFIXES)
    start = datetime(2025, 11, 1, tzinfo=timezone(timedelta(hours=-5)))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    column = {name: i for i, name in enumerate(HEADER)}
    written = 0
    number = 1000
    while written < lines:
        number += 1
        items = min(int(rng.integers(1, 5)), lines - written)
        created = start + timedelta(seconds=int(rng.integers(0, 365 * 86400)))
        quantities = rng.integers(1, 4, size=items)
        prices = rng.integers(10, 200, size=items).astype(float)
        subtotal = float((quantities * prices).sum())
        roll = rng.random()
        for i in range(items):
            row = [""] * len(HEADER)
            row[column["Name"]] = f"#{number}"
            row[column["Lineitem quantity"]] = str(int(quantities[i]))
            row[column["Lineitem name"]] = f"Product {int(rng.integers(1, 3000))}"
            row[column["Lineitem price"]] = f"{prices[i]:.2f}"
            row[column["Lineitem sku"]] = f"{prefixes[int(rng.integers(0, 5))]}{number}-{i}"
            row[column["Lineitem discount"]] = "0.00"
            if i == 0:
                stamp = created.strftime("%Y-%m-%d %H:%M:%S %z")
                row[column["Email"]] = f"customer{number}@example.com"
                row[column["Financial Status"]] = "refunded" if roll < 0.03 else "paid"
                row[column["Paid at"]] = stamp
                row[column["Currency"]] = "USD"
                row[column["Subtotal"]] = f"{subtotal:.2f}"
                row[column["Shipping"]] = "5.00"
                row[column["Taxes"]] = f"{subtotal * 0.08:.2f}"
                row[column["Total"]] = f"{subtotal * 1.08 + 5:.2f}"
                row[column["Created at"]] = stamp
                row[column["Refunded Amount"]] = f"{subtotal:.2f}" if roll < 0.03 else "0.00"
                row[column["Cancelled at"]] = stamp if 0.03 <= roll < 0.05 else ""
                row[column["Tags"]] = "test" if 0.05 <= roll < 0.055 else ""
                row[column["Payment Method"]] = "shopify_payments"
                row[column["Source"]] = "web"
            writer.writerow(row)
        written += items
    return out.getvalue().encode("utf-8")


def main() -> None:
    """Build the export, then time parsing and importing it."""
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    config = load_config()
    shopify = config.settings.imports.shopify_orders.model_copy(update={"sku_prefixes": PREFIXES})
    imports = config.settings.imports.model_copy(update={"shopify_orders": shopify})
    config = config.model_copy(
        update={"settings": config.settings.model_copy(update={"imports": imports})}
    )
    data = synthetic_export(lines)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_store_engine(f"sqlite:///{Path(folder) / 'store.db'}")
        migrate(engine)
        began, cpu = time.perf_counter(), time.process_time()
        converted = parse_shopify_orders(data=data, config=config)
        parsed = time.perf_counter()
        result = import_converted(
            engine=engine,
            actor=None,
            converted=converted,
            data=data,
            filename="orders_export.csv",
            source="cli",
            config=config,
        )
        done, cpu_done = time.perf_counter(), time.process_time()
        engine.dispose()
    assert result.ok, result.problems[:5]
    print(f"{lines:,} line items, {len(data) / 1e6:.1f} MB: {converted.notes[0]}")
    print(f"parse and convert: {parsed - began:.2f} s")
    print(f"validate and write {result.added:,} rows: {done - parsed:.2f} s")
    print(f"total: {done - began:.2f} s ({cpu_done - cpu:.2f} s of CPU)")


if __name__ == "__main__":
    main()
