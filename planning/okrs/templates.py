"""Starting a quarter from an OKR template in config/templates/ (conversion, basket size, …).

A template is an OKR file (planning.okrs.file_format) that leaves out the quarter and usually the
owners: `objectives` with their key results, each metric key result with an example `start` and
`target` that say how far it aims. The comment lines at the top name and describe it. Using one
on a quarter without objectives:

- the quarter is the one chosen; an owner left out is the one the director picks (by default the
  director themself);
- a metric key result starts where the data puts it: its value over its window in the quarter as
  of the latest day of data once the quarter has data, else the metric's current level (the last
  28 days of data, as "Add a key result" proposes); its target keeps the template's relative
  change (conversion 2.1 % → 2.4 % aims 14.3 % higher, from wherever it starts). Without any
  value the template's example start and target are kept, and the preview says so. A guardrail's
  threshold, a milestone and a manual key result are taken as written;
- the result is validated exactly as an uploaded OKR file (planning.okrs.file_reading) and, once
  confirmed, written through the OKR file import: every record audited, one `okr_template` event,
  all in the caller's transaction, refused whole if anything is wrong.

`start_from_template(preview=True)` only reads; `preview=False` writes, and is refused once the
quarter has objectives, so a second confirmation never creates anything twice.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from planning.access.permissions import Actor, require_director
from planning.config import DEFAULT_CONFIG_DIR, AppConfig, display_path
from planning.formatting import format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.metrics.engine import metric_value
from planning.metrics.metric_query import MetricError
from planning.okrs.evaluation_reads import data_as_of
from planning.okrs.file_format import OkrFileError
from planning.okrs.file_import import OkrImportResult, import_okr_file
from planning.okrs.file_reading import read_okr_file, yaml_problem
from planning.okrs.goal_reads import is_closed
from planning.okrs.goal_rules import GoalError
from planning.okrs.kr_defaults import CURRENT_DAYS, current_value
from planning.okrs.quarter_draft import preview_values
from planning.periods import format_quarter, parse_quarter, quarter_bounds, window_bounds
from planning.store.audit import record_event
from planning.store.engine import PLAN, bump_version
from planning.store.models import Objective, Person, Role, Window

ENTITY = "okr_template"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class TemplateError(GoalError):
    """A template that cannot be used; ``problems`` lists every reason. Nothing was written."""


@dataclass(frozen=True)
class OkrTemplate:
    """One template file: its name (the file's stem), what it is for, and its parsed YAML."""

    name: str
    path: Path
    title: str
    description: str
    document: Any
    problems: tuple[str, ...] = ()  # what is wrong with the file itself


@dataclass(frozen=True)
class TemplateKeyResult:
    """One key result as it will be created from the template."""

    title: str
    kind: str
    owner: str
    start_value: float | None
    target_value: float | None  # a guardrail's threshold
    start_note: str  # where the start value comes from
    value_format: str


@dataclass(frozen=True)
class TemplateObjective:
    """One objective as it will be created from the template, with its key results."""

    title: str
    owner: str
    key_results: tuple[TemplateKeyResult, ...]


@dataclass(frozen=True)
class TemplateDraft:
    """What starting a quarter from a template creates (or created)."""

    name: str
    period: str
    objectives: tuple[TemplateObjective, ...]
    text: str  # the OKR file that is validated and imported
    written: bool = False

    @property
    def key_result_count(self) -> int:
        """How many key results the draft holds."""
        return sum(len(o.key_results) for o in self.objectives)

    def contents(self) -> tuple[object, ...]:
        """What the draft creates: each objective with its key results, owners and values."""
        return tuple(
            (
                o.title,
                o.owner,
                tuple((k.title, k.owner, k.start_value, k.target_value) for k in o.key_results),
            )
            for o in self.objectives
        )

    def rows(self, *, currency_symbol: str = "$") -> list[dict[str, Any]]:
        """The draft as preview rows, values as text: one per key result."""
        rows: list[dict[str, Any]] = []
        for objective in self.objectives:
            for kr in objective.key_results:
                rows.append(
                    {
                        "objective": objective.title,
                        "objective owner": objective.owner,
                        "key result": kr.title,
                        "kind": kr.kind,
                        "owner": kr.owner,
                        **preview_values(kr, currency_symbol),
                        "start from": kr.start_note,
                    }
                )
        return rows


def templates_dir(config: AppConfig) -> Path:
    """Where the templates are: config/templates/ beside the configuration files."""
    return Path(config.directory or DEFAULT_CONFIG_DIR) / "templates"


def _shape_problems(document: Any) -> list[str]:
    """What a template file gets wrong before any store or quarter is involved."""
    if not isinstance(document, dict):
        return [_("the file must be a mapping with objectives.")]
    problems = []
    if "period" in document:
        problems.append(
            _("period: a template leaves the quarter out; it is chosen when it is used.")
        )
    objectives = document.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        problems.append(_("objectives: a template needs a list of at least one objective."))
    return problems


def read_template(path: Path) -> OkrTemplate:
    """Parse one template file: its leading comments name and describe it."""
    name = path.stem
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        problem = _("{file}: cannot be read: {reason}.").format(file=shown, reason=reason)
        return OkrTemplate(name, path, name, "", None, (problem,))
    comments = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comments.append(line.lstrip("#").strip())
    title = comments[0] if comments else name
    description = " ".join(c for c in comments[1:] if c)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = yaml_problem(exc)
        return OkrTemplate(name, path, title, description, None, (f"{shown}: {problem}",))
    problems = tuple(f"{shown}: {p}" for p in _shape_problems(document))
    return OkrTemplate(name, path, title, description, document, problems)


def list_templates(*, config: AppConfig, directory: Path | None = None) -> list[OkrTemplate]:
    """Every template file (*.yaml) in the templates folder, by name."""
    folder = directory or templates_dir(config)
    if not folder.is_dir():
        return []
    return [read_template(p) for p in sorted(folder.glob("*.yaml"))]


def load_template(*, config: AppConfig, name: str, directory: Path | None = None) -> OkrTemplate:
    """One template by name; TemplateError when there is none or its file is malformed."""
    found = {t.name: t for t in list_templates(config=config, directory=directory)}
    template = found.get(name) if isinstance(name, str) and NAME_PATTERN.match(name) else None
    if template is None:
        available = ", ".join(found) or _("none")
        raise TemplateError(
            [
                _("Unknown template {name} (available: {available}).").format(
                    name=repr(name), available=available
                )
            ]
        )
    if template.problems:
        raise TemplateError(list(template.problems))
    return template


def _significant(value: float) -> float:
    """A value rounded to four significant figures, so a scaled target reads cleanly."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, 3 - math.floor(math.log10(abs(value))))


class _Starts:
    """Start values read from the data for the quarter a template is used on."""

    def __init__(self, session: Session, config: AppConfig, period: str, as_of: date) -> None:
        self.session = session
        self.config = config
        self.period = period
        self.as_of = as_of
        first, _last = quarter_bounds(period, config.settings.fiscal_year_start_month)
        self.in_quarter = as_of >= first

    def value(self, metric: str, filters: dict[str, str], window: str) -> tuple[float | None, str]:
        try:
            if self.in_quarter:
                start, end = window_bounds(
                    window, self.period, self.as_of, self.config.settings.fiscal_year_start_month
                )
                value = metric_value(
                    session=self.session,
                    config=self.config.metrics,
                    metric_id=metric,
                    start=start,
                    end=end,
                    filters=filters,
                )
                return value, _("{quarter} data through {day}").format(
                    quarter=self.period, day=format_day(self.as_of)
                )
            found = current_value(
                session=self.session,
                config=self.config,
                metric_id=metric,
                filters=filters,
                today=None,
            )
        except MetricError:
            return None, ""
        return found.value, _("last {days} days of data through {day}").format(
            days=CURRENT_DAYS, day=format_day(found.as_of)
        )


def _fill(
    document: dict[str, Any], period: str, owner_email: str, starts: _Starts
) -> tuple[dict[str, Any], dict[tuple[int, int], str]]:
    """The template as an OKR file for `period`: owners and data starts filled in; returns it
    with each metric key result's start note by (objective index, key result index)."""
    notes: dict[tuple[int, int], str] = {}
    objectives = []
    for o_index, objective in enumerate(document.get("objectives") or []):
        if not isinstance(objective, dict):
            objectives.append(objective)
            continue
        filled = {**objective}
        filled.setdefault("owner", owner_email)
        key_results = []
        raw = objective.get("key_results") or []
        for k_index, kr in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(kr, dict):
                key_results.append(kr)
                continue
            kr = {**kr}
            if kr.get("kind") == "metric" and isinstance(kr.get("metric"), str):
                notes[(o_index, k_index)] = _start_from_data(kr, starts)
            key_results.append(kr)
        if isinstance(raw, list):
            filled["key_results"] = key_results
        objectives.append(filled)
    return {"period": period, "objectives": objectives}, notes


def _start_from_data(kr: dict[str, Any], starts: _Starts) -> str:
    """Set a metric key result's start from the data and scale its target; returns the note."""
    if kr.get("total_target"):
        return _("template's example: a total for the quarter")
    filters = kr.get("filters") if isinstance(kr.get("filters"), dict) else {}
    window = kr.get("window") or Window.period_to_date.value
    value, note = starts.value(str(kr["metric"]), dict(filters or {}), str(window))
    if value is None:
        return _("template's example: no value in the data yet")
    start, target = kr.get("start"), kr.get("target")
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (start, target, value)
    )
    if numbers and start:
        scaled = float(value) * float(target) / float(start)  # type: ignore[arg-type]
        metric = starts.config.metrics.metrics.get(str(kr["metric"]))
        if metric is not None and metric.format == "percent":
            scaled = min(scaled, 1.0)  # a share cannot pass 100 %
        kr["target"] = _significant(scaled)
    kr["start"] = _significant(float(value))
    return note


def _draft(
    session: Session,
    config: AppConfig,
    template: OkrTemplate,
    period: str,
    owner: Person,
    as_of: date,
) -> TemplateDraft:
    starts = _Starts(session, config, period, as_of)
    document, notes = _fill(template.document, period, owner.email, starts)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    shown = display_path(template.path)
    try:
        plan = read_okr_file(session=session, config=config.metrics, text=text)
    except OkrFileError as exc:
        raise TemplateError([f"{shown}: {p}" for p in exc.problems]) from None
    names = {int(p.id or 0): p.name for p in session.exec(select(Person)).all()}
    objectives = []
    for o_index, objective in enumerate(plan.objectives):
        krs = []
        for k_index, kr in enumerate(objective.key_results):
            fields = kr.fields
            metric = config.metrics.metrics.get(fields.get("metric_id") or "")
            guardrail = kr.kind.value == "guardrail"
            krs.append(
                TemplateKeyResult(
                    title=kr.title,
                    kind=kr.kind.value,
                    owner=names.get(int(fields["owner_id"] or 0), ""),
                    start_value=None if guardrail else fields.get("start_value"),
                    target_value=fields.get("threshold" if guardrail else "target_value"),
                    start_note=notes.get((o_index, k_index), ""),
                    value_format=metric.format if metric is not None else "number",
                )
            )
        objectives.append(
            TemplateObjective(
                title=objective.title,
                owner=names.get(objective.owner_id, ""),
                key_results=tuple(krs),
            )
        )
    return TemplateDraft(name=template.name, period=period, objectives=tuple(objectives), text=text)


def _owner(session: Session, actor: Actor, owner_id: int | None) -> Person:
    """Who owns what the template leaves unowned: the chosen person, else the director."""
    person = session.get(Person, owner_id if owner_id is not None else actor.id)
    if person is None:
        raise TemplateError(
            [_("Person {id} does not exist; choose who owns the goals.").format(id=owner_id)]
        )
    if not person.active:
        raise TemplateError(
            [_("{name} is no longer active and cannot own goals.").format(name=person.name)]
        )
    if person.role == Role.stakeholder:
        raise TemplateError(
            [
                _("{name} is a stakeholder; only members and directors own goals.").format(
                    name=person.name
                )
            ]
        )
    return person


def start_from_template(
    *,
    session: Session,
    actor: Actor,
    config: AppConfig,
    name: str,
    period: str,
    preview: bool,
    owner_id: int | None = None,
    as_of: date | None = None,
    previewed: TemplateDraft | None = None,
    directory: Path | None = None,
) -> TemplateDraft:
    """Create a quarter's objectives and key results from a template (directors only).

    With `preview` nothing is written; without it the draft is written in the caller's
    transaction through the OKR file import. Refused (TemplateError, GoalError) for an unknown or
    malformed template, a closed quarter or one that has objectives, or when `previewed` no
    longer matches what would be written.
    """
    require_director(actor, N_("start a quarter from a template"))
    try:
        period = format_quarter(*parse_quarter(period))
    except (ValueError, TypeError) as exc:
        raise TemplateError([f"{exc}."]) from None
    template = load_template(config=config, name=name, directory=directory)
    if not preview:
        # Take the store's write lock before looking, so two confirmations are serialised and
        # the second sees the first one's objectives.
        bump_version(session, PLAN)
    if is_closed(session=session, period=period):
        raise TemplateError(
            [_("{quarter} is closed: its goals are frozen.").format(quarter=period)]
        )
    existing = session.exec(
        select(col(Objective.id)).where(Objective.period == period, Objective.archived == False)  # noqa: E712
    ).first()
    if existing is not None:
        raise TemplateError(
            [
                _(
                    "{quarter} already has objectives: a template starts an empty quarter. Add "
                    "objectives there or import an OKR file instead."
                ).format(quarter=period)
            ]
        )
    owner = _owner(session, actor, owner_id)
    as_of = as_of or data_as_of(session=session, config=config)
    draft = _draft(session, config, template, period, owner, as_of)
    if preview:
        return draft
    if previewed is not None and previewed.contents() != draft.contents():
        raise TemplateError(
            [
                _(
                    "The template or {quarter}'s data changed since the preview: look at the new "
                    "preview before confirming."
                ).format(quarter=period)
            ]
        )
    result = import_okr_file(session=session, actor=actor, config=config.metrics, text=draft.text)
    _audit(session, actor, draft, result)
    return TemplateDraft(
        name=draft.name,
        period=draft.period,
        objectives=draft.objectives,
        text=draft.text,
        written=True,
    )


def _audit(session: Session, actor: Actor, draft: TemplateDraft, result: OkrImportResult) -> None:
    record_event(
        session=session,
        actor=actor,
        entity=ENTITY,
        entity_id=None,
        action="start",
        after={
            "template": draft.name,
            "period": draft.period,
            "objectives": result.objectives_created,
            "key_results": result.key_results_created,
        },
    )
    session.flush()


def template_problems(
    *, session: Session, config: AppConfig, path: Path, period: str, owner_email: str
) -> list[str]:
    """Every problem using this template file would meet, validated as an uploaded OKR file with
    the quarter and owner filled in (its example starts kept), or an empty list."""
    template = read_template(path)
    if template.problems:
        return list(template.problems)
    objectives: list[Any] = [
        {"owner": owner_email, **objective} if isinstance(objective, dict) else objective
        for objective in template.document.get("objectives") or []
    ]
    document = {"period": period, "objectives": objectives}
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    try:
        read_okr_file(session=session, config=config.metrics, text=text)
    except OkrFileError as exc:
        return [f"{display_path(path)}: {p}" for p in exc.problems]
    return []
