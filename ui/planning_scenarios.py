"""Weekly planning's scenarios: make a named draft of the week's plan, edit it, compare it with
the committed plan, and commit it or throw it away (planning.work.scenarios does the work)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.formatting import format_count, format_day, format_local_moment, format_value
from planning.i18n import N_, ngettext, pgettext
from planning.i18n import gettext as _
from planning.periods import iso_week
from planning.store.engine import session_scope
from planning.store.models import PersonRead
from planning.store.models_scenarios import PlanScenarioRead
from planning.store.versioning import ConflictError
from planning.validation import InputError
from planning.work import scenario_plan, scenarios
from planning.work.scenario_compare import MOVE_LABELS, PlanComparison
from planning.work.weekly_plan import PlanAlreadyCommitted
from ui import planning_data as data
from ui import scenario_data as sdata
from ui.confirm_write import run_write
from ui.flash import flash_after_write
from ui.grid_formats import day_format
from ui.planning_commit import commit_form
from ui.planning_data import hours_text
from ui.state import Versions, app_config, engine
from ui.tables import effort_column, show_table
from ui.text import escape_markdown

PICK = "scenario_pick"
VIEW = "scenario_view"
VIEWS = {
    "edit": N_("Edit the draft"),
    "compare": N_("Compare with the committed plan"),
    "commit": N_("Commit or throw away"),
}


def _initiatives(count: int) -> str:
    return ngettext("{count} initiative", "{count} initiatives", count).format(
        count=format_count(count)
    )


def _refusal(exc: Exception) -> str:
    if isinstance(exc, InputError):
        return "\n".join(f"- {escape_markdown(p)}" for p in exc.problems)
    return escape_markdown(str(exc))


def scenarios_section(
    *,
    versions: Versions,
    person: PersonRead,
    week: str,
    framework_id: str,
    framework_label: str,
    first_day: date,
    weeks: int,
    flash_key: str,
) -> None:
    """The Scenarios section: pick or make a draft, then edit, compare or commit it."""
    st.subheader(_("Scenarios for week {week}").format(week=week))
    st.caption(
        _(
            "A scenario is a named draft of this week's plan: move initiatives into or out of "
            "the plan, change owners, effort or dates, and compare the draft with the committed "
            "plan. Nothing in a draft changes an initiative until you commit it; committing saves "
            "its changes and commits the week's plan in one step."
        )
    )
    drafts = sdata.week_scenarios(versions, week)
    _new_scenario_form(person=person, week=week, flash_key=flash_key)
    if not drafts:
        st.info(_("No scenario for {week} yet: name one above to start a draft.").format(week=week))
        return
    by_id = {s.id: s for s in drafts}
    if st.session_state.get(PICK) not in by_id:
        st.session_state.pop(PICK, None)
    chosen = st.selectbox(_("Scenario"), list(by_id), format_func=lambda i: by_id[i].name, key=PICK)
    scenario = by_id[chosen if chosen in by_id else next(iter(by_id))]
    st.caption(
        escape_markdown(
            _("“{name}” changes {initiatives}; last saved {moment}.").format(
                name=scenario.name,
                initiatives=_initiatives(len(scenario.changes)),
                moment=format_local_moment(scenario.updated_at),
            )
        )
    )
    if st.session_state.get(VIEW) not in VIEWS:
        st.session_state[VIEW] = "edit"
    view = st.segmented_control(_("Show"), list(VIEWS), format_func=lambda v: _(VIEWS[v]), key=VIEW)
    if view == "compare":
        _compare(versions=versions, scenario=scenario, first_day=first_day, weeks=weeks)
    elif view == "commit":
        _commit(
            versions=versions,
            person=person,
            scenario=scenario,
            framework_id=framework_id,
            framework_label=framework_label,
            flash_key=flash_key,
        )
    else:
        _edit(versions=versions, person=person, scenario=scenario, flash_key=flash_key)


def _new_scenario_form(*, person: PersonRead, week: str, flash_key: str) -> None:
    with st.form("new_scenario", border=False, clear_on_submit=True):
        name_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
        name = name_col.text_input(
            _("Name of a new scenario"),
            max_chars=scenarios.NAME_MAX,
            placeholder=_("For example: Lean week"),
        )
        made = button_col.form_submit_button(_("Make a scenario"))
    if not made:
        return
    scenario = run_write(
        lambda session: scenarios.create_scenario(
            session=session, actor=person, week=week, name=name
        ),
        refusals=(InputError, PermissionDenied),
        explain=lambda exc: _("No scenario was made:") + "\n\n" + _refusal(exc),
    )
    if scenario is None:
        return
    st.session_state[PICK] = scenario.id
    st.session_state[VIEW] = "edit"
    flash_after_write(
        flash_key, _("Scenario “{name}” made: edit it below.").format(name=scenario.name)
    )


# --- edit --------------------------------------------------------------------------------------


def _edit(
    *, versions: Versions, person: PersonRead, scenario: PlanScenarioRead, flash_key: str
) -> None:
    plan = sdata.live_plan(versions)
    stale = sdata.stale_changes(plan, scenario)
    if stale:
        _bring_up_to_date(
            plan=plan, scenario=scenario, stale=stale, person=person, flash_key=flash_key
        )
    shown = sdata.draft_table(versions, scenario.id)
    names = data.person_names(versions)
    owners = data.owners(versions)
    edited = st.data_editor(
        shown,
        key=f"scenario_editor_{scenario.id}_{scenario.version}",
        column_order=list(sdata.DRAFT_COLUMNS),
        column_config={
            "title": st.column_config.TextColumn(_("Initiative"), width="medium"),
            "now": st.column_config.TextColumn(_("Status now"), width="small"),
            "in_plan": st.column_config.CheckboxColumn(
                _("In plan"), help=_("Ticked: planned this week (it loads its owner's capacity)")
            ),
            "owner_id": st.column_config.SelectboxColumn(
                _("Owner"),
                options=sorted(set(owners) | set(shown["owner_id"].astype(int))),
                format_func=lambda pid: names.get(int(pid), f"#{pid}"),
                required=True,
            ),
            "effort_weeks": effort_column(),
            "start_date": st.column_config.DateColumn(_("Start"), format=day_format()),
            "target_date": st.column_config.DateColumn(
                pgettext("date", "Target"), format=day_format()
            ),
            "draft": st.column_config.TextColumn(_("In the draft"), width="small"),
        },
        disabled=["title", "now", "draft"],
        hide_index=True,
        num_rows="fixed",
        width="stretch",
    )
    st.caption(
        _(
            "Tick In plan to bring an idea into this week's plan, untick it to take planned work "
            "out (back to an idea). Rows the draft changes come first. Save the draft to keep "
            "your edits; the initiatives change only when the scenario is committed."
        )
    )
    if not st.button(_("Save the draft"), type="primary", key=f"scenario_save_{scenario.id}"):
        return
    changes, problems = scenario_plan.changes_from_table(
        items=plan.items,
        versions=plan.versions,
        shown=shown,
        edited=edited,
        kept=scenarios.draft_changes(scenario),
    )
    if problems:
        st.error(
            _("Nothing was saved. Fix these rows and save again:")
            + "\n\n"
            + "\n".join(f"- {escape_markdown(p)}" for p in problems)
        )
        return
    saved = _save_draft(person, scenario, changes, refused=_("Nothing was saved:"))
    if saved is None:
        return
    flash_after_write(
        flash_key,
        _("Draft “{name}” saved: it changes {initiatives}.").format(
            name=saved.name, initiatives=_initiatives(len(saved.changes))
        ),
    )


def _save_draft(
    person: PersonRead,
    scenario: PlanScenarioRead,
    changes: Sequence[scenarios.DraftChange],
    *,
    refused: str,
) -> PlanScenarioRead | None:
    """Save a draft's changes from the version shown; a refusal is shown under `refused` (the
    heading that says nothing was changed) and None returned."""
    return run_write(
        lambda session: scenarios.save_scenario(
            session=session,
            actor=person,
            scenario_id=scenario.id,
            expected_version=scenario.version,
            changes=changes,
        ),
        refusals=(InputError, PermissionDenied, ConflictError),
        explain=lambda exc: refused + "\n\n" + _refusal(exc),
    )


def _bring_up_to_date(
    *,
    plan: sdata.LivePlan,
    scenario: PlanScenarioRead,
    stale: list[scenarios.DraftChange],
    person: PersonRead,
    flash_key: str,
) -> None:
    """Say which rows changed underneath the draft, and offer to base them on the latest values
    (rows whose initiative left the backlog are dropped from the draft)."""
    titles = ", ".join(f"“{c.title}”" for c in stale[:5]) + (" …" if len(stale) > 5 else "")
    st.warning(
        escape_markdown(
            ngettext(
                "{count} initiative in this draft changed since the draft changed it ({titles}): "
                "a commit is refused until the draft is brought up to date. Bringing it up to "
                "date keeps the draft's values on the latest version of each.",
                "{count} initiatives in this draft changed since the draft changed them "
                "({titles}): a commit is refused until the draft is brought up to date. Bringing "
                "it up to date keeps the draft's values on the latest version of each.",
                len(stale),
            ).format(count=format_count(len(stale)), titles=titles)
        )
    )
    if not st.button(_("Bring the draft up to date"), key=f"scenario_rebase_{scenario.id}"):
        return
    rebased = [
        scenarios.DraftChange(c.initiative_id, plan.versions[c.initiative_id], c.fields, c.title)
        for c in scenarios.draft_changes(scenario)
        if c.initiative_id in plan.versions
    ]
    if _save_draft(person, scenario, rebased, refused=_("The draft was not changed:")) is None:
        return
    flash_after_write(flash_key, _("Draft “{name}” brought up to date.").format(name=scenario.name))


# --- compare -----------------------------------------------------------------------------------


def capacity_grid(result: PlanComparison) -> pd.DataFrame:
    """Person × week cells: committed load → draft load / capacity, flagged when over."""
    person = _("Person")
    rows = []
    for cell in result.capacity:
        flag = "🔴 " if cell.draft_over else ("🟢 " if cell.committed_over else "")
        rows.append(
            {
                person: cell.name,
                "week": f"{iso_week(cell.week_start)[-3:]} · "
                f"{format_day(cell.week_start, year=False)}",
                "cell": f"{flag}{hours_text(cell.committed_hours)} → "
                f"{hours_text(cell.draft_hours)} / {hours_text(cell.capacity_hours)} h",
            }
        )
    frame = pd.DataFrame(rows, columns=[person, "week", "cell"])
    people = list(dict.fromkeys(frame[person]))
    weeks = list(dict.fromkeys(frame["week"]))
    grid = frame.pivot(index=person, columns="week", values="cell")
    return grid.reindex(index=people, columns=weeks).reset_index()


def _against(difference: int) -> str | None:
    """A metric's delta against the committed plan; none when the draft is the same."""
    if not difference:
        return None
    figure = f"{difference:+,}" if i18n.english_formats() else f"{difference:+}"
    return _("{change} against committed").format(change=figure)


def _compare(
    *, versions: Versions, scenario: PlanScenarioRead, first_day: date, weeks: int
) -> None:
    plan = sdata.live_plan(versions)
    result = sdata.comparison(versions, scenario.id, first_day, weeks)
    committed_in = sum(item.in_plan for item in plan.items)
    kinds = [m.kind for m in result.moves]
    draft_in = committed_in + kinds.count("in") - kinds.count("out")
    over_col, plan_col, moved_col = st.columns(3)
    over_col.metric(
        _("Over-allocated person-weeks"),
        format_count(result.draft_over),
        delta=_against(result.draft_over - result.committed_over),
        delta_color="inverse",
    )
    plan_col.metric(
        _("Initiatives in the plan"),
        format_count(draft_in),
        delta=_against(draft_in - committed_in),
        delta_color="off",
    )
    moved_col.metric(_("Initiatives the draft changes"), format_count(len(result.moves)))

    st.markdown("**" + _("What moved") + "**")
    if not result.moves:
        st.caption(_("The draft changes nothing yet: edit it first."))
    else:
        show_table(
            pd.DataFrame(
                {
                    _("Initiative"): [m.title for m in result.moves],
                    _("Move"): [_(MOVE_LABELS[m.kind]) for m in result.moves],
                    _("What changes"): ["; ".join(m.details) for m in result.moves],
                }
            )
        )

    st.markdown("**" + _("Capacity per person, next {weeks} weeks").format(weeks=weeks) + "**")
    show_table(capacity_grid(result))
    st.caption(
        _(
            "Hours of load: committed plan → this draft / capacity. 🔴 over capacity in the "
            "draft ({draft} person-weeks, {committed} committed); 🟢 over in the committed plan, "
            "within capacity in the draft."
        ).format(draft=result.draft_over, committed=result.committed_over)
    )

    st.markdown("**" + _("Expected value per key result") + "**")
    symbol = app_config().settings.currency_symbol
    if not plan.has_value:
        st.caption(_("No scoring framework computes expected value, so there is none to compare."))
    elif not result.values:
        st.caption(_("No initiative in either plan is linked to a key result."))
    else:

        def money(value: float) -> str:
            return _("{amount} a week").format(
                amount=format_value(value, "money", currency_symbol=symbol)
            )

        show_table(
            pd.DataFrame(
                {
                    _("Key result"): [v.title for v in result.values],
                    _("Committed plan"): [money(v.committed_value) for v in result.values],
                    _("This draft"): [money(v.draft_value) for v in result.values],
                    _("Change"): [
                        money(v.draft_value - v.committed_value)
                        if v.draft_value != v.committed_value
                        else "—"
                        for v in result.values
                    ],
                    _("Initiatives"): [
                        f"{v.committed_count} → {v.draft_count}" for v in result.values
                    ],
                }
            )
        )
        st.caption(
            _(
                "Expected weekly gross profit gain of the planned initiatives linked to each key "
                "result (baseline × expected lift × confidence); an initiative linked to two key "
                "results counts for each."
            )
        )


# --- commit or throw away ----------------------------------------------------------------------


def _commit(
    *,
    versions: Versions,
    person: PersonRead,
    scenario: PlanScenarioRead,
    framework_id: str,
    framework_label: str,
    flash_key: str,
) -> None:
    week = scenario.week
    existing = data.committed_plan(versions, week)
    st.caption(
        escape_markdown(
            ngettext(
                "Committing “{name}” saves its {count} change to the initiatives and commits the "
                "plan for {week} ranked by {framework}, all at once. If an initiative in the "
                "draft changed since, nothing is written.",
                "Committing “{name}” saves its {count} changes to the initiatives and commits "
                "the plan for {week} ranked by {framework}, all at once. If an initiative in the "
                "draft changed since, nothing is written.",
                len(scenario.changes),
            ).format(
                name=scenario.name,
                count=format_count(len(scenario.changes)),
                week=week,
                framework=framework_label,
            )
        )
    )
    commit, note, replace = commit_form(
        key=f"commit_scenario_{scenario.id}",
        week=week,
        already_committed=existing is not None,
        submit_label=_("Commit this scenario for {week}").format(week=week),
    )
    if commit:
        try:
            with session_scope(engine()) as session:
                scenarios.commit_scenario(
                    session=session,
                    actor=person,
                    config=app_config(),
                    scenario_id=scenario.id,
                    expected_version=scenario.version,
                    framework=framework_id,
                    replace=replace,
                    note=note,
                )
        except PlanAlreadyCommitted as exc:
            st.warning(escape_markdown(f"{exc} " + _("Tick “Replace the plan already committed”.")))
        except scenarios.ScenarioCommitError as exc:
            st.error(_("Nothing was committed. The draft no longer fits:") + "\n\n" + _refusal(exc))
        except (InputError, PermissionDenied, ConflictError) as exc:
            st.error(_("Nothing was committed:") + "\n\n" + _refusal(exc))
        else:
            st.session_state.pop(PICK, None)
            flash_after_write(
                flash_key,
                _(
                    "Scenario “{name}” committed: {initiatives} changed and the plan for {week} "
                    "committed."
                ).format(
                    name=scenario.name,
                    initiatives=_initiatives(len(scenario.changes)),
                    week=week,
                ),
            )
    with st.form(f"discard_scenario_{scenario.id}"):
        sure = st.checkbox(_("Yes, throw this draft away"))
        discard = st.form_submit_button(_("Throw the scenario away"))
    if not discard:
        return
    if not sure:
        st.warning(_("Tick “Yes, throw this draft away” first: nothing was thrown away."))
        return
    try:
        with session_scope(engine()) as session:
            scenarios.discard_scenario(
                session=session,
                actor=person,
                scenario_id=scenario.id,
                expected_version=scenario.version,
            )
    except (InputError, PermissionDenied, ConflictError) as exc:
        st.error(_("Nothing was thrown away:") + "\n\n" + _refusal(exc))
        return
    st.session_state.pop(PICK, None)
    flash_after_write(
        flash_key,
        _("Scenario “{name}” thrown away; the plan is as it was.").format(name=scenario.name),
    )
