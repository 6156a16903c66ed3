"""The `shopify_orders_csv` and `ga4_csv` kinds: a shop's own exports, read whole on every run from
a local file (a folder the export lands in, re-read each run) or an HTTP(S) URL, converted by the
same rules as an upload of that file (settings.yaml `imports.shopify_orders` and `imports.ga4`).

    settings:
      path: /srv/exports/orders_export.csv   # or url: https://…, or url_secret: ORDERS_URL

A changed header, a second currency, an unmapped product line or channel, a malformed row: the
run fails naming the file's lines, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.i18n import ngettext
from planning.metrics.import_checks import RowProblem
from planning.sources.files import FileLocation
from planning.sources.formats import Converted
from planning.sources.ga4 import MEASURE_COLUMNS
from planning.sources.shopify_orders import LINE_MEASURES, ORDER_MEASURES

if TYPE_CHECKING:
    from planning.sources.kinds import FetchContext

MAX_PROBLEMS_SHOWN = 10


class BadRowsError(ValueError):
    """A converted file has row problems (nothing is written); said by file line."""


class ShopifyOrdersCsvSettings(FileLocation):
    """Where the Shopify orders export is (its rules are settings.yaml's imports.shopify_orders)."""


class Ga4CsvSettings(FileLocation):
    """Where the GA4 report is (its mappings are settings.yaml's imports.ga4)."""


def problems_text(problems: list[RowProblem], describe: Callable[[RowProblem], str] = str) -> str:
    """Row problems in one refusal, the first few named (by file line unless describe says how)."""
    shown = "; ".join(describe(p) for p in problems[:MAX_PROBLEMS_SHOWN])
    more = len(problems) - MAX_PROBLEMS_SHOWN
    tail = _("; and {count} more").format(count=format_count(more)) if more > 0 else ""
    count = len(problems)
    return ngettext(
        "{count} bad row, nothing written: {problems}",
        "{count} bad rows, nothing written: {problems}",
        count,
    ).format(count=format_count(count), problems=shown + tail)


def converted_table(converted: Converted, context: FetchContext) -> pd.DataFrame:
    """A converted file's interchange rows (indexed by file line), its notes added to the run's;
    BadRowsError listing its problems when the conversion found any."""
    if converted.problems:
        raise BadRowsError(problems_text(converted.in_file_terms(converted.problems)))
    context.notes.extend(converted.notes)
    return converted.table


def parse_shopify(data: bytes, settings: Any, context: FetchContext) -> pd.DataFrame:
    """A Shopify orders export as daily orders, net revenue, units and line net revenue."""
    from planning.sources.shopify_orders import parse_shopify_orders

    return converted_table(parse_shopify_orders(data=data, config=context.config), context)


def parse_ga4(data: bytes, settings: Any, context: FetchContext) -> pd.DataFrame:
    """A GA4 report as the funnel measures by channel and device."""
    from planning.sources.ga4 import parse_ga4 as parse

    return converted_table(parse(data=data, config=context.config), context)


def shopify_measures(settings: Any) -> list[str]:
    """The measures a Shopify orders export writes."""
    return [*ORDER_MEASURES, *LINE_MEASURES]


def ga4_measures(settings: Any) -> list[str]:
    """The funnel measures a GA4 report writes (orders only when settings.yaml says so, which a
    run's record then shows)."""
    return [m for m in MEASURE_COLUMNS if m != "orders"]
