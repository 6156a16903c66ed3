"""Reading an observations file: long CSV or Excel into a table of text cells, one row per file
line, with the header checked (required columns, known dimensions, a bounded width) before the rows
are parsed. A file that cannot be read as a table at all raises ImportFileError.

Line numbers are those a user sees in the file: the header is line 1 and the first data row line 2
(blank lines count; a quoted cell spanning several lines shifts the numbers after it).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.worksheet._reader import WorkSheetParser

from planning.config.metrics import MetricsConfig
from planning.formatting import format_count
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _

REQUIRED_COLUMNS = ("date", "measure", "value")
SAMPLE_CSV = (
    "date,measure,value,channel,device\n"
    "2026-11-25,sessions,1200,email,mobile\n"
    "2026-11-25,orders,38,email,mobile\n"
)
CSV_SUFFIXES = frozenset({".csv"})
EXCEL_SUFFIXES = frozenset({".xlsx"})
LINE = "line"
EMPTY = N_("the file is empty")
# A header may name at most this many columns (or 3 + twice the declared dimensions, if more):
# the format needs 3 + one per dimension, and a wider header is a wrong file, refused before its
# rows are parsed.
MAX_COLUMNS = 64

# An .xlsx workbook is a zip archive of XML, read only within bounds checked before it is opened:
# its members may expand to at most MAX_UNPACKED_BYTES in all (the 200 MB a CSV upload or a
# source file may have), and a member past RATIO_FROM_BYTES to at most MAX_INFLATE_RATIO times its
# packed size (a real sheet packs about 10:1, a padded one a thousand times smaller). The sizes
# come from the zip's directory; Python's zip reader never returns more than a member declares.
MAX_UNPACKED_BYTES = 200_000_000
MAX_INFLATE_RATIO = 100
RATIO_FROM_BYTES = 1_000_000
# The rows one sheet can hold in Excel: a sheet claiming more is read no further.
MAX_SHEET_ROWS = 1_048_576

# The first bytes of a zip archive, which an .xlsx workbook is.
ZIP_SIGNATURE = b"PK\x03\x04"
# The first bytes of an OLE2 compound file: an old .xls, or an encrypted .xlsx, whose directory
# names its EncryptedPackage stream (in UTF-16).
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
# The byte order marks of UTF-16, little- and big-endian.
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
SEMICOLON_HINT = N_(
    "; the file seems to use ';' between cells, as Excel saves a CSV in German and other languages "
    "with a decimal comma: upload the workbook as .xlsx instead, or save it with commas"
)
# For an export read as CSV only (Shopify's, GA4's), where no workbook is taken.
EXPORT_SEMICOLON_HINT = N_(
    "; the file seems to use ';' between cells, as a spreadsheet in German and other languages "
    "with a decimal comma saves it again: upload the export as downloaded, not saved again"
)
TAB_HINT = N_("; the file seems to use tabs between cells, save it as CSV UTF-8 (with commas)")

_PARSER_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PARSER_OPEN_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")


class ImportFileError(ValueError):
    """The file as a whole cannot be read as an observations table."""


def read_table(*, data: bytes, filename: str, config: MetricsConfig | None = None) -> pd.DataFrame:
    """Read a CSV or .xlsx file into a table of text cells indexed by file line number.

    With a config, columns that are neither required nor declared dimensions are refused too.
    Raises ImportFileError for a file that cannot be read as an observations table.
    """
    suffix = PurePath(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        raw = _read_csv(data, column_limit(config))
    elif suffix in EXCEL_SUFFIXES:
        raw = _read_xlsx(data, config)
    else:
        if suffix:
            raise ImportFileError(
                _("cannot import a file {suffix}: use a .csv or .xlsx file").format(suffix=suffix)
            )
        raise ImportFileError(
            _("cannot import a file without an extension: use a .csv or .xlsx file")
        )
    return _shape(raw, config)


def column_limit(config: MetricsConfig | None) -> int:
    """The most columns a file's header may have."""
    dimensions = len(config.dimensions) if config is not None else 0
    return max(MAX_COLUMNS, len(REQUIRED_COLUMNS) + 2 * dimensions)


def _too_wide(count: int, limit: int) -> ImportFileError:
    return ImportFileError(
        _(
            "the header has {count} columns; an observations file has at most {limit} "
            "(date, measure, value and one per dimension)"
        ).format(count=format_count(count), limit=format_count(limit))
    )


def _check_header_width(content: str, limit: int) -> None:
    """Refuse a CSV whose first non-blank line has more than `limit` cells, or names its columns
    with ';' between them, reading only that line: parsing a header of half a million cells would
    take minutes, and a semicolon file's first decimal comma would be reported as a row of the
    wrong width."""
    try:
        for record in csv.reader(io.StringIO(content)):
            if any(cell.strip() for cell in record):
                if len(record) > limit:
                    raise _too_wide(len(record), limit)
                if len(record) == 1 and (";" in record[0] or "\t" in record[0]):
                    raise ImportFileError(_missing_reason([record[0].strip().lower()]))
                return
    except csv.Error:
        return  # the parser below reports what is wrong with the file


def refuse_workbook(data: bytes) -> None:
    """Refuse a file named .csv that is a zip archive (an .xlsx workbook renamed, or downloaded
    under the wrong name), saying so rather than which byte is not UTF-8."""
    if data.startswith(ZIP_SIGNATURE):
        raise ImportFileError(
            _(
                "the file is named .csv but is a zip archive, such as an Excel workbook: "
                "name it .xlsx, or save it as CSV UTF-8"
            )
        )


def utf8_bytes(data: bytes) -> bytes:
    """The file's bytes as UTF-8: a file starting with a UTF-16 byte order mark (Excel's "Unicode
    Text", some exporters) is re-encoded, any other is returned as it is."""
    if not data.startswith(UTF16_MARKS):
        return data
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "the file is UTF-16 text but byte {byte} cannot be read; save it as CSV UTF-8"
            ).format(byte=exc.start + 1)
        ) from None


def utf8_text(data: bytes) -> tuple[bytes, str]:
    """A CSV file's bytes as UTF-8 and as text; a workbook, anything but UTF-8 (or UTF-16 with
    its mark) and an empty file are refused with the way to fix it."""
    data = utf8_bytes(data)
    refuse_workbook(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "the file is not UTF-8 text (byte {byte} cannot be read); save it as CSV UTF-8"
            ).format(byte=exc.start + 1)
        ) from None
    if not text.strip():
        raise ImportFileError(_(EMPTY))
    return data, text


def _read_csv(data: bytes, limit: int = MAX_COLUMNS) -> pd.DataFrame:
    data, content = utf8_text(data)
    _check_header_width(content, limit)
    # The parser reads the bytes itself (the decode above only checks them), and cells stay
    # Python strings: converting a million of them to another string type costs more than every
    # check that follows.
    raw = read_csv_cells(
        io.BytesIO(data),
        wrong_width=lambda line, saw, expected: _(
            "line {line} has {saw} cells but the first line has {expected}"
        ).format(line=line, saw=saw, expected=expected),
        open_quote=True,
        encoding="utf-8-sig",
        header=None,
        skip_blank_lines=False,
    )
    # Row i of the raw table is line i + 1 of the file.
    raw.index = pd.RangeIndex(1, len(raw) + 1, name=LINE)
    return raw


def read_csv_cells(
    source: io.BytesIO | io.StringIO,
    *,
    wrong_width: Callable[[int, str, str], str],
    open_quote: bool = False,
    **options: Any,
) -> pd.DataFrame:
    """CSV cells, every one kept as text (nothing turned into NaN), or ImportFileError saying why
    the file cannot be read: `wrong_width(line, cells, expected)` words a row of the wrong width,
    and `open_quote` names the line of a quoted cell never closed (lines counted from the first
    row read)."""
    try:
        return pd.read_csv(source, dtype=object, keep_default_na=False, na_filter=False, **options)
    except pd.errors.EmptyDataError:
        raise ImportFileError(_(EMPTY)) from None
    except pd.errors.ParserError as exc:
        found = _PARSER_FIELDS.search(str(exc))
        if found:
            expected, line, saw = found.groups()
            raise ImportFileError(wrong_width(int(line), saw, expected)) from None
        opened = _PARSER_OPEN_QUOTE.search(str(exc)) if open_quote else None
        if opened:  # the parser counts rows from 0, the first row being row 0
            raise ImportFileError(
                _("line {line} opens a quoted cell that is never closed").format(
                    line=int(opened.group(1)) + 1
                )
            ) from None
        raise ImportFileError(_("the file is not valid CSV: {reason}").format(reason=exc)) from None


def _read_xlsx(data: bytes, config: MetricsConfig | None = None) -> pd.DataFrame:
    return read_workbook(
        data,
        check_header=lambda row: _check_header(row, config),
        max_columns=column_limit(config),
        too_wide=_too_wide,
    )


def read_workbook(
    data: bytes,
    *,
    check_header: Callable[[list[str]], None],
    max_columns: int,
    too_wide: Callable[[int, int], ImportFileError],
) -> pd.DataFrame:
    """An .xlsx file's first worksheet as text cells indexed by spreadsheet row, streamed within
    the workbook limits: `check_header` gets the first row with a value as soon as it is read and
    raises ImportFileError to refuse it; a row wider than `max_columns` is refused with
    `too_wide(count, limit)`. Raises ImportFileError for a workbook that cannot be read."""
    if not data:
        raise ImportFileError(_(EMPTY))
    refuse_encrypted(data)
    check_workbook_size(data)
    try:
        rows = _first_sheet_rows(data, check_header, max_columns, too_wide)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, ParseError) as exc:
        raise _unreadable_workbook(exc) from None
    if not rows:
        raise ImportFileError(
            _("the workbook's first sheet is empty: put the data on the first sheet")
        )
    width = max(len(row) for row in rows)
    raw = pd.DataFrame([row + [""] * (width - len(row)) for row in rows], dtype=object)
    # Row i of the sheet as read is spreadsheet row i + 1.
    raw.index = pd.RangeIndex(1, len(raw) + 1, name=LINE)
    return raw


def refuse_encrypted(data: bytes) -> None:
    """Refuse a file named .xlsx that is an OLE2 compound file: a password-protected workbook
    (Excel keeps the encrypted .xlsx inside one) or an old binary .xls, saying which."""
    if not data.startswith(OLE2_SIGNATURE):
        return
    if ENCRYPTED_PACKAGE in data:
        raise ImportFileError(
            _(
                "the workbook is password-protected (encrypted) and cannot be read: remove the "
                "password in Excel (File, Info, Protect Workbook) and upload it again"
            )
        )
    raise ImportFileError(
        _(
            "the file is an old Excel workbook (.xls) named .xlsx: save it as .xlsx "
            "(Excel Workbook) or as CSV UTF-8"
        )
    )


def _first_sheet_rows(
    data: bytes,
    check_header: Callable[[list[str]], None],
    max_columns: int,
    too_wide: Callable[[int, int], ImportFileError],
) -> list[list[str]]:
    """The first worksheet's rows as text, streamed from its XML. openpyxl's own read-only
    workbook is not used: opening it reads every sheet whole when the sheet does not declare its
    size (as openpyxl's own files do not), before a single row is returned."""
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # which number formats are dates
        sheets = [
            rel for _sheet, rel in reader.parser.find_sheets() if rel.target in reader.valid_files
        ]
        targets = [rel.target for rel in sheets if "chartsheet" not in rel.Type]
        if sheets and not targets:
            raise ImportFileError(
                _("the workbook holds only charts, no sheet of cells: put the data on a sheet")
            )
        if not targets:
            raise KeyError(targets)
        with reader.archive.open(targets[0]) as source:
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=True,
                epoch=reader.wb.epoch,
                date_formats=reader.wb._date_formats,
                timedelta_formats=reader.wb._timedelta_formats,
            )
            return _sheet_rows(parser.parse(), check_header, max_columns, too_wide)
    finally:
        reader.archive.close()


def _unreadable_workbook(exc: Exception) -> ImportFileError:
    return ImportFileError(
        _("the file is not a readable .xlsx workbook ({reason})").format(
            reason=workbook_reason(exc)
        )
    )


def check_workbook_size(data: bytes) -> None:
    """Refuse a workbook whose members would expand past MAX_UNPACKED_BYTES in all, or one of
    them past MAX_INFLATE_RATIO times its packed size, reading only the zip's directory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unreadable_workbook(exc) from None
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            _(
                "the workbook unpacks to {size} MB, more than the {limit} MB a file may have; "
                "save the sheet as CSV UTF-8 instead (a fraction of the size), or split it"
            ).format(
                size=format_count(unpacked // 1_000_000),
                limit=format_count(MAX_UNPACKED_BYTES // 1_000_000),
            )
        )
    for member in members:
        if member.file_size > RATIO_FROM_BYTES and member.file_size > MAX_INFLATE_RATIO * max(
            member.compress_size, 1
        ):
            raise ImportFileError(
                _(
                    "the workbook's part {name} unpacks to {ratio} times its packed size, more "
                    "than the {limit} times a real workbook does: it is refused unread"
                ).format(
                    name=member.filename,
                    ratio=format_count(member.file_size // max(member.compress_size, 1)),
                    limit=format_count(MAX_INFLATE_RATIO),
                )
            )


def _sheet_rows(
    parsed: Iterable[tuple[int, list[dict[str, Any]]]],
    check_header: Callable[[list[str]], None],
    limit: int,
    too_wide: Callable[[int, int], ImportFileError],
) -> list[list[str]]:
    """A sheet's rows (numbered, as the sheet parser gives them) as text cells, a row the sheet
    leaves out as an empty one and trailing empty cells dropped. The header (the first row with
    a value) is checked as soon as it is read; a row wider than a header may be, or past
    MAX_SHEET_ROWS, is refused without reading on."""
    rows: list[list[str]] = []
    for number, cells in parsed:
        if number > MAX_SHEET_ROWS:
            raise ImportFileError(
                _("the sheet has more than {limit} rows, the most a sheet can hold").format(
                    limit=format_count(MAX_SHEET_ROWS)
                )
            )
        width = max((cell["column"] for cell in cells), default=0)
        if width > limit:
            raise too_wide(width, limit)
        row = [""] * width
        for cell in cells:
            row[cell["column"] - 1] = _sheet_cell_text(cell["value"], cell["data_type"])
        while row and row[-1] == "":
            row.pop()
        if not row or number <= len(rows):  # empty, or a row number given twice
            continue
        if not rows:
            check_header(row)
        rows.extend([] for _ in range(number - 1 - len(rows)))
        rows.append(row)
    return rows


def _sheet_cell_text(value: Any, data_type: str) -> str:
    """A workbook cell as text: a whole number stored as a float without its ".0", an error such
    as #N/A as its text, as Excel writes it in a CSV (an empty cell would be read as no value)."""
    if value is None:
        return ""
    if data_type == "n" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return cell_text(value)


def _check_header(row: Sequence[str], config: MetricsConfig | None) -> None:
    """Refuse a workbook's header row for its names before any other row is read."""
    _check_names([cell.strip().lower() for cell in row if cell.strip()], config)


def workbook_reason(exc: Exception) -> str:
    """Why a workbook cannot be opened, in the reader's language where the reason is known (the
    zip library's own words are English)."""
    if isinstance(exc, zipfile.BadZipFile) and str(exc).startswith("Bad CRC-32"):
        # A part that unpacks to other bytes than its directory entry says, e.g. more of them:
        # the zip reader stops at the declared size.
        return _("a part of it does not unpack to what the zip's directory says")
    if isinstance(exc, zipfile.BadZipFile):
        return _("it is not a zip archive, as every .xlsx file is")
    if isinstance(exc, ParseError):
        return _("a part of it is not well-formed XML: {detail}").format(detail=exc)
    if isinstance(exc, KeyError):
        return _("it is a zip archive with no workbook in it")
    return str(exc)


def cell_text(cell: Any) -> str:
    """A spreadsheet or query cell as the text a CSV would hold ("" for an empty cell, a day
    at midnight as YYYY-MM-DD)."""
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
        raise ImportFileError(_(EMPTY))
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
                _("column {position} has values but no name on line {line}").format(
                    position=position + 1, line=header_line
                )
            )
    names = [names[i] for i in keep]
    body = body[keep]
    body.columns = pd.Index(names)

    _check_names(names, config)
    if body.empty:
        raise ImportFileError(_("the file has a header but no data rows"))
    return body


def _check_names(names: Sequence[str], config: MetricsConfig | None) -> None:
    """Refuse a header naming a column twice, lacking a required one, or (with a config) naming
    one that is neither required nor a declared dimension."""
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise ImportFileError(
            _("column named more than once in the header: {names}").format(
                names=", ".join(repeated)
            )
        )
    if any(c not in names for c in REQUIRED_COLUMNS):
        raise ImportFileError(_missing_reason(names))
    if config is not None:
        unknown = unknown_columns(names, config)
        if unknown:
            raise ImportFileError(unknown_columns_reason(unknown, config))


def _missing_reason(names: Sequence[str]) -> str:
    """Why a header lacking a required column is refused (with a hint for ';' or tabs between
    cells)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    return ngettext(
        "missing required column: {names} (the header must name date, measure and value)",
        "missing required columns: {names} (the header must name date, measure and value)",
        len(missing),
    ).format(names=", ".join(missing)) + delimiter_hint(names)


def delimiter_hint(header: Sequence[str], *, export: bool = False) -> str:
    """A hint for a header read as one cell because ';' or tabs separate its cells (as a
    spreadsheet in German and other decimal-comma languages saves a CSV), else "". An `export`
    (Shopify's, GA4's) is to be uploaded as downloaded; other files may come as a workbook."""
    if len(header) == 1 and ";" in header[0]:
        return _(EXPORT_SEMICOLON_HINT) if export else _(SEMICOLON_HINT)
    if len(header) == 1 and "\t" in header[0]:
        return _(TAB_HINT)
    return ""


def unknown_columns(names: Iterable[str], config: MetricsConfig) -> list[str]:
    """Column names that are neither a required column nor a declared dimension."""
    return [n for n in names if n not in REQUIRED_COLUMNS and n not in config.dimensions]


def unknown_columns_reason(unknown: Sequence[str], config: MetricsConfig) -> str:
    """Why unknown columns are refused, naming the columns a file may have."""
    allowed = ", ".join([*REQUIRED_COLUMNS, *config.dimensions])
    return ngettext(
        "unknown column {names}: a column must be one of {allowed}",
        "unknown columns {names}: a column must be one of {allowed}",
        len(unknown),
    ).format(names=", ".join(repr(u) for u in unknown), allowed=allowed)
