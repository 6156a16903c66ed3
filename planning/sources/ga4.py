"""A GA4 report exported as CSV (Share this report → Download file → CSV, or an exploration's
export) turned into the funnel measures by channel and device.

GA4 writes `#` comment lines first (report name, account, property, `# Start date: YYYYMMDD`,
`# End date: YYYYMMDD`), then one or more tables separated by blank or comment lines. The table read
is the first whose header names Date and Sessions; its Date cells are YYYYMMDD. Columns read:

- Date, Session default channel group (or the older "Session primary channel group (Default
  Channel Group)"), Device category, Sessions: required;
- Add to carts -> add_to_cart_sessions, Checkouts -> checkout_sessions: when present;
- Transactions or Ecommerce purchases -> orders, only with `imports.ga4.record_orders: true`.

Channel groups and device categories map to the configured dimension values through a default
mapping (config.GA4_DEFAULT_CHANNELS / GA4_DEFAULT_DEVICES) plus the overrides in settings.yaml
(`imports.ga4.channels`, `devices`); a value mapped nowhere refuses the file, listing it. Rows
that land on the same day, channel and device (tablet and mobile, say) are added up.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.config import AppConfig
from planning.config.metrics import MetricsConfig
from planning.config.settings import GA4_DEFAULT_CHANNELS, GA4_DEFAULT_DEVICES, Ga4Settings
from planning.formatting import format_count
from planning.i18n import N_, Words
from planning.i18n import gettext as _
from planning.metrics.import_checks import RowProblem
from planning.metrics.import_file import LINE, ImportFileError, delimiter_hint
from planning.sources.formats import (
    GA4,
    Converted,
    decode,
    lines_text,
    long_table,
    number_problem,
    refuse_repeated,
)

DATE_COLUMNS = ("date",)
CHANNEL_COLUMNS = (
    "session default channel group",
    "session primary channel group (default channel group)",
)
DEVICE_COLUMNS = ("device category",)
# GA4 column -> measure, in the order they are looked for.
MEASURE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sessions": ("sessions",),
    "add_to_cart_sessions": ("add to carts",),
    "checkout_sessions": ("checkouts",),
    "orders": ("transactions", "ecommerce purchases"),
}
MAX_COUNT = 1e10
_DAY = re.compile(r"[0-9]{8}")
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_POINTED = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+")
ORDERS_OFF = N_(
    "Purchases are not recorded as orders (imports.ga4.record_orders is off in settings.yaml)."
)


@dataclass(frozen=True)
class _Table:
    """One table of the export: its header, its rows and the file line of each row."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]


def _tables(text: str) -> list[_Table]:
    """The file's tables: runs of lines between comment (#) and blank lines."""
    tables: list[_Table] = []
    block: list[tuple[int, str]] = []

    def close() -> None:
        if not block:
            return
        records = list(csv.reader([line for _, line in block]))
        tables.append(
            _Table(
                header=[c.strip() for c in records[0]],
                rows=records[1:],
                lines=[n for n, _ in block[1:]],
            )
        )
        block.clear()

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            close()
        else:
            block.append((number, line))
    close()
    return tables


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    folded = [h.lower() for h in header]
    for name in names:
        if name in folded:
            return folded.index(name)
    return None


def parse_ga4(*, data: bytes, config: AppConfig, settings: Ga4Settings | None = None) -> Converted:
    """Turn a GA4 CSV export into interchange rows of the funnel measures by channel and device;
    raises ImportFileError when the file as a whole cannot be used."""
    rules = settings or config.settings.imports.ga4
    metrics = config.metrics
    channels, devices = _mappings(rules, metrics)
    text = decode(data)
    tables = _tables(text)
    table = next(
        (
            t
            for t in tables
            if _find(t.header, DATE_COLUMNS) is not None
            and _find(t.header, ("sessions",)) is not None
        ),
        None,
    )
    if table is None:
        seen = "; ".join(", ".join(t.header[:6]) for t in tables[:3]) or _("none")
        raise ImportFileError(
            _(
                "no table with Date and Sessions columns: this is not a GA4 report with a Date "
                "dimension, or its header changed (tables found: {tables})"
            ).format(tables=seen)
            + (delimiter_hint(tables[0].header, export=True) if tables else "")
        )
    read = {*DATE_COLUMNS, *CHANNEL_COLUMNS, *DEVICE_COLUMNS}
    read.update(name for names in MEASURE_COLUMNS.values() for name in names)
    refuse_repeated([name for name in table.header if name.strip().lower() in read])
    where = {
        "date": _find(table.header, DATE_COLUMNS),
        "channel": _find(table.header, CHANNEL_COLUMNS),
        "device": _find(table.header, DEVICE_COLUMNS),
    }
    missing = [
        label
        for key, label in (
            ("channel", "Session default channel group"),
            ("device", "Device category"),
        )
        if where[key] is None
    ]
    if missing:
        raise ImportFileError(
            _(
                "the GA4 table has no column {columns}; add that dimension to the report (its "
                "header is: {header})"
            ).format(columns=", ".join(repr(m) for m in missing), header=", ".join(table.header))
        )
    measures = {
        measure: index
        for measure, names in MEASURE_COLUMNS.items()
        if (index := _find(table.header, names)) is not None
        and (measure != "orders" or rules.record_orders)
    }
    for measure in measures:
        _check_measure(measure, metrics)
    if not table.rows:
        raise ImportFileError(_("the GA4 table has a header but no rows"))

    problems: list[RowProblem] = []
    width = len(table.header)
    good_rows: list[int] = []
    for i, row in enumerate(table.rows):
        if len(row) != width:
            problems.append(
                RowProblem(
                    table.lines[i],
                    "",
                    _("the row has {saw} cells but the header has {expected}").format(
                        saw=len(row), expected=width
                    ),
                )
            )
        else:
            good_rows.append(i)
    lines = np.asarray([table.lines[i] for i in good_rows], dtype=np.int64)
    cells = pd.DataFrame([table.rows[i] for i in good_rows], columns=range(width), dtype=object)
    date_header = table.header[where["date"] or 0]
    days = _days(cells[where["date"]], lines, date_header, problems)
    channel = _mapped(
        cells[where["channel"]], lines, channels, "channel", "channels", problems, metrics
    )
    device = _mapped(cells[where["device"]], lines, devices, "device", "devices", problems, metrics)
    values = {
        measure: _counts(cells[index], lines, table.header[index], problems)
        for measure, index in measures.items()
    }
    if problems:
        problems.sort(key=lambda p: (p.line, p.column))
        return Converted(
            format=GA4,
            table=long_table([], list(metrics.dimensions)),
            problems=problems,
            lines_read=len(table.rows),
        )
    frame = pd.DataFrame(
        {"date": days, "channel": channel, "device": device, LINE: lines, **values}
    )
    summed = (
        frame.groupby(["date", "channel", "device"], sort=True)
        .agg(line=(LINE, "min"), **{m: (m, "sum") for m in values})
        .reset_index()
    )
    parts = [
        pd.DataFrame(
            {
                "date": summed["date"],
                "measure": measure,
                "value": summed[measure],
                "channel": summed["channel"],
                "device": summed["device"],
                LINE: summed["line"],
            }
        )
        for measure in values
    ]
    rows_read, measure_names = format_count(len(table.rows)), ", ".join(values)
    notes: list[str] = [
        Words(
            lambda: _("{count} GA4 rows read: {measures} by channel and device.").format(
                count=rows_read, measures=measure_names
            )
        )
    ]
    if not rules.record_orders and _find(table.header, MEASURE_COLUMNS["orders"]) is not None:
        notes.append(Words(lambda: _(ORDERS_OFF)))
    return Converted(
        format=GA4,
        table=long_table(parts, list(metrics.dimensions)),
        notes=notes,
        lines_read=len(table.rows),
    )


def _mappings(rules: Ga4Settings, metrics: MetricsConfig) -> tuple[dict[str, str], dict[str, str]]:
    """The channel and device mappings (defaults plus settings), folded to lower case, checked
    against the declared dimension values."""
    result = []
    for dim, defaults, overrides, key in (
        ("channel", GA4_DEFAULT_CHANNELS, rules.channels, "channels"),
        ("device", GA4_DEFAULT_DEVICES, rules.devices, "devices"),
    ):
        declared = metrics.dimensions[dim].values if dim in metrics.dimensions else []
        for value, target in overrides.items():
            if target not in declared:
                raise ImportFileError(
                    _(
                        "settings.yaml: imports.ga4.{key}.{value}: {target} is not a declared "
                        "{dimension} value (one of: {values})"
                    ).format(
                        key=key,
                        value=value,
                        target=repr(target),
                        dimension=dim,
                        values=", ".join(declared),
                    )
                )
        merged = {k.lower(): v for k, v in defaults.items() if v in declared}
        merged.update({k.lower(): v for k, v in overrides.items()})
        result.append(merged)
    return result[0], result[1]


def _check_measure(measure: str, metrics: MetricsConfig) -> None:
    spec = metrics.measures.get(measure)
    if spec is None:
        raise ImportFileError(
            _("metrics.yaml declares no measure {measure}, which GA4 fills").format(
                measure=repr(measure)
            )
        )
    if set(spec.dimensions) != {"channel", "device"}:
        raise ImportFileError(
            _(
                "metrics.yaml records {measure} by {dimensions}; a GA4 import gives channel and "
                "device"
            ).format(measure=measure, dimensions=", ".join(spec.dimensions) or _("nothing"))
        )


def _days(column: pd.Series, lines: np.ndarray, name: str, problems: list[RowProblem]) -> list:
    codes, uniques = pd.factorize(column.astype(str).str.strip())
    decided: list[str | None] = []
    for raw in uniques:
        day = None
        if _DAY.fullmatch(raw):
            iso = f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"
            try:
                pd.Timestamp(iso)
                day = iso
            except ValueError:
                day = None
        decided.append(day)
    out = [decided[c] for c in codes]
    for i, day in enumerate(out):
        if day is None:
            shown = str(uniques[codes[i]])[:40]
            problems.append(
                RowProblem(
                    int(lines[i]),
                    name,
                    _("{cell} is not a GA4 date (YYYYMMDD)").format(cell=repr(shown)),
                )
            )
    return out


def _mapped(
    column: pd.Series,
    lines: np.ndarray,
    mapping: dict[str, str],
    dim: str,
    key: str,
    problems: list[RowProblem],
    metrics: MetricsConfig,
) -> np.ndarray:
    """Each GA4 value's dimension value; every unmapped value refuses the file, listed once."""
    texts = column.astype(str).str.strip()
    codes, uniques = pd.factorize(texts)
    targets = [mapping.get(str(u).lower()) for u in uniques]
    unmapped = [i for i, t in enumerate(targets) if t is None]
    if unmapped:
        listed = "; ".join(
            f"{str(uniques[i])[:60]!r} ({lines_text(lines[codes == i], 3)})" for i in unmapped
        )
        declared = metrics.dimensions[dim].values
        raise ImportFileError(
            _(
                "GA4 {dimension} values with no {dimension} to record them under: {listed}. Map "
                "each in settings.yaml under imports.ga4.{key} to one of: {values}"
            ).format(dimension=dim, listed=listed, key=key, values=", ".join(declared))
        )
    return np.asarray(targets, dtype=object)[codes]


def _counts(
    column: pd.Series, lines: np.ndarray, name: str, problems: list[RowProblem]
) -> np.ndarray:
    text = column.astype(str).str.strip()
    # GA4 writes plain numbers; a spreadsheet round trip may add thousands separators.
    grouped = text.str.fullmatch(_GROUPED.pattern)
    text = text.where(~grouped, text.str.replace(",", "", regex=False))
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0) | (values > MAX_COUNT))
    for i in bad:
        finite = bool(np.isfinite(values[i]))
        reason = number_problem(
            str(text.iat[i])[:40], values[i], name=name, limit=MAX_COUNT, reads_as_number=finite
        )
        problems.append(RowProblem(int(lines[i]), name, reason))
    # GA4 counts sessions and events: a fraction is a thousands point read as a decimal point
    # (1.200 from a German spreadsheet), never a real count; so is 2.000, which reads as whole.
    in_range = np.isfinite(values) & (values >= 0) & (values <= MAX_COUNT)
    pointed = text.str.fullmatch(_POINTED.pattern).to_numpy(dtype=bool)
    fractional = np.flatnonzero(in_range & ((values != np.floor(values)) | pointed))
    for i in fractional:
        problems.append(
            RowProblem(
                int(lines[i]),
                name,
                _(
                    "{cell} is not a whole number: GA4 counts are whole, write them without "
                    "a thousands separator (1200, not 1.200)"
                ).format(cell=repr(str(text.iat[i])[:40])),
            )
        )
    return values
