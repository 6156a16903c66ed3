"""Importing observations from the interchange format: long CSV or Excel, validated whole first.

A file has the columns `date`, `measure` and `value`, plus one column per dimension that a measure
declares in metrics.yaml. A row fills only the dimension columns its measure declares and leaves the
others empty. An import reads the file, reports every bad row (line, column, reason) and writes
nothing if there is one; otherwise it writes all rows and the import batch in one transaction.

Line numbers are those a user sees in the file: the header is line 1 and the first data row line 2
(blank lines count; a quoted cell spanning several lines shifts the numbers after it).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from time import monotonic
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, text
from sqlmodel import Session

from planning.access.permissions import require_director
from planning.config.metrics import MetricsConfig
from planning.metrics.observations import OBSERVATION_COLUMNS, record_batch, upsert_observations
from planning.store.engine import CALENDAR_FIRST, CALENDAR_LAST
from planning.store.models import Person, PersonRead

REQUIRED_COLUMNS = ("date", "measure", "value")
SAMPLE_CSV = (
    "date,measure,value,channel,device\n"
    "2026-11-25,sessions,1200,email,mobile\n"
    "2026-11-25,orders,38,email,mobile\n"
)
NON_NEGATIVE_UNITS = frozenset({"count", "money"})
CSV_SUFFIXES = frozenset({".csv"})
EXCEL_SUFFIXES = frozenset({".xlsx"})
LINE = "line"
# A header may name at most this many columns (or 3 + twice the declared dimensions, if more):
# the format needs 3 + one per dimension, and a wider header is a wrong file, refused before its
# rows are parsed.
MAX_COLUMNS = 64

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PARSER_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PARSER_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


class ImportFileError(ValueError):
    """The file as a whole cannot be read as an observations table."""


class TimeBoxExceeded(Exception):
    """An import passed its time box before writing: nothing was written."""


def _within(deadline: float | None, step: str) -> None:
    """Raise TimeBoxExceeded when the monotonic deadline has passed (checked between steps, so
    an import stops before its write, never inside it)."""
    if deadline is not None and monotonic() > deadline:
        raise TimeBoxExceeded(f"the import ran past its time box while {step}; nothing was written")


@dataclass(frozen=True)
class RowProblem:
    """One bad cell or row: the file line, the column (empty for the whole row) and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return f"line {self.line}, column {self.column}: {self.reason}"
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Validation:
    """A validated table: the rows ready to write and every problem found."""

    frame: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        """Whether the whole table can be written."""
        return not self.problems


@dataclass(frozen=True)
class Preview:
    """What an import would do to the store, counted without writing."""

    rows: int
    would_add: int
    would_update: int
    would_leave: int


@dataclass(frozen=True)
class ImportResult:
    """What an import did; with problems, nothing was written and batch_id is None."""

    added: int
    updated: int
    unchanged: int
    batch_id: int | None
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file was written."""
        return not self.problems


# --- reading -----------------------------------------------------------------------------------


def read_table(*, data: bytes, filename: str, config: MetricsConfig | None = None) -> pd.DataFrame:
    """Read a CSV or .xlsx file into a table of text cells indexed by file line number.

    With a config, columns that are neither required nor declared dimensions are refused too.
    Raises ImportFileError for a file that cannot be read as an observations table.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        raw = _read_csv(data, column_limit(config))
    elif suffix in EXCEL_SUFFIXES:
        raw = _read_xlsx(data)
    else:
        shown = suffix or "without an extension"
        raise ImportFileError(f"cannot import a file {shown}: use a .csv or .xlsx file")
    return _shape(raw, config)


def column_limit(config: MetricsConfig | None) -> int:
    """The most columns a file's header may have."""
    dimensions = len(config.dimensions) if config is not None else 0
    return max(MAX_COLUMNS, len(REQUIRED_COLUMNS) + 2 * dimensions)


def _too_wide(count: int, limit: int) -> ImportFileError:
    return ImportFileError(
        f"the header has {count:,} columns; an observations file has at most {limit} "
        "(date, measure, value and one per dimension)"
    )


def _check_header_width(content: str, limit: int) -> None:
    """Refuse a CSV whose first non-blank line has more than `limit` cells, reading only that
    line: parsing a header of half a million cells would take minutes."""
    try:
        for record in csv.reader(io.StringIO(content)):
            if any(cell.strip() for cell in record):
                if len(record) > limit:
                    raise _too_wide(len(record), limit)
                return
    except csv.Error:
        return  # the parser below reports what is wrong with the file


def _read_csv(data: bytes, limit: int = MAX_COLUMNS) -> pd.DataFrame:
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not UTF-8 text (byte {exc.start + 1} cannot be read); "
            "save it as CSV UTF-8"
        ) from None
    if not content.strip():
        raise ImportFileError("the file is empty")
    _check_header_width(content, limit)
    try:
        # The parser reads the bytes itself (the decode above only checks them), and cells stay
        # Python strings: converting a million of them to another string type costs more than
        # every check that follows.
        raw = pd.read_csv(
            io.BytesIO(data),
            encoding="utf-8-sig",
            header=None,
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise ImportFileError("the file is empty") from None
    except pd.errors.ParserError as exc:
        found = _PARSER_FIELDS.search(str(exc))
        if found:
            expected, line, saw = found.groups()
            raise ImportFileError(
                f"line {line} has {saw} cells but the first line has {expected}"
            ) from None
        opened = _PARSER_OPEN_QUOTE.search(str(exc))
        if opened:  # the parser counts rows from 0, the header being row 0
            raise ImportFileError(
                f"line {int(opened.group(1)) + 1} opens a quoted cell that is never closed"
            ) from None
        raise ImportFileError(f"the file is not valid CSV: {exc}") from None
    # Row i of the raw table is line i + 1 of the file.
    raw.index = pd.RangeIndex(1, len(raw) + 1, name=LINE)
    return raw


def _read_xlsx(data: bytes) -> pd.DataFrame:
    if not data:
        raise ImportFileError("the file is empty")
    try:
        raw = pd.read_excel(
            io.BytesIO(data), sheet_name=0, header=None, dtype=object, engine="openpyxl"
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError(f"the file is not a readable .xlsx workbook ({exc})") from None
    if raw.empty:
        raise ImportFileError("the file is empty")
    raw = raw.map(_cell_text).astype(str)
    # Row i of the sheet as read is spreadsheet row i + 1.
    raw.index = pd.RangeIndex(1, len(raw) + 1, name=LINE)
    return raw


def _cell_text(cell: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time(0) else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def _shape(raw: pd.DataFrame, config: MetricsConfig | None) -> pd.DataFrame:
    """Take the header from the first non-blank line and check the columns."""
    limit = column_limit(config)
    if raw.shape[1] > limit:
        raise _too_wide(raw.shape[1], limit)
    # A row is blank when every cell is empty: test the first column everywhere, the others only
    # where the first is empty (comparing every cell of a million rows costs more).
    blank = np.array(raw.iloc[:, 0] == "", dtype=bool)
    candidates = np.flatnonzero(blank)
    if len(candidates) and raw.shape[1] > 1:
        blank[candidates] = (raw.iloc[candidates, 1:] == "").all(axis=1).to_numpy(dtype=bool)
    filled = np.flatnonzero(~blank)
    if len(filled) == 0:
        raise ImportFileError("the file is empty")
    header_at = int(filled[0])
    header_line = int(raw.index[header_at])
    names = [str(cell).strip().lower() for cell in raw.iloc[header_at]]
    body = raw.iloc[header_at + 1 :]
    body = body[~blank[header_at + 1 :]]
    body.columns = pd.Index(range(len(names)))

    keep: list[int] = []
    for position, name in enumerate(names):
        if name:
            keep.append(position)
        elif (body[position] != "").any():
            raise ImportFileError(
                f"column {position + 1} has values but no name on line {header_line}"
            )
    names = [names[i] for i in keep]
    body = body[keep]
    body.columns = pd.Index(names)

    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ImportFileError(f"column named more than once in the header: {', '.join(repeated)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        hint = ""
        if len(names) == 1 and ";" in names[0]:
            hint = "; the file seems to use ';' between cells, save it with commas"
        raise ImportFileError(
            f"missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)} "
            f"(the header must name date, measure and value){hint}"
        )
    if config is not None:
        unknown = _unknown_columns(names, config)
        if unknown:
            raise ImportFileError(_unknown_columns_reason(unknown, config))
    if body.empty:
        raise ImportFileError("the file has a header but no data rows")
    return body


def _unknown_columns(names: Iterable[str], config: MetricsConfig) -> list[str]:
    return [n for n in names if n not in REQUIRED_COLUMNS and n not in config.dimensions]


def _unknown_columns_reason(unknown: Sequence[str], config: MetricsConfig) -> str:
    allowed = ", ".join([*REQUIRED_COLUMNS, *config.dimensions])
    plural = "s" if len(unknown) > 1 else ""
    return (
        f"unknown column{plural} {', '.join(repr(u) for u in unknown)}: a column must be one of "
        f"{allowed}"
    )


# --- validating --------------------------------------------------------------------------------


class _Problems:
    """Problems collected as arrays, one kind at a time, turned into RowProblems at the end."""

    def __init__(self, column_order: Sequence[str]) -> None:
        self._rank = {name: i for i, name in enumerate(column_order)}
        self._parts: list[tuple[np.ndarray, str, np.ndarray]] = []

    def add(self, lines: np.ndarray, column: str, reasons: np.ndarray | str) -> None:
        if len(lines) == 0:
            return
        if isinstance(reasons, str):
            reasons = np.full(len(lines), reasons, dtype=object)
        self._parts.append((np.asarray(lines), column, np.asarray(reasons, dtype=object)))

    def rows(self) -> list[RowProblem]:
        if not self._parts:
            return []
        lines = np.concatenate([p[0] for p in self._parts]).astype(np.int64)
        ranks = np.concatenate(
            [np.full(len(p[0]), self._rank.get(p[1], len(self._rank))) for p in self._parts]
        )
        columns = np.concatenate([np.full(len(p[0]), p[1], dtype=object) for p in self._parts])
        reasons = np.concatenate([p[2] for p in self._parts])
        order = np.lexsort((ranks, lines))
        return [
            RowProblem(int(line), str(column), str(reason))
            for line, column, reason in zip(
                lines[order], columns[order], reasons[order], strict=True
            )
        ]


def _factorize_text(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes per row and the distinct stripped texts, so checks run once per distinct value."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    texts = ["" if pd.isna(u) else str(u).strip() for u in uniques]
    return np.asarray(codes, dtype=np.int64), texts


def _day_checks(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each distinct date text: the day (or None), its ordinal, and the reason it is bad."""
    days = np.empty(len(texts), dtype=object)
    ordinals = np.zeros(len(texts), dtype=np.int64)
    reasons = np.full(len(texts), None, dtype=object)
    for i, raw in enumerate(texts):
        if not raw:
            reasons[i] = "date is missing"
            continue
        if not _ISO_DAY.fullmatch(raw):
            reasons[i] = f"date {raw!r} is not in YYYY-MM-DD form"
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            reasons[i] = f"{raw} is not a real date"
            continue
        if not CALENDAR_FIRST <= day <= CALENDAR_LAST:
            reasons[i] = (
                f"date {raw} is outside the range the store covers "
                f"({CALENDAR_FIRST.isoformat()} to {CALENDAR_LAST.isoformat()})"
            )
            continue
        days[i] = day
        ordinals[i] = day.toordinal()
    return days, ordinals, reasons


def _suggest(text_value: str, choices: Iterable[str]) -> str:
    options = list(choices)
    folded = {c.lower(): c for c in options}
    if text_value.lower() in folded:
        return f"; did you mean {folded[text_value.lower()]!r}?"
    close = difflib.get_close_matches(text_value, options, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def validate(*, table: pd.DataFrame, config: MetricsConfig) -> Validation:
    """Check every row of a table read by read_table; return the writable rows and all problems.

    Line numbers come from the table's index when it is named `line` (read_table sets it);
    otherwise rows are numbered as in a CSV file, the first data row being line 2.
    """
    n = len(table)
    if table.index.name == LINE:
        lines = np.asarray(table.index, dtype=np.int64)
    else:
        lines = np.arange(2, n + 2, dtype=np.int64)
    columns = [str(c) for c in table.columns]
    dimension_names = list(config.dimensions)
    problems = _Problems(["", *REQUIRED_COLUMNS, *columns, *dimension_names])

    header_problems = [
        RowProblem(1, c, "required column is missing") for c in REQUIRED_COLUMNS if c not in columns
    ]
    header_problems += [
        RowProblem(1, c, _unknown_columns_reason([c], config))
        for c in _unknown_columns(columns, config)
    ]
    if header_problems or n == 0:
        if n == 0 and not header_problems:
            header_problems = [RowProblem(1, "", "there are no data rows")]
        return Validation(frame=_empty_frame(), problems=header_problems, rows=n)

    # Dates: parsed once per distinct text.
    date_codes, date_texts = _factorize_text(table["date"])
    days_u, ordinals_u, date_reasons_u = _day_checks(date_texts)
    date_ok_u = np.array([r is None for r in date_reasons_u], dtype=bool)
    date_ok = date_ok_u[date_codes]
    bad = np.flatnonzero(~date_ok)
    problems.add(lines[bad], "date", date_reasons_u[date_codes[bad]])

    # Measures: index into the configured measures, -1 for unknown.
    measure_names = list(config.measures)
    measure_codes, measure_texts = _factorize_text(table["measure"])
    measure_index_u = np.array(
        [measure_names.index(t) if t in config.measures else -1 for t in measure_texts],
        dtype=np.int64,
    )
    measure_reasons_u = np.array(
        [
            "measure is missing" if not t else f"unknown measure {t!r}" + _suggest(t, measure_names)
            for t in measure_texts
        ],
        dtype=object,
    )
    measure_of_row = measure_index_u[measure_codes]
    known = measure_of_row >= 0
    bad = np.flatnonzero(~known)
    problems.add(lines[bad], "measure", measure_reasons_u[measure_codes[bad]])
    # Index len(measure_names) stands for "unknown" in per-measure lookup tables below.
    measure_slot = np.where(known, measure_of_row, len(measure_names))

    # Values: numbers, finite, not negative for counts and money.
    value_text = table["value"]
    values = pd.to_numeric(value_text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    finite = np.isfinite(values)
    bad = np.flatnonzero(~finite)
    problems.add(
        lines[bad], "value", np.array([_value_reason(value_text.iat[i]) for i in bad], dtype=object)
    )
    non_negative_u = np.array(
        [config.measures[m].unit in NON_NEGATIVE_UNITS for m in measure_names] + [False]
    )
    negative = finite & (values < 0) & non_negative_u[measure_slot]
    bad = np.flatnonzero(negative)
    problems.add(
        lines[bad],
        "value",
        np.array(
            [
                f"value {values[i]:g} is negative; {measure_names[measure_of_row[i]]} is a "
                f"{config.measures[measure_names[measure_of_row[i]]].unit} measure and cannot "
                "be below 0"
                for i in bad
            ],
            dtype=object,
        ),
    )
    # Plausible range per measure (metrics.yaml min_value / max_value): one absurd number would
    # otherwise overflow every sum and ratio it enters.
    lowest_u = np.array([config.measures[m].min_value for m in measure_names] + [-np.inf])
    highest_u = np.array([config.measures[m].max_value for m in measure_names] + [np.inf])
    lowest, highest = lowest_u[measure_slot], highest_u[measure_slot]
    implausible = finite & ~negative & ((values < lowest) | (values > highest))
    bad = np.flatnonzero(implausible)
    problems.add(
        lines[bad],
        "value",
        np.array(
            [_range_reason(values[i], measure_names[measure_of_row[i]], config) for i in bad],
            dtype=object,
        ),
    )
    value_ok = finite & ~negative & ~implausible

    # Dimensions: declared ones filled with a declared value, the others empty.
    dims_ok = np.ones(n, dtype=bool)
    dim_codes: dict[str, np.ndarray] = {}
    dim_texts: dict[str, list[str]] = {}
    for dim in dimension_names:
        declares_u = np.array(
            [dim in config.measures[m].dimensions for m in measure_names] + [False]
        )
        declared = declares_u[measure_slot]
        if dim not in table.columns:
            bad = np.flatnonzero(declared)
            dims_ok[bad] = False
            problems.add(
                lines[bad], dim, _missing_dim_reasons(dim, config, measure_names)[measure_slot[bad]]
            )
            continue
        codes, texts = _factorize_text(table[dim])
        dim_codes[dim], dim_texts[dim] = codes, texts
        allowed = set(config.dimensions[dim].values)
        empty_u = np.array([t == "" for t in texts], dtype=bool)
        valid_u = np.array([t in allowed for t in texts], dtype=bool)
        empty, valid = empty_u[codes], valid_u[codes]

        bad = np.flatnonzero(declared & empty)
        problems.add(
            lines[bad], dim, _missing_dim_reasons(dim, config, measure_names)[measure_slot[bad]]
        )
        dims_ok[bad] = False

        bad = np.flatnonzero(declared & ~empty & ~valid)
        if len(bad):
            values_list = config.dimensions[dim].values
            reason_u = np.array(
                [
                    f"{t!r} is not a declared {dim} value (one of: {', '.join(values_list)})"
                    + _suggest(t, values_list)
                    for t in texts
                ],
                dtype=object,
            )
            problems.add(lines[bad], dim, reason_u[codes[bad]])
            dims_ok[bad] = False

        bad = np.flatnonzero(known & ~declared & ~empty)
        if len(bad):
            reason_m = np.array(
                [
                    f"{m} does not have the dimension {dim}; leave this cell empty"
                    for m in measure_names
                ]
                + [""],
                dtype=object,
            )
            problems.add(lines[bad], dim, reason_m[measure_slot[bad]])
            dims_ok[bad] = False

    # Series key per row (measure + dimension combination), built once per distinct combination.
    keyed = date_ok & known & dims_ok
    series_code = np.full(n, -1, dtype=np.int64)
    series_keys: list[str] = []
    for m_index, measure in enumerate(measure_names):
        rows = np.flatnonzero(keyed & (measure_of_row == m_index))
        if len(rows) == 0:
            continue
        declared_dims = sorted(config.measures[measure].dimensions)
        combo = np.zeros(len(rows), dtype=np.int64)
        for dim in declared_dims:
            combo = combo * (len(dim_texts[dim]) + 1) + dim_codes[dim][rows]
            combo = pd.factorize(combo)[0].astype(np.int64)
        _, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
        offset = len(series_keys)
        for row in rows[first]:
            series_keys.append(
                "|".join(f"{d}={dim_texts[d][dim_codes[d][row]]}" for d in declared_dims)
            )
        series_code[rows] = offset + np.asarray(inverse).reshape(-1)

    # Duplicates within the file: the later row is the problem, naming the first one.
    keyed_rows = np.flatnonzero(keyed)
    if len(keyed_rows):
        key = series_code[keyed_rows] * 1_000_000 + ordinals_u[date_codes[keyed_rows]]
        key_codes = pd.factorize(key)[0]
        _, first_pos = np.unique(key_codes, return_index=True)
        first_row = keyed_rows[first_pos[key_codes]]
        repeated = first_row != keyed_rows
        later = keyed_rows[repeated]
        earlier_lines = lines[first_row[repeated]]
        problems.add(
            lines[later],
            "",
            np.array(
                [
                    f"duplicate of line {e}: same measure, date and dimensions"
                    for e in earlier_lines
                ],
                dtype=object,
            ),
        )
        keyed[later] = False

    # Every problem above cleared one of these masks, so the rest are the writable rows.
    good = np.flatnonzero(keyed & value_ok)
    # Text columns stay Python strings (dtype object): pandas would otherwise copy a million of
    # them into its own string type, only for the write to turn them back.
    frame = pd.DataFrame(
        {
            "measure": pd.Series(
                np.array(measure_names, dtype=object)[measure_of_row[good]], dtype=object
            ),
            "day": pd.Series(days_u[date_codes[good]], dtype=object),
            "dims_key": pd.Series(
                np.array(series_keys, dtype=object)[series_code[good]]
                if series_keys
                else np.array([], dtype=object),
                dtype=object,
            ),
            "value": values[good],
        },
        columns=OBSERVATION_COLUMNS,
    )
    return Validation(frame=frame, problems=problems.rows(), rows=n)


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "measure": pd.Series([], dtype=object),
            "day": pd.Series([], dtype=object),
            "dims_key": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=np.float64),
        }
    )


def _missing_dim_reasons(dim: str, config: MetricsConfig, measure_names: list[str]) -> np.ndarray:
    return np.array(
        [
            f"{dim} is missing; {m} is recorded by {', '.join(config.measures[m].dimensions)}"
            for m in measure_names
        ]
        + [""],
        dtype=object,
    )


def _range_reason(value: float, measure: str, config: MetricsConfig) -> str:
    spec = config.measures[measure]
    if value > spec.max_value:
        return (
            f"value {value:g} is above the plausible maximum for {measure} "
            f"({spec.max_value:g}, max_value in metrics.yaml)"
        )
    return (
        f"value {value:g} is below the plausible minimum for {measure} "
        f"({spec.min_value:g}, min_value in metrics.yaml)"
    )


def _value_reason(cell: Any) -> str:
    raw = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell).strip()
    if not raw:
        return "value is missing"
    try:
        float(raw)
    except ValueError:
        return f"value {raw!r} is not a number"
    return f"value {raw!r} is not a finite number"


# --- previewing and writing --------------------------------------------------------------------


ADD, UPDATE, LEAVE = "add", "update", "unchanged"


def compare_with_store(*, session: Session, validation: Validation) -> pd.DataFrame:
    """The writable rows with the value stored now (NaN if none) and what an import would do
    to each (`add`, `update` or `unchanged`); writes nothing."""
    frame = validation.frame.reset_index(drop=True)
    if frame.empty:
        return frame.assign(
            stored=pd.Series([], dtype=np.float64), change=pd.Series([], dtype=object)
        )
    connection = session.connection()
    existing = _existing_series(connection, frame)
    series = pd.Series(
        [existing.get(pair, -1) for pair in zip(frame["measure"], frame["dims_key"], strict=True)],
        dtype=np.int64,
    )
    days = frame["day"].astype(str)
    stored = _stored_values(
        connection,
        sorted(set(existing.values())),
        first=min(frame["day"]),
        last=max(frame["day"]),
    )
    incoming = pd.DataFrame(
        {"series_id": series, "day": days, "value": frame["value"].to_numpy(dtype=np.float64)}
    )
    # A left merge keeps the incoming rows in their order.
    merged = incoming.merge(stored, on=["series_id", "day"], how="left", suffixes=("", "_stored"))
    stored_values = merged["value_stored"].to_numpy(dtype=np.float64)
    present = ~np.isnan(stored_values)
    same = present & (merged["value"].to_numpy() == stored_values)
    change = np.where(~present, ADD, np.where(same, LEAVE, UPDATE))
    return frame.assign(stored=stored_values, change=change.astype(object))


def preview(*, session: Session, validation: Validation) -> Preview:
    """Count how many rows an import would add, change and leave as they are; writes nothing."""
    compared = compare_with_store(session=session, validation=validation)
    change = compared["change"]
    return Preview(
        rows=len(compared),
        would_add=int((change == ADD).sum()),
        would_update=int((change == UPDATE).sum()),
        would_leave=int((change == LEAVE).sum()),
    )


@dataclass(frozen=True)
class FileCheck:
    """A file checked against the configuration and the store, before anything is written."""

    filename: str
    checksum: str
    error: str | None = None  # the file as a whole cannot be read
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    preview: Preview | None = None
    sample: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        """Whether the file can be imported as it is."""
        return self.error is None and not self.problems and self.preview is not None


Progress = Callable[[float, str], None]


def check_file(
    *,
    session: Session,
    data: bytes,
    filename: str,
    config: MetricsConfig,
    sample_rows: int = 20,
    progress: Progress | None = None,
) -> FileCheck:
    """Read, validate and preview a file (what the upload screen shows); writes nothing.

    `progress(fraction, step)` is told as each step starts.
    """

    def step(fraction: float, label: str) -> None:
        if progress is not None:
            progress(fraction, label)

    checksum = hashlib.sha256(data).hexdigest()
    step(0.0, f"Reading {PurePath(filename).name}")
    try:
        table = read_table(data=data, filename=filename, config=config)
    except ImportFileError as exc:
        step(1.0, "The file cannot be read")
        return FileCheck(filename=filename, checksum=checksum, error=str(exc))
    step(0.3, f"Checking {len(table):,} rows")
    validation = validate(table=table, config=config)
    if validation.problems:
        step(1.0, f"{len(validation.problems):,} problems found")
        return FileCheck(
            filename=filename, checksum=checksum, rows=validation.rows, problems=validation.problems
        )
    step(0.7, "Comparing with the store")
    compared = compare_with_store(session=session, validation=validation)
    change = compared["change"]
    counts = Preview(
        rows=len(compared),
        would_add=int((change == ADD).sum()),
        would_update=int((change == UPDATE).sum()),
        would_leave=int((change == LEAVE).sum()),
    )
    # The sample shows changes first: those are what the person is about to confirm.
    order = np.argsort(np.asarray(change == LEAVE, dtype=np.int8), kind="stable")
    sample = compared.iloc[order[:sample_rows]].reset_index(drop=True)
    step(1.0, f"{counts.rows:,} rows ready to import")
    return FileCheck(
        filename=filename,
        checksum=checksum,
        rows=validation.rows,
        preview=counts,
        sample=sample,
    )


def _existing_series(connection: Connection, frame: pd.DataFrame) -> dict[tuple[str, str], int]:
    wanted = set(zip(frame["measure"], frame["dims_key"], strict=True))
    rows = connection.execute(
        text("SELECT id, measure, dims_key FROM series WHERE measure IN :measures").bindparams(
            bindparam("measures", expanding=True)
        ),
        {"measures": sorted({m for m, _ in wanted})},
    ).all()
    return {(m, k): int(i) for i, m, k in rows if (m, k) in wanted}


def _stored_values(
    connection: Connection, series: list[int], *, first: date, last: date
) -> pd.DataFrame:
    parts: list[pd.DataFrame] = []
    for start in range(0, len(series), 500):
        rows = connection.execute(
            text(
                "SELECT series_id, day, value FROM observation "
                "WHERE series_id IN :ids AND day BETWEEN :first AND :last"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": series[start : start + 500], "first": first, "last": last},
        ).all()
        parts.append(pd.DataFrame(rows, columns=["series_id", "day", "value_stored"]))
    if not parts:
        return pd.DataFrame(
            {
                "series_id": pd.Series([], dtype=np.int64),
                "day": pd.Series([], dtype=object),
                "value_stored": pd.Series([], dtype=np.float64),
            }
        )
    stored = pd.concat(parts, ignore_index=True)
    # SQLite returns days as ISO text, PostgreSQL as dates: compare both as text.
    stored["day"] = stored["day"].astype(str)
    stored["series_id"] = stored["series_id"].astype(np.int64)
    stored["value_stored"] = stored["value_stored"].astype(np.float64)
    return stored


def import_observations(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    data: bytes,
    filename: str,
    source: str,
    config: MetricsConfig,
    api_token_id: int | None = None,
    deadline: float | None = None,
) -> ImportResult:
    """Validate a whole file and, if every row is good, write it and its batch in one transaction.

    A file with bad rows writes nothing and returns every problem; a file that cannot be read at
    all raises ImportFileError. `actor` None stands for the system (command line, demo loader);
    a person who is not an active director gets PermissionDenied. Past `deadline` (a
    time.monotonic() moment) before the write, it raises TimeBoxExceeded and writes nothing.
    """
    if actor is not None:
        require_director(actor, "import observations")
    table = read_table(data=data, filename=filename, config=config)
    _within(deadline, "reading the file")
    validation = validate(table=table, config=config)
    _within(deadline, "checking its rows")
    if validation.problems:
        return ImportResult(
            added=0, updated=0, unchanged=0, batch_id=None, problems=validation.problems
        )
    return write_observations(
        engine=engine,
        actor=actor,
        frame=validation.frame,
        checksum=hashlib.sha256(data).hexdigest(),
        filename=filename,
        source=source,
        api_token_id=api_token_id,
    )


def write_observations(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    frame: pd.DataFrame,
    checksum: str,
    filename: str,
    source: str,
    api_token_id: int | None = None,
) -> ImportResult:
    """Write validated rows (a Validation's frame) and their import batch in one transaction."""
    if actor is not None:
        require_director(actor, "import observations")
    with engine.begin() as connection:
        counts = upsert_observations(connection=connection, frame=frame)
        session = Session(bind=connection)
        try:
            batch = record_batch(
                session=session,
                actor=actor,
                source=source,
                filename=PurePath(filename).name[:255],
                counts=counts,
                checksum=checksum,
                api_token_id=api_token_id,
            )
            batch_id = batch.id
        finally:
            session.close()
    return ImportResult(
        added=counts.added,
        updated=counts.updated,
        unchanged=counts.unchanged,
        batch_id=batch_id,
    )


# --- JSON records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordProblem:
    """One bad field or item of a JSON list: its position (None for the whole body), field, why."""

    index: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = "the body" if self.index is None else f"item {self.index}"
        if self.field:
            return f"{where}, field {self.field}: {self.reason}"
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class RecordsImportResult:
    """What importing a JSON list did; with problems, nothing was written and batch_id is None."""

    added: int
    updated: int
    unchanged: int
    batch_id: int | None
    problems: list[RecordProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the list was written."""
        return not self.problems


_JSON_TYPES = {
    dict: "an object",
    list: "a list",
    str: "text",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_DUPLICATE_LINE = re.compile(r"duplicate of line (\d+)")


def _json_kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _records_table(
    records: Any, config: MetricsConfig
) -> tuple[pd.DataFrame, list[RecordProblem], set[tuple[int, str]]]:
    """Text cells per item (indexed by position), type problems, and the cells they cover."""
    problems: list[RecordProblem] = []
    flagged: set[tuple[int, str]] = set()
    columns = [*REQUIRED_COLUMNS, *config.dimensions]
    if not isinstance(records, list):
        problems.append(
            RecordProblem(
                None,
                "",
                f"the body is {_json_kind(records)}; send a JSON list of objects such as "
                '[{"date": "2026-11-25", "measure": "sessions", "value": 1200, '
                '"channel": "email", "device": "mobile"}]',
            )
        )
        return pd.DataFrame(columns=columns), problems, flagged
    if not records:
        problems.append(RecordProblem(None, "", "the list is empty; send at least one observation"))
        return pd.DataFrame(columns=columns), problems, flagged
    cells: dict[str, list[str]] = {c: [""] * len(records) for c in columns}
    for index, item in enumerate(records):
        if not isinstance(item, dict):
            problems.append(
                RecordProblem(index, "", f"item {index} is {_json_kind(item)}, not an object")
            )
            for column in columns:
                flagged.add((index, column))
            flagged.add((index, ""))
            continue
        for key, value in item.items():
            if key not in columns:
                problems.append(
                    RecordProblem(
                        index,
                        str(key),
                        f"unknown field {key!r}: a field is one of {', '.join(columns)}"
                        + _suggest(str(key), columns),
                    )
                )
                continue
            text_value, reason = _record_cell(key, value)
            if reason:
                problems.append(RecordProblem(index, key, reason))
                flagged.add((index, key))
            cells[key][index] = text_value
    table = pd.DataFrame(cells, columns=columns)
    table.index = pd.RangeIndex(0, len(records), name=LINE)
    return table, problems, flagged


def _record_cell(key: str, value: Any) -> tuple[str, str]:
    """A JSON field as the text a CSV cell would hold, or the reason its type is wrong."""
    if value is None:
        return "", ""
    if key == "value":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "", f"value must be a JSON number, not {_json_kind(value)}"
        try:
            return repr(float(value)), ""
        except OverflowError:
            return "", "value is too large to store"
    if not isinstance(value, str):
        wanted = "text in YYYY-MM-DD form" if key == "date" else "text"
        return "", f"{key} must be {wanted}, not {_json_kind(value)}"
    return value, ""


def validate_records(
    *, records: Any, config: MetricsConfig
) -> tuple[Validation, list[RecordProblem]]:
    """Check a parsed JSON body (a list of observation objects) item by item, like a file.

    Returns the validation of the items as a table (its frame holds the writable rows) and every
    problem as (index, field, reason); the list is writable only when there are none.
    """
    table, problems, flagged = _records_table(records, config)
    if table.empty:
        return Validation(frame=_empty_frame(), problems=[], rows=0), problems
    validation = validate(table=table, config=config)
    for problem in validation.problems:
        if (problem.line, problem.column) in flagged or (problem.line, "") in flagged:
            continue
        reason = _DUPLICATE_LINE.sub(r"duplicate of item \1", problem.reason)
        problems.append(RecordProblem(problem.line, problem.column, reason))
    order = {name: i for i, name in enumerate(["", *table.columns])}
    problems.sort(
        key=lambda p: (-1 if p.index is None else p.index, order.get(p.field, len(order)))
    )
    return validation, problems


def import_records(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    records: Any,
    checksum: str,
    source: str,
    config: MetricsConfig,
    filename: str = "",
    api_token_id: int | None = None,
    deadline: float | None = None,
) -> RecordsImportResult:
    """Validate a JSON list of observations whole and write it in one transaction, or nothing.

    `checksum` identifies the request body (its SHA-256) in the import batch. Past `deadline`
    before the write, it raises TimeBoxExceeded and writes nothing.
    """
    if actor is not None:
        require_director(actor, "import observations")
    validation, problems = validate_records(records=records, config=config)
    _within(deadline, "checking its records")
    if problems:
        return RecordsImportResult(
            added=0, updated=0, unchanged=0, batch_id=None, problems=problems
        )
    result = write_observations(
        engine=engine,
        actor=actor,
        frame=validation.frame,
        checksum=checksum,
        filename=filename,
        source=source,
        api_token_id=api_token_id,
    )
    return RecordsImportResult(
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        batch_id=result.batch_id,
    )
