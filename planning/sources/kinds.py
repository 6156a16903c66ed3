"""The kinds of source, one registry entry each: a settings model and a fetch function.

Adding a kind is one entry in KINDS mapping its name to a `Kind`:

- `settings`: a pydantic model of the kind's `settings:` block in sources.yaml (extra keys
  refused; a field named `…_secret` holds the *name* of a secret, never its value);
- `fetch(settings, context)`: returns a pandas DataFrame in the interchange format (columns
  `date`, `measure`, `value` and one column per dimension; dates as YYYY-MM-DD text or dates,
  empty text where a measure has no such dimension). `context` (a FetchContext) carries
  `secret(name)`, which returns a secret's value, `since`, the first day the run asks for (None:
  everything), which a kind may ignore, and the run's configuration and store (read only);
- optionally `check(settings, metrics)` → [(key, reason)] against metrics.yaml,
  `measures(settings)` → the measures the source writes (for the stale-data notes), and
  `incremental=True` when fetch reads only from `since` on (else every run reads everything and
  is given `since` None). A kind may add notes about what it read to `context.notes` (shown with
  the run's record).

A kind that parses a downloaded or local file can be built with `file_kind(settings, parse)`
from `parse(data: bytes, settings, context) -> DataFrame` and a settings model that extends
`planning.sources.files.FileLocation` (url, url_secret or path). A parse that numbers the rows by
the line of the file they came from (index named `line`) has problems reported by file line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import Engine

from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.i18n import N_
from planning.sources import csv_url, exports, sql

SecretLookup = Callable[[str], str]
Check = Callable[[Any, MetricsConfig], list[tuple[str, str]]]


@dataclass(frozen=True)
class FetchContext:
    """What a kind may use while fetching: secrets, the window, the configuration and the store."""

    secret: SecretLookup
    since: date | None
    config: AppConfig
    engine: Engine
    # What a converter noted about the rows (Words, so a run keeps them in every language).
    notes: list[str] = field(default_factory=list)


Fetch = Callable[[Any, FetchContext], pd.DataFrame]


@dataclass(frozen=True)
class Kind:
    """One kind of source: its settings model, how it fetches, and what it can say upfront."""

    settings: type[BaseModel]
    fetch: Fetch
    label: str = ""
    check: Check | None = None
    measures: Callable[[Any], list[str]] | None = None
    # Whether fetch reads from `since` on (a window after the last good run) rather than
    # everything the source holds each time, as a file does.
    incremental: bool = False
    # A file kind's two steps, so a run reads the file once and can parse it again (to say why
    # it failed in each reader's language): fetch is read, then parse.
    read: Callable[[Any, FetchContext], bytes] | None = None
    parse: Callable[[bytes, Any, FetchContext], pd.DataFrame] | None = None


def file_kind(
    settings: type[BaseModel],
    parse: Callable[[bytes, Any, FetchContext], pd.DataFrame],
    label: str,
    measures: Callable[[Any], list[str]] | None = None,
) -> Kind:
    """A kind that reads a file (settings extend FileLocation) and parses it with `parse`."""
    from planning.sources.files import read_location

    def read(values: Any, context: FetchContext) -> bytes:
        return read_location(values, context.secret)

    def fetch(values: Any, context: FetchContext) -> pd.DataFrame:
        return parse(read(values, context), values, context)

    return Kind(
        settings=settings, fetch=fetch, label=label, measures=measures, read=read, parse=parse
    )


def _sql_fetch(settings: Any, context: FetchContext) -> pd.DataFrame:
    return sql.fetch(settings, context.secret, context.since)


KINDS: dict[str, Kind] = {
    "sql": Kind(
        settings=sql.SqlSettings,
        fetch=_sql_fetch,
        label=N_("SQL database"),
        check=sql.check,
        measures=sql.measures,
        incremental=True,
    ),
    "csv_url": file_kind(
        csv_url.CsvUrlSettings,
        csv_url.parse,
        N_("CSV or XLSX file at a URL"),
        measures=csv_url.measures,
    ),
    "shopify_orders_csv": file_kind(
        exports.ShopifyOrdersCsvSettings,
        exports.parse_shopify,
        N_("Shopify orders export (CSV)"),
        measures=exports.shopify_measures,
    ),
    "ga4_csv": file_kind(
        exports.Ga4CsvSettings,
        exports.parse_ga4,
        N_("GA4 report (CSV)"),
        measures=exports.ga4_measures,
    ),
}
