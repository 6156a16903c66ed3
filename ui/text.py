"""Showing people's text safely: titles and notes are text, never markdown or HTML."""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def escape_markdown(text: str) -> str:
    """Text with every markdown, emoji-shortcode, LaTeX and HTML character escaped."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))
