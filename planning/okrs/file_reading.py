"""Reading an OKR file for import: parsing the YAML and validating it whole (keys, the period,
owners, metrics, filters, directions against start and target, parents, a kind that would
change) into a plan of drafts, with every problem listed and where it is. Nothing is written
here; planning.okrs.file_import writes a clean plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlmodel import Session, select

from planning import i18n
from planning.config.metrics import MetricsConfig
from planning.formatting import format_count
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.alignment import weight_problem
from planning.okrs.file_format import KR_KEYS, OBJECTIVE_KEYS, OkrFileError
from planning.okrs.goal_reads import is_closed
from planning.okrs.goal_rules import (
    MAX_KEY_RESULTS,
    MAX_KEY_RESULTS_PER_OBJECTIVE,
    MAX_OBJECTIVES,
    TITLE_MAX,
    description_problems,
    key_result_problems,
    total_target_for,
)
from planning.parse_reasons import yaml_reason
from planning.periods import format_quarter, parse_quarter
from planning.store.models import (
    Direction,
    GuardrailRule,
    KeyResult,
    KeyResultBase,
    KrKind,
    Objective,
    Person,
    Role,
    Window,
)
from planning.validation import is_number, text_problems


@dataclass
class KrDraft:
    """A key result of the file, validated: where it is, its title and kind, and its fields."""

    where: str
    title: str
    kind: KrKind
    fields: dict[str, Any]
    contributes_to: list[tuple[str, float]] = field(default_factory=list)  # (objective, weight)


@dataclass
class ObjectiveDraft:
    """An objective of the file, validated, with its key results."""

    where: str
    title: str
    owner_id: int
    weight: float
    description: str
    parents: list[tuple[str, str]]  # (period, title), the first parent first
    key_results: list[KrDraft] = field(default_factory=list)


@dataclass
class OkrPlan:
    """A whole file, validated: its quarter and objectives."""

    period: str
    objectives: list[ObjectiveDraft]


# A quarter's OKRs take a few kilobytes; parsing takes memory many times a file's size.
MAX_FILE_CHARS = 1_000_000
_SHOWN_TITLE_CHARS = 80  # a longer title is cut where a problem names its objective or key result


# Keys whose values are people's text: `title: 2027` is the title "2027" and `unit: no` the unit
# "no", not a number or YAML's false.
_TEXT_KEYS = frozenset(
    {"title", "description", "unit", "parent", "aligns_to", "objective", "contributes_to"}
)
_PLAIN_TYPES = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("bool", "int", "float", "timestamp")
)


def _as_written(node: yaml.Node) -> None:
    """Read a scalar (or a list's scalars) typed by YAML as a number, boolean or date as the text
    it was written as."""
    items = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in items:
        if isinstance(item, yaml.ScalarNode) and item.tag in _PLAIN_TYPES:
            item.tag = "tag:yaml.org,2002:str"


class _Refused(yaml.constructor.ConstructorError):
    """A rule of OKR files the YAML breaks; its problem is already in the reader's words."""


def _line_around(mark: Any) -> tuple[str, str]:
    """The text of a mark's line before and after it ("" without the parsed text at hand)."""
    text, at = getattr(mark, "buffer", None), getattr(mark, "pointer", None)
    if not isinstance(text, str) or at is None:
        return "", ""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return text[start:at], text[at : len(text) if end < 0 else end]


def _refuse_comment_as_value(key_node: yaml.Node, value_node: yaml.Node) -> None:
    """Refuse `title: #1 priority`: YAML reads it as an empty title and a comment (an optional
    field may end in a comment, `description:  # to write`, and is left empty)."""
    if value_node.tag != "tag:yaml.org,2002:null" or value_node.value:
        return
    _before, after = _line_around(key_node.end_mark)
    if after.lstrip().startswith(":") and after.lstrip()[1:].lstrip().startswith("#"):
        raise _Refused(
            None,
            None,
            _(
                "the {key} starts with “#”, which YAML reads as the start of a comment; put the "
                "{key} in quotes"
            ).format(key=key_node.value),
            value_node.start_mark,
        )


def _text_after_a_closed_value(exc: yaml.YAMLError) -> bool:
    """Whether YAML stopped at text on the same line after a quoted or bracketed value
    (`title: [Q1] Grow`), which it reports as a block that does not line up."""
    problem = getattr(exc, "problem", None) or ""
    before, _after = _line_around(getattr(exc, "problem_mark", None))
    return problem.startswith("expected <block end>, but found") and bool(before.strip())


class _OkrLoader(yaml.SafeLoader):
    """Safe YAML without aliases (one line of `*name` can stand for billions of values) or
    anchors, and without a key given twice in one mapping (the later would silently win)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _Refused(
                None,
                None,
                _("aliases (*name) are not allowed in an OKR file; write each value out"),
                self.peek_event().start_mark,
            )
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            # Without aliases an anchor serves nothing, and `title: &co live` would drop "&co".
            raise _Refused(
                None,
                None,
                _(
                    "anchors (&name) and aliases (*name) are not allowed in an OKR file; write "
                    "each value out, and put text starting with & in quotes"
                ),
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            if isinstance(key_node, yaml.ScalarNode) and key_node.value in _TEXT_KEYS:
                if key_node.value == "title":  # a title is required: `#` cannot start a comment
                    _refuse_comment_as_value(key_node, value_node)
                _as_written(value_node)
            key = self.construct_object(key_node, deep=deep)
            try:
                twice = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the constructor refuses it below
                continue
            if twice:
                raise _Refused(
                    None,
                    None,
                    _("the key {key} is given twice in the same mapping").format(key=repr(key)),
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def load_okr_yaml(text: str) -> Any:
    """The YAML document of an OKR file; yaml.YAMLError when it does not parse."""
    return yaml.load(text, Loader=_OkrLoader)


def _describe(kind: str, index: int, data: Any) -> str:
    title = data.get("title") if isinstance(data, dict) else None
    label = f"{_(kind)} {index + 1}"
    if not isinstance(title, str) or not title.strip() or text_problems(title.strip(), what=""):
        return label  # a title with hidden characters is not echoed back
    shown = title.strip()
    if len(shown) > _SHOWN_TITLE_CHARS:
        shown = shown[: _SHOWN_TITLE_CHARS - 1].rstrip() + "…"
    return f"{label} (“{shown}”)"


def _sentence_part(text: str) -> str:
    """A sentence placed after "where: ": English starts it in lower case; German keeps its
    capitals (its nouns are always capitalised)."""
    if i18n.language() != i18n.SOURCE_LANGUAGE:
        return text
    return text[0].lower() + text[1:]


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
            self.problem(
                where,
                _("give the {what}'s email (owner: name@example.com).").format(what=_(what)),
            )
            return None
        person = self.people.get(email.strip().lower())
        if person is None:
            self.problem(
                where,
                _("no one on the team has the email {email}.").format(email=repr(email.strip())),
            )
            return None
        if not person.active:
            self.problem(
                where,
                _("{name} ({email}) is no longer active.").format(
                    name=person.name, email=person.email
                ),
            )
            return None
        if person.role == Role.stakeholder:
            self.problem(
                where,
                _("{name} is a stakeholder; only members and directors own goals.").format(
                    name=person.name
                ),
            )
            return None
        return person.id

    def unknown_keys(self, where: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    where,
                    _("unknown key {key} (expected {keys}).").format(
                        key=repr(key), keys=", ".join(allowed)
                    ),
                )

    def text(self, where: str, data: dict[str, Any], key: str, *, required: bool) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(where, _("{key} is missing.").format(key=key))
            return ""
        if not isinstance(value, str):
            self.problem(
                where, _("{key} must be text, got {value}.").format(key=key, value=repr(value))
            )
            return ""
        if required and not value.strip():
            self.problem(where, _("{key} is empty.").format(key=key))
        return value.strip()

    def number(self, where: str, data: dict[str, Any], key: str) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if not is_number(value):
            self.problem(
                where, _("{key} must be a number, got {value}.").format(key=key, value=repr(value))
            )
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
            self.problem(
                where,
                _("{key} must be one of {allowed}, got {value}.").format(
                    key=key, allowed=allowed, value=repr(value)
                ),
            )
            return None

    def read(self, document: Any) -> OkrPlan | None:
        if not isinstance(document, dict):
            self.problem("", _("the file must be a mapping with period and objectives."))
            return None
        self.unknown_keys(_("file"), document, ("period", "objectives"))
        period = document.get("period")
        period_id = ""
        if period is None:
            self.problem(_("file"), _("period is missing (e.g. period: 2026-Q4)."))
        else:
            try:
                period_id = format_quarter(*parse_quarter(str(period)))
            except ValueError as exc:
                self.problem(_("file"), _("period: {problem}.").format(problem=exc))
        if period_id and is_closed(session=self.session, period=period_id):
            self.problem(
                _("file"), _("{quarter} is closed: its goals are frozen.").format(quarter=period_id)
            )
        raw = document.get("objectives")
        if raw is None:
            self.problem(_("file"), _("objectives is missing (a list of objectives)."))
            raw = []
        elif not isinstance(raw, list):
            self.problem(_("file"), _("objectives must be a list."))
            raw = []
        drafts: list[ObjectiveDraft] = []
        titles: set[str] = set()
        for index, data in enumerate(raw):
            draft = self.objective(index, data, period_id)
            if draft is None:
                continue
            if draft.title in titles:
                self.problem(draft.where, _("another objective in the file has the same title."))
            titles.add(draft.title)
            drafts.append(draft)
        for draft in drafts:
            for parent_period, parent_title in draft.parents:
                if parent_period == period_id and parent_title == draft.title:
                    self.problem(draft.where, _("an objective cannot be its own parent."))
                elif parent_period == period_id and parent_title in titles:
                    continue
                elif self._stored_objective(parent_period, parent_title) is None:
                    self.problem(
                        draft.where,
                        _(
                            "parent “{title}” is neither in the file nor an objective of {quarter}."
                        ).format(title=parent_title, quarter=parent_period),
                    )
            for kr in draft.key_results:
                for target, _weight in kr.contributes_to:
                    if target == draft.title:
                        self.problem(
                            kr.where,
                            _(
                                "contributes_to “{title}” is its own objective, where it counts "
                                "already."
                            ).format(title=target),
                        )
                    elif target not in titles and self._stored_objective(period_id, target) is None:
                        self.problem(
                            kr.where,
                            _(
                                "contributes_to “{title}” is neither in the file nor an objective "
                                "of {quarter}."
                            ).format(title=target, quarter=period_id),
                        )
        return OkrPlan(period=period_id, objectives=drafts)

    def _stored_objective(self, period: str, title: str) -> Objective | None:
        return self.session.exec(
            select(Objective).where(Objective.period == period, Objective.title == title)
        ).first()

    def objective(self, index: int, data: Any, period: str) -> ObjectiveDraft | None:
        where = _describe("objective", index, data)
        if not isinstance(data, dict):
            self.problem(where, _("must be a mapping with title, owner and key_results."))
            return None
        self.unknown_keys(where, data, OBJECTIVE_KEYS)
        title = self.text(where, data, "title", required=True)
        if len(title) > TITLE_MAX:
            self.problem(
                where,
                _("the title is {length} characters long; keep it to {most}.").format(
                    length=format_count(len(title)), most=format_count(TITLE_MAX)
                ),
            )
        owner_id = self.person(where, data.get("owner"), N_("objective owner"))
        weight = self.number(where, data, "weight")
        if weight is not None and weight < 0:
            self.problem(
                where, _("weight must be 0 or more, got {value}.").format(value=f"{weight:g}")
            )
        description = self.text(where, data, "description", required=False)
        stored = self._stored_objective(period, title) if period else None
        if stored is not None and stored.description.strip() == description:
            # Given back unchanged (a file exported and imported again): kept as stored, to its
            # last line break, so it is no change, even when saved before the limit existed.
            description = stored.description
        elif description_problems(description):
            for found in description_problems(description):
                self.problem(where, _sentence_part(found))
        for found in text_problems(title, what=N_("the objective's title")) + text_problems(
            description, what=N_("the description"), multiline=True
        ):
            self.problem(where, f"{found}.")
        parents = self.parents(where, data, period)
        draft = ObjectiveDraft(
            where=where,
            title=title,
            owner_id=owner_id or 0,
            weight=1.0 if weight is None else weight,
            description=description,
            parents=parents,
        )
        raw = data.get("key_results") or []
        if not isinstance(raw, list):
            self.problem(where, _("key_results must be a list."))
            raw = []
        titles: set[str] = set()
        for kr_index, kr_data in enumerate(raw):
            kr = self.key_result(f"{where}, {_describe('key result', kr_index, kr_data)}", kr_data)
            if kr is None:
                continue
            if kr.title in titles:
                self.problem(
                    kr.where, _("another key result of this objective has the same title.")
                )
            titles.add(kr.title)
            if kr.fields.get("owner_id") is None:
                kr.fields["owner_id"] = owner_id or 0
            draft.key_results.append(kr)
        return draft

    def parents(self, where: str, data: dict[str, Any], period: str) -> list[tuple[str, str]]:
        """The parents an objective names: ``aligns_to`` (a list), or the one-parent ``parent``."""
        if "aligns_to" in data and "parent" in data:
            self.problem(where, _("give its parents under aligns_to alone, not parent as well."))
            return []
        if "parent" in data:
            one = self.parent(where, data["parent"], period)
            return [one] if one else []
        value = data.get("aligns_to")
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(where, _("aligns_to must be a list of objectives' titles."))
            return []
        found = [p for p in (self.parent(where, item, period) for item in value) if p]
        for twice in sorted({p for p in found if found.count(p) > 1}):
            self.problem(
                where,
                _("aligns_to names “{title}” ({quarter}) more than once.").format(
                    title=twice[1], quarter=twice[0]
                ),
            )
        return found

    def contributes_to(self, where: str, value: Any) -> list[tuple[str, float]]:
        """The other objectives of the quarter a key result counts towards, with weights."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(
                where, _("contributes_to must be a list of {objective: ..., weight: ...}.")
            )
            return []
        found: list[tuple[str, float]] = []
        for item in value:
            if isinstance(item, str) and item.strip():
                found.append((item.strip(), 1.0))
                continue
            if (
                isinstance(item, dict)
                and set(item) <= {"objective", "weight"}
                and isinstance(item.get("objective"), str)
                and item["objective"].strip()
            ):
                weight = item.get("weight", 1.0)
                problem = weight_problem(weight, f"contributes_to “{item['objective'].strip()}”")
                if problem:
                    self.problem(where, _sentence_part(problem).rstrip("."))
                    continue
                found.append((item["objective"].strip(), float(weight)))
                continue
            self.problem(
                where,
                _(
                    "each contributes_to entry is an objective's title or "
                    "{objective: ..., weight: ...}."
                ),
            )
        titles = [t for t, _weight in found]
        for twice in sorted({t for t in titles if titles.count(t) > 1}):
            self.problem(
                where, _("contributes_to names “{title}” more than once.").format(title=twice)
            )
        return found

    def parent(self, where: str, value: Any, period: str) -> tuple[str, str] | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip():
            return period, value.strip()
        if isinstance(value, dict) and set(value) == {"period", "title"}:
            try:
                parent_period = format_quarter(*parse_quarter(str(value["period"])))
            except ValueError as exc:
                self.problem(where, _("parent period: {problem}.").format(problem=exc))
                return None
            if isinstance(value["title"], str) and value["title"].strip():
                return parent_period, value["title"].strip()
        self.problem(where, _("parent must be an objective's title, or {period: ..., title: ...}."))
        return None

    def key_result(self, where: str, data: Any) -> KrDraft | None:
        if not isinstance(data, dict):
            self.problem(where, _("must be a mapping with title and kind."))
            return None
        self.unknown_keys(where, data, KR_KEYS)
        title = self.text(where, data, "title", required=True)
        kind = self.choice(where, data, "kind", KrKind)
        if data.get("kind") is None:
            self.problem(where, _("kind is missing (metric, guardrail, milestone or manual)."))
        owner_id = (
            self.person(where, data["owner"], N_("key result owner")) if "owner" in data else None
        )
        filters = data.get("filters") or {}
        if not isinstance(filters, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in filters.items()
        ):
            self.problem(where, _("filters must map dimensions to values, e.g. {device: mobile}."))
            filters = {}
        metric = data.get("metric")
        if metric is not None and not isinstance(metric, str):
            self.problem(
                where, _("metric must be a metric id, got {value}.").format(value=repr(metric))
            )
            metric = None
        window = self.choice(where, data, "window", Window) or Window.period_to_date
        total_target = data.get("total_target")
        if total_target is not None and not isinstance(total_target, bool):
            self.problem(
                where,
                _("total_target must be true or false, got {value}.").format(
                    value=repr(total_target)
                ),
            )
            total_target = None
        if total_target is None:  # left unsaid: the domain's rule, as a create or update applies it
            total_target = total_target_for(self.config, kind, metric, window)
        unit = data.get("unit")
        if unit is not None and not isinstance(unit, str | int | float):
            self.problem(where, _("unit must be text, got {value}.").format(value=repr(unit)))
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
            self.problem(where, _sentence_part(text))
        contributes = self.contributes_to(where, data.get("contributes_to"))
        return KrDraft(
            where=where, title=title, kind=kind, fields=fields, contributes_to=contributes
        )


def okr_file_problems(*, session: Session, config: MetricsConfig, text: str) -> list[str]:
    """Every problem an import of this OKR file would refuse, or an empty list."""
    try:
        read_okr_file(session=session, config=config, text=text)
    except OkrFileError as exc:
        return exc.problems
    return []


def yaml_problem(exc: yaml.YAMLError) -> str:
    """Where a YAML text stops parsing and why, in the reader's language ("line 3, column 5:
    not valid YAML: the indentation does not line up.")."""
    mark = getattr(exc, "problem_mark", None)
    where = (
        _("line {line}, column {column}").format(line=mark.line + 1, column=mark.column + 1)
        if mark
        else _("the file")
    )
    if isinstance(exc, _Refused):
        reason = str(exc.problem)
    elif isinstance(exc, yaml.reader.ReaderError):
        reason = _("the character {code} cannot be in a YAML file").format(
            code=f"U+{exc.character:04X}" if isinstance(exc.character, int) else "?"
        )
    elif _text_after_a_closed_value(exc):
        reason = _(
            "text follows a value that has already ended on this line (a value starting with a "
            "quote, [ or { ends where they close); put the whole text in quotes"
        )
    else:
        reason = yaml_reason(getattr(exc, "problem", None))
    return _("{where}: not valid YAML: {reason}.").format(where=where, reason=reason)


def size_problems(document: Any) -> list[str]:
    """Why a parsed OKR file holds more objectives or key results than one may, if it does:
    checked before anything in it is read further."""
    if not isinstance(document, dict) or not isinstance(document.get("objectives"), list):
        return []  # the reader explains the shape
    objectives = document["objectives"]
    if len(objectives) > MAX_OBJECTIVES:
        return [
            _(
                "The file holds {count} objectives; an OKR file may hold at most {most}. "
                "Nothing was imported."
            ).format(count=format_count(len(objectives)), most=format_count(MAX_OBJECTIVES))
        ]
    problems: list[str] = []
    total = 0
    for index, data in enumerate(objectives):
        krs = data.get("key_results") if isinstance(data, dict) else None
        count = len(krs) if isinstance(krs, list) else 0
        total += count
        if count > MAX_KEY_RESULTS_PER_OBJECTIVE:
            problems.append(
                _(
                    "{where}: it holds {count} key results; an objective may hold at most {most}."
                ).format(
                    where=_describe("objective", index, data),
                    count=format_count(count),
                    most=format_count(MAX_KEY_RESULTS_PER_OBJECTIVE),
                )
            )
    if total > MAX_KEY_RESULTS:
        problems.insert(
            0,
            _(
                "The file holds {count} key results; an OKR file may hold at most {most}. "
                "Nothing was imported."
            ).format(count=format_count(total), most=format_count(MAX_KEY_RESULTS)),
        )
    return problems


def read_okr_file(*, session: Session, config: MetricsConfig, text: str) -> OkrPlan:
    """Parse and validate an OKR file whole; OkrFileError lists every problem."""
    if len(text) > MAX_FILE_CHARS:
        raise OkrFileError(
            [
                _(
                    "The file has {count} characters; an OKR file may have at most {most}. "
                    "Nothing was imported."
                ).format(count=format_count(len(text)), most=format_count(MAX_FILE_CHARS))
            ]
        )
    try:
        document = load_okr_yaml(text)
    except yaml.YAMLError as exc:
        raise OkrFileError([yaml_problem(exc)]) from None
    too_many = size_problems(document)
    if too_many:
        raise OkrFileError(too_many)
    reader = _Reader(session, config)
    plan = reader.read(document)
    if plan is not None:
        _check_against_store(session, plan, reader)
    if reader.problems or plan is None:
        raise OkrFileError(reader.problems or [_("The file holds no OKRs.")])
    return plan


def _check_against_store(session: Session, plan: OkrPlan, reader: _Reader) -> None:
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
                    _(
                        "it exists as a {kind} key result and a kind cannot change; give the new "
                        "one another title."
                    ).format(kind=stored.kind.value),
                )
