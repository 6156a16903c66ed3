"""The words argparse prints around Quarterdeck's own (usage, option headings, its errors), in the
run's language.

argparse looks each of its words up through the `gettext` module's `gettext` and `ngettext` when
it prints them, so that a program can translate them. `speak_the_runs_language` points those two
lookups at Quarterdeck's catalogue (planning.i18n), which holds the words below in German; a word
of argparse's not listed here prints in English. The list is Python 3.11's argparse, limited to
what a person can see from a command line (the messages about a mis-built parser are left out).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from planning import i18n
from planning.i18n import N_

ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


def _expected_arguments() -> None:
    # Only for the catalogue: argparse's one plural, 'expected %s argument(s)'.
    i18n.ngettext("expected %s argument", "expected %s arguments", 2)


def speak_the_runs_language() -> None:
    """Let argparse look up the words it prints in Quarterdeck's catalogue, in the run's
    language (English where the run's language has no translation)."""
    argparse._ = i18n.gettext  # type: ignore[attr-defined]
    argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]


def translated_help(options: Mapping[str, Any]) -> dict[str, Any]:
    """An argument's add_argument options with its help text (marked with N_) in the run's
    language."""
    translated = dict(options)
    text = translated.get("help")
    if isinstance(text, str):
        translated["help"] = i18n.gettext(text)
    return translated
