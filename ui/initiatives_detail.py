"""The Initiatives page's detail of one initiative: its figures and dates, the key results it
should move, decisions, scores under each framework, status-update history and audit trail."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from planning import i18n
from planning.config import AppConfig
from planning.formatting import format_entered, format_lift, format_score
from planning.i18n import gettext as _
from planning.i18n import pgettext
from planning.work.initiative_reads import InitiativeDetail
from planning.work.initiative_status import audit_action_text, status_label
from ui import grid_formats
from ui import planning_data as data
from ui.state import Versions
from ui.status_update_form import health_label
from ui.tables import show_table
from ui.text import escape_markdown


def _day(day: date | None) -> str:
    """A day as the team writes it (ISO in English, as always), a dash when there is none."""
    if day is None:
        return "—"
    return str(day) if i18n.english_formats() else i18n.date_text(day)


def _dates(detail: InitiativeDetail) -> str:
    i = detail.initiative
    parts = [
        _("start {day}").format(day=_day(i.start_date)),
        _("target {day}").format(day=_day(i.target_date)),
    ]
    if i.shipped_date:
        parts.append(_("shipped {day}").format(day=_day(i.shipped_date)))
    return " · ".join(parts)


def _lift(detail: InitiativeDetail, config: AppConfig) -> str:
    metrics = config.metrics.metrics
    i = detail.initiative
    if not i.lift_metric:
        return _("no expected lift yet")
    label = metrics[i.lift_metric].label if i.lift_metric in metrics else i.lift_metric
    who = (
        " " + _("(estimated by {name})").format(name=detail.lift_estimator)
        if detail.lift_estimator
        else ""
    )
    where = (
        " " + _("on {filters}").format(filters=config.metrics.filters_text(i.lift_filters))
        if i.lift_filters
        else ""
    )
    return f"{label} {format_lift(i.lift_pct or 0)}{where}{who}"


def _readable_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per framework with its score as people read it (960,917 · 9.6; a dash where the
    framework cannot score it yet, the reason beside it)."""
    return scores.assign(score=scores["score"].map(format_score))


def _audit_rows(audit: pd.DataFrame) -> pd.DataFrame:
    """The audit trail with its actions in words ("Status update", "Decision: create")."""
    return audit.assign(action=audit["action"].map(audit_action_text))


def show_detail(detail: InitiativeDetail, *, versions: Versions, config: AppConfig) -> None:
    """One initiative: its figures, linked key results, decisions, scores, history and trail."""
    i = detail.initiative
    lang = i18n.locale_key()
    by = pgettext("author", "By")
    st.subheader(escape_markdown(i.title))
    cols = st.columns(4)
    cols[0].metric(_("Owner"), detail.owner)
    cols[1].metric(_("Status"), _(status_label(i.status.value)))
    cols[2].metric(_("Health"), health_label(i.health.value))
    cols[3].metric(_("Complete"), f"{i.percent_complete} %")
    lift = _lift(detail, config)
    st.write(
        escape_markdown(
            _("{dates} · effort {weeks} person-weeks · lift: {lift}").format(
                dates=_dates(detail), weeks=format_entered(i.effort_weeks), lift=lift
            )
        )
    )
    if i.description:
        st.text(i.description)
    left, right = st.columns(2)
    with left:
        st.markdown("**" + _("Key results it should move") + "**")
        if detail.key_results.empty:
            st.caption(_("Not linked to a key result."))
        else:
            show_table(
                detail.key_results[["objective", "title"]],
                {"objective": _("Objective"), "title": _("Key result")},
            )
        tied = data.decision_log(versions, i.id, None)
        if not tied.empty:
            st.markdown("**" + _("Decisions") + "**")
            show_table(
                tied[["decided_on", "text", "author", "withdrawn"]],
                {
                    "decided_on": _("Day"),
                    "text": _("Decision"),
                    "author": by,
                    "withdrawn": st.column_config.CheckboxColumn(_("Withdrawn")),
                },
            )
    with right:
        st.markdown("**" + _("Scores under each framework") + "**")
        show_table(
            _readable_scores(data.initiative_scores(versions, i.id, lang)),
            {
                "framework": _("Framework"),
                "score": st.column_config.TextColumn(_("Score")),
                "inputs": _("Inputs"),
                "problems": _("Why no score"),
            },
        )
    history, trail = st.tabs([_("Status updates"), _("Audit trail")])
    with history:
        if detail.updates.empty:
            st.caption(_("No status update yet."))
        else:
            show_table(
                detail.updates.assign(
                    status=detail.updates["status"].map(lambda s: _(status_label(s))),
                    health=detail.updates["health"].map(health_label),
                ),
                {
                    "at": st.column_config.DatetimeColumn(
                        _("When"), format=grid_formats.input_day_format("YYYY-MM-DD HH:mm Z")
                    ),
                    "author": by,
                    "status": _("Status"),
                    "health": _("Health"),
                    "percent_complete": st.column_config.NumberColumn(
                        _("Done"), format=grid_formats.whole_percent("%d%%")
                    ),
                    "note": st.column_config.TextColumn(_("Note"), width="large"),
                },
            )
    with trail:
        show_table(
            _audit_rows(detail.audit),
            {
                "at": st.column_config.DatetimeColumn(
                    _("When"), format=grid_formats.input_day_format("YYYY-MM-DD HH:mm:ss Z")
                ),
                "actor": _("Who"),
                "action": _("What"),
                "changes": st.column_config.TextColumn(_("Changes"), width="large"),
            },
        )
