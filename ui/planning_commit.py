"""Weekly planning's commit and its comparison: committing the week's plan (the ranked backlog
as it stands, replacing an earlier commit of the same week only when asked), and what changed
since the last committed plan."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from planning import i18n
from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.config.scoring import ScoringConfig
from planning.formatting import format_count, format_local_moment
from planning.i18n import gettext as _
from planning.store.engine import session_scope
from planning.store.models import PersonRead
from planning.validation import InputError
from planning.work.weekly_plan import NOTE_MAX, PlanAlreadyCommitted, commit_weekly_plan
from ui import planning_data as data
from ui.flash import flash_after_write
from ui.state import Versions, engine
from ui.tables import show_table
from ui.text import escape_markdown


def framework_label_of(scoring: ScoringConfig, framework_id: str) -> str:
    """A framework's name in the reader's language (its id when the framework is gone)."""
    spec = scoring.frameworks.get(framework_id)
    return _(spec.label) if spec else framework_id


def commit_form(
    *, key: str, week: str, already_committed: bool, submit_label: str
) -> tuple[bool, str, bool]:
    """The form that commits a week's plan: whether it was submitted, its note, and whether to
    replace the plan already committed for `week` (asked only when there is one)."""
    with st.form(key):
        note = st.text_input(
            _("Note (optional)"), max_chars=NOTE_MAX, placeholder=_("What this week is about")
        )
        replace = already_committed and st.checkbox(
            _("Replace the plan already committed for {week}").format(week=week)
        )
        submitted = st.form_submit_button(submit_label, type="primary")
    return submitted, note, replace


def commit_section(
    *,
    versions: Versions,
    person: PersonRead,
    config: AppConfig,
    week: str,
    framework_id: str,
    framework_label: str,
    ranked_count: int,
    names: Mapping[int, str],
    flash_key: str,
) -> None:
    """The week's commit: who committed it already, and the form that commits (or replaces) it."""
    scoring = config.scoring
    st.subheader(_("Commit plan for week {week}").format(week=week))
    existing = data.week_commit(versions, week)

    if existing is not None:
        st.caption(
            escape_markdown(
                _(
                    "{week} was committed by {name} on {moment}, ranked by {framework} "
                    "({count} initiatives). Committing again replaces it."
                ).format(
                    week=week,
                    name=names.get(existing.committed_by, "?"),
                    moment=format_local_moment(existing.committed_at),
                    framework=framework_label_of(scoring, existing.framework),
                    count=format_count(existing.count),
                )
            )
        )
    submitted, note, replace = commit_form(
        key="commit_plan",
        week=week,
        already_committed=existing is not None,
        submit_label=_("Commit plan for week {week}").format(week=week),
    )
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
            st.warning(
                escape_markdown(
                    f"{exc} " + _("Tick “Replace the plan already committed” to do so.")
                )
            )
        except (InputError, PermissionDenied) as exc:
            st.error(escape_markdown(str(exc)))
        else:
            flash_after_write(
                flash_key,
                _("Plan for {week} committed: {count} initiatives ranked by {framework}.").format(
                    week=week, count=format_count(ranked_count), framework=framework_label
                ),
            )


def since_last_week_section(
    *,
    versions: Versions,
    week: str,
    framework_id: str,
    names: Mapping[int, str],
    scoring: ScoringConfig,
) -> None:
    """The live (or committed) plan of `week` against the plan committed before it."""
    st.subheader(_("Since last week"))
    changes = data.plan_changes(versions, week, framework_id, i18n.locale_key())
    diff = changes.diff
    if diff.previous is None:
        st.info(
            _(
                "No plan was committed before this week. Commit this week's plan; next week this "
                "shows what moved."
            )
        )
    else:
        shown_plan = (
            _("{week} (the committed plan) against the plan committed for {previous} by {name}.")
            if diff.current_committed
            else _("{week} (the live backlog) against the plan committed for {previous} by {name}.")
        )
        st.caption(
            escape_markdown(
                shown_plan.format(
                    week=week,
                    previous=diff.previous.week,
                    name=names.get(diff.previous.committed_by, "?"),
                )
            )
        )
        if not diff.same_framework:
            st.caption(
                _(
                    "{previous} was ranked by {before}, this week by {now}: ranks are compared, "
                    "scores are not."
                ).format(
                    previous=diff.previous.week,
                    before=framework_label_of(scoring, diff.previous.framework),
                    now=framework_label_of(scoring, diff.framework),
                )
            )
        if changes.rows is None:
            st.success(_("Nothing changed since the last plan."))
        else:
            st.write(changes.counts)
            show_table(
                changes.rows,
                {
                    "initiative": st.column_config.TextColumn(_("Initiative"), width="medium"),
                    "change": st.column_config.TextColumn(_("Change"), width="medium"),
                    "before": st.column_config.TextColumn(_("Before"), width="medium"),
                    "after": st.column_config.TextColumn(_("After"), width="medium"),
                },
            )
