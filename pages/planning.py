"""Weekly planning (directors): the ranked backlog, edited in place and saved on Save; the
value/effort matrix; capacity for the next eight weeks; committing the week's plan; what changed
since last week; and the decision log."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from planning import clock, i18n
from planning.access.permissions import PermissionDenied, is_director
from planning.formatting import aligned_figures, format_score, round_score
from planning.impact.calibration import apply_suggested_confidences
from planning.impact.ledger_views import points_text
from planning.periods import iso_week, quarter_of
from planning.store.engine import session_scope
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work.backlog_edits import (
    EFFORT_INPUT,
    LIFT_POINTS,
    BacklogSaveError,
    apply_backlog_edits,
    editor_frame,
    edits_to_commands,
    effort_input_label,
    input_column,
)
from planning.work.initiative_status import HEALTH_LABELS, STATUS_ORDER, status_label
from planning.work.weekly_plan import PlanAlreadyCommitted, commit_weekly_plan
from ui import backlog_carry as carry
from ui import dependencies_view, planning_decisions, planning_scenarios
from ui import planning_charts as charts
from ui import planning_data as data
from ui.address import FRAMEWORK_PARAM, choice_in_address, keep_in_address
from ui.charts import draw
from ui.identity import current_person
from ui.planning_undo import undo_last_save
from ui.quarter_draft_view import running_quarter_caption
from ui.state import app_config, clear_after_write, engine, live_refresh, versions
from ui.text import escape_markdown

CAPACITY_WEEKS = 8
CALIBRATION_OPEN = "planning_calibration"
FLASH = "planning_flash"

st.title("Weekly planning")
person = current_person()
if person is None or not is_director(person):
    st.info(
        "Weekly planning is for directors: they score and rank the backlog and commit the "
        "week's plan. The Initiatives page shows every initiative and its status."
    )
    st.stop()

config = app_config()
scoring = config.scoring
current = versions()
today = clock.today()
week = iso_week(today)
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)
running_quarter_caption(
    person=person,
    versions=current,
    period=quarter_of(today, config.settings.fiscal_year_start_month),
)

# --- framework switch --------------------------------------------------------------------------
framework_ids = list(scoring.frameworks)
framework_id = st.segmented_control(
    "Rank by",
    framework_ids,
    # The framework lives in the address (?framework=ice): a reload or a shared link keeps it.
    default=choice_in_address(
        FRAMEWORK_PARAM,
        {f: scoring.frameworks[f].label for f in framework_ids},
        scoring.active,
        "scoring framework",
    ),
    format_func=lambda f: scoring.frameworks[f].label,
    key="planning_framework",
)
framework_id = framework_id or scoring.active
keep_in_address(FRAMEWORK_PARAM, framework_id)
framework = scoring.frameworks[framework_id]
carry.remember_on_switch(framework_id)
if framework.description:
    st.caption(framework.description)
backlog = data.ranked_backlog(current, framework_id)
owners = data.owners(current)
names = data.person_names(current)

# --- the ranked backlog, editable --------------------------------------------------------------
st.subheader("Ranked backlog")
generation = st.session_state.setdefault("backlog_generation", 0)
editor_key = f"backlog_editor_{framework_id}_{generation}"
source_key = f"backlog_source_{framework_id}_{generation}"


def _backlog_written(message: str) -> None:
    """After a write to the backlog: the table reloads from the store and says what was done."""
    st.session_state["backlog_generation"] = generation + 1
    st.session_state.pop(source_key, None)
    carry.forget(framework_id)
    st.session_state[FLASH] = message
    clear_after_write()
    st.rerun()


def _pending(key: str) -> bool:
    state: Any = st.session_state.get(key)
    if not isinstance(state, dict):
        return False
    return bool(state.get("edited_rows") or state.get("added_rows") or state.get("deleted_rows"))


# The table holds the values (and versions) it showed when editing began, so a save is checked
# against what the director saw; it refreshes by itself only while nothing is being edited.
stored = st.session_state.get(source_key)
kept = carry.carried_for(framework_id)
if stored is None or (stored[0] != current and not _pending(editor_key) and not kept):
    stored = (
        current,
        editor_frame(
            backlog, framework_id=framework_id, framework=framework, effort=scoring.effort
        ),
    )
    st.session_state[source_key] = stored
source: pd.DataFrame = stored[1]


def _input_column_config(input_id: str) -> Any:
    spec = framework.inputs[input_id]
    if spec.scale is not None:
        return st.column_config.SelectboxColumn(
            spec.label, options=list(spec.scale), help=spec.help or None
        )
    return st.column_config.NumberColumn(
        spec.label,
        min_value=spec.minimum,
        max_value=spec.maximum,
        help=spec.help or None,
        format="localized",  # 150,000 customers, not 150000
    )


owner_options = sorted(set(owners) | set(source["owner_id"].astype(int)))
column_config: dict[str, Any] = {
    "rank": st.column_config.TextColumn("Rank", width=60),
    "score": st.column_config.TextColumn("Score", width=90),
    "title": st.column_config.TextColumn("Initiative", required=True, max_chars=200),
    "owner_id": st.column_config.SelectboxColumn(
        "Owner",
        options=owner_options,
        format_func=lambda pid: names.get(pid, f"#{pid}"),
        required=True,
    ),
    "status": st.column_config.SelectboxColumn(
        "Status", options=list(STATUS_ORDER), format_func=status_label, required=True
    ),
    "health": st.column_config.SelectboxColumn(
        "Health", options=list(HEALTH_LABELS), format_func=lambda h: HEALTH_LABELS.get(h, h)
    ),
    "start_date": st.column_config.DateColumn("Start", format="YYYY-MM-DD"),
    "target_date": st.column_config.DateColumn("Target", format="YYYY-MM-DD"),
    "effort_weeks": st.column_config.NumberColumn(
        "Effort (person-weeks)", min_value=0.0, max_value=520.0, step=0.5, format="%.1f"
    ),
    "quadrant": st.column_config.TextColumn("Quadrant"),
    "problems": st.column_config.TextColumn("Why unranked"),
}
input_columns = [input_column(i) for i in framework.inputs]
for input_id in framework.inputs:
    column_config[input_column(input_id)] = _input_column_config(input_id)
extra_columns: list[str] = []
derived_columns: list[str] = []
if EFFORT_INPUT in source.columns:
    column_config[EFFORT_INPUT] = st.column_config.NumberColumn(
        effort_input_label(framework),
        format="localized",
        help="Derived from the effort in person-weeks (config/scoring.yaml, effort)",
    )
    derived_columns = [EFFORT_INPUT]
if framework.formula == "expected_value":
    metrics = config.metrics.metrics
    column_config["lift_metric"] = st.column_config.SelectboxColumn(
        "Lift metric", options=list(metrics), format_func=lambda m: metrics[m].label
    )
    column_config[LIFT_POINTS] = st.column_config.NumberColumn(
        "Expected lift %", format="%.1f%%", help="Relative change: 8 means +8 %"
    )
    extra_columns = ["lift_metric", LIFT_POINTS]
order = [
    "rank",
    "score",
    "title",
    "owner_id",
    "status",
    "health",
    *input_columns,
    *extra_columns,
    "effort_weeks",
    *derived_columns,
    "start_date",
    "target_date",
    "quadrant",
    "problems",
]
if source.empty:
    st.info("The backlog is empty: no idea, planned, running or blocked initiative yet.")
    edited = source
else:
    # Score and rank follow the pending edits (and those kept across a framework switch) at
    # once; nothing is written before Save.
    shown = carry.with_carried(source, framework_id)
    if _pending(editor_key) or kept:
        pending: Any = st.session_state.get(editor_key) or {}
        shown = data.live_scores(current, shown, pending.get("edited_rows"), framework_id)
    # Rank and score read as people read them (960,917 · 9.6, a dash when unranked: its reason
    # is beside it) and, padded to one width, still sort by number; the page recomputes both
    # from the inputs and never reads them back. The derived effort input is rounded alike.
    shown = shown.assign(
        rank=aligned_figures(shown["rank"].astype("float64").tolist(), lambda r: f"{r:.0f}"),
        score=aligned_figures(shown["score"].astype("float64").tolist(), format_score),
        quadrant=shown["quadrant"].astype("object").where(shown["quadrant"].notna(), "—"),
    )
    if EFFORT_INPUT in shown.columns:
        shown[EFFORT_INPUT] = shown[EFFORT_INPUT].map(round_score).astype("float64")
    edited = st.data_editor(
        shown,
        key=editor_key,
        column_order=order,
        column_config=column_config,
        disabled=["rank", "score", "health", "quadrant", "problems", *derived_columns],
        hide_index=True,
        num_rows="fixed",
        width="stretch",
    )
    carry.note_table(framework_id, source, edited)
if kept:
    st.caption(
        f"Your unsaved edits to {len(kept)} initiative{'s' if len(kept) != 1 else ''} are kept "
        "across the framework switch: Save changes or Discard edits."
    )
for other, how_many in carry.waiting_elsewhere(framework_id).items():
    st.caption(
        f"Unsaved {getattr(scoring.frameworks.get(other), 'label', other)} inputs on {how_many} "
        f"initiative{'s' if how_many != 1 else ''} are kept: switch back to save them."
    )
ranked_count = int(backlog["rank"].notna().sum())
st.caption(
    f"{len(backlog)} open initiatives, {ranked_count} ranked by {framework.label}. Edit the "
    "inputs, owner, status, dates or effort in place: score and rank follow your edits at "
    "once, and Save writes them; every row is checked and nothing is saved while any row has "
    "a problem. Effort is in person-weeks; each framework's effort input comes from it."
)
save_col, discard_col, _ = st.columns([1, 1, 4])
if save_col.button("Save changes", type="primary", disabled=source.empty):
    commands, problems = edits_to_commands(
        source,
        edited,
        framework_id=framework_id,
        framework=framework,
        metric_ids=list(config.metrics.metrics),
    )
    if problems:
        st.error(
            "Nothing was saved. Fix these rows and save again:\n\n"
            + "\n".join(f"- {escape_markdown(str(p))}" for p in problems)
        )
    elif not commands:
        st.info("No changes to save.")
    else:
        try:
            with session_scope(engine()) as session:
                apply_backlog_edits(session=session, actor=person, config=config, edits=commands)
        except BacklogSaveError as exc:
            st.error(
                "Nothing was saved. These rows were refused:\n\n"
                + "\n".join(f"- {escape_markdown(str(p))}" for p in exc.rows)
                + "\n\nYour edits are kept. *Discard edits* reloads the latest values."
            )
        except PermissionDenied as exc:
            st.error(escape_markdown(str(exc)))
        else:
            _backlog_written(
                f"Saved {len(commands)} initiative{'s' if len(commands) != 1 else ''}."
            )
if discard_col.button("Discard edits", disabled=source.empty):
    st.session_state["backlog_generation"] = generation + 1
    st.session_state.pop(source_key, None)
    carry.forget()
    st.rerun()

# Undo the last Save of the table (ui/planning_undo.py).
undo_last_save(actor=person, versions=current, on_done=_backlog_written)

dependencies_view.critical_paths_section(
    versions=current,
    period=quarter_of(today, config.settings.fiscal_year_start_month),
    actor=person,
)

# --- estimator calibration --------------------------------------------------------------------


def calibration_section() -> None:
    """Each estimator's record and the confidences it suggests, with the button to apply them."""
    calibrations, suggestions = data.estimator_calibration(current, framework_id)
    if calibrations.empty:
        st.info("Calibration appears once initiatives with an expected lift have shipped.")
    else:
        st.table(
            pd.DataFrame(
                {
                    "Estimator": calibrations["person"],
                    "Predictions": calibrations["predictions"],
                    "Landed": calibrations["landed"],
                    "Missed": calibrations["missed"],
                    "Hit rate": [
                        "—" if pd.isna(v) else f"{v:.0%}" for v in calibrations["hit_rate"]
                    ],
                    "Average over/under-estimate": [
                        f"{points_text(v)} {t}".strip()
                        for v, t in zip(
                            calibrations["mean_error"], calibrations["tendency"], strict=True
                        )
                    ],
                    "Suggested confidence": [
                        f"{v:.0%}" for v in calibrations["suggested_confidence"]
                    ],
                }
            ).set_index("Estimator")
        )
        st.caption(
            "Measured predictions of each person who set expected lifts (the Impact page has the "
            "ledger). Suggested confidence = (landed + 1) / (landed + missed + 2)."
        )
    if "confidence" not in framework.inputs:
        st.caption(f"{framework.label} has no confidence input, so there is nothing to suggest.")
    elif suggestions:
        how_many = len(suggestions)
        noun = f"initiative{'s' if how_many != 1 else ''}"
        with st.expander(f"{how_many} {noun} would change {framework.label} confidence"):
            st.table(
                pd.DataFrame(
                    {
                        "Initiative": [s.title for s in suggestions],
                        "Estimator": [s.estimator for s in suggestions],
                        "Now": [
                            "—" if s.current is None else f"{s.current:g}" for s in suggestions
                        ],
                        "Suggested": [f"{s.suggested:g}" for s in suggestions],
                    }
                ).set_index("Initiative")
            )
        if st.button(f"Apply suggested confidence to {how_many} {noun}"):
            try:
                with session_scope(engine()) as session:
                    changed = apply_suggested_confidences(
                        session=session,
                        actor=person,
                        config=config,
                        framework_id=framework_id,
                        suggestions=suggestions,
                    )
            except (InputError, PermissionDenied, ConflictError) as exc:
                st.error(escape_markdown(str(exc)))
            else:
                _backlog_written(
                    f"Set {framework.label} confidence on {changed} "
                    f"initiative{'s' if changed != 1 else ''} from the estimators' calibration."
                )
    elif not calibrations.empty:
        st.caption(f"Every {framework.label} confidence already matches its estimator's record.")


st.subheader("Estimator calibration")
calibration = st.expander(
    "Each estimator's record of expected lifts, and the confidence it suggests",
    key=CALIBRATION_OPEN,
    on_change="rerun",
    icon=":material/target:",
)
with calibration:
    if calibration.open:  # measuring every shipped lift is the page's heaviest read
        calibration_section()

# --- value / effort matrix ---------------------------------------------------------------------
st.subheader("Value / effort matrix")
value_split = backlog.attrs.get("value_split")
effort_split = backlog.attrs.get("effort_split")
matrix = charts.matrix(current, framework_id)
if matrix is None or value_split is None or effort_split is None:
    st.info(f"No initiative is scored with {framework.label} yet, so there is nothing to plot.")
else:
    event: Any = draw(matrix, on_select="rerun", selection_mode="pick", key="matrix")
    st.caption(
        f"Dashed lines: the split at the median value ({format_score(value_split)}) and effort "
        f"({effort_split:,.1f} person-weeks); a point on a line counts as high. Click a point "
        "to see the initiative."
    )
    picked = (event.selection.get("pick") or []) if event is not None else []
    if picked:
        chosen = int(picked[0]["id"])
        match = backlog[backlog["id"] == chosen]
        if not match.empty:
            item = match.iloc[0]
            with st.container(border=True):
                st.markdown(f"**{escape_markdown(item['title'])}**")
                rank_text = "unranked" if pd.isna(item["rank"]) else f"#{int(item['rank'])}"
                st.write(
                    escape_markdown(
                        f"Rank {rank_text} · {framework.label} score "
                        f"{format_score(item['score'])} · "
                        f"{item['quadrant']} · owner {item['owner']} · "
                        f"{status_label(item['status'])} · {item['effort_weeks']:g} person-weeks"
                    )
                )
                st.page_link(
                    "pages/initiatives.py",
                    label="Open in Initiatives",
                    icon=":material/checklist:",
                    query_params={"initiative": str(chosen)},
                )

# --- capacity ----------------------------------------------------------------------------------
st.subheader(f"Capacity, next {CAPACITY_WEEKS} weeks")
grid = data.capacity_grid(current, today, CAPACITY_WEEKS)
if grid is None:
    st.info("No team member can own work yet: add people in Admin → People.")
    st.page_link("pages/admin.py", label="Add people in Admin", icon=":material/group_add:")
else:
    st.dataframe(grid.rows, hide_index=True, width="stretch")
    st.caption(
        escape_markdown(
            "Load / capacity hours per week. Capacity = weekly hours × (1 − BAU share) − time off; "
            "planned, running and blocked initiatives load their owner evenly from start to target "
            f"date. 🔴 over-allocated ({grid.over_count} person-weeks"
            + (f": {', '.join(grid.over_people)}" if grid.over_people else "")
            + ")."
        )
    )
    unloaded = data.unloaded_work(current)
    if not unloaded.empty:
        with st.expander(f"{len(unloaded)} planned or running initiatives load nobody"):
            st.dataframe(
                unloaded[["title", "reason"]],
                hide_index=True,
                column_config={"title": "Initiative", "reason": "Why"},
            )

# --- commit ------------------------------------------------------------------------------------
st.subheader(f"Commit plan for week {week}")
existing = data.committed_plan(current, week)


def _framework_label(framework_name: str) -> str:
    spec = scoring.frameworks.get(framework_name)
    return spec.label if spec else framework_name


if existing is not None:
    st.caption(
        escape_markdown(
            f"{week} was committed by {names.get(existing.committed_by, '?')} on "
            f"{existing.committed_at:%d %b %Y %H:%M} UTC, ranked by "
            f"{_framework_label(existing.framework)}"
            f" ({len(existing.snapshot)} initiatives). Committing again replaces it."
        )
    )
with st.form("commit_plan"):
    note = st.text_input("Note (optional)", max_chars=2000, placeholder="What this week is about")
    replace = False
    if existing is not None:
        replace = st.checkbox(f"Replace the plan already committed for {week}")
    submitted = st.form_submit_button(f"Commit plan for week {week}", type="primary")
if submitted:
    try:
        with session_scope(engine()) as session:
            commit_weekly_plan(
                session=session,
                actor=person,
                config=config,
                week=week,
                framework=framework_id,
                replace=replace,
                note=note,
            )
    except PlanAlreadyCommitted as exc:
        st.warning(escape_markdown(f"{exc} Tick “Replace the plan already committed” to do so."))
    except (InputError, PermissionDenied) as exc:
        st.error(escape_markdown(str(exc)))
    else:
        st.session_state[FLASH] = (
            f"Plan for {week} committed: {len(backlog)} initiatives ranked by {framework.label}."
        )
        clear_after_write()
        st.rerun()

planning_scenarios.scenarios_section(
    versions=current,
    person=person,
    week=week,
    framework_id=framework_id,
    framework_label=framework.label,
    first_day=today,
    weeks=CAPACITY_WEEKS,
    flash_key=FLASH,
)

# --- since last week and the decision log ------------------------------------------------------
st.subheader("Since last week")
diff = data.plan_diff(current, week, framework_id)
if diff.previous is None:
    st.info(
        "No plan was committed before this week. Commit this week's plan; next week this "
        "shows what moved."
    )
else:
    shown = "the committed plan" if diff.current_committed else "the live backlog"
    st.caption(
        escape_markdown(
            f"{week} ({shown}) against the plan committed for {diff.previous.week} by "
            f"{names.get(diff.previous.committed_by, '?')}."
        )
    )
    if not diff.same_framework:
        st.caption(
            f"{diff.previous.week} was ranked by {_framework_label(diff.previous.framework)}, "
            f"this week by {_framework_label(diff.framework)}: ranks are compared, scores "
            "are not."
        )
    changes = data.plan_changes(current, week, framework_id, i18n.locale_key())
    if changes.rows is None:
        st.success("Nothing changed since the last plan.")
    else:
        st.write(changes.counts)
        st.dataframe(
            changes.rows,
            hide_index=True,
            width="stretch",
            column_config={
                "initiative": st.column_config.TextColumn("Initiative", width="medium"),
                "change": st.column_config.TextColumn("Change", width="medium"),
                "before": st.column_config.TextColumn("Before", width="medium"),
                "after": st.column_config.TextColumn("After", width="medium"),
            },
        )

planning_decisions.decision_log_section(
    versions=current, person=person, today=today, flash_key=FLASH
)
live_refresh()
