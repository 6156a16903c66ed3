"""The kinds of source, one registry entry each: a settings model and a fetch function.

Adding a kind is one entry in KINDS mapping its name to a `Kind`:

- `settings`: a pydantic model of the kind's `settings:` block in sources.yaml (extra keys
  refused; a field named `…_secret` holds the *name* of a secret, never its value);
- `fetch(settings, secret, since)`: returns a pandas DataFrame in the interchange format (columns
  `date`, `measure`, `value` and one column per dimension; dates as YYYY-MM-DD text or dates,
  empty text where a measure has no such dimension). `secret(name)` returns a secret's value;
  `since` is the first day the run asks for (None: everything), which a kind may ignore;
- optionally `check(settings, metrics)` → [(key, reason)] against metrics.yaml, and
  `measures(settings)` → the measures the source writes (for the stale-data notes).

A kind that parses a downloaded or local file can be built with `file_kind(settings, parse)`
from a pure `parse(data: bytes, settings) -> DataFrame` and a settings model that extends
`planning.sources.files.FileLocation` (url, url_secret or path).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel

from planning.config.metrics import MetricsConfig
from planning.sources import csv_url, sql

SecretLookup = Callable[[str], str]
Fetch = Callable[[Any, SecretLookup, date | None], pd.DataFrame]
Check = Callable[[Any, MetricsConfig], list[tuple[str, str]]]


@dataclass(frozen=True)
class Kind:
    """One kind of source: its settings model, how it fetches, and what it can say upfront."""

    settings: type[BaseModel]
    fetch: Fetch
    label: str = ""
    check: Check | None = None
    measures: Callable[[Any], list[str]] | None = None


def file_kind(
    settings: type[BaseModel], parse: Callable[[bytes, Any], pd.DataFrame], label: str
) -> Kind:
    """A kind that reads a file (settings extend FileLocation) and parses it with `parse`."""
    from planning.sources.files import read_location

    def fetch(values: Any, secret: SecretLookup, since: date | None) -> pd.DataFrame:
        return parse(read_location(values, secret), values)

    return Kind(settings=settings, fetch=fetch, label=label)


KINDS: dict[str, Kind] = {
    "sql": Kind(
        settings=sql.SqlSettings,
        fetch=sql.fetch,
        label="SQL database",
        check=sql.check,
        measures=sql.measures,
    ),
    "csv_url": Kind(
        settings=csv_url.CsvUrlSettings,
        fetch=csv_url.fetch,
        label="CSV or XLSX file at a URL",
        measures=csv_url.measures,
    ),
}
