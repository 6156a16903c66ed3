"""Long lists shown as their top: the first rows of a ranked or filtered list, and a control to
show more or all of them, so a page stays quick with tens of thousands of initiatives while every
row stays reachable."""

from __future__ import annotations

import streamlit as st

from planning.formatting import format_count
from planning.i18n import gettext as _
from planning.i18n import ngettext

STEP = 100  # rows shown at first, and added by each "Show more"


def rows_shown(key: str, total: int) -> int:
    """How many of `total` rows to show: the first STEP, more once the reader asked for them."""
    wanted = st.session_state.get(key, STEP)
    return min(total, max(STEP, wanted if isinstance(wanted, int) else STEP))


def _show(key: str, rows: int) -> None:
    st.session_state[key] = rows


def more_rows(key: str, *, shown: int, total: int, hint: str) -> None:
    """Under a list cut at `shown` of `total` rows: how many are hidden, what narrows the list
    (`hint`), and buttons that show STEP more or all of them (nothing when all are shown)."""
    hidden = total - shown
    if hidden <= 0:
        return
    st.caption(
        ngettext(
            "Showing the top {shown} of {total}: {hidden} more below. {hint}",
            "Showing the top {shown} of {total}: {hidden} more below. {hint}",
            hidden,
        ).format(
            shown=format_count(shown),
            total=format_count(total),
            hidden=format_count(hidden),
            hint=hint,
        )
    )
    more, everything, _rest = st.columns([1, 1, 2])
    more.button(
        ngettext("Show {count} more", "Show {count} more", min(STEP, hidden)).format(
            count=format_count(min(STEP, hidden))
        ),
        key=f"{key}_more",
        on_click=_show,
        args=(key, shown + STEP),
    )
    everything.button(
        _("Show all {total}").format(total=format_count(total)),
        key=f"{key}_all",
        on_click=_show,
        args=(key, total),
    )
