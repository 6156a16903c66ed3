"""The `csv_url` kind: a CSV or XLSX file in the interchange format at an HTTP(S) URL (a published
spreadsheet, a nightly export) or a local path, read whole on every run.

    settings:
      url: https://example.com/exports/daily.csv   # or url_secret: SHEET_URL, or path: /srv/x.csv
      format: auto                                 # auto (from the URL), csv or xlsx
      measures: [sessions, orders]                 # optional: what the file holds, for freshness
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pandas as pd
from pydantic import Field

from planning.config.base import Identifier
from planning.metrics.import_file import read_table
from planning.sources.files import FileLocation, read_location


class CsvUrlSettings(FileLocation):
    """Where the file is, its format, and (optionally) the measures it holds."""

    format: Literal["auto", "csv", "xlsx"] = "auto"
    measures: Annotated[list[Identifier], Field(default_factory=list)]


def _suffix(settings: CsvUrlSettings, data: bytes) -> str:
    if settings.format != "auto":
        return f".{settings.format}"
    where = settings.path or (urlsplit(settings.url).path if settings.url else "")
    if where.lower().endswith(".xlsx") or data[:2] == b"PK":  # an .xlsx file is a zip archive
        return ".xlsx"
    return ".csv"


def fetch(settings: Any, secret: Any, since: date | None) -> pd.DataFrame:
    """Download the file and read it as an interchange table (text cells, file line numbers)."""
    data = read_location(settings, secret)
    return read_table(data=data, filename=f"source{_suffix(settings, data)}")


def measures(settings: Any) -> list[str]:
    """The measures the settings say the file holds."""
    return list(settings.measures)
