"""Initiatives: the list with filters, one initiative's detail with its status-update history and
audit trail, and the forms each role may use (propose or create, edit, post a status update,
drop)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from planning import clock, i18n
from planning.access.permissions import (
    PermissionDenied,
    can_contribute,
    can_drop_initiative,
    is_director,
    owns_or_directs,
)
from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.i18n import ngettext, pgettext
from planning.periods import quarter_of
from planning.store.models import PersonRead
from planning.store.versioning import ConflictError
from planning.validation import InputError, whole_number
from planning.work.initiative_input import (
    DESCRIPTION_MAX,
    EFFORT_MAX_WEEKS,
    NOTE_MAX,
    TITLE_MAX,
    InitiativeDraft,
)
from planning.work.initiative_links import links_after_edit
from planning.work.initiative_reads import InitiativeDetail
from planning.work.initiative_status import HEALTH_ORDER, STATUS_ORDER, status_label
from planning.work.initiatives import create_initiative, update_initiative
from planning.work.status_updates import drop_initiative
from ui import bounded, dependencies_view
from ui import planning_data as data
from ui.confirm_write import run_write
from ui.flash import flash_after_write, show_flash
from ui.grid_formats import input_day_format
from ui.identity import current_person
from ui.initiatives_bulk import bulk_edit_section, select_rows
from ui.initiatives_detail import show_detail
from ui.number_entry import NumberField, number_field, read_numbers
from ui.pickers import dimension_filters, pick_or_none
from ui.quarter_draft_view import running_quarter_caption
from ui.score_inputs import changed_scores, score_caption, score_fields
from ui.state import app_config, forget_inputs, live_refresh, versions
from ui.status_update_form import (
    health_label,
    save_status_update,
    status_update_inputs,
    widget_keys,
)
from ui.tables import percent_bar, phone_cards, stacked_rows
from ui.text import CHOOSE, escape_markdown, refusal_message
from ui.trash_view import delete_initiative_form, trash_section

FLASH = "initiatives_flash"
PICK = "initiative_pick"
TABLE = "initiative_table"
LIST_ROWS = "initiative_list_rows"  # how many of the filtered initiatives the list shows
REFUSALS = (InputError, PermissionDenied, ConflictError)

config = app_config()
metrics = config.metrics.metrics
active_id = config.scoring.active
active = config.scoring.frameworks[active_id]
st.title(_("Initiatives"))
person = current_person()
director = person is not None and is_director(person)
current = versions()
show_flash(FLASH)
if person is not None:
    running_quarter_caption(
        person=person,
        versions=current,
        period=quarter_of(clock.today(), config.settings.fiscal_year_start_month),
    )


def _done(message: str, *, pick: int | None = None, forget: tuple[str, ...] = ()) -> None:
    """After a successful write: say so, drop stale form state, refresh the reads, re-run."""
    forget_inputs(forget)
    if pick is not None:
        st.session_state["_initiative_goto"] = pick
    flash_after_write(FLASH, message)


# A link from elsewhere (?initiative=ID) or a just-created initiative opens its detail.
goto = st.session_state.pop("_initiative_goto", None)
linked = st.query_params.get("initiative")
if goto is not None:
    st.session_state[PICK] = goto
elif linked and linked != st.session_state.get("_initiative_linked"):
    st.session_state["_initiative_linked"] = linked
    if (linked_id := whole_number(linked)) is not None:
        st.session_state[PICK] = linked_id

# --- filters and list --------------------------------------------------------------------------
objectives = data.objective_choices(current)
owner_names = data.owners(current)
names = data.person_names(current)
columns = st.columns(4)
objective_id = pick_or_none(
    columns[0],
    _("Objective"),
    objectives,
    none_label=_("All objectives"),
    key="filter_objective",
)
owner_id = pick_or_none(
    columns[1], _("Owner"), owner_names, none_label=_("Everyone"), key="filter_owner"
)
statuses = columns[2].multiselect(
    _("Status"),
    list(STATUS_ORDER),
    format_func=lambda s: _(status_label(s)),
    placeholder=_(CHOOSE),
    key="filter_status",
)
healths = columns[3].multiselect(
    _("Health"),
    list(HEALTH_ORDER),
    format_func=health_label,
    placeholder=_(CHOOSE),
    key="filter_health",
)
listing = data.initiative_table(current, objective_id, owner_id, tuple(statuses), tuple(healths))
# The list shows the top of the filtered initiatives (ui/bounded.py): "Show more", "Show all"
# or a narrower filter reach the rest.
shown_count = bounded.rows_shown(LIST_ROWS, len(listing.ids))
ids = list(listing.ids[:shown_count])
st.session_state["_initiative_table_ids"] = ids


def _on_table_pick() -> None:
    state: Any = st.session_state.get(TABLE)
    rows = state["selection"]["rows"] if state else []
    table_ids = st.session_state.get("_initiative_table_ids", [])
    # One selected row opens it; every selected row is what a bulk edit changes.
    if len(rows) == 1 and rows[0] < len(table_ids):
        st.session_state[PICK] = table_ids[rows[0]]
    select_rows(table_ids, rows)


if listing.rows is None:
    st.info(_("No initiative matches these filters."))
else:
    list_columns = {
        "title": st.column_config.TextColumn(_("Initiative"), width=300),
        "owner": _("Owner"),
        "status": _("Status"),
        "health": _("Health"),
        "percent_complete": percent_bar(_("Done"), "%d%%"),
        "target_date": st.column_config.TextColumn(pgettext("date", "Target"), width=95),
        "objectives": st.column_config.TextColumn(_("Objectives"), width="medium"),
        "last_update_at": st.column_config.DatetimeColumn(
            _("Last update"), format=input_day_format("YYYY-MM-DD HH:mm")
        ),
    }
    st.dataframe(
        listing.rows.slice(0, shown_count),
        hide_index=True,
        width="stretch",
        key=TABLE,
        on_select=_on_table_pick,
        selection_mode="multi-row",
        column_config=list_columns,
    )
    # A phone reads the list as cards (title, then owner, status, health and done on one
    # line) and opens one with the picker below; the grid scrolled sideways there.
    phone_cards(
        stacked_rows(
            listing.rows.slice(0, shown_count).to_pylist(),
            {**list_columns, "target_date": None, "objectives": None, "last_update_at": None},
            compact=True,
            note=_("Pick one under “Open an initiative” below to read it or post an update."),
        )
    )
    st.caption(
        ngettext(
            "{count} initiative. Select a row to open it, or several to change at once.",
            "{count} initiatives. Select a row to open it, or several to change at once.",
            len(listing.ids),
        ).format(count=format_count(len(listing.ids)))
    )
    bounded.more_rows(
        LIST_ROWS,
        shown=shown_count,
        total=len(listing.ids),
        hint=_("The filters above narrow the list."),
    )

titles = data.initiative_titles(current)
if person is not None and can_contribute(person) and ids:
    bulk_edit_section(
        actor=person,
        director=director,
        config=config,
        ids=ids,
        titles=titles,
        owners=owner_names,
        key_results=data.key_result_choices(current),
        on_saved=_done,
    )
options: list[int | None] = [None, *ids]
if st.session_state.get(PICK) not in options:
    if st.session_state.get(PICK) in titles:
        options.append(st.session_state[PICK])
    else:
        st.session_state[PICK] = None
picked = st.selectbox(
    _("Open an initiative"),
    options,
    format_func=lambda i: "—" if i is None else titles.get(i, f"#{i}"),
    key=PICK,
)
if picked is None:
    st.query_params.pop("initiative", None)
else:
    st.query_params["initiative"] = str(picked)
    st.session_state["_initiative_linked"] = str(picked)

# --- detail ------------------------------------------------------------------------------------


def _status_form(detail: InitiativeDetail, actor: PersonRead, version: int, tag: str) -> None:
    i = detail.initiative
    with st.form(f"status_update_{tag}"):
        st.markdown("**" + _("Post a status update") + "**")
        update = status_update_inputs(
            status=i.status.value,
            health=i.health.value,
            percent_complete=i.percent_complete,
            director=director,
            key_prefix="su",
            tag=tag,
            placeholder=_("One line on what changed since the last update"),
        )
        sent = st.form_submit_button(_("Post update"), type="primary")
    if sent:
        try:
            save_status_update(
                actor=actor, initiative_id=i.id, update=update, expected_version=version
            )
        except REFUSALS as exc:
            st.error(refusal_message(exc))
        else:
            _done(_("Status update posted."), forget=(*_form_keys(i.id), *widget_keys("su", tag)))


# The dimensions an expected lift can name, when the metrics configuration declares them.
LIFT_DIMENSIONS = [
    d for d in ("device", "channel", "product_line") if d in config.metrics.dimensions
]


def _lift_filter_pickers(now: dict[str, str], key: str) -> dict[str, str]:
    """Where the lift should be measured: one picker per dimension, "All" for no filter (the
    dimensions' names and values come from config and stay as written)."""
    return dimension_filters(
        LIFT_DIMENSIONS,
        config.metrics.dimensions,
        now=now,
        key=lambda dim: f"{key}_{dim}",
        label=lambda spec: _("Lift measured on {dimension}").format(dimension=spec.label.lower()),
    )


@dataclass(frozen=True)
class _WorkInputs:
    """What the create and edit forms both ask: dates, effort, key results and expected lift."""

    start: Any
    target: Any
    effort: NumberField
    linked: list[int]
    lift_metric: str | None
    lift_pct: NumberField  # typed in percent, read as relative: 8 → 0.08


def _work_inputs(
    krs: dict[int, str], key: Callable[[str], str], *, now: InitiativeDetail | None = None
) -> _WorkInputs:
    """The dates, effort, linked key results and expected lift inputs, filled from `now` (an
    edit) or empty (a new initiative); `key` names each input's session key."""
    i = None if now is None else now.initiative
    cols = st.columns(3)
    start = cols[0].date_input(
        _("Start date"),
        value=None if i is None else i.start_date,
        format=input_day_format(),
        key=key("start"),
    )
    target = cols[1].date_input(
        _("Target date"),
        value=None if i is None else i.target_date,
        format=input_day_format(),
        key=key("target"),
    )
    effort = number_field(
        _("Effort (person-weeks)"),
        value=1.0 if i is None else float(i.effort_weeks),
        key=key("effort"),
        where=cols[2],
        minimum=0.0,
        maximum=EFFORT_MAX_WEEKS,
        required=True,
    )
    linked = st.multiselect(
        _("Key results it should move"),
        list(krs),
        default=None if now is None else [k for k in now.key_result_ids if k in krs],
        format_func=lambda k: krs.get(k, f"#{k}"),
        placeholder=_(CHOOSE),
        key=key("krs"),
    )
    lift_options: list[str | None] = [None, *metrics]
    now_metric = None if i is None else i.lift_metric
    cols = st.columns(2)
    lift_metric = cols[0].selectbox(
        _("Expected lift on"),
        lift_options,
        index=lift_options.index(now_metric) if now_metric in lift_options else 0,
        format_func=lambda m: "—" if m is None else metrics[m].label,
        key=key("lift_metric"),
    )
    lift = number_field(
        _("Expected relative lift (%)"),
        value=None if i is None or i.lift_pct is None else round(i.lift_pct * 100, 4),
        key=key("lift_pct"),
        where=cols[1],
        percent=True,
        scale=100.0,
    )
    return _WorkInputs(
        start=start,
        target=target,
        effort=effort,
        linked=linked,
        lift_metric=lift_metric,
        lift_pct=lift,
    )


def _read_figures(
    work: _WorkInputs, entered: Mapping[str, Any]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The effort, lift and score inputs as typed, read as numbers; each part None when one of
    its fields cannot be read (shown under the form)."""
    return read_numbers({"effort": work.effort, "lift_pct": work.lift_pct}), read_numbers(entered)


def _edit_form(detail: InitiativeDetail, actor: PersonRead, version: int, tag: str) -> None:
    i = detail.initiative
    krs = data.key_result_choices(current)
    with st.expander(_("Edit this initiative")), st.form(f"edit_{tag}"):
        title = st.text_input(_("Title"), value=i.title, max_chars=TITLE_MAX, key=f"ed_title_{tag}")
        description = st.text_area(
            _("Description"), value=i.description, max_chars=DESCRIPTION_MAX, key=f"ed_desc_{tag}"
        )
        work = _work_inputs(krs, lambda name: f"ed_{name}_{tag}", now=detail)
        entered: dict[str, float | NumberField | None] = {}
        stored_inputs = (i.scores or {}).get(active_id)
        if director:
            st.caption(score_caption(active, config.scoring.effort, i.effort_weeks))
            entered = score_fields(
                active, stored=stored_inputs, key_prefix=f"ed_score_{tag}", prefill_defaults=False
            )
        lift_filters = _lift_filter_pickers(dict(i.lift_filters or {}), f"ed_lift_filter_{tag}")
        owner = None
        if director:
            cols = st.columns(2)
            owner_options = list(dict.fromkeys([i.owner_id, *owner_names]))
            owner = cols[0].selectbox(
                _("Owner"),
                owner_options,
                format_func=lambda p: names.get(p, f"#{p}"),
                key=f"ed_owner_{tag}",
            )
        saved = st.form_submit_button(_("Save changes"), type="primary")
    if not saved:
        return
    typed, scores = _read_figures(work, entered)
    if typed is None or scores is None:
        return
    # An unchanged lift keeps who estimated it: the domain reads a value within rounding of the
    # stored one as no change (planning.work.initiative_input.kept_lift).
    changes: dict[str, Any] = {
        "title": title,
        "description": description,
        "start_date": work.start,
        "target_date": work.target,
        "effort_weeks": typed["effort"],
        "lift_metric": work.lift_metric,
        "lift_pct": typed["lift_pct"],
        "lift_filters": lift_filters,
    }
    links = links_after_edit(stored=detail.key_result_ids, offered=krs, picked=work.linked)
    if links is not None:
        changes["key_result_ids"] = links
    if director and owner is not None:
        changes["owner_id"] = owner
    new_inputs = changed_scores(scores, stored_inputs) if director else None
    if new_inputs is not None:
        changes["scores"] = {active_id: new_inputs}
    saved = run_write(
        lambda session: update_initiative(
            session=session,
            actor=actor,
            config=config,
            initiative_id=i.id,
            expected_version=version,
            changes=changes,
        ),
        refusals=REFUSALS,
    )
    if saved is not None:
        _done(_("Changes saved."), forget=_form_keys(i.id))


def _drop_form(detail: InitiativeDetail, actor: PersonRead, version: int, tag: str) -> None:
    i = detail.initiative
    with st.expander(_("Drop this initiative")), st.form(f"drop_{tag}"):
        reason = st.text_input(
            _("Why is it dropped? (required)"), max_chars=NOTE_MAX, key=f"dr_{tag}"
        )
        dropped = st.form_submit_button(_("Drop initiative"))
    if not dropped:
        return
    update = run_write(
        lambda session: drop_initiative(
            session=session,
            actor=actor,
            initiative_id=i.id,
            expected_version=version,
            reason=reason,
        ),
        refusals=REFUSALS,
    )
    if update is not None:
        _done(_("Initiative dropped."), forget=_form_keys(i.id))


def _form_keys(initiative_id: int) -> tuple[str, ...]:
    """Session keys of the version an editor started from; dropping it reloads the forms."""
    return (f"initiative_version_{initiative_id}",)


if picked is not None:
    detail = data.initiative_detail(current, picked, i18n.locale_key())
    if detail is None:
        st.warning(_("That initiative no longer exists."))
    else:
        show_detail(detail, versions=current, config=config)
        i = detail.initiative
        owns = person is not None and owns_or_directs(person, i.owner_id)
        dependencies_view.initiative_section(
            versions=current,
            actor=person,
            initiative_id=i.id,
            start=i.start_date,
            may_edit=owns,
            titles=titles,
            on_saved=_done,
        )
        if owns:
            # Forms start from the version read when they were first shown; a later save by
            # someone else is then refused with a clear message instead of overwritten.
            version_key = f"initiative_version_{i.id}"
            seen = st.session_state.setdefault(version_key, i.version)
            tag = f"{i.id}_{seen}"
            if seen != i.version:
                st.warning(
                    _(
                        "Someone else changed this initiative after you opened it. Your forms "
                        "keep what you typed; saving them is refused until you load the latest "
                        "values."
                    )
                )
                if st.button(_("Load the latest values")):
                    st.session_state[version_key] = i.version
                    st.rerun()
            st.divider()
            _status_form(detail, person, seen, tag)
            _edit_form(detail, person, seen, tag)
            if can_drop_initiative(person, i.owner_id, i.status.value):
                _drop_form(detail, person, seen, tag)
                delete_initiative_form(
                    actor=person, initiative_id=i.id, version=seen, tag=tag, on_saved=_done
                )


# --- create ------------------------------------------------------------------------------------


def _create_form(actor: PersonRead) -> None:
    krs = data.key_result_choices(current)
    heading = _("New initiative") if director else _("Propose an idea")
    with st.expander(heading), st.form("create_initiative"):
        if not director:
            st.caption(_("Ideas are yours to describe; a director scores, plans and assigns them."))
        title = st.text_input(_("Title"), max_chars=TITLE_MAX, key="new_title")
        description = st.text_area(
            _("Description"), max_chars=DESCRIPTION_MAX, key="new_description"
        )
        cols = st.columns(2)
        if director:
            owner = cols[0].selectbox(
                _("Owner"),
                list(owner_names),
                format_func=lambda p: owner_names[p],
                key="new_owner",
            )
            status = cols[1].selectbox(
                _("Status"),
                ["idea", "planned", "in_progress", "blocked"],
                format_func=lambda s: _(status_label(s)),
                key="new_status",
            )
        else:
            owner, status = actor.id, "idea"
        work = _work_inputs(krs, lambda name: f"new_{name}")
        entered: dict[str, float | NumberField | None] = {}
        if director:
            st.caption(score_caption(active, config.scoring.effort))
            entered = score_fields(
                active, stored=None, key_prefix="new_score", prefill_defaults=True
            )
        lift_filters = _lift_filter_pickers({}, "new_lift_filter")
        created = st.form_submit_button(
            _("Create") if director else _("Propose idea"), type="primary"
        )
    if not created:
        return
    typed, scores = _read_figures(work, entered)
    if typed is None or scores is None:
        return
    draft = InitiativeDraft(
        title=title,
        owner_id=owner,
        description=description,
        status=status,
        start_date=work.start if isinstance(work.start, date) else None,
        target_date=work.target if isinstance(work.target, date) else None,
        effort_weeks=typed["effort"],
        lift_metric=work.lift_metric,
        lift_pct=typed["lift_pct"],
        lift_filters=lift_filters,
        key_result_ids=work.linked,
        scores={active_id: inputs} if (inputs := changed_scores(scores, None)) else {},
    )
    saved = run_write(
        lambda session: create_initiative(session=session, actor=actor, config=config, draft=draft),
        refusals=REFUSALS,
    )
    if saved is not None:
        keys = (
            "new_title",
            "new_description",
            "new_owner",
            "new_status",
            "new_start",
            "new_target",
            "new_effort",
            "new_krs",
            "new_lift_metric",
            "new_lift_pct",
            *(f"new_score_{input_id}" for input_id in active.inputs),
            *(f"new_lift_filter_{d}" for d in LIFT_DIMENSIONS),
        )
        _done(
            _("“{title}” created.").format(title=escape_markdown(saved.title)),
            pick=saved.id,
            forget=keys,
        )


if person is not None and can_contribute(person):
    st.divider()
    _create_form(person)

if person is not None and director:
    trash_section(actor=person, versions=current, config=config, on_saved=_done)

live_refresh()
