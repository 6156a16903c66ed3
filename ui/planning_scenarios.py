"""Weekly planning's scenarios: make a named draft of the week's plan, edit it, compare it with
the committed plan, and commit it or throw it away (planning.work.scenarios does the work)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from planning.access.permissions import PermissionDenied
from planning.formatting import format_value
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
from ui.state import Versions, app_config, clear_after_write, engine
from ui.text import escape_markdown

PICK = "scenario_pick"
VIEW = "scenario_view"
VIEWS = {
    "edit": "Edit the draft",
    "compare": "Compare with the committed plan",
    "commit": "Commit or throw away",
}


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _written(message: str, flash_key: str) -> None:
    st.session_state[flash_key] = message
    clear_after_write()
    st.rerun()


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
    st.subheader(f"Scenarios for week {week}")
    st.caption(
        "A scenario is a named draft of this week's plan: move initiatives into or out of the "
        "plan, change owners, effort or dates, and compare the draft with the committed plan. "
        "Nothing in a draft changes an initiative until you commit it; committing saves its "
        "changes and commits the week's plan in one step."
    )
    drafts = sdata.week_scenarios(versions, week)
    _new_scenario_form(person=person, week=week, flash_key=flash_key)
    if not drafts:
        st.info(f"No scenario for {week} yet: name one above to start a draft.")
        return
    by_id = {s.id: s for s in drafts}
    if st.session_state.get(PICK) not in by_id:
        st.session_state.pop(PICK, None)
    chosen = st.selectbox("Scenario", list(by_id), format_func=lambda i: by_id[i].name, key=PICK)
    scenario = by_id[chosen if chosen in by_id else next(iter(by_id))]
    st.caption(
        escape_markdown(
            f"“{scenario.name}” changes {_plural(len(scenario.changes), 'initiative')}; "
            f"last saved {scenario.updated_at:%d %b %Y %H:%M} UTC."
        )
    )
    if st.session_state.get(VIEW) not in VIEWS:
        st.session_state[VIEW] = "edit"
    view = st.segmented_control("Show", list(VIEWS), format_func=lambda v: VIEWS[v], key=VIEW)
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
            "Name of a new scenario",
            max_chars=scenarios.NAME_MAX,
            placeholder="For example: Lean week",
        )
        made = button_col.form_submit_button("Make a scenario")
    if not made:
        return
    try:
        with session_scope(engine()) as session:
            scenario = scenarios.create_scenario(
                session=session, actor=person, week=week, name=name
            )
    except (InputError, PermissionDenied) as exc:
        st.error("No scenario was made:\n\n" + _refusal(exc))
        return
    st.session_state[PICK] = scenario.id
    st.session_state[VIEW] = "edit"
    _written(f"Scenario “{scenario.name}” made: edit it below.", flash_key)


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
        column_order=[
            "title",
            "now",
            "in_plan",
            "owner_id",
            "effort_weeks",
            "start_date",
            "target_date",
            "draft",
        ],
        column_config={
            "title": st.column_config.TextColumn("Initiative", width="medium"),
            "now": st.column_config.TextColumn("Status now", width="small"),
            "in_plan": st.column_config.CheckboxColumn(
                "In plan", help="Ticked: planned this week (it loads its owner's capacity)"
            ),
            "owner_id": st.column_config.SelectboxColumn(
                "Owner",
                options=sorted(set(owners) | set(shown["owner_id"].astype(int))),
                format_func=lambda pid: names.get(int(pid), f"#{pid}"),
                required=True,
            ),
            "effort_weeks": st.column_config.NumberColumn(
                "Effort (person-weeks)", min_value=0.0, max_value=520.0, step=0.5, format="%.1f"
            ),
            "start_date": st.column_config.DateColumn("Start", format="D MMM YYYY"),
            "target_date": st.column_config.DateColumn("Target", format="D MMM YYYY"),
            "draft": st.column_config.TextColumn("In the draft", width="small"),
        },
        disabled=["title", "now", "draft"],
        hide_index=True,
        num_rows="fixed",
        width="stretch",
    )
    st.caption(
        "Tick In plan to bring an idea into this week's plan, untick it to take planned work out "
        "(back to an idea). Rows the draft changes come first. Save the draft to keep your "
        "edits; the initiatives change only when the scenario is committed."
    )
    if not st.button("Save the draft", type="primary", key=f"scenario_save_{scenario.id}"):
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
            "Nothing was saved. Fix these rows and save again:\n\n"
            + "\n".join(f"- {escape_markdown(p)}" for p in problems)
        )
        return
    try:
        with session_scope(engine()) as session:
            saved = scenarios.save_scenario(
                session=session,
                actor=person,
                scenario_id=scenario.id,
                expected_version=scenario.version,
                changes=changes,
            )
    except (InputError, PermissionDenied, ConflictError) as exc:
        st.error("Nothing was saved:\n\n" + _refusal(exc))
        return
    _written(
        f"Draft “{saved.name}” saved: it changes {_plural(len(saved.changes), 'initiative')}.",
        flash_key,
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
            f"{_plural(len(stale), 'initiative')} in this draft changed since the draft changed "
            f"{'it' if len(stale) == 1 else 'them'} ({titles}): a commit is refused until the "
            "draft is brought up to date. Bringing it up to date keeps the draft's values on "
            "the latest version of each."
        )
    )
    if not st.button("Bring the draft up to date", key=f"scenario_rebase_{scenario.id}"):
        return
    rebased = [
        scenarios.DraftChange(c.initiative_id, plan.versions[c.initiative_id], c.fields, c.title)
        for c in scenarios.draft_changes(scenario)
        if c.initiative_id in plan.versions
    ]
    try:
        with session_scope(engine()) as session:
            scenarios.save_scenario(
                session=session,
                actor=person,
                scenario_id=scenario.id,
                expected_version=scenario.version,
                changes=rebased,
            )
    except (InputError, PermissionDenied, ConflictError) as exc:
        st.error("The draft was not changed:\n\n" + _refusal(exc))
        return
    _written(f"Draft “{scenario.name}” brought up to date.", flash_key)


# --- compare -----------------------------------------------------------------------------------


def capacity_grid(result: PlanComparison) -> pd.DataFrame:
    """Person × week cells: committed load → draft load / capacity, flagged when over."""
    rows = []
    for cell in result.capacity:
        flag = "🔴 " if cell.draft_over else ("🟢 " if cell.committed_over else "")
        rows.append(
            {
                "Person": cell.name,
                "week": f"{iso_week(cell.week_start)[-3:]} · {cell.week_start:%d %b}",
                "cell": f"{flag}{cell.committed_hours:.0f} → {cell.draft_hours:.0f} / "
                f"{cell.capacity_hours:.0f} h",
            }
        )
    frame = pd.DataFrame(rows, columns=["Person", "week", "cell"])
    people = list(dict.fromkeys(frame["Person"]))
    weeks = list(dict.fromkeys(frame["week"]))
    grid = frame.pivot(index="Person", columns="week", values="cell")
    return grid.reindex(index=people, columns=weeks).reset_index()


def _against(difference: int) -> str | None:
    """A metric's delta against the committed plan; none when the draft is the same."""
    return f"{difference:+,} against committed" if difference else None


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
        "Over-allocated person-weeks",
        f"{result.draft_over:,}",
        delta=_against(result.draft_over - result.committed_over),
        delta_color="inverse",
    )
    plan_col.metric(
        "Initiatives in the plan",
        f"{draft_in:,}",
        delta=_against(draft_in - committed_in),
        delta_color="off",
    )
    moved_col.metric("Initiatives the draft changes", f"{len(result.moves):,}")

    st.markdown("**What moved**")
    if not result.moves:
        st.caption("The draft changes nothing yet: edit it first.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Initiative": [m.title for m in result.moves],
                    "Move": [MOVE_LABELS[m.kind] for m in result.moves],
                    "What changes": ["; ".join(m.details) for m in result.moves],
                }
            ),
            hide_index=True,
            width="stretch",
        )

    st.markdown(f"**Capacity per person, next {weeks} weeks**")
    st.dataframe(capacity_grid(result), hide_index=True, width="stretch")
    st.caption(
        "Hours of load: committed plan → this draft / capacity. 🔴 over capacity in the draft "
        f"({result.draft_over} person-weeks, {result.committed_over} committed); 🟢 over in the "
        "committed plan, within capacity in the draft."
    )

    st.markdown("**Expected value per key result**")
    symbol = app_config().settings.currency_symbol
    if not plan.has_value:
        st.caption("No scoring framework computes expected value, so there is none to compare.")
    elif not result.values:
        st.caption("No initiative in either plan is linked to a key result.")
    else:

        def money(value: float) -> str:
            return f"{format_value(value, 'money', currency_symbol=symbol)} a week"

        st.dataframe(
            pd.DataFrame(
                {
                    "Key result": [v.title for v in result.values],
                    "Committed plan": [money(v.committed_value) for v in result.values],
                    "This draft": [money(v.draft_value) for v in result.values],
                    "Change": [
                        money(v.draft_value - v.committed_value)
                        if v.draft_value != v.committed_value
                        else "—"
                        for v in result.values
                    ],
                    "Initiatives": [
                        f"{v.committed_count} → {v.draft_count}" for v in result.values
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            "Expected weekly gross profit gain of the planned initiatives linked to each key "
            "result (baseline × expected lift × confidence); an initiative linked to two key "
            "results counts for each."
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
            f"Committing “{scenario.name}” saves its {_plural(len(scenario.changes), 'change')} "
            f"to the initiatives and commits the plan for {week} ranked by {framework_label}, "
            "all at once. If an initiative in the draft changed since, nothing is written."
        )
    )
    with st.form(f"commit_scenario_{scenario.id}"):
        note = st.text_input(
            "Note (optional)", max_chars=2000, placeholder="What this week is about"
        )
        replace = False
        if existing is not None:
            replace = st.checkbox(f"Replace the plan already committed for {week}")
        commit = st.form_submit_button(f"Commit this scenario for {week}", type="primary")
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
            st.warning(escape_markdown(f"{exc} Tick “Replace the plan already committed”."))
        except scenarios.ScenarioCommitError as exc:
            st.error("Nothing was committed. The draft no longer fits:\n\n" + _refusal(exc))
        except (InputError, PermissionDenied, ConflictError) as exc:
            st.error("Nothing was committed:\n\n" + _refusal(exc))
        else:
            st.session_state.pop(PICK, None)
            _written(
                f"Scenario “{scenario.name}” committed: "
                f"{_plural(len(scenario.changes), 'initiative')} changed and the plan for "
                f"{week} committed.",
                flash_key,
            )
    with st.form(f"discard_scenario_{scenario.id}"):
        sure = st.checkbox("Yes, throw this draft away")
        discard = st.form_submit_button("Throw the scenario away")
    if not discard:
        return
    if not sure:
        st.warning("Tick “Yes, throw this draft away” first: nothing was thrown away.")
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
        st.error("Nothing was thrown away:\n\n" + _refusal(exc))
        return
    st.session_state.pop(PICK, None)
    _written(f"Scenario “{scenario.name}” thrown away; the plan is as it was.", flash_key)
