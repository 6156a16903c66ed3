"""A Shopify orders export of any size, in the shape of tests/fixtures/formats/
shopify_orders_export.csv (Shopify's header, one row per line item, order-level columns on each
order's first row only), for the benchmark's Shopify row and the tests that need a bigger file.

Orders are spread over a year in the -0500 time zone with one to four line items each, SKUs
starting with one of PREFIXES (a shop's settings.yaml maps them to product lines); about 3 % are
refunded in full, 2 % cancelled and 0.5 % tagged as test orders.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import numpy as np

# Shopify's column names, in the export's order (as tests/fixtures/formats holds them).
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
# SKU prefix -> product line, as a shop would write imports.shopify_orders.sku_prefixes.
PREFIXES = {
    "AP-": "Apparel",
    "FW-": "Footwear",
    "HM-": "Home",
    "BT-": "Beauty",
    "AC-": "Accessories",
}
SHOP_ZONE = timezone(timedelta(hours=-5))


def shopify_export(lines: int, *, seed: int = 7, first_day: datetime | None = None) -> bytes:
    """A Shopify orders export of exactly `lines` line items over the year from `first_day`."""
    rng = np.random.default_rng(seed)
    prefixes = list(PREFIXES)
    start = first_day or datetime(2025, 11, 1, tzinfo=SHOP_ZONE)
    column = {name: i for i, name in enumerate(HEADER)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
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
                refunded = roll < 0.03
                row[column["Email"]] = f"customer{number}@example.com"
                row[column["Financial Status"]] = "refunded" if refunded else "paid"
                row[column["Paid at"]] = stamp
                row[column["Currency"]] = "USD"
                row[column["Subtotal"]] = f"{subtotal:.2f}"
                row[column["Shipping"]] = "5.00"
                row[column["Taxes"]] = f"{subtotal * 0.08:.2f}"
                row[column["Total"]] = f"{subtotal * 1.08 + 5:.2f}"
                row[column["Created at"]] = stamp
                row[column["Refunded Amount"]] = f"{subtotal:.2f}" if refunded else "0.00"
                row[column["Cancelled at"]] = stamp if 0.03 <= roll < 0.05 else ""
                row[column["Tags"]] = "test" if 0.05 <= roll < 0.055 else ""
                row[column["Payment Method"]] = "shopify_payments"
                row[column["Source"]] = "web"
            writer.writerow(row)
        written += items
    return out.getvalue().encode("utf-8")
