"""A Shopify orders export (Orders → Export, CSV) turned into daily orders, net revenue, units and
net revenue by product line.

The export has one row per line item; the order-level columns (Financial Status, Currency,
Subtotal, Created at, Cancelled at, Refunded Amount, Tags, Payment Method…) are filled on an
order's first row only, and every row carries the order's Name. The rules, stated in the README
("Connect your data"):

- Left out: cancelled orders (Cancelled at set), test orders (a tag or payment method from
  settings, `imports.shopify_orders`), orders whose financial status is skipped (voided by
  default) and, when days are counted by payment, orders not paid yet.
- An order's day is its Created at (or Paid at), converted to the team's time zone.
- Net revenue of an order = Subtotal (line items after discounts, before shipping and taxes)
  − Refunded Amount (− Taxes when prices include taxes), never below 0; the refund counts on the
  order's day, since the export gives no refund date.
- Units = Lineitem quantity; net revenue by product line splits each order's net revenue over its
  line items in proportion to quantity × price − Lineitem discount, so the lines add up to it.
- Every counted order must be in the currency of settings.yaml; a file mixing currencies is
  refused, naming each currency and its lines.
"""

from __future__ import annotations

import re
from functools import partial
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.config.settings import ShopifyOrdersSettings
from planning.formatting import format_count
from planning.i18n import Words, ngettext
from planning.i18n import gettext as _
from planning.metrics.import_checks import RowProblem
from planning.metrics.import_file import LINE, ImportFileError, delimiter_hint
from planning.sources.formats import (
    SHOPIFY_ORDERS,
    Converted,
    checked_layout,
    column_lookup,
    decode,
    first_record,
    lines_text,
    long_table,
    number_problem,
    read_csv_text,
)

# The columns the rules read, as Shopify names them.
NAME = "Name"
FINANCIAL_STATUS = "Financial Status"
PAID_AT = "Paid at"
CURRENCY = "Currency"
SUBTOTAL = "Subtotal"
TAXES = "Taxes"
CREATED_AT = "Created at"
QUANTITY = "Lineitem quantity"
LINE_NAME = "Lineitem name"
PRICE = "Lineitem price"
SKU = "Lineitem sku"
CANCELLED_AT = "Cancelled at"
PAYMENT_METHOD = "Payment Method"
REFUNDED = "Refunded Amount"
TAGS = "Tags"
LINE_DISCOUNT = "Lineitem discount"
REQUIRED = (NAME, CURRENCY, SUBTOTAL, CREATED_AT, QUANTITY, PRICE)
OPTIONAL = (
    FINANCIAL_STATUS,
    PAID_AT,
    TAXES,
    LINE_NAME,
    SKU,
    CANCELLED_AT,
    PAYMENT_METHOD,
    REFUNDED,
    TAGS,
    LINE_DISCOUNT,
)
# The measures written and the dimensions each may be recorded by.
ORDER_MEASURES = ("orders", "net_revenue")
LINE_MEASURES = ("units", "line_net_revenue")
ORDER_DIMENSIONS = {"channel", "device"}
LINE_DIMENSIONS = {"product_line"}
# Shopify's time stamps: 2026-11-24 09:15:02 -0500.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"
# One amount or quantity in a cell may not pass these: anything larger is a broken file.
MAX_AMOUNT = 1e10
MAX_QUANTITY = 1e7


def parse_shopify_orders(
    *, data: bytes, config: AppConfig, settings: ShopifyOrdersSettings | None = None
) -> Converted:
    """Turn a Shopify orders export into interchange rows (daily orders, net_revenue, units,
    line_net_revenue); raises ImportFileError when the file as a whole cannot be used."""
    rules = settings or config.settings.imports.shopify_orders
    _check_configuration(rules, config.metrics)
    text = decode(data)
    wanted = {name.lower() for name in (*REQUIRED, *OPTIONAL, rules.product_line_column)}
    raw = read_csv_text(text, columns=lambda name: name.strip().lower() in wanted)
    columns = _columns(raw, rules, delimiter_hint(first_record(text), export=True))
    if raw.empty:
        raise ImportFileError(_("the file has a header but no order rows"))
    lines = checked_layout(data, len(raw))
    problems: list[RowProblem] = []

    def cells(name: str, rows: np.ndarray | None = None, *, strip: bool = True) -> pd.Series:
        found = columns.get(name)
        index = raw.index if rows is None else raw.index[rows]
        if found is None:
            return pd.Series("", index=index, dtype=object)
        column = raw[found] if rows is None else raw[found].iloc[rows]
        return column.str.strip() if strip else column

    names = cells(NAME)
    missing_name = np.flatnonzero((names == "").to_numpy())
    for i in missing_name:
        problems.append(
            RowProblem(int(lines[i]), NAME, _("Name is empty; every row names its order"))
        )
    # Two exports pasted into one file hold each order's rows twice, the copy after other orders,
    # and its items would count twice. Rows merely apart (a file sorted in a spreadsheet moves an
    # order's extra line items away from its first row) are not a copy: only a row the same in
    # every column read as an earlier row of its order, where the order's rows are apart, is.
    name_cells = names.to_numpy(dtype=object)
    run_starts = np.flatnonzero(
        np.concatenate([[True], name_cells[1:] != name_cells[:-1]]) & (name_cells != "")
    )
    apart = set(name_cells[run_starts][pd.Series(name_cells[run_starts]).duplicated().to_numpy()])
    copied = raw.duplicated(keep="first").to_numpy() & np.isin(name_cells, list(apart))
    reported: set[object] = set()
    for i in np.flatnonzero(copied):
        if name_cells[i] in reported:
            continue
        reported.add(name_cells[i])
        problems.append(
            RowProblem(
                int(lines[i]),
                NAME,
                _(
                    "order {name} appears again after other orders: the file seems to hold "
                    "its orders twice (export once, or remove the repeated rows)"
                ).format(name=name_cells[i]),
            )
        )
    first = ~names.duplicated().to_numpy() & (names != "").to_numpy()
    first_rows = np.flatnonzero(first)
    # Each row's order, as the position of that order's first row.
    order_of_row = (
        pd.Series(np.arange(len(raw)), index=raw.index)
        .groupby(names.to_numpy())
        .transform("min")
        .to_numpy()
    )

    # Order-level decisions, read from each order's first row.
    head_cells = {name: cells(name, first_rows) for name in (*REQUIRED, *OPTIONAL)}
    head_lines = lines[first_rows]
    cancelled = (head_cells[CANCELLED_AT] != "").to_numpy()
    # Tags are a comma-separated list; several gateways are joined by " + ".
    tagged = _holds_any(head_cells[TAGS], rules.test_tags, ",")
    paid_by_test = _holds_any(head_cells[PAYMENT_METHOD], rules.test_payment_methods, "+")
    test = tagged | paid_by_test
    skipped_status = {s.strip().lower() for s in rules.skip_financial_statuses}
    status_skipped = head_cells[FINANCIAL_STATUS].str.lower().isin(skipped_status).to_numpy()
    when_column = PAID_AT if rules.date == "paid" else CREATED_AT
    unpaid = (head_cells[when_column] == "").to_numpy() if rules.date == "paid" else None
    counted = ~cancelled & ~test & ~status_skipped
    if unpaid is not None:
        counted &= ~unpaid
    # Notes are Words: a source run keeps them in every language its readers read.
    notes: list[str] = [
        Words(
            partial(
                _left_out_note,
                int(counted.sum()),
                cancelled,
                test,
                status_skipped & ~cancelled,
                unpaid,
            )
        )
    ]

    # Currency: one, and the team's.
    currencies = head_cells[CURRENCY].to_numpy()[counted]
    _check_currency(currencies, head_lines[counted], config.settings.currency)

    # Days, in the team's time zone.
    when_text = head_cells[when_column].to_numpy()[counted]
    stamps = shopify_times(pd.Series(when_text, dtype=object))
    bad = np.flatnonzero(stamps.isna().to_numpy())
    for i in bad:
        shown = when_text[i] or _("empty")
        problems.append(
            RowProblem(
                int(head_lines[counted][i]),
                when_column,
                _("{cell} is not a Shopify time such as 2026-11-24 09:15:02 -0500").format(
                    cell=repr(shown)
                ),
            )
        )
    zone = ZoneInfo(config.settings.time_zone)
    days = stamps.dt.tz_convert(zone).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    moved = int((stamps.notna().to_numpy() & (days != _shop_days(when_text))).sum())
    if moved:
        notes.append(Words(partial(_day_moved_note, moved, config.settings.time_zone)))

    # Order amounts.
    counted_lines = head_lines[counted]
    subtotal = _amounts(head_cells[SUBTOTAL][counted], counted_lines, SUBTOTAL, problems)
    refunded = _amounts(
        head_cells[REFUNDED][counted], counted_lines, REFUNDED, problems, empty_is_zero=True
    )
    net = subtotal - refunded
    if rules.prices_include_taxes:
        net -= _amounts(
            head_cells[TAXES][counted], counted_lines, TAXES, problems, empty_is_zero=True
        )
    net = np.maximum(net, 0.0)

    # Line items of counted orders.
    counted_order_rows = first_rows[counted]
    position = np.full(len(raw), -1, dtype=np.int64)
    position[counted_order_rows] = np.arange(len(counted_order_rows))
    order_index = position[order_of_row]
    item_rows = np.flatnonzero((order_index >= 0) & (names != "").to_numpy())
    item_lines = lines[item_rows]
    item_order = order_index[item_rows]
    quantity = _amounts(
        cells(QUANTITY, item_rows, strip=False), item_lines, QUANTITY, problems, limit=MAX_QUANTITY
    )
    fractional = np.flatnonzero(np.isfinite(quantity) & (quantity != np.floor(quantity)))
    for i in fractional:
        problems.append(
            RowProblem(
                int(item_lines[i]),
                QUANTITY,
                _("quantity {quantity} is not whole").format(quantity=f"{quantity[i]:g}"),
            )
        )
    price = _amounts(cells(PRICE, item_rows, strip=False), item_lines, PRICE, problems)
    discount = _amounts(
        cells(LINE_DISCOUNT, item_rows, strip=False),
        item_lines,
        LINE_DISCOUNT,
        problems,
        empty_is_zero=True,
    )
    product_line = _product_lines(
        raw, columns, item_rows, item_lines, rules, config.metrics, problems
    )
    if problems:
        problems.sort(key=lambda p: (p.line, p.column))
        return Converted(
            format=SHOPIFY_ORDERS,
            table=long_table([], list(config.metrics.dimensions)),
            problems=problems,
            notes=notes,
            lines_read=len(raw),
        )

    gross = np.maximum(quantity * price - discount, 0.0)
    items = pd.DataFrame(
        {"order": item_order, "gross": gross, "quantity": quantity, LINE: item_lines}
    )
    per_order = items.groupby("order").agg(
        gross=("gross", "sum"), quantity=("quantity", "sum"), count=("gross", "size")
    )
    order_gross = per_order["gross"].reindex(item_order).to_numpy()
    order_quantity = per_order["quantity"].reindex(item_order).to_numpy()
    order_count = per_order["count"].reindex(item_order).to_numpy()
    # Split by value; an order of free items by quantity; one of zero quantities evenly.
    share = np.where(
        order_gross > 0,
        gross / np.where(order_gross > 0, order_gross, 1),
        np.where(
            order_quantity > 0,
            quantity / np.where(order_quantity > 0, order_quantity, 1),
            1 / order_count,
        ),
    )
    item_days = days[item_order]
    line_net = net[item_order] * share
    return Converted(
        format=SHOPIFY_ORDERS,
        table=_rows(
            days=days,
            order_lines=counted_lines,
            net=net,
            item_days=item_days,
            item_lines=item_lines,
            product_line=product_line,
            quantity=quantity,
            line_net=line_net,
            rules=rules,
            metrics=config.metrics,
        ),
        notes=notes,
        lines_read=len(raw),
    )


def _check_configuration(rules: ShopifyOrdersSettings, metrics: MetricsConfig) -> None:
    """The measures and dimension values the rules write must be declared in metrics.yaml."""
    for measure in (*ORDER_MEASURES, *LINE_MEASURES):
        spec = metrics.measures.get(measure)
        if spec is None:
            raise ImportFileError(
                _(
                    "metrics.yaml declares no measure {measure}, which a Shopify import writes"
                ).format(measure=repr(measure))
            )
        allowed = ORDER_DIMENSIONS if measure in ORDER_MEASURES else LINE_DIMENSIONS
        extra = sorted(set(spec.dimensions) - allowed)
        if extra:
            raise ImportFileError(
                _(
                    "metrics.yaml records {measure} by {dimensions}, which a Shopify export does "
                    "not give"
                ).format(measure=measure, dimensions=", ".join(extra))
            )
    for key, dim in (("channel", "channel"), ("device", "device")):
        value = getattr(rules, key)
        declared = metrics.dimensions.get(dim)
        if declared is not None and value not in declared.values:
            raise ImportFileError(
                _(
                    "settings.yaml: imports.shopify_orders.{key}: {value} is not a declared "
                    "{dimension} value (one of: {values})"
                ).format(
                    key=key, value=repr(value), dimension=dim, values=", ".join(declared.values)
                )
            )


def _columns(raw: pd.DataFrame, rules: ShopifyOrdersSettings, hint: str) -> dict[str, str]:
    """Shopify's column names -> the file's, refusing a header without the required ones (with
    `hint` added to the refusal)."""
    lookup = column_lookup(raw.columns)
    wanted = [*REQUIRED, *([PAID_AT] if rules.date == "paid" else [])]
    missing = [name for name in wanted if name.lower() not in lookup]
    if missing:
        raise ImportFileError(
            _(
                "this is not a Shopify orders export, or its header changed: no column "
                "{columns} (Shopify's export has Name, Financial Status, Paid at, Currency, "
                "Subtotal, Created at, Lineitem quantity, Lineitem price, …)"
            ).format(columns=", ".join(repr(m) for m in missing))
            + hint
        )
    names = [*REQUIRED, *OPTIONAL]
    if rules.product_line_column:
        names.append(rules.product_line_column)
    return {name: lookup[name.lower()] for name in names if name.lower() in lookup}


def _left_out_note(
    counted: int,
    cancelled: np.ndarray,
    test: np.ndarray,
    status_skipped: np.ndarray,
    unpaid: np.ndarray | None,
) -> str:
    parts = [
        _("{count} cancelled").format(count=format_count(int(cancelled.sum()))),
        _("{count} test").format(count=format_count(int((test & ~cancelled).sum()))),
        _("{count} with a skipped financial status").format(
            count=format_count(int((status_skipped & ~test).sum()))
        ),
    ]
    if unpaid is not None:
        parts.append(
            _("{count} not paid yet").format(
                count=format_count(int((unpaid & ~cancelled & ~test & ~status_skipped).sum()))
            )
        )
    return _("{count} orders counted; left out: {parts}.").format(
        count=format_count(counted), parts=", ".join(parts)
    )


def _shop_days(when_text: np.ndarray) -> np.ndarray:
    """Each order's day as the shop wrote it (the date part of 2026-11-24 20:40:00 -0500)."""
    return np.array([str(t)[:10] for t in when_text], dtype=object)


def _day_moved_note(moved: int, zone: str) -> str:
    """Warn that the shop's days are not the team's: a daily export then holds only part of the
    team's first and last day, and importing it replaces what another export stored for them."""
    return ngettext(
        "{count} order falls on another day in the team's time zone ({zone}) than in the shop's: "
        "the first and last day of this file may hold only part of their orders, and importing "
        "it replaces what is stored for them. Set time_zone in settings.yaml to the shop's time "
        "zone to count the shop's days.",
        "{count} orders fall on another day in the team's time zone ({zone}) than in the shop's: "
        "the first and last day of this file may hold only part of their orders, and importing "
        "it replaces what is stored for them. Set time_zone in settings.yaml to the shop's time "
        "zone to count the shop's days.",
        moved,
    ).format(count=format_count(moved), zone=zone)


def _holds_any(column: pd.Series, wanted: list[str], separator: str) -> np.ndarray:
    """Whether each cell's list (items split by `separator`) holds one of `wanted`, any case."""
    items = [re.escape(w.strip().lower()) for w in wanted if w.strip()]
    if not items:
        return np.zeros(len(column), dtype=bool)
    sep = re.escape(separator)
    pattern = rf"(?:^|{sep})\s*(?:{'|'.join(items)})\s*(?:{sep}|$)"
    return column.str.lower().str.contains(pattern, regex=True).to_numpy(dtype=bool)


def shopify_times(text: pd.Series) -> pd.Series:
    """Shopify's time stamps (2026-11-24 09:15:02 -0500) as UTC times; NaT where malformed.

    The local part is parsed on pandas' fast ISO path and the offset applied as arithmetic:
    parsing 100,000 stamps with a %z format costs seconds.
    """
    shaped = text.str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}").fillna(False)
    local = pd.to_datetime(
        text.where(shaped, "").str.slice(0, 19), format="%Y-%m-%d %H:%M:%S", errors="coerce"
    )
    offset = text.str.slice(20).where(shaped, "+0000")
    sign = np.where(offset.str.slice(0, 1) == "-", -1, 1)
    minutes = sign * (
        offset.str.slice(1, 3).astype(np.int64) * 60 + offset.str.slice(3, 5).astype(np.int64)
    )
    utc = local - pd.to_timedelta(minutes, unit="min")
    return utc.dt.tz_localize("UTC")


def _check_currency(currencies: np.ndarray, lines: np.ndarray, team_currency: str) -> None:
    found = sorted(set(currencies.tolist()))
    if len(found) > 1:
        where = "; ".join(
            _("{currency} on {lines}").format(
                currency=c or _("(empty)"), lines=lines_text(lines[currencies == c])
            )
            for c in found
        )
        raise ImportFileError(
            _(
                "the export mixes currencies ({where}); Quarterdeck counts money in one currency "
                "({currency}, settings.yaml): export the {currency} orders only"
            ).format(where=where, currency=team_currency)
        )
    if found and found[0] != team_currency:
        raise ImportFileError(
            _(
                "the orders are in {found} but Quarterdeck counts money in {currency} "
                "(settings.yaml currency)"
            ).format(found=found[0] or _("(no currency)"), currency=team_currency)
        )


def _amounts(
    column: pd.Series,
    lines: np.ndarray,
    name: str,
    problems: list[RowProblem],
    *,
    empty_is_zero: bool = False,
    limit: float = MAX_AMOUNT,
) -> np.ndarray:
    """Numbers of a column; problems for text, negative or absurd cells (NaN stays in place)."""
    text = column.to_numpy(dtype=object)
    values = pd.to_numeric(pd.Series(text), errors="coerce").to_numpy(dtype=np.float64, copy=True)
    empty = text == ""
    if empty_is_zero:
        values[empty] = 0.0
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > limit))
    for i in bad:
        cell = str(text[i]).strip()
        numeric = bool(np.isfinite(values[i])) or _is_number(cell)
        reason = number_problem(cell, values[i], name=name, limit=limit, reads_as_number=numeric)
        problems.append(RowProblem(int(lines[i]), name, reason))
    return values


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _product_lines(
    raw: pd.DataFrame,
    columns: dict[str, str],
    rows: np.ndarray,
    lines: np.ndarray,
    rules: ShopifyOrdersSettings,
    metrics: MetricsConfig,
    problems: list[RowProblem],
) -> np.ndarray:
    """Each line item's product line: the configured column's value (mapped, or a declared
    value whatever its case), else the longest configured SKU prefix; a problem otherwise."""
    declared = metrics.dimensions["product_line"].values
    by_fold = {v.lower(): v for v in declared}
    mapped = {k.strip().lower(): v for k, v in rules.product_lines.items()}
    for target in [*rules.product_lines.values(), *rules.sku_prefixes.values()]:
        if target not in declared:
            raise ImportFileError(
                _(
                    "settings.yaml: imports.shopify_orders: {target} is not a declared product "
                    "line (one of: {values})"
                ).format(target=repr(target), values=", ".join(declared))
            )
    prefixes = sorted(rules.sku_prefixes.items(), key=lambda kv: -len(kv[0]))
    column = columns.get(rules.product_line_column) if rules.product_line_column else None
    result = np.full(len(rows), None, dtype=object)
    if column:
        # Decided once per distinct value: a big export repeats a few thousand product types.
        codes, uniques = pd.factorize(raw[column].iloc[rows].str.strip())
        decided = np.array(
            [mapped.get(str(u).lower()) or by_fold.get(str(u).lower()) for u in uniques] + [None],
            dtype=object,
        )
        result = decided[np.where(codes >= 0, codes, len(uniques))]
    skus = (
        raw[columns[SKU]].iloc[rows].str.strip()
        if SKU in columns
        else pd.Series("", index=raw.index[rows], dtype=object)
    )
    open_rows = np.flatnonzero(pd.isna(result))
    if len(open_rows) and prefixes:
        codes, uniques = pd.factorize(skus.iloc[open_rows])
        by_sku = np.full(len(uniques), None, dtype=object)
        candidates = pd.Series(uniques, dtype=object)
        # One pass per prefix length, longest first, so the most specific prefix wins.
        for length in sorted({len(p) for p, _ in prefixes}, reverse=True):
            of_length = {p: line for p, line in prefixes if len(p) == length}
            heads = candidates.str.slice(0, length).map(of_length).to_numpy(dtype=object)
            hit = pd.notna(heads) & pd.isna(by_sku)
            by_sku[hit] = heads[hit]
        result[open_rows] = by_sku[codes]
    values = (
        raw[column].iloc[rows].str.strip().to_numpy(dtype=object)
        if column
        else np.full(len(rows), "", dtype=object)
    )
    sku_text = skus.to_numpy(dtype=object)
    for row in np.flatnonzero(pd.isna(result)):
        problems.append(
            RowProblem(
                int(lines[row]),
                column or SKU,
                _unmapped_reason(str(values[row]), str(sku_text[row]), rules, column),
            )
        )
    return result


def _unmapped_reason(value: str, sku: str, rules: ShopifyOrdersSettings, column: str | None) -> str:
    said = []
    if column:
        said.append(
            f"{rules.product_line_column} {value[:40]!r}"
            if value
            else _("no {column}").format(column=column)
        )
    said.append(f"SKU {sku[:40]!r}" if sku else _("no SKU"))
    return _(
        "no product line for this item ({said}): map it in settings.yaml under "
        "imports.shopify_orders.product_lines or sku_prefixes"
    ).format(said=", ".join(said))


def _measure_rows(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One measure's rows of the long table: its day, value (to 6 places) and first file line."""
    return pd.DataFrame(
        {
            "date": frame["date"],
            "measure": measure,
            "value": frame[measure].round(6),
            LINE: frame["line"],
        }
    )


def _rows(
    *,
    days: np.ndarray,
    order_lines: np.ndarray,
    net: np.ndarray,
    item_days: np.ndarray,
    item_lines: np.ndarray,
    product_line: np.ndarray,
    quantity: np.ndarray,
    line_net: np.ndarray,
    rules: ShopifyOrdersSettings,
    metrics: MetricsConfig,
) -> pd.DataFrame:
    """Daily sums as interchange rows, each indexed by the first file line behind it."""
    orders = (
        pd.DataFrame({"date": days, "net": net, LINE: order_lines})
        .groupby("date", sort=True)
        .agg(orders=("net", "size"), net_revenue=("net", "sum"), line=(LINE, "min"))
        .reset_index()
    )
    parts: list[pd.DataFrame] = []
    for measure in ORDER_MEASURES:
        part = _measure_rows(orders, measure)
        for dim in metrics.measures[measure].dimensions:
            part[dim] = getattr(rules, dim)
        parts.append(part)
    items = (
        pd.DataFrame(
            {
                "date": item_days,
                "product_line": product_line,
                "units": quantity,
                "line_net_revenue": line_net,
                LINE: item_lines,
            }
        )
        .groupby(["date", "product_line"], sort=True)
        .agg(
            units=("units", "sum"),
            line_net_revenue=("line_net_revenue", "sum"),
            line=(LINE, "min"),
        )
        .reset_index()
    )
    for measure in LINE_MEASURES:
        part = _measure_rows(items, measure)
        if "product_line" in metrics.measures[measure].dimensions:
            part["product_line"] = items["product_line"]
        parts.append(part)
    return long_table(parts, list(metrics.dimensions))
