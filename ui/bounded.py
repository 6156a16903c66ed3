"""Long lists shown as their top: the first rows of a ranked or filtered list, and a control to
show more or all of them, so a page stays quick with tens of thousands of initiatives while every
row stays reachable."""

from __future__ import annotations

import streamlit as st

from planning import i18n
from planning.i18n import gettext as _
from planning.i18n import ngettext

STEP = 100  # rows shown at first, and added by each "Show more"


def rows_shown(key: str, total: int) -> int:
    """How many of `total` rows to show: the first STEP, more once the reader asked for them."""
    step = STEP
    wanted = st.session_state.get(key, step)
    return min(total, max(step, wanted if isinstance(wanted, int) else step))


def _count(value: int) -> str:
    return i18n.decimal_text(value, decimals=0)


def _show(key: str, rows: int) -> None:
    st.session_state[key] = rows


def more_rows(key: str, *, shown: int, total: int, hint: str) -> None:
    """Under a list cut at `shown` of `total` rows: how many are hidden, what narrows the list
    (`hint`), and buttons that show STEP more or all of them (nothing when all are shown)."""
    step = STEP
    hidden = total - shown
    if hidden <= 0:
        return
    st.caption(
        ngettext(
            "Showing the top {shown} of {total}: {hidden} more below. {hint}",
            "Showing the top {shown} of {total}: {hidden} more below. {hint}",
            hidden,
        ).format(shown=_count(shown), total=_count(total), hidden=_count(hidden), hint=hint)
    )
    more, everything, _rest = st.columns([1, 1, 2])
    more.button(
        ngettext("Show {count} more", "Show {count} more", min(step, hidden)).format(
            count=_count(min(step, hidden))
        ),
        key=f"{key}_more",
        on_click=_show,
        args=(key, shown + step),
    )
    everything.button(
        _("Show all {total}").format(total=_count(total)),
        key=f"{key}_all",
        on_click=_show,
        args=(key, total),
    )
