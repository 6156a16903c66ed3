"""Refused input: one error carrying every reason, so a form can list them all at once."""

from __future__ import annotations

import math
import numbers
import unicodedata
from collections.abc import Iterable
from typing import Any

from planning.formatting import format_count
from planning.i18n import gettext as _

# Joiners shape emoji sequences and several scripts (Persian, Hindi): the only invisible format
# characters text may hold. Bidirectional overrides, isolates and marks are refused everywhere:
# they make "Invoice \u202egnp.exe" read as "Invoice exe.png".
_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
_LINE_BREAKS = frozenset({"\n", "\r", "\u2028", "\u2029"})


class InputError(ValueError):
    """Input that cannot be saved; `problems` holds one readable line per reason."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems) or (_("the input is not valid"),)
        super().__init__("; ".join(self.problems))


def is_number(value: Any) -> bool:
    """A real, finite number (booleans are not numbers here)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def whole_number(text: str | None, *, most_digits: int = 18) -> int | None:
    """The whole number written in ASCII digits (an id or count from an address), or None:
    "²" and "٣" pass str.isdigit yet are no id, and thousands of digits overflow a store id."""
    if text is None:
        return None
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > most_digits:
        return None
    return int(text)


def text_problems(text: str, *, what: str, multiline: bool = False) -> list[str]:
    """Why text cannot be stored as it is: the one rule for every title, name, label and note
    (`what` names the field, marked with N_ so it is read in the reader's language).

    Refused: control characters (NUL, escape, …; a line break and a tab are allowed in
    multi-line text such as notes and descriptions, never in a title or a name), invisible
    format characters such as bidirectional overrides (joiners aside), and lone surrogates.
    """
    found: dict[str, list[str]] = {"control": [], "direction": [], "break": []}
    for ch in text:
        if ch in _LINE_BREAKS or ch == "\t":
            if not multiline:
                found["break" if ch in _LINE_BREAKS else "control"].append(ch)
            continue
        kind = unicodedata.category(ch)
        if kind == "Cf" and ch not in _ALLOWED_FORMAT:
            found["direction"].append(ch)
        elif kind in ("Cc", "Cs", "Co"):
            found["control"].append(ch)
    problems: list[str] = []
    if not any(found.values()):
        return problems
    what = _(what)
    if found["break"]:
        problems.append(_("{what} must be on one line").format(what=what))
    if found["control"]:
        problems.append(
            _("{what} contains control characters ({characters})").format(
                what=what, characters=_code_points(found["control"])
            )
        )
    if found["direction"]:
        problems.append(
            _(
                "{what} contains invisible characters that can change how text reads, such as "
                "text-direction overrides ({characters})"
            ).format(what=what, characters=_code_points(found["direction"]))
        )
    return problems


def unix_line_breaks(text: str) -> str:
    """Text with Windows and old Mac line breaks (CR LF, CR) written as one LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _code_points(chars: list[str]) -> str:
    shown = sorted(set(chars))
    listed = ", ".join(f"U+{ord(c):04X}" for c in shown[:5])
    return listed + (", …" if len(shown) > 5 else "")


def clean_text(
    value: Any, *, what: str, max_length: int, required: bool, multiline: bool = False
) -> tuple[str, list[str]]:
    """Text stripped of outer spaces, and the problems with it (empty, too long, not text, or
    characters text_problems refuses). Multi-line text keeps its line breaks as "\\n"."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", [_("{what} must be text").format(what=_(what))]
    text = value.strip()
    if multiline:
        text = unix_line_breaks(text)
    if required and not text:
        return text, [_("{what} is required").format(what=_(what))]
    if len(text) > max_length:
        return text, [
            _("{what} is {length} characters long; the limit is {limit}").format(
                what=_(what), length=format_count(len(text)), limit=format_count(max_length)
            )
        ]
    return text, text_problems(text, what=what, multiline=multiline)
