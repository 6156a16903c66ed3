"""Showing people's text safely: titles and notes are text, never markdown or HTML."""

from __future__ import annotations

import re
from datetime import datetime

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def escape_markdown(text: str) -> str:
    """Text with every markdown, emoji-shortcode, LaTeX and HTML character escaped."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


def refusal_message(exc: Exception) -> str:
    """A refused save as text: every input problem listed, or the refusal itself."""
    found = getattr(exc, "problems", None)  # InputError, GoalError
    if found:
        return "Not saved:\n\n" + "\n".join(f"- {escape_markdown(p)}" for p in found)
    return escape_markdown(str(exc))


def moment_text(value: datetime | None) -> str:
    """A stored moment to the minute (2026-11-26 14:05), or "" when there is none."""
    return "" if value is None else f"{value:%Y-%m-%d %H:%M}"
