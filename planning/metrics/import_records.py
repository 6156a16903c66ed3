"""Importing observations sent as a JSON list of objects (the API's import body): each item is
checked like a file's row, with its position instead of a line, and the list is written whole in
one transaction or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from planning.access.permissions import require_director
from planning.config.metrics import MetricsConfig
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.import_checks import Validation, empty_observations, suggest_close, validate
from planning.metrics.import_file import LINE, REQUIRED_COLUMNS
from planning.metrics.importer import ImportResult, check_time_box, write_unless_problems
from planning.store.models import Person, PersonRead


@dataclass(frozen=True)
class RecordProblem:
    """One bad field or item of a JSON list: its position (None for the whole body), field, why."""

    index: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = _("the body") if self.index is None else _("item {index}").format(index=self.index)
        if self.field:
            return _("{where}, field {field}: {reason}").format(
                where=where, field=self.field, reason=self.reason
            )
        return f"{where}: {self.reason}"


# What importing a JSON list did; with problems, nothing was written and batch_id is None.
RecordsImportResult = ImportResult[RecordProblem]


_JSON_TYPES = {
    dict: N_("an object"),
    list: N_("a list"),
    str: N_("text"),
    bool: N_("true or false"),
    int: N_("a number"),
    float: N_("a number"),
    type(None): N_("null"),
}


def _json_kind(value: Any) -> str:
    kind = _JSON_TYPES.get(type(value))
    return _(kind) if kind else type(value).__name__


def _as_item(reason: str) -> str:
    """A file check's reason read for a JSON list: a duplicate names the item, not the line."""
    line = _("duplicate of line {line}: same measure, date and dimensions")
    pattern = re.escape(line).replace(re.escape("{line}"), r"(\d+)")
    found = re.fullmatch(pattern, reason)
    if found is None:
        return reason
    return _("duplicate of item {item}: same measure, date and dimensions").format(
        item=found.group(1)
    )


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
                _("the body is {kind}; send a JSON list of objects such as {example}").format(
                    kind=_json_kind(records),
                    example='[{"date": "2026-11-25", "measure": "sessions", "value": 1200, '
                    '"channel": "email", "device": "mobile"}]',
                ),
            )
        )
        return pd.DataFrame(columns=columns), problems, flagged
    if not records:
        problems.append(
            RecordProblem(None, "", _("the list is empty; send at least one observation"))
        )
        return pd.DataFrame(columns=columns), problems, flagged
    cells: dict[str, list[str]] = {c: [""] * len(records) for c in columns}
    for index, item in enumerate(records):
        if not isinstance(item, dict):
            problems.append(
                RecordProblem(
                    index,
                    "",
                    _("item {index} is {kind}, not an object").format(
                        index=index, kind=_json_kind(item)
                    ),
                )
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
                        _("unknown field {name}: a field is one of {fields}").format(
                            name=repr(key), fields=", ".join(columns)
                        )
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
            return "", _("value must be a JSON number, not {kind}").format(kind=_json_kind(value))
        try:
            return repr(float(value)), ""
        except OverflowError:
            return "", _("value is too large to store")
    if not isinstance(value, str):
        wanted = _("text in YYYY-MM-DD form") if key == "date" else _("text")
        return "", _("{field} must be {wanted}, not {kind}").format(
            field=key, wanted=wanted, kind=_json_kind(value)
        )
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
        problems.append(RecordProblem(problem.line, problem.column, _as_item(problem.reason)))
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
    return write_unless_problems(
        engine, actor, validation, problems, checksum, filename, source, api_token_id
    )
