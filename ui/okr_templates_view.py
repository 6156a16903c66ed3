"""Goals on a quarter without objectives, for a director: "Start from a template".

A picker of the templates in config/templates/ (a malformed one is named with its problem and
cannot be picked), who owns the new goals (the director unless they pick someone), a preview
table of every objective and key result that will be created with its start read from the data,
then one confirm button that writes it all in one transaction.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning.access.permissions import PermissionDenied
from planning.okrs.goal_rules import GoalError
from planning.okrs.templates import OkrTemplate, TemplateDraft, list_templates, start_from_template
from planning.store.engine import read_engine
from planning.store.models import PersonRead
from ui import goals_data as data
from ui.confirm_write import confirm_previewed
from ui.state import Versions, app_config, clear_after_write, engine
from ui.text import escape_markdown, refusal_message

FLASH = "goals_flash"
_PREVIEW = "okr_template_preview"  # (quarter, template name, owner id) being previewed
REFUSALS = (GoalError, PermissionDenied)


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def _templates(directory: str) -> list[OkrTemplate]:
    """The template files, read once per configuration folder (they change with a deploy)."""
    del directory
    return list_templates(config=app_config())


def _preview(person: PersonRead, name: str, period: str, owner_id: int) -> TemplateDraft:
    with Session(read_engine(engine())) as session:
        return start_from_template(
            session=session,
            actor=person,
            config=app_config(),
            name=name,
            period=period,
            preview=True,
            owner_id=owner_id,
        )


def template_section(*, person: PersonRead, versions: Versions, period: str) -> None:
    """Pick a template and an owner, preview what it creates in `period`, then confirm it."""
    st.subheader(f"Start {period} from a template")
    templates = _templates(str(Path(app_config().directory)))
    usable = {t.name: t for t in templates if not t.problems}
    for broken in (t for t in templates if t.problems):
        st.warning(
            f"Template “{escape_markdown(broken.name)}” cannot be used: "
            + escape_markdown(" ".join(broken.problems))
        )
    if not usable:
        st.caption("No templates in config/templates/.")
        return
    people = {p.id: p.name for p in data.owners(versions)}
    chosen = st.session_state.get(_PREVIEW)
    if chosen is None or chosen[0] != period:
        st.caption(
            "Ecommerce OKRs to start from (conversion, basket size, retention, content quality): "
            "metric key results start from your data and aim as far as the template's example. "
            "You see every objective and key result before anything is written."
        )
        cols = st.columns(2)
        name = cols[0].selectbox(
            "Template", list(usable), format_func=lambda n: usable[n].title, key="template_pick"
        )
        ids = list(people)
        owner = cols[1].selectbox(
            "Owner of the new goals",
            ids,
            index=ids.index(person.id) if person.id in ids else 0,
            format_func=lambda i: people[i],
            key="template_owner",
        )
        if usable[name].description:
            st.caption(escape_markdown(usable[name].description))
        if st.button("Preview the template", key="template_preview"):
            st.session_state[_PREVIEW] = (period, name, owner)
            st.rerun()
        return
    _, name, owner = chosen
    try:
        draft = _preview(person, name, period, owner)
    except REFUSALS as exc:
        st.session_state.pop(_PREVIEW, None)
        st.error(refusal_message(exc))
        return
    title = usable[name].title if name in usable else name
    objectives = len(draft.objectives)
    key_results = draft.key_result_count
    st.markdown(
        f"From **{escape_markdown(title)}**, will create **{objectives}** "
        f"objective{'s' if objectives != 1 else ''} and **{key_results}** key "
        f"result{'s' if key_results != 1 else ''} in {period}, owned by "
        f"{escape_markdown(people.get(owner, person.name))}:"
    )
    st.dataframe(
        pd.DataFrame(draft.rows(currency_symbol=app_config().settings.currency_symbol)),
        hide_index=True,
    )
    st.caption(
        "Start values come from the data (“start from”); targets keep the template's relative "
        "change; guardrail thresholds, milestones and manual key results are as written. Edit "
        "any of them under “Shape the quarter” afterwards."
    )
    written = confirm_previewed(
        label=f"Create these {objectives} objectives in {period}",
        key="template",
        preview_key=_PREVIEW,
        write=lambda session: start_from_template(
            session=session,
            actor=person,
            config=app_config(),
            name=name,
            period=period,
            preview=False,
            owner_id=owner,
            previewed=draft,
        ),
    )
    if written is None:
        return
    st.session_state[FLASH] = (
        f"{period} started from the {title} template: {len(written.objectives)} objectives and "
        f"{written.key_result_count} key results created."
    )
    clear_after_write()
    st.rerun()
