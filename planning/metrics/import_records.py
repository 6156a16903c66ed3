"""Importing observations sent as a JSON list of objects (the API's import body): each item is
checked like a file's row, with its position instead of a line, and the list is written whole in
one transaction or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from planning.access.permissions import require_director
from planning.config.metrics import MetricsConfig
from planning.i18n import N_
from planning.metrics.import_checks import Validation, empty_observations, suggest_close, validate
from planning.metrics.import_file import LINE, REQUIRED_COLUMNS
from planning.metrics.importer import check_time_box, write_observations
from planning.store.models import Person, PersonRead


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
                        + suggest_close(str(key), columns),
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
        return Validation(frame=empty_observations(), problems=[], rows=0), problems
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
        require_director(actor, N_("import observations"))
    validation, problems = validate_records(records=records, config=config)
    check_time_box(deadline, "checking its records")
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
