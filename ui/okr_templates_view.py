"""Goals on a quarter without objectives, for a director: "Start from a template".

A picker of the templates in config/templates/ (a malformed one is named with its problem and
cannot be picked), who owns the new goals (the director unless they pick someone), a preview
table of every objective and key result that will be created with its start read from the data,
then one confirm button that writes it all in one transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from planning import i18n
from planning.formatting import format_count
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.okrs.quarter_draft import QuarterDraft
from planning.okrs.templates import OkrTemplate, TemplateDraft, list_templates, start_from_template
from planning.store.models import PersonRead
from ui import goals_data as data
from ui.confirm_write import confirm_previewed, read_preview
from ui.flash import flash_after_write
from ui.state import Versions, app_config
from ui.text import escape_markdown

# The preview tables' headings (planning's row keys), shown in the reader's language.
PREVIEW_HEADINGS = {
    "objective": N_("objective"),
    "objective owner": N_("objective owner"),
    "key result": N_("key result"),
    "kind": N_("kind"),
    "owner": N_("owner"),
    "why": N_("why"),
    "start": N_("start"),
    "target": N_("target"),
    "start from": N_("start from"),
    "initiatives": N_("initiatives"),
}
KINDS = {
    "metric": N_("metric"),
    "guardrail": N_("guardrail"),
    "milestone": N_("milestone"),
    "manual": N_("manual"),
}
FLASH = "goals_flash"
_PREVIEW = "okr_template_preview"  # (quarter, template name, owner id) being previewed


def create_label(count: int, quarter: str) -> str:
    """The button that writes a previewed draft: "Create this objective in 2027-Q1" for one,
    "Create these 4 objectives in 2027-Q1" for more."""
    return ngettext(
        "Create this objective in {quarter}", "Create these {count} objectives in {quarter}", count
    ).format(count=format_count(count), quarter=quarter)


@st.cache_data(ttl=600, max_entries=4, show_spinner=False)
def _templates(directory: str, language: str) -> list[OkrTemplate]:
    """The template files, read once per configuration folder (they change with a deploy) and
    language (`language`: i18n.locale_key; a broken file's problems are in words)."""
    del directory, language
    return list_templates(config=app_config())


def objective_count(count: int) -> str:
    """ "**3** objectives", in the reader's language, for a draft's preview line."""
    return ngettext("**{count}** objective", "**{count}** objectives", count).format(
        count=format_count(count)
    )


def key_result_count(count: int) -> str:
    """ "**12** key results", in the reader's language, for a draft's preview line."""
    return ngettext("**{count}** key result", "**{count}** key results", count).format(
        count=format_count(count)
    )


def preview_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A draft's preview rows as a table headed in the reader's language."""
    frame = pd.DataFrame(rows)
    if "kind" in frame:
        frame["kind"] = [_(KINDS[k]) if k in KINDS else k for k in frame["kind"]]
    return frame.rename(columns={k: _(v) for k, v in PREVIEW_HEADINGS.items()})


def preview_table(draft: TemplateDraft | QuarterDraft) -> None:
    """A draft's preview table: a row per key result, values in the team's currency."""
    st.dataframe(
        preview_frame(draft.rows(currency_symbol=app_config().settings.currency_symbol)),
        hide_index=True,
    )


def _start(
    session: Session,
    person: PersonRead,
    name: str,
    period: str,
    owner_id: int,
    previewed: TemplateDraft | None = None,
) -> TemplateDraft:
    """Start `period` from template `name`: a preview, or the write of what was `previewed`."""
    return start_from_template(
        session=session,
        actor=person,
        config=app_config(),
        name=name,
        period=period,
        preview=previewed is None,
        owner_id=owner_id,
        previewed=previewed,
    )


def template_section(*, person: PersonRead, versions: Versions, period: str) -> None:
    """Pick a template and an owner, preview what it creates in `period`, then confirm it."""
    st.subheader(_("Start {quarter} from a template").format(quarter=period))
    templates = _templates(str(Path(app_config().directory)), i18n.locale_key())
    usable = {t.name: t for t in templates if not t.problems}
    for broken in (t for t in templates if t.problems):
        st.warning(
            _("Template “{name}” cannot be used:").format(name=escape_markdown(broken.name))
            + " "
            + escape_markdown(" ".join(broken.problems))
        )
    if not usable:
        st.caption(_("No templates in config/templates/."))
        return
    people = {p.id: p.name for p in data.owners(versions)}
    chosen = st.session_state.get(_PREVIEW)
    if chosen is None or chosen[0] != period:
        st.caption(
            _(
                "Ecommerce OKRs to start from (conversion, basket size, retention, content "
                "quality): metric key results start from your data and aim as far as the "
                "template's example. You see every objective and key result before anything is "
                "written."
            )
        )
        cols = st.columns(2)
        name = cols[0].selectbox(
            _("Template"),
            list(usable),
            format_func=lambda n: usable[n].title,
            key="template_pick",
        )
        ids = list(people)
        owner = cols[1].selectbox(
            _("Owner of the new goals"),
            ids,
            index=ids.index(person.id) if person.id in ids else 0,
            format_func=lambda i: people[i],
            key="template_owner",
        )
        if usable[name].description:
            st.caption(escape_markdown(usable[name].description))
        if st.button(_("Preview the template"), key="template_preview"):
            st.session_state[_PREVIEW] = (period, name, owner)
            st.rerun()
        return
    _quarter, name, owner = chosen
    draft = read_preview(
        preview_key=_PREVIEW, read=lambda session: _start(session, person, name, period, owner)
    )
    if draft is None:
        return
    title = usable[name].title if name in usable else name
    objectives = len(draft.objectives)
    key_results = draft.key_result_count
    st.markdown(
        _(
            "From **{template}**, will create {objectives} and {key_results} in {quarter}, "
            "owned by {owner}:"
        ).format(
            template=escape_markdown(title),
            objectives=objective_count(objectives),
            key_results=key_result_count(key_results),
            quarter=period,
            owner=escape_markdown(people.get(owner, person.name)),
        )
    )
    preview_table(draft)
    st.caption(
        _(
            "Start values come from the data (“start from”); targets keep the template's "
            "relative change; guardrail thresholds, milestones and manual key results are as "
            "written. Edit any of them under “Shape the quarter” afterwards."
        )
    )
    written = confirm_previewed(
        label=create_label(objectives, period),
        key="template",
        preview_key=_PREVIEW,
        write=lambda session: _start(session, person, name, period, owner, previewed=draft),
    )
    if written is None:
        return
    message = _(
        "{quarter} started from the {template} template: {objectives} objectives and "
        "{key_results} key results created."
    ).format(
        quarter=period,
        template=title,
        objectives=format_count(len(written.objectives)),
        key_results=format_count(written.key_result_count),
    )
    flash_after_write(FLASH, message)
