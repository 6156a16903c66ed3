"""The Goals page's director tasks, one form at a time (``shape_the_quarter``), and the sections
around them: the quarter as an OKR file (download for everyone, import for directors), closing
and grading a quarter, the offer right after the close to carry its unfinished goals and open
initiatives into the next quarter, and correcting a grade once it is closed.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from planning.formatting import format_count, format_day
from planning.i18n import N_
from planning.i18n import gettext as _
from planning.okrs.evaluation_results import (
    KrEvaluation,
)
from planning.okrs.file_import import import_okr_file
from planning.okrs.quarter_close import (
    CLOSING_NOTE_MAX,
    REASON_MAX,
    GradeOverride,
    close_quarter,
    override_grade,
    suggested_grades,
)
from planning.periods import next_quarter
from ui import goals_data as data
from ui.confirm_write import run_write
from ui.downloads import download_button
from ui.goals_alignment import align_objective_form, contribution_form
from ui.goals_charts import progress_text
from ui.goals_forms import (
    add_objective_form,
    edit_key_result_form,
    edit_objective_form,
    key_result_form,
)
from ui.goals_view import REFUSALS, View, done, write_goal
from ui.number_entry import number_field, read_numbers
from ui.pickers import pick_record
from ui.quarter_draft_view import carry_forward_offer
from ui.text import escape_markdown

SHAPE_TASKS = {
    "add_objective": N_("Add an objective"),
    "edit_objective": N_("Edit an objective"),
    "add_key_result": N_("Add a key result"),
    "align": N_("Align objectives"),
    "contribute": N_("Count a key result elsewhere"),
    "edit_key_result": N_("Edit the key result above"),
    "close": N_("Close and grade the quarter"),
    "regrade": N_("Correct a grade"),
}


def shape_tasks(view: View, selected: KrEvaluation | None) -> list[str]:
    """The director's tasks open to this quarter, in SHAPE_TASKS order."""
    if view.evaluation.closed:
        return ["regrade"] if view.evaluation.key_results() else []
    tasks = ["add_objective"]
    if data.has_objectives(view.versions, view.period):
        tasks += ["edit_objective", "add_key_result"]
        if view.evaluation.objectives:
            tasks += ["align", "contribute"]
        if selected is not None:
            tasks.append("edit_key_result")
    if view.evaluation.objectives:
        tasks.append("close")
    return tasks


def shape_the_quarter(view: View, selected: KrEvaluation | None, people: Mapping[int, str]) -> None:
    """The director's forms, one at a time: only the chosen task's form is drawn, so the page
    stays quick however many objectives the quarter holds."""
    if view.evaluation.closed and view.person is not None:
        carry_forward_offer(person=view.person, versions=view.versions, period=view.period)
    tasks = shape_tasks(view, selected)
    if not tasks:
        return
    task = st.segmented_control(
        _("Shape the quarter"),
        tasks,
        format_func=lambda t: _(SHAPE_TASKS[t]),
        key="goals_task",
        label_visibility="collapsed",
    )
    if task is None:
        st.caption(_("Pick a task to open its form."))
        return
    with st.container(border=True):
        if task == "add_objective":
            add_objective_form(view, people)
        elif task == "edit_objective":
            edit_objective_form(view, people)
        elif task == "add_key_result":
            key_result_form(view, people)
        elif task == "align":
            align_objective_form(view)
        elif task == "contribute":
            contribution_form(view)
        elif task == "edit_key_result" and selected is not None:
            edit_key_result_form(view, selected, people)
        elif task == "close":
            close_section(view)
        elif task == "regrade":
            regrade_section(view)


def okr_file_section(view: View) -> None:
    """Download the quarter as YAML (everyone); import a file (directors)."""
    with st.expander(_("OKRs as a file"), icon=":material/description:"):
        st.caption(
            _(
                "The quarter's objectives and key results as YAML: owners by email, metrics by "
                "id. Edit it to draft the next quarter or copy a template, then import it here "
                "or with python -m planning okr import FILE."
            )
        )
        download_button(
            _("Download {quarter} as YAML").format(quarter=view.period),
            # Made when the button is clicked: a quarter's YAML is not worth building per run.
            lambda: data.okr_yaml(view.versions, view.period),
            file_name=f"okrs-{view.period}.yaml",
            mime="application/x-yaml",
            key="okr_yaml_download",
        )
        if not view.director:
            return
        upload = st.file_uploader(_("Import an OKR file"), type=["yaml", "yml"], key="okr_upload")
        if upload is None or not st.button(_("Import OKRs"), type="primary", key="okr_import"):
            return
        try:
            text = upload.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error(_("The file is not UTF-8 text; nothing was imported."))
            return
        result = run_write(
            lambda session: import_okr_file(
                session=session,
                actor=view.person,  # type: ignore[arg-type]
                config=view.config.metrics,
                text=text,
            ),
            refusals=REFUSALS,
        )
        if result is not None:
            done(
                _(
                    "{quarter}: {objectives_created} objectives created, {objectives_updated} "
                    "updated; {key_results_created} key results created, {key_results_updated} "
                    "updated"
                ).format(
                    quarter=result.period,
                    objectives_created=format_count(result.objectives_created),
                    objectives_updated=format_count(result.objectives_updated),
                    key_results_created=format_count(result.key_results_created),
                    key_results_updated=format_count(result.key_results_updated),
                )
                + (
                    _("; alignment changed on {count}").format(
                        count=format_count(result.links_changed)
                    )
                    if result.links_changed
                    else ""
                )
                + ("" if result.changed else " " + _("(nothing changed)"))
                + "."
            )


def close_section(view: View) -> None:
    """Suggested grades, overrides with reasons, and the button that freezes the quarter."""
    evaluation = view.evaluation
    if evaluation.closed or not evaluation.objectives:
        return
    with st.container():
        if evaluation.as_of < view.last_day:
            st.warning(
                _(
                    "{quarter} runs until {end}. Closing now freezes the values as of {as_of}."
                ).format(
                    quarter=view.period,
                    end=format_day(view.last_day),
                    as_of=format_day(evaluation.as_of),
                )
            )
        suggested = suggested_grades(evaluation)
        krs = evaluation.key_results()
        # The grid's columns are headed in the reader's language; the rows are read back by the
        # same headings.
        title, progress, suggested_col, grade_col, reason_col = (
            _("Key result"),
            _("Progress"),
            _("Suggested"),
            _("Grade"),
            _("Reason"),
        )
        grid = pd.DataFrame(
            {
                "id": [k.key_result_id for k in krs],
                title: [k.title for k in krs],
                progress: [progress_text(k) for k in krs],
                suggested_col: [suggested[k.key_result_id] for k in krs],
                grade_col: [suggested[k.key_result_id] for k in krs],
                reason_col: ["" for _k in krs],
            }
        )
        edited = st.data_editor(
            grid,
            hide_index=True,
            width="stretch",
            disabled=["id", title, progress, suggested_col],
            column_config={
                "id": None,
                grade_col: st.column_config.NumberColumn(min_value=0.0, max_value=1.0, step=0.1),
                reason_col: st.column_config.TextColumn(
                    help=_("Required when the grade differs from the suggestion.")
                ),
            },
            key=f"close_grades_{view.period}",
        )
        note = st.text_area(
            _("Closing note"), max_chars=CLOSING_NOTE_MAX, key=f"close_note_{view.period}"
        )
        if not st.button(
            _("Close {quarter} and freeze it").format(quarter=view.period),
            type="primary",
            key=f"close_{view.period}",
        ):
            return
        overrides: dict[int, GradeOverride] = {}
        for row in edited.to_dict(orient="records"):
            grade = float(row[grade_col]) if pd.notna(row[grade_col]) else float("nan")
            reason = str(row[reason_col] or "")
            if grade != float(row[suggested_col]) or reason.strip():
                overrides[int(row["id"])] = GradeOverride(grade=grade, reason=reason)
        closed = run_write(
            lambda session: close_quarter(
                session=session,
                actor=view.person,  # type: ignore[arg-type]
                config=view.config,
                period=view.period,
                overrides=overrides,
                note=note,
                today=view.today,
            ),
            refusals=REFUSALS,
        )
        if closed is not None:
            following = next_quarter(view.period)
            offer = (
                ""
                if data.objectives(view.versions, following)
                else " "
                + _(
                    "Carry its unfinished goals and open initiatives into {quarter} below, after "
                    "a preview."
                ).format(quarter=following)
            )
            done(_("{quarter} is closed and graded.").format(quarter=view.period) + offer)


def regrade_section(view: View) -> None:
    """Correct a grade of a closed quarter, with a reason."""
    krs = view.evaluation.key_results()
    if not view.evaluation.closed or not krs:
        return
    with st.container():
        kr = pick_record(
            _("Key result"),
            {k.key_result_id: k for k in krs},
            lambda k: k.title,
            key="regrade_pick",
        )
        key = f"regrade_{kr.key_result_id}_{kr.grade_version}"
        with st.form(key):
            grade = number_field(
                _("Grade"),
                value=float(kr.grade or 0.0),
                key=f"{key}_grade",
                minimum=0.0,
                maximum=1.0,
                required=True,
            )
            reason = st.text_input(
                _("Reason"), value=kr.grade_reason, max_chars=REASON_MAX, key=f"{key}_reason"
            )
            submitted = st.form_submit_button(_("Save grade"), type="primary")
        if not submitted:
            return
        typed = read_numbers({"grade": grade})
        if typed is None:
            return
        write_goal(
            lambda session: override_grade(
                session=session,
                actor=view.person,  # type: ignore[arg-type]
                period=view.period,
                key_result_id=kr.key_result_id,
                grade=typed["grade"],
                reason=reason,
                expected_version=kr.grade_version or 1,
            ),
            _("Grade of “{title}” saved.").format(title=escape_markdown(kr.title)),
        )
