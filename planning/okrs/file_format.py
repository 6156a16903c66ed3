"""A quarter's OKRs as a YAML file: export, and import that creates or updates from that shape.

A director drafts next quarter or copies a template as a file. The shape::

    period: 2026-Q4
    objectives:
      - title: Make checkout effortless on every device
        owner: priya@northwind.example      # people by email
        weight: 1.0                         # optional, default 1
        description: Fewer shoppers lost between cart and order.
        parent: Another objective's title   # optional; {period: 2026-Q3, title: ...} elsewhere
        key_results:
          - title: Conversion rate up
            kind: metric                    # metric, guardrail, milestone or manual
            owner: priya@northwind.example  # optional, default the objective's owner
            metric: conversion_rate         # metrics by id from metrics.yaml
            filters: {device: mobile}
            direction: increase             # or decrease
            start: 0.0231
            target: 0.0259
            window: period_to_date          # or trailing_7d, trailing_28d
          - title: Gross margin stays above its floor
            kind: guardrail
            metric: gross_margin_pct
            rule: stay_above                # or stay_below
            threshold: 0.48

Import validates the whole file first (YAML syntax, unknown keys, the period, owners, metrics,
filters, directions against start and target, …) and lists every problem with where it is;
nothing is written unless the file is clean. Objectives are matched by (period, title) and key
results by (objective, title): a match is updated in place (and restored if it was archived),
anything else is created, and what the file does not mention is left alone. Importing the same
file twice changes nothing the second time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlmodel import Session, col, select

from planning.access.permissions import Actor, require_director
from planning.config import MetricsConfig
from planning.okrs.goal_reads import is_closed
from planning.okrs.goal_rules import GoalError, key_result_problems, total_target_for
from planning.okrs.goals import (
    create_key_result,
    create_objective,
    update_key_result,
    update_objective,
)
from planning.periods import parse_quarter
from planning.store.models import (
    Direction,
    GuardrailRule,
    KeyResult,
    KeyResultBase,
    KeyResultCreate,
    KeyResultUpdate,
    KrKind,
    Objective,
    ObjectiveCreate,
    ObjectiveUpdate,
    Person,
    Role,
    Window,
)
from planning.validation import text_problems

OBJECTIVE_KEYS = ("title", "owner", "weight", "description", "parent", "key_results")
KR_KEYS = (
    "title",
    "kind",
    "owner",
    "weight",
    "metric",
    "filters",
    "direction",
    "start",
    "target",
    "window",
    "total_target",
    "rule",
    "threshold",
    "unit",
)
# Key result fields compared on import, as (file key, model field).
_KR_FIELDS = (
    ("owner", "owner_id"),
    ("weight", "weight"),
    ("metric", "metric_id"),
    ("filters", "filters"),
    ("direction", "direction"),
    ("start", "start_value"),
    ("target", "target_value"),
    ("window", "window"),
    ("total_target", "total_target"),
    ("rule", "guardrail_rule"),
    ("threshold", "threshold"),
    ("unit", "unit"),
)


class OkrFileError(GoalError):
    """An OKR file that cannot be imported; ``problems`` lists every one. Nothing was written."""


@dataclass
class OkrImportResult:
    """What an import did."""

    period: str
    objectives_created: int = 0
    objectives_updated: int = 0
    objectives_unchanged: int = 0
    key_results_created: int = 0
    key_results_updated: int = 0
    key_results_unchanged: int = 0

    @property
    def changed(self) -> bool:
        """Whether the import wrote anything."""
        return bool(
            self.objectives_created
            + self.objectives_updated
            + self.key_results_created
            + self.key_results_updated
        )


# --- export ------------------------------------------------------------------------------------


def export_okr_file(*, session: Session, period: str) -> str:
    """A quarter's active objectives and key results as YAML text in the import shape."""
    year, quarter = parse_quarter(period)
    period = f"{year:04d}-Q{quarter}"
    emails = {p.id: p.email for p in session.exec(select(Person)).all()}
    objectives = session.exec(
        select(Objective)
        .where(Objective.period == period, Objective.archived == False)  # noqa: E712
        .order_by(col(Objective.id))
    ).all()
    ids = [o.id for o in objectives]
    krs = (
        session.exec(
            select(KeyResult)
            .where(col(KeyResult.objective_id).in_(ids), KeyResult.archived == False)  # noqa: E712
            .order_by(col(KeyResult.id))
        ).all()
        if ids
        else []
    )
    parent_ids = {o.parent_id for o in objectives if o.parent_id is not None}
    parents = {
        p.id: p
        for p in session.exec(select(Objective).where(col(Objective.id).in_(parent_ids))).all()
    }
    out_objectives = []
    for objective in objectives:
        entry: dict[str, Any] = {
            "title": objective.title,
            "owner": emails.get(objective.owner_id, ""),
            "weight": objective.weight,
        }
        if objective.description:
            entry["description"] = objective.description
        parent = parents.get(objective.parent_id) if objective.parent_id is not None else None
        if parent is not None:
            entry["parent"] = (
                parent.title
                if parent.period == period
                else {"period": parent.period, "title": parent.title}
            )
        entry["key_results"] = [
            _export_kr(kr, emails) for kr in krs if kr.objective_id == objective.id
        ]
        out_objectives.append(entry)
    document = {"period": period, "objectives": out_objectives}
    header = (
        f"# Quarterdeck OKRs for {period}: edit and import with `python -m planning okr import`\n"
    )
    return header + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def _export_kr(kr: KeyResult, emails: dict[int | None, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "title": kr.title,
        "kind": kr.kind.value,
        "owner": emails.get(kr.owner_id, ""),
        "weight": kr.weight,
    }
    if kr.kind in (KrKind.metric, KrKind.guardrail):
        entry["metric"] = kr.metric_id
        if kr.filters:
            entry["filters"] = dict(kr.filters)
    if kr.kind in (KrKind.metric, KrKind.manual):
        entry["direction"] = kr.direction.value if kr.direction else None
        entry["start"] = kr.start_value
        entry["target"] = kr.target_value
    if kr.kind == KrKind.guardrail:
        entry["rule"] = kr.guardrail_rule.value if kr.guardrail_rule else None
        entry["threshold"] = kr.threshold
    if kr.kind in (KrKind.metric, KrKind.guardrail):
        entry["window"] = kr.window.value
    if kr.kind == KrKind.metric and kr.total_target:
        entry["total_target"] = True
    if kr.unit:
        entry["unit"] = kr.unit
    return entry


# --- import: reading and validating ------------------------------------------------------------


@dataclass
class _KrDraft:
    where: str
    title: str
    kind: KrKind
    fields: dict[str, Any]


@dataclass
class _ObjectiveDraft:
    where: str
    title: str
    owner_id: int
    weight: float
    description: str
    parent: tuple[str, str] | None  # (period, title)
    key_results: list[_KrDraft] = field(default_factory=list)


@dataclass
class _Plan:
    period: str
    objectives: list[_ObjectiveDraft]


def _describe(kind: str, index: int, data: Any) -> str:
    title = data.get("title") if isinstance(data, dict) else None
    label = f"{kind} {index + 1}"
    if not isinstance(title, str) or not title.strip() or text_problems(title.strip(), what=""):
        return label  # a title with hidden characters is not echoed back
    return f"{label} (“{title.strip()}”)"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Reader:
    """Turns the parsed YAML into drafts, collecting every problem on the way."""

    def __init__(self, session: Session, config: MetricsConfig) -> None:
        self.session = session
        self.config = config
        self.problems: list[str] = []
        people = session.exec(select(Person)).all()
        self.people = {p.email.strip().lower(): p for p in people}

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}" if where else text)

    def person(self, where: str, email: Any, what: str) -> int | None:
        if not isinstance(email, str) or not email.strip():
            self.problem(where, f"give the {what}'s email (owner: name@example.com).")
            return None
        person = self.people.get(email.strip().lower())
        if person is None:
            self.problem(where, f"no one on the team has the email {email.strip()!r}.")
            return None
        if not person.active:
            self.problem(where, f"{person.name} ({person.email}) is no longer active.")
            return None
        if person.role == Role.stakeholder:
            self.problem(
                where, f"{person.name} is a stakeholder; only members and directors own goals."
            )
            return None
        return person.id

    def unknown_keys(self, where: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(where, f"unknown key {key!r} (expected {', '.join(allowed)}).")

    def text(self, where: str, data: dict[str, Any], key: str, *, required: bool) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(where, f"{key} is missing.")
            return ""
        if not isinstance(value, str):
            self.problem(where, f"{key} must be text, got {value!r}.")
            return ""
        if required and not value.strip():
            self.problem(where, f"{key} is empty.")
        return value.strip()

    def number(self, where: str, data: dict[str, Any], key: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if not _is_number(value):
            self.problem(where, f"{key} must be a number, got {value!r}.")
            return None
        return float(value)

    def choice(self, where: str, data: dict[str, Any], key: str, options: Any) -> Any:
        value = data.get(key)
        if value is None:
            return None
        try:
            return options(value)
        except ValueError:
            allowed = ", ".join(o.value for o in options)
            self.problem(where, f"{key} must be one of {allowed}, got {value!r}.")
            return None

    def read(self, document: Any) -> _Plan | None:
        if not isinstance(document, dict):
            self.problem("", "the file must be a mapping with period and objectives.")
            return None
        self.unknown_keys("file", document, ("period", "objectives"))
        period = document.get("period")
        period_id = ""
        if period is None:
            self.problem("file", "period is missing (e.g. period: 2026-Q4).")
        else:
            try:
                year, quarter = parse_quarter(str(period))
                period_id = f"{year:04d}-Q{quarter}"
            except ValueError as exc:
                self.problem("file", f"period: {exc}.")
        if period_id and is_closed(session=self.session, period=period_id):
            self.problem("file", f"{period_id} is closed: its goals are frozen.")
        raw = document.get("objectives")
        if raw is None:
            self.problem("file", "objectives is missing (a list of objectives).")
            raw = []
        elif not isinstance(raw, list):
            self.problem("file", "objectives must be a list.")
            raw = []
        drafts: list[_ObjectiveDraft] = []
        titles: set[str] = set()
        for index, data in enumerate(raw):
            draft = self.objective(index, data, period_id)
            if draft is None:
                continue
            if draft.title in titles:
                self.problem(draft.where, "another objective in the file has the same title.")
            titles.add(draft.title)
            drafts.append(draft)
        for draft in drafts:
            if draft.parent is None:
                continue
            parent_period, parent_title = draft.parent
            if parent_period == period_id and parent_title == draft.title:
                self.problem(draft.where, "an objective cannot be its own parent.")
            elif parent_period == period_id and parent_title in titles:
                continue
            elif self._stored_objective(parent_period, parent_title) is None:
                self.problem(
                    draft.where,
                    f"parent “{parent_title}” is neither in the file nor an objective of "
                    f"{parent_period}.",
                )
        return _Plan(period=period_id, objectives=drafts)

    def _stored_objective(self, period: str, title: str) -> Objective | None:
        return self.session.exec(
            select(Objective).where(Objective.period == period, Objective.title == title)
        ).first()

    def objective(self, index: int, data: Any, period: str) -> _ObjectiveDraft | None:
        where = _describe("objective", index, data)
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping with title, owner and key_results.")
            return None
        self.unknown_keys(where, data, OBJECTIVE_KEYS)
        title = self.text(where, data, "title", required=True)
        if len(title) > 200:
            self.problem(where, "the title is longer than 200 characters.")
        owner_id = self.person(where, data.get("owner"), "objective owner")
        weight = self.number(where, data, "weight")
        if weight is not None and weight < 0:
            self.problem(where, f"weight must be 0 or more, got {weight:g}.")
        description = self.text(where, data, "description", required=False)
        for found in text_problems(title, what="the title") + text_problems(
            description, what="the description", multiline=True
        ):
            self.problem(where, f"{found}.")
        parent = self.parent(where, data.get("parent"), period)
        draft = _ObjectiveDraft(
            where=where,
            title=title,
            owner_id=owner_id or 0,
            weight=1.0 if weight is None else weight,
            description=description,
            parent=parent,
        )
        raw = data.get("key_results") or []
        if not isinstance(raw, list):
            self.problem(where, "key_results must be a list.")
            raw = []
        titles: set[str] = set()
        for kr_index, kr_data in enumerate(raw):
            kr = self.key_result(f"{where}, {_describe('key result', kr_index, kr_data)}", kr_data)
            if kr is None:
                continue
            if kr.title in titles:
                self.problem(kr.where, "another key result of this objective has the same title.")
            titles.add(kr.title)
            if kr.fields.get("owner_id") is None:
                kr.fields["owner_id"] = owner_id or 0
            draft.key_results.append(kr)
        return draft

    def parent(self, where: str, value: Any, period: str) -> tuple[str, str] | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip():
            return period, value.strip()
        if isinstance(value, dict) and set(value) == {"period", "title"}:
            try:
                year, quarter = parse_quarter(str(value["period"]))
            except ValueError as exc:
                self.problem(where, f"parent period: {exc}.")
                return None
            if isinstance(value["title"], str) and value["title"].strip():
                return f"{year:04d}-Q{quarter}", value["title"].strip()
        self.problem(where, "parent must be an objective's title, or {period: ..., title: ...}.")
        return None

    def key_result(self, where: str, data: Any) -> _KrDraft | None:
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping with title and kind.")
            return None
        self.unknown_keys(where, data, KR_KEYS)
        title = self.text(where, data, "title", required=True)
        kind = self.choice(where, data, "kind", KrKind)
        if data.get("kind") is None:
            self.problem(where, "kind is missing (metric, guardrail, milestone or manual).")
        owner_id = (
            self.person(where, data["owner"], "key result owner") if "owner" in data else None
        )
        filters = data.get("filters") or {}
        if not isinstance(filters, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in filters.items()
        ):
            self.problem(where, "filters must map dimensions to values, e.g. {device: mobile}.")
            filters = {}
        metric = data.get("metric")
        if metric is not None and not isinstance(metric, str):
            self.problem(where, f"metric must be a metric id, got {metric!r}.")
            metric = None
        window = self.choice(where, data, "window", Window) or Window.period_to_date
        total_target = data.get("total_target")
        if total_target is not None and not isinstance(total_target, bool):
            self.problem(where, f"total_target must be true or false, got {total_target!r}.")
            total_target = None
        if total_target is None:  # left unsaid: the domain's rule, as a create or update applies it
            total_target = total_target_for(self.config, kind, metric, window)
        unit = data.get("unit")
        if unit is not None and not isinstance(unit, str | int | float):
            self.problem(where, f"unit must be text, got {unit!r}.")
            unit = None
        weight = self.number(where, data, "weight")
        fields = {
            "title": title,
            "owner_id": owner_id,
            "weight": 1.0 if weight is None else weight,
            "kind": kind,
            "metric_id": metric,
            "filters": dict(filters),
            "direction": self.choice(where, data, "direction", Direction),
            "start_value": self.number(where, data, "start"),
            "target_value": self.number(where, data, "target"),
            "window": window,
            "total_target": total_target,
            "guardrail_rule": self.choice(where, data, "rule", GuardrailRule),
            "threshold": self.number(where, data, "threshold"),
            "unit": str(unit).strip() if unit is not None else "",
        }
        if kind is None:
            return None
        shape = KeyResultBase.model_construct(objective_id=0, **fields)
        for text in key_result_problems(shape, self.config):
            self.problem(where, text[0].lower() + text[1:])
        return _KrDraft(where=where, title=title, kind=kind, fields=fields)


def okr_file_problems(*, session: Session, config: MetricsConfig, text: str) -> list[str]:
    """Every problem an import of this OKR file would refuse, or an empty list."""
    try:
        _read_okr_file(session=session, config=config, text=text)
    except OkrFileError as exc:
        return exc.problems
    return []


def _read_okr_file(*, session: Session, config: MetricsConfig, text: str) -> _Plan:
    """Parse and validate an OKR file whole; OkrFileError lists every problem."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        reason = getattr(exc, "problem", None) or "it is not valid YAML"
        raise OkrFileError([f"{where}: not valid YAML: {reason}."]) from None
    reader = _Reader(session, config)
    plan = reader.read(document)
    if plan is not None:
        _check_against_store(session, plan, reader)
    if reader.problems or plan is None:
        raise OkrFileError(reader.problems or ["The file holds no OKRs."])
    return plan


def _check_against_store(session: Session, plan: _Plan, reader: _Reader) -> None:
    """Problems only the store can tell: a key result whose kind would change."""
    for draft in plan.objectives:
        objective = reader._stored_objective(plan.period, draft.title)
        if objective is None:
            continue
        existing = {
            kr.title: kr
            for kr in session.exec(
                select(KeyResult).where(KeyResult.objective_id == objective.id)
            ).all()
        }
        for kr in draft.key_results:
            stored = existing.get(kr.title)
            if stored is not None and stored.kind != kr.kind:
                reader.problem(
                    kr.where,
                    f"it exists as a {stored.kind.value} key result and a kind cannot change; "
                    "give the new one another title.",
                )


# --- import: writing ---------------------------------------------------------------------------


def import_okr_file(
    *, session: Session, actor: Actor, config: MetricsConfig, text: str
) -> OkrImportResult:
    """Create or update a quarter's objectives and key results from an OKR file (directors only).

    The file is validated whole first; OkrFileError lists every problem and nothing is written.
    """
    require_director(actor, "import OKRs")
    plan = _read_okr_file(session=session, config=config, text=text)
    result = OkrImportResult(period=plan.period)
    stored: dict[str, Objective] = {
        o.title: o
        for o in session.exec(select(Objective).where(Objective.period == plan.period)).all()
    }
    ids: dict[str, int] = {}
    created: set[str] = set()
    for draft in plan.objectives:  # first every objective exists, so parents can point at it
        existing = stored.get(draft.title)
        if existing is not None and existing.id is not None:
            ids[draft.title] = existing.id
            continue
        record = create_objective(
            session=session,
            actor=actor,
            objective=ObjectiveCreate(
                period=plan.period,
                title=draft.title,
                description=draft.description,
                owner_id=draft.owner_id,
                weight=draft.weight,
            ),
        )
        ids[draft.title] = record.id
        created.add(draft.title)
        result.objectives_created += 1
    for draft in plan.objectives:
        objective = session.get(Objective, ids[draft.title])
        assert objective is not None
        wanted: dict[str, Any] = {
            "owner_id": draft.owner_id,
            "weight": draft.weight,
            "description": draft.description,
            "parent_id": _parent_id(session, plan.period, draft.parent, ids),
            "archived": False,
        }
        changes = {k: v for k, v in wanted.items() if getattr(objective, k) != v}
        if changes:
            update_objective(
                session=session,
                actor=actor,
                objective_id=ids[draft.title],
                expected_version=objective.version,
                changes=ObjectiveUpdate(**changes),
            )
        if draft.title not in created:
            if changes:
                result.objectives_updated += 1
            else:
                result.objectives_unchanged += 1
    for draft in plan.objectives:
        _import_key_results(session, actor, config, ids[draft.title], draft, result)
    return result


def _parent_id(
    session: Session, period: str, parent: tuple[str, str] | None, ids: dict[str, int]
) -> int | None:
    if parent is None:
        return None
    parent_period, title = parent
    if parent_period == period and title in ids:
        return ids[title]
    found = session.exec(
        select(Objective.id).where(Objective.period == parent_period, Objective.title == title)
    ).first()
    return found


def _import_key_results(
    session: Session,
    actor: Actor,
    config: MetricsConfig,
    objective_id: int,
    draft: _ObjectiveDraft,
    result: OkrImportResult,
) -> None:
    existing = {
        kr.title: kr
        for kr in session.exec(
            select(KeyResult).where(KeyResult.objective_id == objective_id)
        ).all()
    }
    for kr in draft.key_results:
        stored = existing.get(kr.title)
        if stored is None:
            create_key_result(
                session=session,
                actor=actor,
                key_result=KeyResultCreate(objective_id=objective_id, **kr.fields),
                config=config,
            )
            result.key_results_created += 1
            continue
        changes: dict[str, Any] = {}
        for _, name in _KR_FIELDS:
            if getattr(stored, name) != kr.fields[name]:
                changes[name] = kr.fields[name]
        if stored.archived:
            changes["archived"] = False
        if not changes:
            result.key_results_unchanged += 1
            continue
        assert stored.id is not None
        update_key_result(
            session=session,
            actor=actor,
            key_result_id=stored.id,
            expected_version=stored.version,
            changes=KeyResultUpdate(**changes),
            config=config,
        )
        result.key_results_updated += 1
