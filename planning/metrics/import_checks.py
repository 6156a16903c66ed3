"""Checking an observations table before anything is written: every bad cell or row is reported
(line, column, reason), with a close match suggested for a misspelt measure or dimension value, and
the good rows come back as the frame the store's upsert takes. Nothing here reads or writes the
store.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from planning.config.metrics import MetricsConfig
from planning.i18n import gettext as _
from planning.metrics.import_file import (
    LINE,
    REQUIRED_COLUMNS,
    unknown_columns,
    unknown_columns_reason,
)
from planning.metrics.observations import OBSERVATION_COLUMNS
from planning.store.engine import CALENDAR_FIRST, CALENDAR_LAST

NON_NEGATIVE_UNITS = frozenset({"count", "money"})
# A cell quoted in a problem is cut to this many characters: a runaway cell (a pasted page, a
# column shifted into one) would otherwise fill the problem list.
SHOWN_CHARACTERS = 60
# A number as spreadsheets in many languages write it: a decimal comma, or thousands grouped by
# points, commas, (no-break) spaces or apostrophes.
SEPARATED_NUMBER = re.compile(
    r"[-+]?[0-9]{1,3}([.,' \u00a0\u202f\u2019][0-9]{3})+([.,][0-9]+)?|[-+]?[0-9]+,[0-9]+"
)
# Words spreadsheets and exports write for "no value" (compared stripped, case-insensitively):
# taken as a value in neither a CSV nor a workbook, but refused saying what to write instead,
# so the same data reads the same in both.
MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "null", "none", "nil", "-", "--", "?"})
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class RowProblem:
    """One bad cell or row: the file line, the column (empty for the whole row) and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.column:
            return _("line {line}, column {column}: {reason}").format(
                line=self.line, column=self.column, reason=self.reason
            )
        return _("line {line}: {reason}").format(line=self.line, reason=self.reason)


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
            reasons[i] = _("date is missing")
            continue
        if not _ISO_DAY.fullmatch(raw):
            reasons[i] = _("date {raw} is not in YYYY-MM-DD form").format(raw=shown(raw))
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            reasons[i] = _("{raw} is not a real date").format(raw=raw)
            continue
        if not CALENDAR_FIRST <= day <= CALENDAR_LAST:
            reasons[i] = _(
                "date {raw} is outside the range the store covers ({first} to {last})"
            ).format(raw=raw, first=CALENDAR_FIRST.isoformat(), last=CALENDAR_LAST.isoformat())
            continue
        days[i] = day
        ordinals[i] = day.toordinal()
    return days, ordinals, reasons


def suggest_close(text_value: str, choices: Iterable[str]) -> str:
    """A "; did you mean …?" hint naming the closest choice, or "" when none is close."""
    options = list(choices)
    folded = {c.lower(): c for c in options}
    if text_value.lower() in folded:
        return _("; did you mean {choice}?").format(choice=repr(folded[text_value.lower()]))
    close = difflib.get_close_matches(text_value, options, n=1, cutoff=0.75)
    return _("; did you mean {choice}?").format(choice=repr(close[0])) if close else ""


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
        RowProblem(1, c, _("required column is missing"))
        for c in REQUIRED_COLUMNS
        if c not in columns
    ]
    header_problems += [
        RowProblem(1, c, unknown_columns_reason([c], config))
        for c in unknown_columns(columns, config)
    ]
    if header_problems or n == 0:
        if n == 0 and not header_problems:
            header_problems = [RowProblem(1, "", _("there are no data rows"))]
        return Validation(frame=empty_observations(), problems=header_problems, rows=n)

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
            _("measure is missing")
            if not t
            else _("unknown measure {name}").format(name=shown(t)) + suggest_close(t, measure_names)
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
    negative_reason = _(
        "value {value} is negative; {measure} is a {unit} measure and cannot be below 0"
    )
    problems.add(
        lines[bad],
        "value",
        np.array(
            [
                negative_reason.format(
                    value=f"{values[i]:g}",
                    measure=measure_names[measure_of_row[i]],
                    unit=config.measures[measure_names[measure_of_row[i]]].unit,
                )
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
                    _("{value} is not a declared {dimension} value (one of: {values})").format(
                        value=shown(t), dimension=dim, values=", ".join(values_list)
                    )
                    + suggest_close(t, values_list)
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
                    _(
                        "{measure} does not have the dimension {dimension}; leave this cell empty"
                    ).format(measure=m, dimension=dim)
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
        _unique, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
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
        _unique, first_pos = np.unique(key_codes, return_index=True)
        first_row = keyed_rows[first_pos[key_codes]]
        repeated = first_row != keyed_rows
        later = keyed_rows[repeated]
        earlier_lines = lines[first_row[repeated]]
        duplicate = _("duplicate of line {line}: same measure, date and dimensions")
        problems.add(
            lines[later],
            "",
            np.array(
                [duplicate.format(line=e) for e in earlier_lines],
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


def empty_observations() -> pd.DataFrame:
    """An observations frame with no rows, typed like a validated one."""
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
            _("{dimension} is missing; {measure} is recorded by {dimensions}").format(
                dimension=dim, measure=m, dimensions=", ".join(config.measures[m].dimensions)
            )
            for m in measure_names
        ]
        + [""],
        dtype=object,
    )


def _range_reason(value: float, measure: str, config: MetricsConfig) -> str:
    spec = config.measures[measure]
    if value > spec.max_value:
        return _(
            "value {value} is above the plausible maximum for {measure} "
            "({limit}, max_value in metrics.yaml)"
        ).format(value=f"{value:g}", measure=measure, limit=f"{spec.max_value:g}")
    return _(
        "value {value} is below the plausible minimum for {measure} "
        "({limit}, min_value in metrics.yaml)"
    ).format(value=f"{value:g}", measure=measure, limit=f"{spec.min_value:g}")


def _value_reason(cell: Any) -> str:
    raw = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell).strip()
    if not raw:
        return _("value is missing")
    if is_missing_marker(raw):
        return _(
            "value {raw} stands for no value: a row without a value cannot be imported, "
            "leave it out of the file"
        ).format(raw=shown(raw))
    try:
        number = float(raw)
    except ValueError:
        number = 0.0
    if math.isfinite(number):
        return not_a_number(raw)
    return _("value {raw} is not a finite number").format(raw=shown(raw))


def is_missing_marker(cell: str) -> bool:
    """Whether a cell holds a word written for "no value" (NA, N/A, null, -, ...)."""
    return cell.strip().lower() in MISSING_MARKERS


def not_a_number(cell: str) -> str:
    """Why a cell is not a number, saying how to write one when it has a decimal comma or
    thousands separators."""
    if SEPARATED_NUMBER.fullmatch(cell):
        return _(
            "value {raw} is not a number: write a decimal point and no thousands separator, "
            "e.g. 1234.56"
        ).format(raw=shown(cell))
    return _("value {raw} is not a number").format(raw=shown(cell))


def shown(cell: str) -> str:
    """A cell as a problem quotes it: repr, cut to SHOWN_CHARACTERS characters."""
    if len(cell) <= SHOWN_CHARACTERS:
        return repr(cell)
    return repr(cell[:SHOWN_CHARACTERS]) + "…"
