"""A Shopify orders export of any size, in the shape of tests/fixtures/formats/
shopify_orders_export.csv (Shopify's header, one row per line item, order-level columns on each
order's first row only), for the benchmark's Shopify row and the tests that need a bigger file.

Orders are spread over a year in the -0500 time zone with one to four line items each, SKUs
starting with one of PREFIXES (a shop's settings.yaml maps them to product lines); about 3 % are
refunded in full, 2 % cancelled and 0.5 % tagged as test orders.
"""

from __future__ import annotations

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


ITEM_COLUMNS = (
    "Name",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Lineitem discount",
)
ORDER_COLUMNS = (
    "Email",
    "Financial Status",
    "Paid at",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Created at",
    "Refunded Amount",
    "Cancelled at",
    "Tags",
    "Payment Method",
    "Source",
)


def _row_template(filled: tuple[str, ...]) -> str:
    """A CSV line with a `{name}` field for each of `filled` and empty cells elsewhere (the values
    written hold no comma, quote or line break, so no cell needs quoting)."""
    fields = {name: "{" + name.replace(" ", "_") + "}" for name in filled}
    return ",".join(fields.get(name, "") for name in HEADER) + "\n"


def shopify_export(lines: int, *, seed: int = 7, first_day: datetime | None = None) -> bytes:
    """A Shopify orders export of exactly `lines` line items over the year from `first_day`."""
    rng = np.random.default_rng(seed)
    start = first_day or datetime(2025, 11, 1, tzinfo=SHOP_ZONE)
    # Orders of 1 to 4 items, as many as it takes; the last one cut to end on `lines`.
    sizes = rng.integers(1, 5, size=lines)
    orders = int(np.searchsorted(np.cumsum(sizes), lines)) + 1
    sizes = sizes[:orders]
    sizes[-1] -= int(sizes.sum()) - lines
    seconds = rng.integers(0, 365 * 86400, size=orders)
    roll = rng.random(orders)
    quantity = rng.integers(1, 4, size=lines)
    price = rng.integers(10, 200, size=lines)
    product = rng.integers(1, 3000, size=lines)
    prefix = rng.integers(0, len(PREFIXES), size=lines)
    order_of = np.repeat(np.arange(orders), sizes)
    subtotal = np.bincount(order_of, weights=quantity * price, minlength=orders)
    first_item = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(lines) - first_item[order_of]
    prefixes = list(PREFIXES)
    first_row = _row_template((*ITEM_COLUMNS, *ORDER_COLUMNS))
    next_row = _row_template(ITEM_COLUMNS)
    out = [",".join(HEADER) + "\n"]
    for item in range(lines):
        order = int(order_of[item])
        number = 1001 + order
        cells = {
            "Name": f"#{number}",
            "Lineitem_quantity": int(quantity[item]),
            "Lineitem_name": f"Product {int(product[item])}",
            "Lineitem_price": f"{int(price[item])}.00",
            "Lineitem_sku": f"{prefixes[int(prefix[item])]}{number}-{int(position[item])}",
            "Lineitem_discount": "0.00",
        }
        if position[item]:
            out.append(next_row.format(**cells))
            continue
        stamp = (start + timedelta(seconds=int(seconds[order]))).strftime("%Y-%m-%d %H:%M:%S %z")
        total = float(subtotal[order])
        refunded = roll[order] < 0.03
        out.append(
            first_row.format(
                **cells,
                Email=f"customer{number}@example.com",
                Financial_Status="refunded" if refunded else "paid",
                Paid_at=stamp,
                Currency="USD",
                Subtotal=f"{total:.2f}",
                Shipping="5.00",
                Taxes=f"{total * 0.08:.2f}",
                Total=f"{total * 1.08 + 5:.2f}",
                Created_at=stamp,
                Refunded_Amount=f"{total:.2f}" if refunded else "0.00",
                Cancelled_at=stamp if 0.03 <= roll[order] < 0.05 else "",
                Tags="test" if 0.05 <= roll[order] < 0.055 else "",
                Payment_Method="shopify_payments",
                Source="web",
            )
        )
    return "".join(out).encode("utf-8")
