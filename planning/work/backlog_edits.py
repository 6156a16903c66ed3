"""Saving the weekly planning table: edited rows become initiative updates, all or nothing.

The page shows the ranked backlog as an editable table (editor_frame). On Save, edits_to_commands
compares the edited table with the one shown, row by row (matched on initiative id), and turns
each changed row into one RowEdit: the fields that changed, converted to domain values, and the
version the director saw. Everything that can be checked without the store is checked there
(types, dates in order, scoring inputs on their scales) and reported per row. Then
apply_backlog_edits applies every RowEdit through initiatives.update_initiative in the caller's
session; if any row is refused (bad input, someone else's newer save) it raises BacklogSaveError
listing every refused row, and the caller's transaction rolls back, so nothing is half-saved.

Before Save, rescored recomputes the score, rank, quadrant and reasons of the edited table from
its edited values, so the director sees where a row lands while editing; nothing is written.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlmodel import Session

from planning.access.permissions import Actor, PermissionDenied, require_director
from planning.config import AppConfig
from planning.config.scoring import EffortConversion, Framework
from planning.formatting import format_count
from planning.i18n import N_, pgettext
from planning.i18n import gettext as _
from planning.metrics.baseline import Baseline
from planning.store.models import Initiative, InitiativeRead
from planning.store.versioning import ConflictError
from planning.validation import InputError, is_number
from planning.work.backlog import BacklogEntry, rank_as_configured
from planning.work.initiative_input import EFFORT_MAX_WEEKS, TITLE_MAX
from planning.work.initiative_status import STATUS_ORDER
from planning.work.initiatives import update_initiative
from planning.work.planning_undo import record_planning_save, saved_state
from planning.work.scoring import DEFAULT_EFFORT, effort_input, validate_inputs

INPUT_PREFIX = "input."
LIFT_POINTS = "lift_pct_points"  # the expected lift in percentage points: 8 means +8 %
# Editable columns and the initiative field each one sets.
FIELD_OF_COLUMN: dict[str, str] = {
    "title": "title",
    "owner_id": "owner_id",
    "status": "status",
    "start_date": "start_date",
    "target_date": "target_date",
    "effort_weeks": "effort_weeks",
    "lift_metric": "lift_metric",
    LIFT_POINTS: "lift_pct",
}
COLUMN_LABELS: dict[str, str] = {
    "title": N_("Title"),
    "owner_id": N_("Owner"),
    "status": N_("Status"),
    "start_date": N_("Start"),
    "target_date": N_("Target"),
    "effort_weeks": N_("Effort (person-weeks)"),
    "lift_metric": N_("Lift metric"),
    LIFT_POINTS: N_("Expected lift %"),
}


def column_label(column: str) -> str:
    """A backlog column's name in the reader's language; "Target" there is the target date."""
    if column == "target_date":
        return pgettext("date", "Target")
    return _(COLUMN_LABELS[column]) if column in COLUMN_LABELS else column


EFFORT_INPUT = "effort_input"  # the framework's effort input, derived from the person-weeks
READ_ONLY_COLUMNS = (
    "id",
    "version",
    "rank",
    "score",
    "health",
    "quadrant",
    "problems",
    EFFORT_INPUT,
)


@dataclass(frozen=True)
class RowEdit:
    """One changed row as a domain command: the changes to one initiative at one version."""

    initiative_id: int
    title: str
    expected_version: int
    changes: dict[str, Any]
    columns: tuple[str, ...] = field(default=())  # the table columns that changed


@dataclass(frozen=True)
class RowProblem:
    """Why one row of the table cannot be saved."""

    initiative_id: int
    title: str
    message: str

    def __str__(self) -> str:
        return f"“{self.title}”: {self.message}"


class BacklogSaveError(InputError):
    """Some rows of the planning table were refused; nothing was saved."""

    def __init__(self, rows: Sequence[RowProblem]) -> None:
        self.rows: tuple[RowProblem, ...] = tuple(rows)
        super().__init__(str(r) for r in self.rows)


def input_column(input_id: str) -> str:
    """The table column holding one scoring input."""
    return f"{INPUT_PREFIX}{input_id}"


def effort_input_label(framework: Framework) -> str | None:
    """The heading of the derived effort column under a framework; None when it has none."""
    if framework.formula == "rice":
        return _("{framework} effort (person-months)").format(framework=_(framework.label))
    if framework.formula == "wsjf":
        return _("Job size")
    if framework.formula == "ice":
        return _("Ease")
    return None


def _effort_inputs(
    efforts: pd.Series, framework: Framework, conversion: EffortConversion
) -> pd.Series:
    values = []
    for weeks in efforts:
        derived = (
            effort_input(framework.formula, float(weeks), conversion)
            if is_number(weeks) and weeks >= 0
            else None
        )
        values.append(round(derived[1], 2) if derived is not None else math.nan)
    return pd.Series(values, index=efforts.index, dtype="float64")


def editor_frame(
    backlog: pd.DataFrame,
    *,
    framework_id: str,
    framework: Framework,
    effort: EffortConversion = DEFAULT_EFFORT,
) -> pd.DataFrame:
    """The ranked backlog (backlog.ranked_backlog) as the table the director edits."""
    frame = pd.DataFrame(
        {
            "id": backlog["id"].astype("int64"),
            "version": backlog["version"].astype("int64"),
            "rank": backlog["rank"],
            "score": backlog["score"],
            "title": backlog["title"].astype(object),
            "owner_id": backlog["owner_id"].astype("int64"),
            "status": backlog["status"].astype(object),
            "health": backlog["health"].astype(object),
            "start_date": backlog["start_date"].astype(object),
            "target_date": backlog["target_date"].astype(object),
            "effort_weeks": backlog["effort_weeks"].astype("float64"),
        }
    )
    if effort_input_label(framework) is not None:
        frame[EFFORT_INPUT] = _effort_inputs(frame["effort_weeks"], framework, effort)
    for input_id in framework.inputs:
        frame[input_column(input_id)] = pd.Series(
            [_input_value(inputs, input_id) for inputs in backlog["inputs"]],
            index=backlog.index,
            dtype="float64",
        )
    if framework.formula == "expected_value":
        frame["lift_metric"] = backlog["lift_metric"].astype(object)
        frame[LIFT_POINTS] = (backlog["lift_pct"].astype("float64") * 100).round(6)
    frame["quadrant"] = _text(backlog["quadrant"])
    frame["problems"] = _text(backlog["problems"])
    frame.attrs["framework"] = framework_id
    return frame.reset_index(drop=True)


def _input_value(inputs: Any, input_id: str) -> float:
    if isinstance(inputs, Mapping) and is_number(inputs.get(input_id)):
        return float(inputs[input_id])
    return math.nan


def with_cell_edits(
    frame: pd.DataFrame, edited_rows: Mapping[Any, Mapping[str, Any]]
) -> pd.DataFrame:
    """A copy of the table with pending cell edits ({row position: {column: value}}) applied."""
    out = frame.copy()
    for position, cells in edited_rows.items():
        row = int(position)
        if not 0 <= row < len(out) or not isinstance(cells, Mapping):
            continue
        for column, value in cells.items():
            if column in out.columns and column not in READ_ONLY_COLUMNS:
                if out[column].dtype.kind in "fiu" and not is_number(value):
                    out[column] = out[column].astype(object)
                out.iat[row, out.columns.get_loc(column)] = value
    return out


def rescored(
    edited: pd.DataFrame,
    *,
    framework_id: str,
    framework: Framework,
    config: AppConfig,
    baseline_by_metric: Mapping[str, Baseline] | None = None,
) -> pd.DataFrame:
    """The edited table with rank, score, quadrant and reasons recomputed from its cells.

    Cells that cannot be read count as not given (an unreadable effort keeps none), so the row
    shows why it is unranked; Save still checks every cell.
    """
    entries: list[BacklogEntry] = []
    for row in edited.to_dict(orient="records"):
        ignored: list[str] = []
        effort = _to_number(row.get("effort_weeks"), "effort", ignored, required=True)
        inputs: dict[str, float] = {}
        for input_id in framework.inputs:
            value = _to_number(row.get(input_column(input_id)), input_id, ignored, required=False)
            if value is not None:
                inputs[input_id] = value
        lift_points = _to_number(row.get(LIFT_POINTS), "lift", ignored, required=False)
        metric = _plain(row.get("lift_metric"))
        entries.append(
            BacklogEntry(
                id=int(row["id"]),
                title=str(_plain(row.get("title")) or ""),
                owner_id=int(row["owner_id"]) if is_number(_plain(row.get("owner_id"))) else 0,
                owner="",
                status=str(_plain(row.get("status")) or ""),
                health=str(_plain(row.get("health")) or ""),
                effort_weeks=effort if effort is not None else math.nan,
                scores={framework_id: inputs},
                lift_metric=str(metric) if metric is not None else None,
                lift_pct=None if lift_points is None else lift_points / 100,
            )
        )
    ranked = rank_as_configured(
        entries,
        config=config,
        framework_id=framework_id,
        framework=framework,
        baselines=baseline_by_metric,
    ).set_index("id")
    out = edited.copy()
    ids = out["id"].astype("int64")
    out["rank"] = pd.array(ids.map(ranked["rank"]).to_numpy(), dtype="Int64")
    out["score"] = ids.map(ranked["score"]).astype("float64").to_numpy()
    out["quadrant"] = _text(ids.map(ranked["quadrant"]))
    out["problems"] = _text(ids.map(ranked["problems"]))
    if EFFORT_INPUT in out.columns:
        efforts = pd.Series([e.effort_weeks for e in entries], index=out.index)
        out[EFFORT_INPUT] = _effort_inputs(efforts, framework, config.scoring.effort)
    return out


def _text(values: pd.Series) -> pd.Series:
    """A text column that stays text when every cell is blank (the editor's identity needs the
    same column types from one run to the next)."""
    return pd.Series(
        [v if isinstance(v, str) else None for v in values], index=values.index, dtype="string"
    )


SCORE_COLUMNS = ("rank", "score", "quadrant", "problems", EFFORT_INPUT)


def live_scores(
    source: pd.DataFrame,
    edited_rows: Mapping[Any, Mapping[str, Any]],
    *,
    framework_id: str,
    framework: Framework,
    config: AppConfig,
    baseline_by_metric: Mapping[str, Baseline] | None = None,
) -> pd.DataFrame:
    """The table as shown: `source` with rank, score, quadrant and reasons recomputed from the
    pending cell edits. Only those read-only columns change; the edits themselves stay pending."""
    scored = rescored(
        with_cell_edits(source, edited_rows),
        framework_id=framework_id,
        framework=framework,
        config=config,
        baseline_by_metric=baseline_by_metric,
    )
    shown = source.copy()
    for column in SCORE_COLUMNS:
        if column in shown.columns:
            shown[column] = scored[column]
    return shown


# --- comparing and converting cells ------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _plain(value: Any) -> Any:
    """A cell as a Python value: None for blanks, numpy scalars unwrapped, timestamps as dates."""
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, datetime):
        return value.date()
    return value


def _same(old: Any, new: Any) -> bool:
    old, new = _plain(old), _plain(new)
    if old is None or new is None:
        return old is None and new is None
    if is_number(old) and is_number(new):
        return math.isclose(float(old), float(new), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(old, date) and isinstance(new, str):
        return old.isoformat() == new.strip()
    return bool(old == new)


def _to_date(value: Any, label: str, problems: list[str]) -> date | None:
    value = _plain(value)
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(
        _("{label} {value} is not a date (YYYY-MM-DD)").format(label=label, value=repr(value))
    )
    return None


def _to_number(value: Any, label: str, problems: list[str], *, required: bool) -> float | None:
    value = _plain(value)
    if value is None:
        if required:
            problems.append(_("{label} is required").format(label=label))
        return None
    if isinstance(value, str):
        try:
            value = float(value.replace(",", "").strip())
        except ValueError:
            problems.append(
                _("{label} {value} is not a number").format(label=label, value=repr(value))
            )
            return None
    if not is_number(value):
        problems.append(_("{label} {value} is not a number").format(label=label, value=repr(value)))
        return None
    return float(value)


def _convert(column: str, value: Any, problems: list[str], metric_ids: Collection[str]) -> Any:
    label = column_label(column)
    if column == "title":
        text = _plain(value)
        text = "" if text is None else str(text).strip()
        if not text:
            problems.append(_("Title is required"))
        elif len(text) > TITLE_MAX:
            problems.append(
                _("Title is {length} characters long; the limit is {limit}").format(
                    length=format_count(len(text)), limit=format_count(TITLE_MAX)
                )
            )
        return text
    if column == "owner_id":
        owner = _to_number(value, label, problems, required=True)
        if owner is not None and not owner.is_integer():
            problems.append(_("Owner {value} is not a person").format(value=repr(owner)))
        return int(owner) if owner is not None and owner.is_integer() else None
    if column == "status":
        status = _plain(value)
        if status not in STATUS_ORDER:
            problems.append(
                _("Status {value} is not one of {statuses}").format(
                    value=repr(status), statuses=", ".join(STATUS_ORDER)
                )
            )
        return status
    if column in {"start_date", "target_date"}:
        return _to_date(value, label, problems)
    if column == "effort_weeks":
        effort = _to_number(value, label, problems, required=True)
        if effort is not None and not 0 <= effort <= EFFORT_MAX_WEEKS:
            problems.append(
                _("{label} {value} must be between 0 and {maximum}").format(
                    label=label, value=f"{effort:g}", maximum=f"{EFFORT_MAX_WEEKS:g}"
                )
            )
        return effort
    if column == "lift_metric":
        metric = _plain(value)
        if metric is not None and metric_ids and metric not in metric_ids:
            problems.append(
                _("{label} {value} is not a metric from metrics.yaml").format(
                    label=label, value=repr(metric)
                )
            )
        return metric
    points = _to_number(value, label, problems, required=False)
    return None if points is None else points / 100


def edits_to_commands(
    original: pd.DataFrame,
    edited: pd.DataFrame,
    *,
    framework_id: str,
    framework: Framework,
    metric_ids: Collection[str] = (),
) -> tuple[list[RowEdit], list[RowProblem]]:
    """Turn the edited table into one RowEdit per changed row, and the problems found per row.

    Rows are matched on the id column; unchanged rows produce nothing. A row with problems gives
    no RowEdit. Scoring inputs are saved as a whole set for `framework_id` when any of them
    changed, and checked against their scales.
    """
    problems: list[RowProblem] = []
    before = {int(row["id"]): row for row in original.to_dict(orient="records")}
    after_rows = edited.to_dict(orient="records")
    after_ids = [_plain(row.get("id")) for row in after_rows]
    if sorted(i for i in after_ids if i is not None) != sorted(before) or None in after_ids:
        problems.append(
            RowProblem(
                0,
                _("the table"),
                _("rows cannot be added or removed here; reload the table"),
            )
        )
        return [], problems
    input_columns = [input_column(i) for i in framework.inputs]
    commands: list[RowEdit] = []
    for row in after_rows:
        initiative_id = int(row["id"])
        old = before[initiative_id]
        title = str(_plain(row.get("title")) or old.get("title") or f"#{initiative_id}")
        found: list[str] = []
        changes: dict[str, Any] = {}
        changed: list[str] = []
        for column, field_name in FIELD_OF_COLUMN.items():
            if column not in edited.columns or column not in original.columns:
                continue
            if _same(old.get(column), row.get(column)):
                continue
            changes[field_name] = _convert(column, row.get(column), found, metric_ids)
            changed.append(COLUMN_LABELS[column])
        if any(c in edited.columns and not _same(old.get(c), row.get(c)) for c in input_columns):
            inputs: dict[str, float] = {}
            for input_id, spec in framework.inputs.items():
                number = _to_number(
                    row.get(input_column(input_id)), _(spec.label), found, required=False
                )
                if number is not None:
                    inputs[input_id] = number
            if inputs:
                found += [f"{_(framework.label)}: {p}" for p in validate_inputs(framework, inputs)]
            changes["scores"] = {framework_id: inputs}
            changed.append(f"{framework.label} inputs")
        start = changes.get("start_date", _plain(old.get("start_date")))
        target = changes.get("target_date", _plain(old.get("target_date")))
        if isinstance(start, date) and isinstance(target, date) and target < start:
            found.append(
                _("target date {target} is before start date {start}").format(
                    target=target, start=start
                )
            )
        if found:
            problems += [RowProblem(initiative_id, title, message) for message in found]
        elif changes:
            commands.append(
                RowEdit(
                    initiative_id=initiative_id,
                    title=title,
                    expected_version=int(old["version"]),
                    changes=changes,
                    columns=tuple(changed),
                )
            )
    return commands, problems


def apply_backlog_edits(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    edits: Sequence[RowEdit],
    today: date | None = None,
) -> list[InitiativeRead]:
    """Apply every row edit in the caller's session; BacklogSaveError if any row is refused.

    Only a director saves the planning table. The caller's transaction must roll back on the
    error (store.session_scope does), so either every row is saved or none is.
    """
    require_director(actor, N_("save the weekly planning table"))
    problems: list[RowProblem] = []
    saved: list[InitiativeRead] = []
    undoable: list[tuple[Initiative, dict[str, Any]]] = []  # for undoing this save
    for edit in edits:
        found = session.get(Initiative, edit.initiative_id)
        if found is not None:
            undoable.append((found, saved_state(found)))
        try:
            saved.append(
                update_initiative(
                    session=session,
                    actor=actor,
                    config=config,
                    initiative_id=edit.initiative_id,
                    expected_version=edit.expected_version,
                    changes=edit.changes,
                    today=today,
                )
            )
        except InputError as exc:
            problems += [RowProblem(edit.initiative_id, edit.title, p) for p in exc.problems]
        except (ConflictError, PermissionDenied) as exc:
            problems.append(RowProblem(edit.initiative_id, edit.title, str(exc)))
    if problems:
        raise BacklogSaveError(problems)
    record_planning_save(session=session, saved_by=actor.id, changes=undoable)
    return saved
