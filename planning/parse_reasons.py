"""Why a YAML or JSON text does not parse, in the reader's language: PyYAML and Python's json
explain a broken text in English only, so their reasons are matched here and said again briefly
(the place, line and column, stays theirs). A reason not known here gets a general sentence
rather than English a German reader would see unexplained."""

from __future__ import annotations

import re

from planning.i18n import N_
from planning.i18n import gettext as _

# PyYAML's problems, matched from their start; {found} is the character or token PyYAML names.
_YAML_REASONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (
            r"mapping values are not allowed here",
            N_(
                "a colon and a space stand where no key can start (put text holding “: ” in quotes)"
            ),
        ),
        (r"could not find expected ':'", N_("a key is missing its colon")),
        (r"expected <block end>, but found", N_("the indentation does not line up")),
        (
            r"found character '\\t' that cannot start any token",
            N_("a tab is used for indentation; indent with spaces"),
        ),
        (
            r"found character (?P<found>.+) that cannot start any token",
            N_("{found} cannot start a value here; put the text in quotes"),
        ),
        (
            r"found unexpected end of stream",
            N_("the file ends inside quotes or brackets that are never closed"),
        ),
        (
            r"found unknown escape character (?P<found>.+)",
            N_("{found} after a backslash is not an escape in double quotes"),
        ),
        (
            r"expected ',' or '\]', but got",
            N_("a list in square brackets needs a comma between items and a closing ]"),
        ),
        (
            r"expected ',' or '\}', but got",
            N_("a mapping in braces needs a comma between items and a closing }"),
        ),
        (r"found unhashable key", N_("a key must be a single value, not a list or mapping")),
        (
            r"but found another document",
            N_("the file holds more than one document (---); keep one"),
        ),
        (r"found undefined alias", N_("an alias (*name) names no anchor")),
        (
            r"found undefined tag handle",
            N_("a tag (!name) is not known; remove it"),
        ),
        (
            r"could not determine a constructor for the tag",
            N_("a tag (!name) is not known; remove it"),
        ),
        (r"expected the node content", N_("a value is missing")),
    )
)

# Python's json messages, matched from their start.
_JSON_REASONS: tuple[tuple[str, str], ...] = (
    ("Expecting value", N_("a value is expected")),
    ("Expecting property name enclosed in double quotes", N_("a key in double quotes is expected")),
    ("Expecting ':' delimiter", N_("a colon is expected after the key")),
    ("Expecting ',' delimiter", N_("a comma is expected between items")),
    ("Unterminated string", N_("a text in quotes is never closed")),
    ("Invalid control character", N_("a text holds a raw control character such as a line break")),
    ("Invalid \\uXXXX escape", N_("a \\u escape needs four hexadecimal digits")),
    ("Invalid \\escape", N_("a backslash starts no known escape")),
    ("Extra data", N_("more follows the end of the JSON value")),
)


def yaml_reason(problem: str | None) -> str:
    """PyYAML's reason a text does not parse, briefly, in the reader's language."""
    for pattern, text in _YAML_REASONS:
        found = pattern.match(problem or "")
        if found:
            return _(text).format(**found.groupdict())
    return _("the text does not follow YAML's rules here")


def json_reason(message: str) -> str:
    """Python's json reason a text does not parse, briefly, in the reader's language."""
    for start, text in _JSON_REASONS:
        if message.startswith(start):
            return _(text)
    return _("the text does not follow JSON's rules here")
