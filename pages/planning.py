"""Weekly planning (directors): the ranked backlog, edited in place and saved on Save; the
value/effort matrix; capacity for the next eight weeks; committing the week's plan; what changed
since last week; and the decision log."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from planning import clock, i18n
from planning.access.permissions import PermissionDenied
from planning.formatting import (
    NO_FIGURE,
    aligned_figures,
    format_count,
    format_entered,
    format_score,
    round_score,
)
from planning.i18n import N_, ngettext, pgettext
from planning.i18n import gettext as _
from planning.periods import iso_week, quarter_of
from planning.store.engine import session_scope
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
from planning.work.initiative_input import TITLE_MAX
from planning.work.initiative_status import HEALTH_LABELS, STATUS_ORDER, status_label
from ui import backlog_carry as carry
from ui import (
    bounded,
    dependencies_view,
    grid_formats,
    planning_decisions,
    planning_scenarios,
    planning_view,
)
from ui import planning_data as data
from ui.address import FRAMEWORK_PARAM, choice_in_address, keep_in_address
from ui.charts import draw
from ui.flash import flash_after_write, show_flash
from ui.grid_formats import input_day_format
from ui.identity import director_or_stop
from ui.planning_calibration import calibration_section
from ui.planning_commit import commit_section, since_last_week_section
from ui.planning_undo import undo_last_save
from ui.quarter_draft_view import running_quarter_caption
from ui.state import app_config, engine, live_refresh, versions
from ui.tables import by_width, effort_column, phone_cards, show_table, stacked_rows
from ui.text import escape_markdown

CAPACITY_WEEKS = 8
FLASH = "planning_flash"
BACKLOG_ROWS = "planning_backlog_rows"  # how many of the ranked backlog the table shows
DRAWN = "planning_backlog_drawn"  # the unedited table's shown rows, kept with their source


def _figure(value: float) -> str:
    """A figure with as many decimals as it has (0.8; German 0,8)."""
    return f"{value:g}" if i18n.english_formats() else i18n.decimal_text(value, decimals=6)


def _weeks(value: float) -> str:
    """Person-weeks with one decimal (1,234.5; German 1.234,5)."""
    return f"{value:,.1f}" if i18n.english_formats() else i18n.fixed_text(value, decimals=1)


st.title(_("Weekly planning"))
person = director_or_stop(
    st.info,
    _(
        "Weekly planning is for directors: they score and rank the backlog and commit the "
        "week's plan. The Initiatives page shows every initiative and its status."
    ),
)

config = app_config()
scoring = config.scoring
current = versions()
today = clock.today()
lang = i18n.locale_key()
week = iso_week(today)
show_flash(FLASH)
running_quarter_caption(
    person=person,
    versions=current,
    period=quarter_of(today, config.settings.fiscal_year_start_month),
)

# --- framework switch --------------------------------------------------------------------------
framework_ids = list(scoring.frameworks)
framework_id = st.segmented_control(
    _("Rank by"),
    framework_ids,
    # The framework lives in the address (?framework=ice): a reload or a shared link keeps it.
    default=choice_in_address(
        FRAMEWORK_PARAM,
        {f: scoring.frameworks[f].label for f in framework_ids},
        scoring.active,
        N_("scoring framework"),
    ),
    format_func=lambda f: _(scoring.frameworks[f].label),
    key="planning_framework",
)
framework_id = framework_id or scoring.active
keep_in_address(FRAMEWORK_PARAM, framework_id)
framework = scoring.frameworks[framework_id]
# Framework names, input labels and help from the shipped scoring.yaml read in the person's
# language (planning.config.scoring marks them); a team's own stay as written.
framework_name = _(framework.label)
carry.remember_on_switch(framework_id)
if framework.description:
    st.caption(_(framework.description))
backlog = data.ranked_backlog(current, framework_id)
view = planning_view.view(current, framework_id, today, CAPACITY_WEEKS, lang)
owners = view.owners
names = view.names

# --- the ranked backlog, editable --------------------------------------------------------------
st.subheader(_("Ranked backlog"))
generation = st.session_state.setdefault("backlog_generation", 0)
editor_key = f"backlog_editor_{framework_id}_{generation}"
source_key = f"backlog_source_{framework_id}_{generation}"


def _backlog_written(message: str) -> None:
    """After a write to the backlog: the table reloads from the store and says what was done."""
    st.session_state["backlog_generation"] = generation + 1
    st.session_state.pop(source_key, None)
    carry.forget(framework_id)
    flash_after_write(FLASH, message)


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


def _table_top(table: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first `limit` rows as the table shows them, and the rows below them.

    Rank and score read as people read them (960,917 · 9.6, a dash when unranked: its reason is
    beside it) and, padded to one width, still sort by number; the page recomputes both from the
    inputs and never reads them back. The derived effort input is rounded alike. The table shows
    the top of the ranking (ui/bounded.py); the rows below keep their values and kept edits, so
    Save and a framework switch still see all of them.
    """
    top = table.iloc[:limit]
    top = top.assign(
        rank=aligned_figures(top["rank"].astype("float64").tolist(), lambda r: f"{r:.0f}"),
        score=aligned_figures(top["score"].astype("float64").tolist(), format_score),
        quadrant=["—" if pd.isna(q) else _(str(q)) for q in top["quadrant"]],
    )
    if EFFORT_INPUT in top.columns:
        efforts = top[EFFORT_INPUT].map(round_score).astype("float64").tolist()
        top[EFFORT_INPUT] = grid_formats.figures(efforts, format_score)
    return top, table.iloc[limit:]


def _ranking_cards(table: pd.DataFrame) -> list[dict[str, str]]:
    """The shown rows as a phone's ranking: "3. Title" as each card's title, then the score,
    owner, status and health, or why the initiative is unranked."""
    cards = []
    for row in table.to_dict("records"):
        rank, score = str(row["rank"]).strip(), str(row["score"]).strip()
        ranked = rank != NO_FIGURE
        health = row.get("health")
        cards.append(
            {
                "title": f"{rank}. {row['title']}" if ranked else str(row["title"]),
                "score": _("Score {score}").format(score=score) if ranked else "",
                "owner": names.get(int(row["owner_id"]), ""),
                "status": _(status_label(str(row["status"]))),
                "health": "" if pd.isna(health) else _(HEALTH_LABELS.get(health, str(health))),
                "problems": "" if pd.isna(row.get("problems")) else str(row["problems"]),
            }
        )
    return cards


def _input_column_config(input_id: str) -> Any:
    # Reach reads 150,000 (150.000 in a German team) in any browser; see ui/grid_formats.py.
    spec = framework.inputs[input_id]
    if spec.scale is not None:
        return st.column_config.SelectboxColumn(
            _(spec.label),
            options=list(spec.scale),
            format_func=format_entered,  # 0,5 in a German team
            help=_(spec.help) or None,
        )
    return st.column_config.NumberColumn(
        _(spec.label),
        min_value=spec.minimum,
        max_value=spec.maximum,
        help=_(spec.help) or None,
        format=grid_formats.number_format(source[input_column(input_id)]),
    )


owner_options = sorted(set(owners) | set(source["owner_id"].astype(int)))
column_config: dict[str, Any] = {
    "rank": st.column_config.TextColumn(_("Rank"), width=60),
    "score": st.column_config.TextColumn(_("Score"), width=90),
    "title": st.column_config.TextColumn(_("Initiative"), required=True, max_chars=TITLE_MAX),
    "owner_id": st.column_config.SelectboxColumn(
        _("Owner"),
        options=owner_options,
        format_func=lambda pid: names.get(pid, f"#{pid}"),
        required=True,
    ),
    "status": st.column_config.SelectboxColumn(
        _("Status"),
        options=list(STATUS_ORDER),
        format_func=lambda s: _(status_label(s)),
        required=True,
    ),
    "health": st.column_config.SelectboxColumn(
        _("Health"),
        options=list(HEALTH_LABELS),
        format_func=lambda h: _(HEALTH_LABELS.get(h, h)),
    ),
    "start_date": st.column_config.DateColumn(_("Start"), format=input_day_format()),
    "target_date": st.column_config.DateColumn(
        pgettext("date", "Target"), format=input_day_format()
    ),
    "effort_weeks": effort_column(),
    "quadrant": st.column_config.TextColumn(_("Quadrant")),
    "problems": st.column_config.TextColumn(_("Why unranked")),
}
input_columns = [input_column(i) for i in framework.inputs]
for input_id in framework.inputs:
    column_config[input_column(input_id)] = _input_column_config(input_id)
extra_columns: list[str] = []
derived_columns: list[str] = []
if EFFORT_INPUT in source.columns:
    effort_help = _("Derived from the effort in person-weeks (config/scoring.yaml, effort)")
    if i18n.decimal_symbol() == ".":
        column_config[EFFORT_INPUT] = st.column_config.NumberColumn(
            effort_input_label(framework),
            format=grid_formats.number_format(source[EFFORT_INPUT]),
            help=effort_help,
        )
    else:  # read-only, so written as text in the team's format (0,81), aligned so it sorts
        column_config[EFFORT_INPUT] = st.column_config.TextColumn(
            effort_input_label(framework), help=effort_help
        )
    derived_columns = [EFFORT_INPUT]
if framework.formula == "expected_value":
    metrics = config.metrics.metrics
    column_config["lift_metric"] = st.column_config.SelectboxColumn(
        _("Lift metric"), options=list(metrics), format_func=lambda m: metrics[m].label
    )
    column_config[LIFT_POINTS] = st.column_config.NumberColumn(
        _("Expected lift %"),
        format=grid_formats.decimal_format("%.1f%%"),
        help=_("Relative change: 8 means +8 %"),
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
rest = source.iloc[:0]  # the rows below the table's top, joined to it only for a Save
if source.empty:
    st.info(_("The backlog is empty: no idea, planned, running or blocked initiative yet."))
    edited = source
else:
    # Score and rank follow the pending edits (and those kept across a framework switch) at
    # once; nothing is written before Save.
    if _pending(editor_key) or kept:
        pending: Any = st.session_state.get(editor_key) or {}
        scored = data.live_scores(
            current,
            carry.with_carried(source, framework_id),
            pending.get("edited_rows"),
            framework_id,
        )
        limit = bounded.rows_shown(BACKLOG_ROWS, len(scored))
        shown, rest = _table_top(scored, limit)
    else:
        # Nothing edited: the rows drawn from this table before, as long as the same number of
        # them is shown in the same language.
        limit = bounded.rows_shown(BACKLOG_ROWS, len(source))
        drawn = st.session_state.get(DRAWN)
        if drawn is None or drawn[0] is not source or drawn[1] != (limit, lang):
            drawn = (source, (limit, lang), *_table_top(source, limit))
            st.session_state[DRAWN] = drawn
        shown, rest = drawn[2], drawn[3]
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
    # A phone reads the ranking as cards; the editable grid, which scrolled sideways there,
    # shows from 641 px up.
    phone_cards(
        stacked_rows(
            _ranking_cards(shown),
            {},
            compact=True,
            note=_(
                "The ranking, best first. Editing it needs a wider screen, 641 px or more (a "
                "phone turned sideways)."
            ),
        )
    )
    bounded.more_rows(
        BACKLOG_ROWS,
        shown=limit,
        total=len(source),
        hint=_("The Initiatives page finds any initiative by its filters."),
    )
    carry.note_table(framework_id, source, edited, rest)
if kept:
    st.caption(
        ngettext(
            "Your unsaved edits to {count} initiative are kept across the framework switch: "
            "Save changes or Discard edits.",
            "Your unsaved edits to {count} initiatives are kept across the framework switch: "
            "Save changes or Discard edits.",
            len(kept),
        ).format(count=format_count(len(kept)))
    )
for other, how_many in carry.waiting_elsewhere(framework_id).items():
    st.caption(
        ngettext(
            "Unsaved {framework} inputs on {count} initiative are kept: switch back to save them.",
            "Unsaved {framework} inputs on {count} initiatives are kept: switch back to save them.",
            how_many,
        ).format(
            framework=_(getattr(scoring.frameworks.get(other), "label", other)),
            count=format_count(how_many),
        )
    )
if not backlog.empty:  # an empty backlog has its note above, and no table to edit
    counts = ngettext(
        "{open} open initiative, {ranked} ranked by {framework}.",
        "{open} open initiatives, {ranked} ranked by {framework}.",
        len(backlog),
    ).format(
        open=format_count(len(backlog)),
        ranked=format_count(int(backlog["rank"].notna().sum())),
        framework=framework_name,
    )
    # How to edit speaks of the grid, which a phone does not show (its cards say why).
    wide, narrow = by_width("backlog-caption")
    narrow.caption(counts)
    wide.caption(
        counts
        + " "
        + _(
            "Edit the inputs, owner, status, dates or effort in place: score and rank follow "
            "your edits at once, and Save writes them; every row is checked and nothing is "
            "saved while any row has a problem. Effort is in person-weeks; each framework's "
            "effort input comes from it."
        )
    )
save_col, discard_col, _rest = st.columns([1.5, 1.5, 3])  # room for "Änderungen speichern"
if save_col.button(_("Save changes"), type="primary", disabled=source.empty):
    commands, problems = edits_to_commands(
        source,
        pd.concat([edited, rest]) if not rest.empty else edited,
        framework_id=framework_id,
        framework=framework,
        metric_ids=list(config.metrics.metrics),
    )
    if problems:
        st.error(
            _("Nothing was saved. Fix these rows and save again:")
            + "\n\n"
            + "\n".join(f"- {escape_markdown(str(p))}" for p in problems)
        )
    elif not commands:
        st.info(_("No changes to save."))
    else:
        try:
            with session_scope(engine()) as session:
                apply_backlog_edits(session=session, actor=person, config=config, edits=commands)
        except BacklogSaveError as exc:
            st.error(
                _("Nothing was saved. These rows were refused:")
                + "\n\n"
                + "\n".join(f"- {escape_markdown(str(p))}" for p in exc.rows)
                + "\n\n"
                + _("Your edits are kept. *Discard edits* reloads the latest values.")
            )
        except PermissionDenied as exc:
            st.error(escape_markdown(str(exc)))
        else:
            _backlog_written(
                ngettext(
                    "Saved {count} initiative.", "Saved {count} initiatives.", len(commands)
                ).format(count=format_count(len(commands)))
            )
if discard_col.button(_("Discard edits"), disabled=source.empty):
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

calibration_section(
    versions=current,
    person=person,
    config=config,
    framework_id=framework_id,
    framework_label=framework_name,
    inputs=framework.inputs,
    on_written=_backlog_written,
)

# --- value / effort matrix ---------------------------------------------------------------------
st.subheader(_("Value / effort matrix"))
value_split = backlog.attrs.get("value_split")
effort_split = backlog.attrs.get("effort_split")
matrix = view.matrix
if matrix is None or value_split is None or effort_split is None:
    st.info(
        _("No initiative is scored with {framework} yet, so there is nothing to plot.").format(
            framework=framework_name
        )
    )
else:
    event: Any = draw(matrix, on_select="rerun", selection_mode="pick", key="matrix")
    st.caption(
        _(
            "Dashed lines: the split at the median value ({value}) and effort ({effort} "
            "person-weeks); a point on a line counts as high. Click a point to see the "
            "initiative."
        ).format(value=format_score(value_split), effort=_weeks(effort_split))
    )
    picked = (event.selection.get("pick") or []) if event is not None else []
    if picked:
        chosen = int(picked[0]["id"])
        match = backlog[backlog["id"] == chosen]
        if not match.empty:
            item = match.iloc[0]
            with st.container(border=True):
                st.markdown(f"**{escape_markdown(item['title'])}**")
                rank_text = _("unranked") if pd.isna(item["rank"]) else f"#{int(item['rank'])}"
                st.write(
                    escape_markdown(
                        _(
                            "Rank {rank} · {framework} score {score} · {quadrant} · owner "
                            "{owner} · {status} · {effort} person-weeks"
                        ).format(
                            rank=rank_text,
                            framework=framework_name,
                            score=format_score(item["score"]),
                            quadrant=_(str(item["quadrant"])),
                            owner=item["owner"],
                            status=_(status_label(item["status"])),
                            effort=_figure(item["effort_weeks"]),
                        )
                    )
                )
                st.page_link(
                    "pages/initiatives.py",
                    label=_("Open in Initiatives"),
                    icon=":material/checklist:",
                    query_params={"initiative": str(chosen)},
                )

# --- capacity ----------------------------------------------------------------------------------
st.subheader(_("Capacity, next {weeks} weeks").format(weeks=CAPACITY_WEEKS))
grid = view.capacity
if grid is None:
    st.info(_("No team member can own work yet: add people in Admin → People."))
    st.page_link("pages/admin.py", label=_("Add people in Admin"), icon=":material/group_add:")
else:
    show_table(grid.rows)  # a card per person on a phone
    over = (
        "🔴 "
        + _("over-allocated ({count} person-weeks: {people})").format(
            count=format_count(grid.over_count), people=", ".join(grid.over_people)
        )
        if grid.over_people
        else _("Nobody is over-allocated in these weeks")
    )
    st.caption(
        escape_markdown(
            _(
                "Load / capacity hours per week. Capacity = weekly hours × (1 − BAU share) − "
                "time off; planned, running and blocked initiatives load their owner evenly from "
                "start to target date."
            )
            + f" {over}."
        )
    )
    unloaded = view.unloaded
    if unloaded is not None:
        with st.expander(
            ngettext(
                "{count} planned or running initiative loads nobody",
                "{count} planned or running initiatives load nobody",
                unloaded.count,
            ).format(count=format_count(unloaded.count))
        ):
            st.dataframe(
                unloaded.rows,
                hide_index=True,
                column_config={"title": _("Initiative"), "reason": _("Why")},
            )

commit_section(
    versions=current,
    person=person,
    config=config,
    week=week,
    framework_id=framework_id,
    framework_label=framework_name,
    ranked_count=len(backlog),
    names=names,
    flash_key=FLASH,
)

planning_scenarios.scenarios_section(
    versions=current,
    person=person,
    week=week,
    framework_id=framework_id,
    framework_label=framework_name,
    first_day=today,
    weeks=CAPACITY_WEEKS,
    flash_key=FLASH,
)

since_last_week_section(
    versions=current, week=week, framework_id=framework_id, names=names, scoring=scoring
)
planning_decisions.decision_log_section(
    versions=current, person=person, today=today, flash_key=FLASH
)
live_refresh()
