"""Helpers for page tests about people's text: a note or title full of HTML and markdown tricks
must reach the screen as the same characters, with nothing in it interpreted; and the cards a
phone reads in place of a grid."""

from __future__ import annotations

import html
import re
from typing import Any

from streamlit.testing.v1 import AppTest

TRICKS = (
    "<img src=x onerror=alert(1)> **bold** [link](javascript:alert(1)) "
    "<script>alert(2)</script> :red[red] $x^2$"
)
_ESCAPED = re.compile(r"\\.")


def plain(text: Any) -> str:
    """Text with markdown escapes removed: what a reader sees."""
    return re.sub(r"\\(.)", r"\1", str(text))


def errors(at: AppTest) -> str:
    """The page's error messages, one a line, without markdown's backslashes."""
    return "\n".join(e.value for e in at.error).replace("\\", "")


def headers(at: AppTest) -> list[str]:
    """The page's headers as a reader sees them."""
    return [plain(h.value) for h in at.header]


def text_elements(at: AppTest) -> list[str]:
    """Every markdown-rendered text on the page (titles, headers, markdown, captions, alerts)."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "success", "info", "warning")
    values = []
    for kind in (*kinds, "error"):
        values += [str(e.value) for e in at.get(kind)]
    return values


def assert_shown_as_text(at: AppTest, text: str = TRICKS) -> int:
    """Every markdown element that shows `text` escapes each of its special characters (only the
    page's own bold markers may wrap it); returns how many elements show it."""
    found = 0
    for value in text_elements(at):
        if text not in plain(value):
            continue
        found += 1
        raw = _ESCAPED.sub("", value)  # what markdown would still interpret
        for special in ("<", ">", "[", "]", "(", ")", "$", ":red"):
            assert special not in raw, (special, value)
        inner = raw[2:-2] if raw.startswith("**") and raw.endswith("**") else raw
        assert "*" not in inner, value
    return found


def dataframe_cells(at: AppTest) -> list[str]:
    """Every text cell of every table on the page."""
    cells: list[str] = []
    for frame in at.dataframe:
        for column in frame.value.columns:
            cells += [v for v in frame.value[column].tolist() if isinstance(v, str)]
    return cells


def phone_stacks(at: AppTest) -> list[str]:
    """The HTML of each set of phone cards on the page (ui/tables.py), in page order."""
    return [h.proto.body for h in at.get("html") if '<div class="qd-stack">' in h.proto.body]


def first_phone_cards(at: AppTest) -> tuple[str, list[tuple[str, str]]]:
    """The page's first set of compact phone cards: its HTML, and its cards as (title, line)
    pairs with entities unescaped."""
    stack = phone_stacks(at)[0]
    found = re.findall(
        r'<div class="qd-card-title">(.*?)</div>(?:<div class="qd-card-line">(.*?)</div>)?', stack
    )
    return stack, [(html.unescape(title), html.unescape(line)) for title, line in found]
