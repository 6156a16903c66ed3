"""Column mappings for wide files: which column holds the day, which the dimensions and which
the measures, saved under a name that later uploads, the command line and sources reuse.

A wide file has one row per day (and per dimension combination, if it has dimension columns) and
one column per measure:

    Day,Channel,Device,Visits,Orders
    2026-11-24,email,mobile,1200,38

A mapping reads it as `date: Day`, dimensions `channel: Channel`, `device: Device` and measures
`sessions: Visits`, `orders: Orders`; a dimension the file lacks can be given one fixed value for
every row. Each measure cell becomes one interchange row; an empty cell is no observation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import Session, select

from planning.access.permissions import require_director
from planning.config.metrics import MetricsConfig
from planning.formatting import format_count
from planning.i18n import N_, Words
from planning.i18n import gettext as _
from planning.metrics.import_checks import (
    SEPARATED_NUMBER,
    RowProblem,
    is_missing_marker,
    not_a_number,
)
from planning.metrics.import_file import LINE, ImportFileError, delimiter_hint
from planning.sources.formats import Converted, column_lookup, is_workbook, long_table, read_cells
from planning.store.audit import record_changed, record_created, snapshot
from planning.store.models import Person, PersonRead, utcnow
from planning.store.models_metrics import ColumnMapping

DateFormat = Literal["YYYY-MM-DD", "YYYYMMDD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"]
DATE_FORMATS: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYYMMDD": "%Y%m%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
}
MAX_NAME = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MappingError(ValueError):
    """A mapping cannot be saved or used as given."""


class MappingSpec(BaseModel):
    """How to read a wide file: its date column and format, dimension and measure columns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date_column: str = Field(min_length=1, max_length=200)
    date_format: DateFormat = "YYYY-MM-DD"
    dimensions: dict[str, str] = {}  # dimension -> file column
    fixed: dict[str, str] = {}  # dimension -> the value every row has
    measures: dict[str, str] = Field(default_factory=dict)  # measure -> file column

    @model_validator(mode="after")
    def _some_measure(self) -> MappingSpec:
        if not self.measures:
            raise ValueError("a mapping reads at least one measure column")
        both = sorted(set(self.dimensions) & set(self.fixed))
        if both:
            raise ValueError(f"{', '.join(both)}: a dimension is a column or a fixed value")
        return self

    def problems(self, metrics: MetricsConfig) -> list[str]:
        """What in the mapping does not fit metrics.yaml (empty when it fits)."""
        found: list[str] = []
        for measure in self.measures:
            spec = metrics.measures.get(measure)
            if spec is None:
                found.append(_("unknown measure {name}").format(name=repr(measure)))
                continue
            lacking = [
                d for d in spec.dimensions if d not in self.dimensions and d not in self.fixed
            ]
            if lacking:
                found.append(
                    _(
                        "{measure} is recorded by {dimensions}: map a column or a fixed value "
                        "for {lacking}"
                    ).format(
                        measure=measure,
                        dimensions=", ".join(spec.dimensions),
                        lacking=", ".join(lacking),
                    )
                )
        for dim in [*self.dimensions, *self.fixed]:
            if dim not in metrics.dimensions:
                found.append(_("unknown dimension {name}").format(name=repr(dim)))
        for dim, value in self.fixed.items():
            declared = metrics.dimensions.get(dim)
            if declared is not None and value not in declared.values:
                found.append(
                    _("{value} is not a declared {dimension} value").format(
                        value=repr(value), dimension=dim
                    )
                )
        return found


@dataclass(frozen=True)
class MappingRead:
    """A saved mapping as pages and commands see it."""

    id: int
    name: str
    spec: MappingSpec
    updated_at: datetime


def _read(row: ColumnMapping) -> MappingRead:
    assert row.id is not None
    return MappingRead(
        id=row.id,
        name=row.name,
        spec=MappingSpec.model_validate(row.spec),
        updated_at=row.updated_at,
    )


def clean_name(name: str) -> str:
    """A mapping's name, stripped; refused when empty, too long or holding control characters."""
    cleaned = name.strip()
    if not cleaned:
        raise MappingError(_("give the mapping a name"))
    if len(cleaned) > MAX_NAME:
        raise MappingError(
            _("a mapping's name has at most {count} characters").format(
                count=format_count(MAX_NAME)
            )
        )
    if _CONTROL.search(cleaned):
        raise MappingError(_("a mapping's name cannot hold control characters"))
    return cleaned


def save_mapping(
    *,
    session: Session,
    actor: Person | PersonRead | None,
    name: str,
    spec: MappingSpec,
    metrics: MetricsConfig,
) -> MappingRead:
    """Save a mapping under a name, replacing the one of that name; directors only, audited.

    `actor` None stands for the command line.
    """
    if actor is not None:
        require_director(actor, N_("save column mappings"))
    cleaned = clean_name(name)
    wrong = spec.problems(metrics)
    if wrong:
        raise MappingError("; ".join(wrong))
    row = session.exec(
        select(ColumnMapping).where(ColumnMapping.name == cleaned).with_for_update()
    ).first()
    if row is None:
        row = ColumnMapping(
            name=cleaned,
            spec=spec.model_dump(),
            created_by=actor.id if actor is not None else None,
        )
        record_created(session=session, actor=actor, entity="column_mapping", record=row)
    else:
        before = snapshot(row)
        row.spec = spec.model_dump()
        row.updated_at = utcnow()
        record_changed(
            session=session,
            actor=actor,
            entity="column_mapping",
            record=row,
            action="update",
            before=before,
        )
    return _read(row)


def list_mappings(*, session: Session) -> list[MappingRead]:
    """Every saved mapping, by name."""
    rows = session.exec(select(ColumnMapping).order_by(ColumnMapping.name)).all()
    return [_read(r) for r in rows]


def get_mapping(*, session: Session, name: str) -> MappingRead | None:
    """The mapping saved under a name, or None."""
    row = session.exec(select(ColumnMapping).where(ColumnMapping.name == name.strip())).first()
    return None if row is None else _read(row)


def spec_from(data: dict[str, object]) -> MappingSpec:
    """A MappingSpec from plain data, refusing it with MappingError when it is malformed."""
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"{where}: {first['msg']}" if where else first["msg"]) from None


def missing_columns(spec: MappingSpec, columns: list[str]) -> list[str]:
    """The columns a mapping reads that a file's header lacks."""
    have = {c.strip().lower() for c in columns}
    wanted = [spec.date_column, *spec.dimensions.values(), *spec.measures.values()]
    return [c for c in wanted if c.strip().lower() not in have]


def refuse_unmapped(spec: MappingSpec, header: list[str]) -> None:
    """Refuse a header lacking a column the mapping reads, naming it and the header's columns."""
    absent = missing_columns(spec, header)
    if absent:
        raise ImportFileError(
            _(
                "the file has no column {columns} that the mapping reads (its header: {header})"
            ).format(
                columns=", ".join(repr(c) for c in absent),
                header=", ".join(header[:20]),
            )
            + delimiter_hint(header)
        )


def read_mapped(
    *, data: bytes, filename: str, spec: MappingSpec, metrics: MetricsConfig
) -> Converted:
    """A wide CSV or .xlsx file read through a mapping; a workbook whose header lacks a mapped
    column is refused having read only that row.

    Raises ImportFileError when the file cannot be read or the mapping does not fit it.
    """
    cells = read_cells(data, filename, check_header=lambda header: refuse_unmapped(spec, header))
    return apply_mapping(cells=cells, spec=spec, metrics=metrics, workbook=is_workbook(filename))


def apply_mapping(
    *, cells: pd.DataFrame, spec: MappingSpec, metrics: MetricsConfig, workbook: bool = False
) -> Converted:
    """A wide table (text cells indexed by file line) read through a mapping as interchange rows;
    `workbook` says the cells come from an .xlsx, whose date cells read as YYYY-MM-DD.

    Raises ImportFileError when the mapping does not fit the file or metrics.yaml.
    """
    wrong = spec.problems(metrics)
    if wrong:
        raise ImportFileError(
            _("the mapping does not fit metrics.yaml: {problems}").format(problems="; ".join(wrong))
        )
    refuse_unmapped(spec, [str(c) for c in cells.columns])
    lookup = column_lookup(cells.columns)
    lines = np.asarray(cells.index, dtype=np.int64)
    problems: list[RowProblem] = []
    date_name = lookup[spec.date_column.strip().lower()]
    days = _days(cells[date_name], lines, date_name, spec.date_format, problems, workbook)
    parts: list[pd.DataFrame] = []
    for measure, column in spec.measures.items():
        name = lookup[column.strip().lower()]
        values = cells[name].astype(str).str.strip()
        present = (values != "").to_numpy()
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        for row in np.flatnonzero(present & np.isnan(numbers)):
            cell = str(values.iat[row])
            if is_missing_marker(cell):
                reason = _(
                    "{cell} stands for no value: leave the cell empty where there is none "
                    "(an empty cell is no observation)"
                ).format(cell=repr(cell[:40]))
            elif SEPARATED_NUMBER.fullmatch(cell):
                reason = not_a_number(cell)
            else:
                reason = _("{cell} is not a number").format(cell=repr(cell[:40]))
            problems.append(RowProblem(int(lines[row]), name, reason))
        # The importer still checks every other cell, so one look lists every problem of the
        # file: a bad value stands in as 0 (its problem already stops the import), a row with a
        # bad day is left out (its day would make false duplicates).
        present = present & pd.notna(days)
        shown = np.where(np.isnan(numbers), "0", values.to_numpy(dtype=object))
        part = pd.DataFrame(
            {
                "date": days[present],
                "measure": measure,
                "value": shown[present],
                LINE: lines[present],
            }
        )
        for dim in metrics.measures[measure].dimensions:
            if dim in spec.fixed:
                part[dim] = spec.fixed[dim]
            else:
                source = lookup[spec.dimensions[dim].strip().lower()]
                part[dim] = cells[source].astype(str).str.strip().to_numpy(dtype=object)[present]
        parts.append(part)
    table = long_table(parts, list(metrics.dimensions))
    if table.empty and not problems:
        raise ImportFileError(_("every measure cell the mapping reads is empty"))
    problems.sort(key=lambda p: (p.line, p.column))
    read, observations = format_count(len(cells)), format_count(len(table))
    return Converted(
        format="mapping",
        table=table,
        problems=problems,
        notes=[
            Words(
                lambda: _("{rows} rows read into {observations} observations.").format(
                    rows=read, observations=observations
                )
            )
        ],
        lines_read=len(cells),
        columns={
            "date": date_name,
            **{dim: lookup[col.strip().lower()] for dim, col in spec.dimensions.items()},
        },
    )


def _days(
    column: pd.Series,
    lines: np.ndarray,
    name: str,
    fmt: str,
    problems: list[RowProblem],
    workbook: bool,
) -> np.ndarray:
    """Each cell as an ISO day; a problem for a cell not in the mapping's date format."""
    codes, uniques = pd.factorize(column.astype(str).str.strip())
    pattern = DATE_FORMATS[fmt]
    decided = np.empty(len(uniques), dtype=object)
    for i, raw in enumerate(uniques):
        text = str(raw)
        if fmt == "YYYY-MM-DD" and re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]00:00:00", text):
            text = text[:10]  # a spreadsheet's midnight
        if workbook and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            # A workbook's date cell reads as YYYY-MM-DD whatever it shows (01.12.2026 in
            # German Excel); a CSV's day in another format than the mapping's is still refused.
            try:
                decided[i] = date.fromisoformat(text).isoformat()
            except ValueError:
                decided[i] = None
            continue
        try:
            decided[i] = datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            decided[i] = None
    days = decided[codes]
    for row in np.flatnonzero(pd.isna(days)):
        shown = str(uniques[codes[row]])[:40]
        problems.append(
            RowProblem(
                int(lines[row]),
                name,
                _("{cell} is not a {format} date").format(cell=repr(shown), format=fmt),
            )
        )
    return days
