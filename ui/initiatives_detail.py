"""The Initiatives page's detail of one initiative: its figures and dates, the key results it
should move, decisions, scores under each framework, status-update history and audit trail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from planning.config import AppConfig
from planning.formatting import format_score
from planning.work.initiative_reads import InitiativeDetail
from planning.work.initiative_status import audit_action_text, status_label
from ui import planning_data as data
from ui.state import Versions
from ui.status_update_form import health_label
from ui.text import escape_markdown


def _dates(detail: InitiativeDetail) -> str:
    i = detail.initiative
    parts = [
        f"start {i.start_date or '—'}",
        f"target {i.target_date or '—'}",
    ]
    if i.shipped_date:
        parts.append(f"shipped {i.shipped_date}")
    return " · ".join(parts)


def _lift(detail: InitiativeDetail, config: AppConfig) -> str:
    metrics = config.metrics.metrics
    i = detail.initiative
    if not i.lift_metric:
        return "no expected lift yet"
    label = metrics[i.lift_metric].label if i.lift_metric in metrics else i.lift_metric
    who = f" (estimated by {detail.lift_estimator})" if detail.lift_estimator else ""
    where = f" on {config.metrics.filters_text(i.lift_filters)}" if i.lift_filters else ""
    return f"{label} {i.lift_pct or 0:+.1%}{where}{who}"


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
    st.subheader(escape_markdown(i.title))
    cols = st.columns(4)
    cols[0].metric("Owner", detail.owner)
    cols[1].metric("Status", status_label(i.status.value))
    cols[2].metric("Health", health_label(i.health.value))
    cols[3].metric("Complete", f"{i.percent_complete} %")
    lift = _lift(detail, config)
    st.write(
        escape_markdown(f"{_dates(detail)} · effort {i.effort_weeks:g} person-weeks · lift: {lift}")
    )
    if i.description:
        st.text(i.description)
    left, right = st.columns(2)
    with left:
        st.markdown("**Key results it should move**")
        if detail.key_results.empty:
            st.caption("Not linked to a key result.")
        else:
            st.dataframe(
                detail.key_results[["objective", "title"]],
                hide_index=True,
                column_config={"objective": "Objective", "title": "Key result"},
            )
        tied = data.decision_log(versions, i.id, None)
        if not tied.empty:
            st.markdown("**Decisions**")
            st.dataframe(
                tied[["decided_on", "text", "author", "withdrawn"]],
                hide_index=True,
                column_config={
                    "decided_on": "Day",
                    "text": "Decision",
                    "author": "By",
                    "withdrawn": st.column_config.CheckboxColumn("Withdrawn"),
                },
            )
    with right:
        st.markdown("**Scores under each framework**")
        st.dataframe(
            _readable_scores(data.initiative_scores(versions, i.id)),
            hide_index=True,
            column_config={
                "framework": "Framework",
                "score": st.column_config.TextColumn("Score"),
                "inputs": "Inputs",
                "problems": "Why no score",
            },
        )
    history, trail = st.tabs(["Status updates", "Audit trail"])
    with history:
        if detail.updates.empty:
            st.caption("No status update yet.")
        else:
            st.dataframe(
                detail.updates.assign(
                    status=detail.updates["status"].map(status_label),
                    health=detail.updates["health"].map(health_label),
                ),
                hide_index=True,
                width="stretch",
                column_config={
                    "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                    "author": "By",
                    "status": "Status",
                    "health": "Health",
                    "percent_complete": st.column_config.NumberColumn("Done", format="%d%%"),
                    "note": st.column_config.TextColumn("Note", width="large"),
                },
            )
    with trail:
        st.dataframe(
            _audit_rows(detail.audit),
            hide_index=True,
            width="stretch",
            column_config={
                "at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
                "actor": "Who",
                "action": "What",
                "changes": st.column_config.TextColumn("Changes", width="large"),
            },
        )
