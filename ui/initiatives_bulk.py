"""The Initiatives page's bulk edit: pick several initiatives (from the list's selection or the
picker) and set one owner, status, health, target date or key result to link on all of them in
one write (planning.work.bulk_edit); a refusal lists every reason and writes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

from planning.access.permissions import PermissionDenied
from planning.config import AppConfig
from planning.formatting import format_count
from planning.i18n import N_, ngettext
from planning.i18n import gettext as _
from planning.store.models import PersonRead
from planning.validation import InputError
from planning.work.bulk_edit import BULK_MAX, BulkChanges, bulk_edit_initiatives
from planning.work.initiative_status import HEALTH_LABELS, HEALTH_ORDER, STATUS_ORDER, status_label
from ui.confirm_write import run_write
from ui.grid_formats import input_day_format
from ui.pickers import pick_or_none
from ui.text import CHOOSE

PICKED = "bulk_ids"
OPEN = "bulk_open"
FIELD_KEYS = ("bulk_owner", "bulk_status", "bulk_health", "bulk_target", "bulk_kr")
KEEP = N_("Keep as it is")


def select_rows(table_ids: Sequence[int], rows: Sequence[int]) -> None:
    """Take the list's selected rows as the initiatives the bulk edit will change."""
    st.session_state[PICKED] = [table_ids[r] for r in rows if r < len(table_ids)]


def bulk_edit_section(
    *,
    actor: PersonRead,
    director: bool,
    config: AppConfig,
    ids: Sequence[int],
    titles: Mapping[int, str],
    owners: Mapping[int, str],
    key_results: Mapping[int, str],
    on_saved: Callable[..., None],
) -> None:
    """The "Change several at once" form under the list."""
    picked = [i for i in st.session_state.get(PICKED, []) if i in titles]
    st.session_state[PICKED] = picked
    # The form (up to BULK_MAX choices) is drawn only once asked for, to keep every run quick.
    if not st.toggle(_("Change several initiatives at once"), key=OPEN):
        if len(picked) > 1:
            st.caption(
                _(
                    "{count} rows selected: turn on “Change several initiatives at once” to "
                    "change them together."
                ).format(count=format_count(len(picked)))
            )
        return
    keep = _(KEEP)
    # The picker offers the selected rows and the list's first BULK_MAX (a bulk edit's limit).
    options = list(dict.fromkeys([*picked, *ids[:BULK_MAX]]))
    with st.container(border=True), st.form("bulk_edit"):
        st.caption(
            _(
                "Select rows in the list (or pick them here), choose what to set, and apply: "
                "every initiative changes, or none does and each reason is listed."
            )
            + ("" if director else " " + _("You can change the initiatives you own."))
        )
        chosen = st.multiselect(
            _("Initiatives to change"),
            options,
            format_func=lambda i: titles.get(i, "?"),
            placeholder=_(CHOOSE),
            key=PICKED,
        )
        cols = st.columns(3)
        owner = None
        status = None
        if director:
            owner = pick_or_none(cols[0], _("Owner"), owners, none_label=keep, key="bulk_owner")
            status = cols[1].selectbox(
                _("Status"),
                [None, *STATUS_ORDER],
                format_func=lambda s: keep if s is None else _(status_label(s)),
                key="bulk_status",
            )
        health = cols[2].selectbox(
            _("Health"),
            [None, *HEALTH_ORDER],
            format_func=lambda h: keep if h is None else _(HEALTH_LABELS.get(h, h)),
            key="bulk_health",
        )
        cols = st.columns(2)
        target = cols[0].date_input(
            _("Target date"), value=None, format=input_day_format(), key="bulk_target"
        )
        kr = pick_or_none(
            cols[1], _("Also link to key result"), key_results, none_label=keep, key="bulk_kr"
        )
        applied = st.form_submit_button(_("Apply to selected"), type="primary")
    if not applied:
        return
    changes = BulkChanges(
        owner_id=owner,
        status=status,
        health=health,
        target_date=target if isinstance(target, date) else None,
        key_result_id=kr,
    )
    saved = run_write(
        lambda session: bulk_edit_initiatives(
            session=session,
            actor=actor,
            config=config,
            initiative_ids=list(chosen),
            changes=changes,
        ),
        refusals=(InputError, PermissionDenied),
    )
    if saved is None:
        return
    forget: tuple[Any, ...] = (PICKED, *FIELD_KEYS)
    count = len(saved)
    on_saved(
        ngettext("{count} initiative changed.", "{count} initiatives changed.", count).format(
            count=format_count(count)
        ),
        forget=forget,
    )
