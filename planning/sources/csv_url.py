"""The `csv_url` kind: a CSV or XLSX file at an HTTP(S) URL (a published spreadsheet, a nightly
export) or a local path, read whole on every run, in the interchange format or, with `mapping`,
a wide file read through a column mapping saved in Admin (or by `import --format mapping:NAME`).

    settings:
      url: https://example.com/exports/daily.csv   # or url_secret: SHEET_URL, or path: /srv/x.csv
      format: auto                                 # auto (from the URL), csv or xlsx
      mapping: Weekly sheet                        # optional: the saved mapping to read it with
      measures: [sessions, orders]                 # optional: what the file holds, for freshness

The mapping is looked up in the store when the source runs, so a mapping saved again later is
used from the next run on; a run naming a mapping the store does not hold fails, naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

import pandas as pd
from pydantic import Field, field_validator
from sqlmodel import Session

from planning.config.base import Identifier
from planning.i18n import gettext as _
from planning.metrics.import_file import read_table
from planning.sources.files import FetchError, FileLocation
from planning.store.engine import read_engine

if TYPE_CHECKING:
    from planning.sources.kinds import FetchContext


class CsvUrlSettings(FileLocation):
    """Where the file is, its format, the saved mapping it is read with, the measures it holds."""

    format: Literal["auto", "csv", "xlsx"] = "auto"
    mapping: str | None = None
    measures: Annotated[list[Identifier], Field(default_factory=list)]

    @field_validator("mapping")
    @classmethod
    def _mapping_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from planning.sources.mappings import MappingError, clean_name

        try:
            return clean_name(value)
        except MappingError as exc:
            raise ValueError(str(exc)) from None


def _suffix(settings: CsvUrlSettings, data: bytes) -> str:
    if settings.format != "auto":
        return f".{settings.format}"
    where = settings.path or (urlsplit(settings.url).path if settings.url else "")
    if where.lower().endswith(".xlsx") or data[:2] == b"PK":  # an .xlsx file is a zip archive
        return ".xlsx"
    return ".csv"


def parse(data: bytes, settings: Any, context: FetchContext) -> pd.DataFrame:
    """The file as an interchange table (text cells, file line numbers), through the saved
    mapping when the settings name one."""
    filename = f"source{_suffix(settings, data)}"
    if settings.mapping is None:
        return read_table(data=data, filename=filename)
    from planning.sources.exports import converted_table
    from planning.sources.mappings import get_mapping, read_mapped

    with Session(read_engine(context.engine)) as session:
        saved = get_mapping(session=session, name=settings.mapping)
    if saved is None:
        raise FetchError(
            _(
                "there is no saved column mapping named {name}: save it in Admin → Data import "
                "(upload the file and map its columns) or name another in sources.yaml"
            ).format(name=repr(settings.mapping))
        )
    converted = read_mapped(
        data=data, filename=filename, spec=saved.spec, metrics=context.config.metrics
    )
    return converted_table(converted, context)


def measures(settings: Any) -> list[str]:
    """The measures the settings say the file holds."""
    return list(settings.measures)
