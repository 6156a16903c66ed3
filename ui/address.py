"""A page's choices kept in the address bar's query string (like the Roadmap's filters), so a
reload or a shared address reopens the same view.

A page reads the choice before drawing its widget (as the widget's starting value) and writes it
back after, so the address always says what is shown. Only the page's own parameter is touched:
the others (demo mode's `as`, a share token) stay as they are. A value the page cannot use
falls back to the default with a short notice, never an error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import streamlit as st

from planning.i18n import gettext as _
from planning.periods import PeriodOutOfRange, parse_quarter, year_range_text
from ui.text import escape_markdown

QUARTER_PARAM = "quarter"
FRAMEWORK_PARAM = "framework"


_ASKED_CHARS = 40  # a longer value is cut where a notice repeats it


def _asked(raw: str) -> str:
    """An address's value as a notice repeats it: characters that do not show or that turn the
    text around (U+202E) as their code, and cut short."""
    shown = "".join(
        f"U+{ord(ch):04X}" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") else ch
        for ch in raw[: _ASKED_CHARS + 1]
    )
    return shown[:_ASKED_CHARS] + "…" if len(shown) > _ASKED_CHARS else shown


def _notice(message: str) -> None:
    st.warning(escape_markdown(message), icon=":material/link_off:")


def quarter_in_address(default: str) -> str:
    """The quarter the address asks for (`?quarter=2026-Q4`), else `default`."""
    raw = st.query_params.get(QUARTER_PARAM)
    if raw is None:
        return default
    try:
        year, number = parse_quarter(raw)
    except PeriodOutOfRange:
        _notice(
            _(
                "The address asks for quarter “{asked}”, outside the supported years ({years}); "
                "showing {shown}."
            ).format(asked=_asked(raw), years=year_range_text(), shown=default)
        )
        return default
    except ValueError:
        _notice(
            _(
                "The address asks for “{asked}”, not a quarter like 2026-Q4; showing {shown}."
            ).format(asked=_asked(raw), shown=default)
        )
        return default
    return f"{year:04d}-Q{number}"


def choice_in_address(param: str, choices: Mapping[str, str], default: str, what: str) -> str:
    """The choice the address asks for (`?{param}=id`, one of `choices`' ids), else `default`.

    `choices` maps each id to its label; `what` names the choice in the notice.
    """
    raw = st.query_params.get(param)
    if raw is None:
        return default
    wanted = raw.strip().lower()
    for choice in choices:
        if choice.lower() == wanted:
            return choice
    _notice(
        _(
            "The address asks for {what} “{asked}”, which is not one of {choices}; showing {shown}."
        ).format(
            what=_(what),
            asked=_asked(raw),
            choices=", ".join(choices.values()),
            shown=choices[default],
        )
    )
    return default


def keep_in_address(param: str, value: str) -> None:
    """Write the page's choice into the address, leaving its other parameters alone."""
    if st.query_params.get(param) != value:
        st.query_params[param] = value
