"""The Goals page's forms for objectives and key results (directors): adding and editing an
objective, adding and editing a key result of any kind with its filters, start value and
direction defaults. Writes go through one short session and a planning function; refusals show
with st.error while keeping what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from planning import i18n
from planning.formatting import format_day, format_value
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import (
    KrEvaluation,
)
from planning.okrs.goal_rules import DESCRIPTION_MAX, TITLE_MAX, UNIT_MAX
from planning.okrs.goals import (
    create_key_result,
    create_objective,
    update_key_result,
    update_objective,
)
from planning.okrs.kr_defaults import default_direction
from planning.store.models import (
    Direction,
    GuardrailRule,
    KeyResultCreate,
    KeyResultRead,
    KeyResultUpdate,
    KrKind,
    ObjectiveCreate,
    ObjectiveRead,
    ObjectiveUpdate,
    Window,
)
from ui import goals_data as data
from ui.goals_view import (
    DIRECTION_LABELS,
    KIND_LABELS,
    WINDOW_LABELS,
    View,
    done,
    write_goal,
)
from ui.number_entry import NumberField, field_text, number_field, read_numbers
from ui.pickers import ALL, dimension_filters
from ui.text import escape_markdown
from ui.trash_view import delete_goal_form

# The add forms' own fields, emptied after a successful create so a second click adds nothing;
# the new key result's objective, kind, metric and filters stay picked for the next one.
NEW_OBJECTIVE_FIELDS = tuple(
    f"new_objective_{name}" for name in ("title", "description", "owner", "weight", "parent")
)
NEW_KR_FIELDS = tuple(
    f"new_kr_{name}"
    for name in (
        "title",
        "owner",
        "weight",
        "window",
        "direction",
        "start",
        "target",
        "rule",
        "threshold",
        "unit",
    )
)
RULE_LABELS = {"stay_above": N_("stay above"), "stay_below": N_("stay below")}
# An objective's or key result's weight: a share, never negative, always given.
WEIGHT_RULE: dict[str, Any] = {"minimum": 0.0, "required": True}


def _owner_and_weight(
    people: Mapping[int, str], *, owner_id: int | None, weight: float, key: str, cols: Any
) -> tuple[int, NumberField]:
    """A goal's owner picker and weight field in the first two of `cols`: (owner, weight)."""
    ids = list(people)
    index = ids.index(owner_id) if owner_id in ids else 0
    chosen: int = cols[0].selectbox(
        _("Owner"), ids, index=index, format_func=lambda i: people[i], key=f"{key}_owner"
    )
    field = number_field(
        _("Weight"), value=weight, key=f"{key}_weight", where=cols[1], **WEIGHT_RULE
    )
    return chosen, field


def _archive_and_save(key: str, archive_label: str, save_label: str) -> tuple[bool, bool]:
    """An edit form's last row, the archive box and the save button: (archive, submitted)."""
    archive = st.checkbox(archive_label, key=f"{key}_archive")
    return archive, st.form_submit_button(save_label, type="primary")


def _offer_delete(view: View, kind: str, record: ObjectiveRead | KeyResultRead) -> None:
    """The delete form under an objective's or key result's edit form."""
    delete_goal_form(
        actor=view.person,  # type: ignore[arg-type]
        kind=kind,
        record_id=record.id,
        version=record.version,
        on_saved=done,
    )


def _filter_pickers(
    view: View,
    metric_id: str,
    existing: KeyResultRead | None,
    key: str,
    on_change: Callable[..., None] | None = None,
    args: tuple[Any, ...] = (),
) -> dict[str, str]:
    """One picker per dimension the metric can be filtered by; the chosen filters."""
    metrics = view.config.metrics
    return dimension_filters(
        metrics.metric_dimensions(metric_id),
        metrics.dimensions,
        now=(existing.filters or {}) if existing else {},
        key=lambda dim: f"{key}_filter_{dim}",
        on_change=on_change,
        args=args,
    )


@dataclass(frozen=True)
class KrDefaults:
    """What a new metric key result starts from, and the sentence that says so."""

    direction: Direction
    start: float | None
    note: str


def _percent(view: View, metric_id: str | None) -> bool:
    return bool(metric_id) and view.config.metrics.metrics[metric_id].format == "percent"  # type: ignore[index]


def _money(view: View, metric_id: str | None) -> bool:
    return bool(metric_id) and view.config.metrics.metrics[metric_id].format == "money"  # type: ignore[index]


def _new_kr_defaults(view: View, metric_id: str, filters: dict[str, str]) -> KrDefaults:
    """The metric's declared direction and its current value for the filters."""
    metrics = view.config.metrics
    current = data.current_metric_value(
        view.versions, metric_id, tuple(sorted(filters.items())), view.today
    )
    where = " · ".join(filters.values()) or _("all traffic")
    spec = metrics.metrics[metric_id]
    # English writes the day as ISO, as it always has; other languages in the team's format.
    as_of = str(current.as_of) if i18n.english_formats() else format_day(current.as_of)
    if current.value is None:
        note = _("No current value for {where}: no data in the 28 days to {day}.").format(
            where=where, day=as_of
        )
        start = None
    else:
        shown = format_value(current.value, spec.format, currency_symbol=view.symbol)
        note = _("Current value for {where}: {value} (28 days to {day}).").format(
            where=where, value=shown, day=as_of
        )
        start = round(current.value * (100.0 if _percent(view, metric_id) else 1.0), 4)
    return KrDefaults(direction=default_direction(metrics, metric_id), start=start, note=note)


def _reset_new_kr_defaults(view: View) -> None:
    """After another metric or filter is picked, the direction and start follow it."""
    metric_id = st.session_state.get("new_kr_metric")
    if metric_id not in view.config.metrics.metrics:
        return
    filters = {
        dim: str(st.session_state.get(f"new_kr_filter_{dim}", ALL))
        for dim in view.config.metrics.metric_dimensions(metric_id)
    }
    chosen = {dim: value for dim, value in filters.items() if value != ALL}
    defaults = _new_kr_defaults(view, metric_id, chosen)
    st.session_state["new_kr_direction"] = defaults.direction.value
    st.session_state["new_kr_start"] = field_text(defaults.start, money=_money(view, metric_id))


def _kr_fields(
    view: View,
    kind: str,
    metric_id: str | None,
    existing: KeyResultRead | None,
    key: str,
    *,
    filters: dict[str, str] | None = None,
    defaults: KrDefaults | None = None,
) -> dict[str, Any]:
    """Kind-specific inputs of a key result form, its figures as NumberFields (read with
    read_numbers). Percentages are typed as percent (2.3 for 2.3 %) and stored as fractions;
    amounts show the team's currency. `filters` when they were picked outside the form;
    `defaults` give a new metric key result its start and direction, and any one its
    current-value note."""
    fields: dict[str, Any] = {}
    percent, money = _percent(view, metric_id), _money(view, metric_id)
    scale = 100.0 if percent else 1.0
    unit = " (%)" if percent else ""

    def shown(value: float | None) -> float | None:
        return None if value is None else value * scale

    def figure(label: str, value: float | None, name: str, where: Any) -> NumberField:
        """A figure typed in the metric's unit (percent, money or plain)."""
        return number_field(
            label + unit,
            value=value,
            key=f"{key}_{name}",
            where=where,
            money=money,
            percent=percent,
            scale=scale,
        )

    if kind in ("metric", "guardrail") and metric_id:
        if filters is None:
            filters = _filter_pickers(view, metric_id, existing, key)
        fields["filters"] = filters
        windows = [w.value for w in Window]
        now_window = existing.window.value if existing else Window.period_to_date.value
        fields["window"] = Window(
            st.selectbox(
                _("Window"),
                windows,
                index=windows.index(now_window),
                format_func=lambda w: _(WINDOW_LABELS[w]),
                key=f"{key}_window",
            )
        )
    if kind in ("metric", "manual"):
        cols = st.columns(3)
        directions = [d.value for d in Direction]
        now_direction = existing.direction.value if existing and existing.direction else "increase"
        start_value = shown(existing.start_value) if existing else None
        if defaults is not None and kind == "metric" and existing is None:
            now_direction, start_value = defaults.direction.value, defaults.start
        # Once the metric or a filter changed, their callback has set these fields' values.
        direction_set = f"{key}_direction" in st.session_state
        fields["direction"] = Direction(
            cols[0].selectbox(
                _("Direction"),
                directions,
                index=None if direction_set else directions.index(now_direction),
                format_func=lambda d: _(DIRECTION_LABELS.get(d, d)),
                key=f"{key}_direction",
            )
            or now_direction
        )
        fields["start_value"] = figure(_("Start"), start_value, "start", cols[1])
        if defaults is not None and kind == "metric":
            cols[1].caption(defaults.note)
        fields["target_value"] = figure(
            _("Target"), shown(existing.target_value) if existing else None, "target", cols[2]
        )
    if kind == "guardrail":
        cols = st.columns(2)
        rules = [r.value for r in GuardrailRule]
        now_rule = (
            existing.guardrail_rule.value
            if existing and existing.guardrail_rule
            else GuardrailRule.stay_above.value
        )
        fields["guardrail_rule"] = GuardrailRule(
            cols[0].selectbox(
                _("Rule"),
                rules,
                index=rules.index(now_rule),
                format_func=lambda r: _(RULE_LABELS.get(r, r.replace("_", " "))),
                key=f"{key}_rule",
            )
        )
        fields["threshold"] = figure(
            _("Threshold"), shown(existing.threshold) if existing else None, "threshold", cols[1]
        )
    if kind == "manual":
        fields["unit"] = st.text_input(
            _("Unit"),
            value=existing.unit if existing else "",
            max_chars=UNIT_MAX,
            key=f"{key}_unit",
        )
    return fields


def _pick_objective(editable: list[ObjectiveRead], key: str, where: Any = st) -> ObjectiveRead:
    """A picker over the quarter's objectives by title; the one picked."""
    by_id = {o.id: o for o in editable}
    chosen = where.selectbox(
        _("Objective"), list(by_id), format_func=lambda i: by_id[i].title, key=key
    )
    return by_id[chosen]


def _parents(view: View) -> tuple[dict[int, ObjectiveRead], Callable[[int | None], str]]:
    """Objectives of every quarter that one can be aligned to, and how each reads."""
    parents = {o.id: o for o in data.all_objectives(view.versions)}

    def parent_label(i: int | None) -> str:
        return "—" if i is None else f"{parents[i].period} · {parents[i].title}"

    return parents, parent_label


def add_objective_form(view: View, people: Mapping[int, str]) -> None:
    """Add an objective to the quarter, optionally aligned to another."""
    parents, parent_label = _parents(view)

    with st.form("new_objective"):
        title = st.text_input(_("Title"), max_chars=TITLE_MAX, key="new_objective_title")
        description = st.text_area(
            _("Description"), max_chars=DESCRIPTION_MAX, key="new_objective_description"
        )
        cols = st.columns(3)
        owner_id, weight = _owner_and_weight(
            people, owner_id=None, weight=1.0, key="new_objective", cols=cols
        )
        parent_id = cols[2].selectbox(
            _("Aligned to"), [None, *parents], format_func=parent_label, key="new_objective_parent"
        )
        if st.form_submit_button(_("Create objective"), type="primary"):
            numbers = read_numbers({"weight": weight})
            if numbers is None:
                return
            write_goal(
                lambda session: create_objective(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    objective=ObjectiveCreate(
                        period=view.period,
                        title=title,
                        description=description,
                        owner_id=owner_id,
                        weight=numbers["weight"],
                        parent_id=parent_id,
                    ),
                ),
                _("Objective “{title}” added to {quarter}.").format(
                    title=escape_markdown(title.strip()), quarter=view.period
                ),
                forget=NEW_OBJECTIVE_FIELDS,
            )


def edit_objective_form(view: View, people: Mapping[int, str]) -> None:
    """Edit or archive one of the quarter's objectives."""
    editable = data.objectives(view.versions, view.period)
    if not editable:
        return
    parents, parent_label = _parents(view)
    with st.container():
        objective = _pick_objective(editable, "edit_objective")
        key = f"edit_objective_{objective.id}_{objective.version}"
        with st.form(key):
            title = st.text_input(
                _("Title"), value=objective.title, max_chars=TITLE_MAX, key=f"{key}_title"
            )
            description = st.text_area(
                _("Description"),
                value=objective.description,
                # one written before the limit keeps its length: the widget would cut it
                max_chars=max(DESCRIPTION_MAX, len(objective.description)),
                key=f"{key}_description",
            )
            cols = st.columns(3)
            owner_id, weight = _owner_and_weight(
                people,
                owner_id=objective.owner_id,
                weight=float(objective.weight),
                key=key,
                cols=cols,
            )
            choices = [None, *(i for i in parents if i != objective.id)]
            parent_id = cols[2].selectbox(
                _("Aligned to"),
                choices,
                index=choices.index(objective.parent_id) if objective.parent_id in choices else 0,
                format_func=parent_label,
                key=f"{key}_parent",
            )
            archive, submitted = _archive_and_save(
                key,
                _("Archive this objective (it and its key results leave the quarter)"),
                _("Save objective"),
            )
        _offer_delete(view, "objective", objective)
        if not submitted:
            return
        edits = read_numbers(
            {
                "title": title,
                "description": description,
                "owner_id": owner_id,
                "weight": weight,
                "parent_id": parent_id,
            }
        )
        if edits is not None:
            if archive:
                edits["archived"] = True
            write_goal(
                lambda session: update_objective(
                    session=session,
                    actor=view.person,  # type: ignore[arg-type]
                    objective_id=objective.id,
                    expected_version=objective.version,
                    changes=ObjectiveUpdate(**edits),
                ),
                _("Objective archived.") if archive else _("Objective saved."),
            )


def key_result_form(view: View, people: Mapping[int, str]) -> None:
    """Add a key result of any kind to one of the quarter's objectives."""
    editable = data.objectives(view.versions, view.period)
    if not editable:
        return
    metrics = view.config.metrics
    with st.container():
        cols = st.columns(3)
        objective = _pick_objective(editable, "new_kr_objective", cols[0])
        kind = cols[1].selectbox(
            _("Kind"),
            list(KIND_LABELS),
            format_func=lambda k: _(KIND_LABELS[k]),
            key="new_kr_kind",
        )
        metric_id = None
        if kind in ("metric", "guardrail"):
            metric_id = cols[2].selectbox(
                _("Metric"),
                list(metrics.metrics),
                format_func=lambda m: metrics.metrics[m].label,
                key="new_kr_metric",
                on_change=_reset_new_kr_defaults,
                args=(view,),
            )
        # Filters sit outside the form so the start value can follow them as they are picked.
        filters: dict[str, str] | None = None
        defaults: KrDefaults | None = None
        if metric_id is not None:
            filters = _filter_pickers(
                view, metric_id, None, "new_kr", _reset_new_kr_defaults, (view,)
            )
            defaults = _new_kr_defaults(view, metric_id, filters)
        with st.form("new_kr"):
            title = st.text_input(_("Title"), max_chars=TITLE_MAX, key="new_kr_title")
            cols = st.columns(2)
            owner_id, weight = _owner_and_weight(
                people, owner_id=objective.owner_id, weight=1.0, key="new_kr", cols=cols
            )
            fields = _kr_fields(
                view, kind, metric_id, None, "new_kr", filters=filters, defaults=defaults
            )
            if kind == "metric":
                st.caption(
                    _(
                        "A metric that adds up day by day (revenue, sessions) over the quarter to "
                        "date takes a total for the quarter as its target; pick a trailing window "
                        "to track its level instead."
                    )
                )
            submitted = st.form_submit_button(_("Create key result"), type="primary")
        if not submitted:
            return
        numbers = read_numbers({"weight": weight, **fields})
        if numbers is None:
            return
        write_goal(
            lambda session: create_key_result(
                session=session,
                actor=view.person,  # type: ignore[arg-type]
                key_result=KeyResultCreate(
                    objective_id=objective.id,
                    title=title,
                    owner_id=owner_id,
                    kind=KrKind(kind),
                    metric_id=metric_id,
                    **numbers,
                ),
                config=metrics,
            ),
            _("Key result “{title}” added.").format(title=escape_markdown(title.strip())),
            forget=NEW_KR_FIELDS,
        )


def edit_key_result_form(view: View, kr: KrEvaluation, people: Mapping[int, str]) -> None:
    """Edit or archive the key result shown in the detail."""
    found = {k.id: k for k in data.key_results(view.versions, view.period)}.get(kr.key_result_id)
    if found is None:
        return
    metrics = view.config.metrics
    metric_ids = list(metrics.metrics)
    with st.container():
        st.markdown("**" + _("Edit “{title}”").format(title=escape_markdown(kr.title)) + "**")
        key = f"edit_kr_{found.id}_{found.version}"
        metric_id = found.metric_id
        if found.kind in (KrKind.metric, KrKind.guardrail):
            metric_id = st.selectbox(
                _("Metric"),
                metric_ids,
                index=metric_ids.index(found.metric_id) if found.metric_id in metric_ids else 0,
                format_func=lambda m: metrics.metrics[m].label,
                key=f"{key}_metric",
            )
        with st.form(key):
            title = st.text_input(
                _("Title"), value=found.title, max_chars=TITLE_MAX, key=f"{key}_title"
            )
            cols = st.columns(2)
            owner_id, weight = _owner_and_weight(
                people, owner_id=found.owner_id, weight=float(found.weight), key=key, cols=cols
            )
            # The saved filters' current value is shown beside the start; the start is kept.
            shown_now = None
            if found.kind == KrKind.metric and metric_id in metrics.metrics:
                shown_now = _new_kr_defaults(view, metric_id, dict(found.filters or {}))
            fields = _kr_fields(view, found.kind.value, metric_id, found, key, defaults=shown_now)
            archive, submitted = _archive_and_save(
                key,
                _("Archive this key result (it stops counting towards its objective)"),
                _("Save key result"),
            )
        _offer_delete(view, "key_result", found)
        if not submitted:
            return
        changes = read_numbers({"title": title, "owner_id": owner_id, "weight": weight, **fields})
        if changes is None:
            return
        if metric_id != found.metric_id:
            changes["metric_id"] = metric_id
        if archive:
            changes["archived"] = True
        write_goal(
            lambda session: update_key_result(
                session=session,
                actor=view.person,  # type: ignore[arg-type]
                key_result_id=found.id,
                expected_version=found.version,
                changes=KeyResultUpdate(**changes),
                config=metrics,
            ),
            _("Key result archived.") if archive else _("Key result saved."),
        )
