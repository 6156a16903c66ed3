"""Files in a shop's own formats: recognise one, turn it into interchange rows, check and import.

A Shopify orders export, a GA4 report or a wide file read through a saved column mapping becomes
the long table of planning/metrics/importer.py (date, measure, value and dimension columns), and
from there follows the importer's rules: every row validated first, nothing written if any is bad,
then one transaction. Problems name the line of the original file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import PurePath

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session

from planning.access.permissions import require_director
from planning.config import AppConfig
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.import_checks import RowProblem, Validation, validate
from planning.metrics.import_file import (
    EMPTY,
    LINE,
    ImportFileError,
    read_csv_cells,
    read_workbook,
    utf8_bytes,
    utf8_text,
)
from planning.metrics.importer import (
    FileCheck,
    ImportResult,
    preview_import,
    write_unless_problems,
)
from planning.store.models import Person, PersonRead

INTERCHANGE = "interchange"
SHOPIFY_ORDERS = "shopify_orders"
GA4 = "ga4"
MAPPING = "mapping"
FORMAT_LABELS = {
    INTERCHANGE: N_("Quarterdeck long format (date, measure, value, dimensions)"),
    SHOPIFY_ORDERS: N_("Shopify orders export"),
    GA4: N_("GA4 report (CSV)"),
    MAPPING: N_("Wide file, read through a column mapping"),
}
# A header naming these is a Shopify orders export (compared case-insensitively).
SHOPIFY_MARKERS = ("name", "financial status", "created at", "lineitem quantity", "lineitem price")
# Cells in any text file read here: a spreadsheet would be refused long before this.
MAX_COLUMNS = 500


@dataclass(frozen=True)
class Converted:
    """A file in another format as interchange rows, or the row problems that stop it.

    `table` has the columns date, measure, value and one per dimension (empty where a measure does
    not declare it), indexed by `line`: the first line of the original file behind each row.
    """

    format: str
    table: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    lines_read: int = 0
    # The original file's name for an interchange column (a mapping's date and dimension
    # columns), so a problem names the column the person sees in their file.
    columns: dict[str, str] = field(default_factory=dict)

    def in_file_terms(self, problems: list[RowProblem]) -> list[RowProblem]:
        """Problems with interchange column names replaced by the file's own."""
        if not self.columns:
            return problems
        return [
            RowProblem(p.line, self.columns.get(p.column, p.column), p.reason) for p in problems
        ]


def decode(data: bytes) -> str:
    """The file as text; anything but UTF-8 is refused with the way to fix it."""
    return utf8_text(data)[1]


def first_record(text: str) -> list[str]:
    """The first non-blank, non-comment line's cells (a header, in every format read here)."""
    for line in io.StringIO(text):
        line = line.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        try:
            return next(csv.reader([line]))
        except (csv.Error, StopIteration):
            return []
    return []


def detect_format(data: bytes, filename: str) -> str:
    """Which format a file is in, from its header: one of FORMAT_LABELS' keys."""
    if PurePath(filename).suffix.lower() != ".csv":
        return INTERCHANGE  # an .xlsx workbook: the long format, or a wide one to map
    try:
        text = utf8_bytes(data)[:200_000].decode("utf-8-sig", errors="replace")
    except Exception:
        return INTERCHANGE
    record = first_record(text)
    header = {cell.strip().lower() for cell in record}
    # An export resaved by a spreadsheet in a decimal-comma language has ';' between cells: it is
    # still recognised, so its refusal is the export's own.
    resaved = {c.strip().lower() for c in record[0].split(";")} if len(record) == 1 else header
    if all(marker in resaved for marker in SHOPIFY_MARKERS):
        return SHOPIFY_ORDERS
    ga4_dimensions = {"session default channel group", "device category"}
    if {"date", "sessions"} <= resaved and (
        resaved & ga4_dimensions or text.lstrip().startswith("#")
    ):
        return GA4
    if {"date", "measure", "value"} <= header or len(header) < 2:
        return INTERCHANGE  # one column is nothing to map: the importer explains what is wrong
    return MAPPING


def is_workbook(filename: str) -> bool:
    """Whether a file is read as an .xlsx workbook (by its name)."""
    return PurePath(filename).suffix.lower() == ".xlsx"


def read_cells(
    data: bytes, filename: str, *, check_header: Callable[[list[str]], None] | None = None
) -> pd.DataFrame:
    """A CSV (UTF-8) or .xlsx file as text cells under its first row's names, indexed by line.

    `check_header`, given a workbook's header names, raises ImportFileError to refuse them before
    any other row is read (a CSV's header is checked by its reader's caller).
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        raw = _workbook_cells(data, check_header)
    elif suffix == ".csv":
        text = decode(data)
        raw = read_csv_text(text)
        raw.index = pd.Index(record_lines(text, len(raw)), name=LINE)
    elif suffix:
        raise ImportFileError(
            _("cannot import a file {suffix}: use a .csv or .xlsx file").format(suffix=suffix)
        )
    else:
        raise ImportFileError(
            _("cannot import a file without an extension: use a .csv or .xlsx file")
        )
    raw.columns = pd.Index([str(c).strip() for c in raw.columns])
    if raw.empty:
        raise ImportFileError(_("the file has a header but no data rows"))
    return raw


def _workbook_cells(data: bytes, check_header: Callable[[list[str]], None] | None) -> pd.DataFrame:
    """A workbook's first sheet under its header (the first row with a value), streamed by the
    observations import's reader; blank rows are left out and the others keep their sheet row."""

    def checked(row: list[str]) -> None:
        if check_header is not None:
            check_header([cell.strip() for cell in row])

    sheet = read_workbook(
        data,
        check_header=checked,
        max_columns=MAX_COLUMNS,
        too_wide=lambda count, limit: _too_wide(count),
    )
    filled = sheet[(sheet != "").any(axis=1)]
    header = [cell.strip() for cell in filled.iloc[0]]
    body = filled.iloc[1:]
    body.columns = pd.Index(_column_names(header))
    return body


def _column_names(header: list[str]) -> list[str]:
    """Header cells as column names the way a CSV's are read: an empty one named after its
    position, a repeated one numbered (Visits, Visits.1)."""
    names: list[str] = []
    for position, cell in enumerate(header):
        name = cell or f"Unnamed: {position}"
        base, copy = name, 0
        while name in names:
            copy += 1
            name = f"{base}.{copy}"
        names.append(name)
    return names


def _too_wide(count: int) -> ImportFileError:
    return ImportFileError(
        _("the header has {count} columns; at most {limit}").format(
            count=format_count(count), limit=format_count(MAX_COLUMNS)
        )
    )


def read_csv_text(
    text: str, *, first_line: int = 1, columns: Callable[[str], bool] | None = None
) -> pd.DataFrame:
    """CSV text whose first line is a header, every cell kept as text (nothing turned into NaN).

    `columns`, given a header name, says whether to keep that column (the others are skipped
    while parsing, which is most of the time a wide export takes).
    """
    header = first_record(text)
    if len(header) > MAX_COLUMNS:
        raise _too_wide(len(header))
    if columns is not None:
        refuse_repeated([name for name in header if columns(name)])
    # Cells stay Python strings (dtype object): pandas' own string type costs seconds to build on
    # a big export, only for the rules to read them back.
    return read_csv_cells(
        io.StringIO(text),
        wrong_width=lambda line, saw, expected: _(
            "line {line} has {saw} cells but the header has {expected}"
        ).format(line=line + first_line - 1, saw=saw, expected=expected),
        skip_blank_lines=True,
        usecols=columns,
    )


def refuse_repeated(names: list[str]) -> None:
    """Refuse a header naming a column the rules read more than once (ignoring case and spaces):
    which of the two holds the numbers cannot be told, and reading the first would be a guess."""
    folded = [name.strip().lower() for name in names]
    repeated = sorted({n for n in folded if n and folded.count(n) > 1})
    if repeated:
        raise ImportFileError(
            _("column named more than once in the header: {names}").format(
                names=", ".join(repeated)
            )
        )


def column_lookup(columns: pd.Index) -> dict[str, str]:
    """File column names by their stripped, lower-cased form."""
    return {str(c).strip().lower(): str(c) for c in columns}


def lines_text(lines: np.ndarray | list[int], limit: int = 8) -> str:
    """Line numbers as people read them: 'lines 4, 9 and 12', at most `limit` then 'and N more'."""
    numbers = sorted({int(n) for n in lines})
    shown = [str(n) for n in numbers[:limit]]
    if len(numbers) > limit:
        return _("lines {lines} and {count} more").format(
            lines=", ".join(shown), count=format_count(len(numbers) - limit)
        )
    if len(shown) == 1:
        return _("line {line}").format(line=shown[0])
    return _("lines {lines} and {last}").format(lines=", ".join(shown[:-1]), last=shown[-1])


def number_problem(
    cell: str, value: float, *, name: str, limit: float, reads_as_number: bool
) -> str:
    """Why a cell of a count or amount column cannot be taken: empty, not a number, negative or
    beyond `limit` (long cells are cut to 40 characters, a negative one is shown whole)."""
    if not cell:
        return _("{name} is empty").format(name=name)
    if not reads_as_number:
        return _("{cell} is not a number").format(cell=repr(cell[:40]))
    if value < 0:
        return _("{cell} is negative").format(cell=cell)
    return _("{cell} is beyond {limit}, too large to be real").format(
        cell=cell[:40], limit=f"{limit:g}"
    )


def long_table(parts: list[pd.DataFrame], dimensions: list[str]) -> pd.DataFrame:
    """Interchange rows from per-measure parts (date, measure, value, some dimensions, line)."""
    columns = ["date", "measure", "value", *dimensions]
    if not parts:
        table = pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
        table.index = pd.Index([], dtype=np.int64, name=LINE)
        return table
    table = pd.concat(parts, ignore_index=True)
    for dim in dimensions:
        if dim not in table.columns:
            table[dim] = ""
        table[dim] = table[dim].fillna("").astype(object)
    table = table.set_index(LINE)
    return table[columns]


# --- checking and importing a converted file ----------------------------------------------------


def check_converted(
    *,
    session: Session,
    converted: Converted,
    data: bytes,
    filename: str,
    config: AppConfig,
    sample_rows: int = 20,
) -> FileCheck:
    """What importing a converted file would do, as the upload screen shows it; writes nothing."""
    checksum = hashlib.sha256(data).hexdigest()
    validation, problems = _validated(converted, config)
    if problems:
        return FileCheck(
            filename=filename,
            checksum=checksum,
            rows=converted.lines_read,
            problems=problems,
        )
    counts, sample = preview_import(session=session, validation=validation, sample_rows=sample_rows)
    return FileCheck(
        filename=filename, checksum=checksum, rows=validation.rows, preview=counts, sample=sample
    )


def _validated(converted: Converted, config: AppConfig) -> tuple[Validation, list[RowProblem]]:
    """The importer's verdict on converted rows, with the conversion's own problems merged in,
    in file order and in the file's column names."""
    if converted.problems and converted.table.empty:
        return Validation(frame=converted.table, problems=[], rows=0), converted.problems
    validation = validate(table=converted.table, config=config.metrics)
    problems = [*converted.problems, *converted.in_file_terms(validation.problems)]
    problems.sort(key=lambda p: (p.line, p.column))
    return validation, problems


def import_converted(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    converted: Converted,
    data: bytes,
    filename: str,
    source: str,
    config: AppConfig,
) -> ImportResult:
    """Validate a converted file whole and write it in one transaction, or write nothing.

    `actor` None stands for the system (command line, a source); a person who is not an active
    director gets PermissionDenied.
    """
    if actor is not None:
        require_director(actor, N_("import observations"))
    validation, problems = _validated(converted, config)
    checksum = hashlib.sha256(data).hexdigest()
    result = write_unless_problems(engine, actor, validation, problems, checksum, filename, source)
    return replace(result, notes=[*(str(note) for note in converted.notes), *result.notes])


def convert(
    *,
    data: bytes,
    filename: str,
    fmt: str,
    config: AppConfig,
    mapping: object | None = None,
) -> Converted:
    """Turn a file in `fmt` (shopify_orders, ga4 or mapping, with its MappingSpec) into rows.

    Raises ImportFileError when the file as a whole cannot be read in that format.
    """
    from planning.sources import ga4, mappings, shopify_orders

    if fmt == SHOPIFY_ORDERS:
        return shopify_orders.parse_shopify_orders(data=data, config=config)
    if fmt == GA4:
        return ga4.parse_ga4(data=data, config=config)
    if fmt == MAPPING:
        if not isinstance(mapping, mappings.MappingSpec):
            raise ImportFileError(_("a wide file needs a column mapping"))
        return mappings.read_mapped(
            data=data, filename=filename, spec=mapping, metrics=config.metrics
        )
    raise ImportFileError(_("unknown file format {format}").format(format=repr(fmt)))


def record_lines(text: str, records: int) -> np.ndarray:
    """The file line each data record starts on (the header being line 1).

    A plain file has one record per line; a quoted cell spanning lines (a Shopify order's Notes)
    or blank lines shift the rest, so then the records are walked once to number them.
    """
    physical = text.rstrip("\r\n").count("\n") + 1
    if physical == records + 1:
        return np.arange(2, records + 2, dtype=np.int64)
    return _walked_layout(text)[0][1 : records + 1]


def import_in_format(
    *,
    engine: Engine,
    actor: Person | PersonRead | None,
    data: bytes,
    filename: str,
    fmt: str,
    source: str,
    config: AppConfig,
) -> ImportResult:
    """Import a file named by format: shopify_orders, ga4 or mapping:NAME (a saved mapping).

    Raises ImportFileError for an unknown format or mapping, or a file that cannot be read.
    """
    from planning.sources.mappings import get_mapping

    kind, name = fmt.partition(":")[::2]
    mapping = None
    if kind == MAPPING:
        if not name.strip():
            raise ImportFileError(_("name the saved mapping: --format mapping:NAME"))
        with Session(engine) as session:
            saved = get_mapping(session=session, name=name)
        if saved is None:
            raise ImportFileError(
                _("there is no saved column mapping named {name}").format(name=repr(name.strip()))
            )
        mapping = saved.spec
    elif kind not in (SHOPIFY_ORDERS, GA4) or name:
        raise ImportFileError(
            _("unknown format {format}: use shopify_orders, ga4 or mapping:NAME").format(
                format=repr(fmt)
            )
        )
    converted = convert(data=data, filename=filename, fmt=kind, config=config, mapping=mapping)
    return import_converted(
        engine=engine,
        actor=actor,
        converted=converted,
        data=data,
        filename=filename,
        source=source,
        config=config,
    )


def csv_layout(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Where each CSV record starts (file line) and how many cells it has, for non-empty records,
    the header first; found with array arithmetic over the bytes, so it stays cheap on a big file.

    Quotes pair up into quoted stretches (a doubled quote inside one closes and reopens it, which
    counts the same); a line end inside a stretch does not end the record and a comma inside one
    does not split a cell. A file with an unpaired quote gets empty arrays (walk it instead).
    """
    raw = np.frombuffer(data, dtype=np.uint8)
    none = np.zeros(0, dtype=np.int64)
    if raw.size == 0:
        return none, none
    quotes = np.flatnonzero(raw == 34)
    if quotes.size % 2:
        return none, none
    line_ends = np.flatnonzero(raw == 10)
    ends = line_ends
    if quotes.size:
        ends = line_ends[(np.searchsorted(quotes, line_ends) % 2) == 0]
    if raw[-1] != 10:
        ends = np.append(ends, raw.size)
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    is_comma = raw == 44
    reachable = starts < raw.size
    commas = np.zeros(len(starts), dtype=np.int64)
    commas[reachable] = np.add.reduceat(is_comma, starts[reachable], dtype=np.int64)
    # reduceat gives an empty record the byte at its start, never a comma: the count stays 0.
    if quotes.size:
        inside = np.add.reduceat(is_comma, quotes, dtype=np.int64)[0::2]
        record = np.searchsorted(starts, quotes[0::2], side="right") - 1
        commas -= np.bincount(record, weights=inside, minlength=len(starts)).astype(np.int64)
    length = ends - starts
    carriage = (length == 1) & (raw[np.minimum(starts, raw.size - 1)] == 13)
    filled = (length > 0) & ~carriage
    lines = np.searchsorted(line_ends, starts) + 1
    return lines[filled].astype(np.int64), commas[filled] + 1


def checked_layout(data: bytes, records: int) -> np.ndarray:
    """The file line of each data record, refusing a record whose cell count is not the header's.

    Raises ImportFileError naming the first such line.
    """
    data = utf8_bytes(data)
    start_lines, cells = csv_layout(data)
    if len(start_lines) - 1 != records or (cells != cells[0]).any():
        # The arithmetic cannot tell a stray quote inside an unquoted cell: walk the records.
        start_lines, cells = _walked_layout(decode(data))
    if len(cells) == 0:
        raise ImportFileError(_(EMPTY))
    wrong = np.flatnonzero(cells != cells[0])
    if len(wrong):
        first = int(wrong[0])
        raise ImportFileError(
            _("line {line} has {saw} cells but the header has {expected}").format(
                line=int(start_lines[first]), saw=int(cells[first]), expected=int(cells[0])
            )
        )
    return start_lines[1 : records + 1]


def _walked_layout(text: str) -> tuple[np.ndarray, np.ndarray]:
    starts: list[int] = []
    cells: list[int] = []
    reader = csv.reader(io.StringIO(text))
    previous_end = 0
    for record in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if record:  # the CSV reader, like pandas, skips only empty lines
            starts.append(start)
            cells.append(len(record))
    return np.asarray(starts, dtype=np.int64), np.asarray(cells, dtype=np.int64)
