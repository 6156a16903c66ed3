"""The `sql` kind: any database SQLAlchemy can reach, one query per group of measures.

    settings:
      url_secret: WAREHOUSE_URL        # the SQLAlchemy URL is a secret (it holds the password)
      lookback_days: 3                 # re-read this many days before the last day synced
      first_day: 2024-01-01            # optional: where the first run starts (else all history)
      queries:
        - sql: SELECT day, channel, device, sessions, orders FROM shop_daily
          date: day                    # the date column
          dimensions: {channel: channel, device: device}   # dimension: column (or a list)
          measures: {sessions: sessions, orders: orders}   # measure: column

A run after a good one asks only for days from (last day synced − lookback_days): the query is
wrapped as `SELECT * FROM (query) WHERE date >= :since`, unless it uses `:since` itself. A NULL
value means "no observation" and is skipped; every other cell goes through the importer's checks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field, field_validator
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from planning.config.base import Identifier, Strict
from planning.config.metrics import MetricsConfig
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.sources.files import FetchError
from planning.sources.secrets import check_secret_name

SecretName = Annotated[str, AfterValidator(check_secret_name)]
SINCE = ":since"
# A query's answer lacks the column the settings name for its date, a dimension or a measure.
MISSING_COLUMN = {
    "date": N_(
        "query {number} returned the columns {columns}; its date column {wanted} is not among them"
    ),
    "dimension": N_(
        "query {number} returned the columns {columns}; its dimension column {wanted} is not "
        "among them"
    ),
    "measure": N_(
        "query {number} returned the columns {columns}; its measure column {wanted} is not "
        "among them"
    ),
}


class SqlQuery(Strict):
    """One query and how its columns map to a date, dimensions and measures."""

    sql: Annotated[str, Field(min_length=1)]
    date: Annotated[str, Field(min_length=1)]
    dimensions: dict[Identifier, str] = Field(default_factory=dict)
    measures: Annotated[dict[Identifier, str], Field(min_length=1)]

    @field_validator("dimensions", "measures", mode="before")
    @classmethod
    def _list_means_same_names(cls, value: Any) -> Any:
        if isinstance(value, list):  # [channel, device]: columns named as the dimensions
            return {str(v): str(v) for v in value}
        return value

    @field_validator("sql")
    @classmethod
    def _one_statement(cls, value: str) -> str:
        cleaned = value.strip().rstrip(";").strip()
        if not cleaned:
            raise ValueError("the query is empty")
        return cleaned


class SqlSettings(Strict):
    """A database URL (by secret name), its queries and the incremental window."""

    url_secret: SecretName
    queries: Annotated[list[SqlQuery], Field(min_length=1)]
    lookback_days: Annotated[int, Field(ge=0, le=366)] = 3
    first_day: date | None = None
    timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30


def check(settings: Any, metrics: MetricsConfig) -> list[tuple[str, str]]:
    """Measures and dimensions that metrics.yaml does not know, or a query whose dimensions are
    not exactly what one of its measures declares."""
    problems: list[tuple[str, str]] = []
    for i, query in enumerate(settings.queries):
        for dim in query.dimensions:
            if dim not in metrics.dimensions:
                problems.append((f"queries.{i}.dimensions.{dim}", f"unknown dimension {dim!r}"))
        for measure in query.measures:
            spec = metrics.measures.get(measure)
            if spec is None:
                problems.append((f"queries.{i}.measures.{measure}", f"unknown measure {measure!r}"))
                continue
            if sorted(spec.dimensions) != sorted(query.dimensions):
                declared = ", ".join(spec.dimensions) or "no dimensions"
                given = ", ".join(query.dimensions) or "no dimensions"
                problems.append(
                    (
                        f"queries.{i}.measures.{measure}",
                        f"{measure} has {declared} in metrics.yaml but this query gives {given}: "
                        "put measures with other dimensions in another query",
                    )
                )
    return problems


def measures(settings: Any) -> list[str]:
    """Every measure the queries write."""
    found: list[str] = []
    for query in settings.queries:
        found.extend(m for m in query.measures if m not in found)
    return found


def _engine(url: str, timeout: float) -> Any:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise FetchError(_("the database URL in the secret is not a SQLAlchemy URL")) from None
    backend = parsed.get_backend_name()
    args: dict[str, Any] = {}
    if backend == "postgresql" or backend in {"mysql", "mariadb"}:
        args = {"connect_timeout": max(1, int(timeout))}
    try:
        return create_engine(parsed, poolclass=NullPool, connect_args=args)
    except NoSuchModuleError:
        raise FetchError(
            _("no SQLAlchemy dialect for {driver}: install its package").format(
                driver=repr(parsed.drivername)
            )
        ) from None
    except ImportError as exc:
        raise FetchError(
            _("the driver for {driver} is not installed ({reason})").format(
                driver=repr(parsed.drivername), reason=exc
            )
        ) from None


def _statement(query: SqlQuery, since: date | None, quote: Any) -> tuple[str, dict[str, Any]]:
    if SINCE in query.sql:
        return query.sql, {"since": since or date(1900, 1, 1)}
    if since is None:
        return query.sql, {}
    wrapped = (
        f"SELECT * FROM ({query.sql}) AS quarterdeck_source WHERE {quote(query.date)} >= :since"
    )
    return wrapped, {"since": since}


def fetch(settings: Any, secret: Any, since: date | None) -> pd.DataFrame:
    """Run every query and return their rows in the interchange format."""
    engine = _engine(secret(settings.url_secret), settings.timeout_seconds)
    start = since if since is not None else settings.first_day
    parts: list[pd.DataFrame] = []
    dims = sorted({d for q in settings.queries for d in q.dimensions})
    try:
        with engine.connect() as connection:
            quote = engine.dialect.identifier_preparer.quote
            for i, query in enumerate(settings.queries):
                sql_text, params = _statement(query, start, quote)
                result = connection.execute(text(sql_text), params)
                columns = list(map(str, result.keys()))
                rows = result.fetchall()
                parts.append(_long(query, i, columns, rows, dims))
    finally:
        engine.dispose()
    return pd.concat(parts, ignore_index=True)


def _column(columns: list[str], wanted: str, i: int, role: str) -> int:
    folded = {c.lower(): n for n, c in enumerate(columns)}
    if wanted in columns:
        return columns.index(wanted)
    if wanted.lower() in folded:  # some warehouses answer in upper case
        return folded[wanted.lower()]
    raise FetchError(
        _(MISSING_COLUMN[role]).format(
            number=i + 1, columns=", ".join(columns) or _("(none)"), wanted=repr(wanted)
        )
    )


def _day_texts(values: np.ndarray) -> np.ndarray:
    """Each date cell as YYYY-MM-DD text (a timestamp at midnight counts as its day); any other
    cell as its text, for the importer to refuse with its reason."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    texts = np.empty(len(uniques), dtype=object)
    for n, cell in enumerate(uniques):
        if isinstance(cell, datetime | pd.Timestamp):
            texts[n] = cell.date().isoformat() if cell.time() == datetime.min.time() else str(cell)
        elif isinstance(cell, date):
            texts[n] = cell.isoformat()
        elif cell is None or (isinstance(cell, float) and np.isnan(cell)):
            texts[n] = ""
        else:
            texts[n] = str(cell).strip()
    return texts[codes]


def _long(
    query: SqlQuery, i: int, columns: list[str], rows: list[Any], all_dims: list[str]
) -> pd.DataFrame:
    """One query's wide rows as long interchange rows, one per non-NULL measure cell (empty
    cells for the dimensions of the source's other queries)."""
    date_at = _column(columns, query.date, i, "date")
    dim_at = {d: _column(columns, c, i, "dimension") for d, c in query.dimensions.items()}
    measure_at = {m: _column(columns, c, i, "measure") for m, c in query.measures.items()}
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]

    def cells(at: int) -> np.ndarray:
        return np.array(by_column[at], dtype=object)

    days = _day_texts(cells(date_at))
    dims = {d: _texts(cells(at)) for d, at in dim_at.items()}
    parts = []
    for measure, at in measure_at.items():
        values = cells(at)
        present = ~pd.isna(values)
        part = {
            "date": days[present],
            "measure": np.full(int(present.sum()), measure, dtype=object),
            "value": _numbers(values[present]),
        }
        count = int(present.sum())
        for d in all_dims:
            part[d] = dims[d][present] if d in dims else np.full(count, "", dtype=object)
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def _texts(values: np.ndarray) -> np.ndarray:
    """Dimension cells as text, converted once per distinct value (NULL as empty)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    texts = np.array(["" if pd.isna(u) else str(u).strip() for u in uniques], dtype=object)
    return texts[codes]


def _numbers(values: np.ndarray) -> np.ndarray:
    """Numbers (Decimal, int, float) as floats; anything else kept as text for the importer."""
    try:
        return values.astype(np.float64)
    except (TypeError, ValueError):
        return np.array([_number_or_text(v) for v in values], dtype=object)


def _number_or_text(value: Any) -> Any:
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
