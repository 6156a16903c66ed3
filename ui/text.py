"""Showing people's text safely: titles and notes are text, never markdown or HTML; and the small
text formats several pages share (a moment).

The one Markdown escaper is planning.formatting.escape_markdown (the weekly digest uses it too);
it is re-exported here for the pages.
"""

from __future__ import annotations

from datetime import datetime

from planning.formatting import escape_markdown
from planning.i18n import N_
from planning.i18n import gettext as _

__all__ = ["escape_markdown", "moment_text", "refusal_message"]


def refusal_message(exc: Exception) -> str:
    """A refused save as text: every input problem listed, or the refusal itself."""
    found = getattr(exc, "problems", None)  # InputError, GoalError
    if found:
        return _("Not saved:") + "\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in found)
    return escape_markdown(str(exc))


def moment_text(value: datetime | None) -> str:
    """A stored moment to the minute (2026-11-26 14:05), or "" when there is none."""
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"


# Streamlit's own placeholder of an empty multiselect, given explicitly so it reads in the
# reader's language (the browser would write it in English).
CHOOSE = N_("Choose options")
