"""A message a person reads does not reach them in English only: no bare English string literal or
f-string is handed straight to a user-facing error or to a list of problems, outside the modules
and messages allowed below (read only by operators, or reached only by a programming error)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLANNING = ROOT / "planning"

# Errors whose text a person sees: on a page, from the command line, in the HTTP API's error body.
# Left out on purpose, being about the server's set-up and read by its operator: BackupError,
# ClockError, ConfigError, EmailChannelError, SecretError, StoreError.
USER_ERRORS = frozenset(
    {
        "BacklogSaveError",
        "BadRowsError",
        "BulkEditDenied",
        "BulkEditError",
        "ConflictError",
        "DigestError",
        "ExportError",
        "FetchError",
        "GoalError",
        "ImportFileError",
        "InputError",
        "LinkError",
        "MappingError",
        "MetricError",
        "NumberEntryError",
        "OkrFileError",
        "PermissionDenied",
        "PlanAlreadyCommitted",
        "ScenarioCommitError",
        "SourceDataError",
        "TemplateError",
        "TokenError",
        "TokenLapsed",
        "UsageError",
    }
)
# Lists gathering problems or reasons for a person: `problems.append(...)`, `self.problems...`.
PROBLEM_LISTS = frozenset({"problems", "reasons", "reason", "wrong", "errors", "found"})

# Modules (or folders) left in English on purpose, each with why.
ALLOWED = {
    "planning/config/": "configuration files are checked for operators",
    "planning/okrs/maths.py": "maths guards, reached only by a programming error",
    "planning/okrs/backtest_fit.py": "maths guards, reached only by a programming error",
    "planning/store/restore.py": "`quarterdeck restore` is an operator's command",
}
# Single messages left in English inside modules that are otherwise translated, by their words
# (an f-string's words without its fields).
ALLOWED_MESSAGES = {
    # Only a bad metrics.yaml or a programming error reaches these: pages ask for metrics and
    # dimensions they list, and the query command offers its grains as choices.
    ("planning/metrics/engine.py", "unknown grain ; use one of "),
    ("planning/metrics/engine.py", "a running read needs the day grain and a window of 0 or more"),
    ("planning/metrics/engine.py", "unknown dimension "),
    (
        "planning/metrics/engine.py",
        "metric  cannot be broken down by : its measure  does not have that dimension",
    ),
    ("planning/metrics/engine.py", "unknown metric "),
    ("planning/metrics/engine.py", "metric  is a  metric, not a ratio"),
    ("planning/metrics/metric_maths.py", "unsupported expression element "),
    ("planning/metrics/metric_query.py", "metric : "),
    # Sending reminders without the link secret set up: the server's operator reads it.
    ("planning/notify/links.py", "no link secret is set up (QUARTERDECK_NOTIFY_LINK_SECRET)"),
    # The preferences form offers only known channels, a day and two ticks; no API route sets them.
    ("planning/notify/preferences.py", "channel must be one of , not "),
    ("planning/notify/preferences.py", "paused until must be a day"),
    ("planning/notify/preferences.py", "opted out and roadmap summary are yes or no"),
}

# A command-line flag's name is the same in every language: `--period 2026-Q7: <reason>`.
FLAG = re.compile(r"--[a-z][a-z-]*")
LETTERS = re.compile(r"[A-Za-z]")


def _text_of(node: ast.expr) -> str | None:
    """The written words of a string literal or f-string (None for anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    return None


def _name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _handed_text(call: ast.Call) -> list[ast.expr]:
    """The arguments of `call` that carry a message to a person, if it is such a call."""
    name = _name_of(call.func)
    if name in USER_ERRORS:
        arguments = list(call.args)
        for argument in call.args:
            if isinstance(argument, ast.List | ast.Tuple):
                arguments.extend(argument.elts)
        return arguments
    if (
        name == "append"
        and isinstance(call.func, ast.Attribute)
        and _name_of(call.func.value) in PROBLEM_LISTS
    ):
        return list(call.args)
    return []


def english_only(source: str, module: str) -> list[str]:
    """`line: text` for each bare English message handed to a person in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for argument in _handed_text(node):
            text = _text_of(argument)
            if text is None or not LETTERS.search(FLAG.sub("", text)):
                continue
            if (module, text) in ALLOWED_MESSAGES:
                continue
            found.append(f"{argument.lineno}: {text}")
    return found


def _modules() -> list[Path]:
    return sorted(
        path
        for path in PLANNING.rglob("*.py")
        if not any(path.relative_to(ROOT).as_posix().startswith(a) for a in ALLOWED)
    )


def test_no_english_only_message_reaches_a_person() -> None:
    found = {
        module: problems
        for path in _modules()
        if (module := path.relative_to(ROOT).as_posix())
        and (problems := english_only(path.read_text(encoding="utf-8"), module))
    }
    assert found == {}, "wrap these in _() (planning.i18n) and translate them in the .po"


@pytest.mark.parametrize(
    "source",
    [
        'raise InputError(f"{week} already has a scenario named {name}")',
        'raise InputError(["the name is empty"])',
        'problems.append("owner is not a person")',
        'self.problems.append(f"quarter {raw!r} is not a quarter")',
        'raise export.ExportError("nothing to draw")',
    ],
)
def test_the_guard_finds_an_english_only_message(source: str) -> None:
    assert len(english_only(source, "planning/work/example.py")) == 1


@pytest.mark.parametrize(
    "source",
    [
        'raise InputError(_("the name is empty"))',
        'problems.append(_("{week} is taken").format(week=week))',
        'problems.append(f"{where}: {text}")',
        'raise TokenError("; ".join(problems))',
        'raise UsageError(f"--period {args.period}: {exc}")',
        'raise ValueError("a maths guard")',
    ],
)
def test_the_guard_lets_translated_or_wordless_messages_pass(source: str) -> None:
    assert english_only(source, "planning/work/example.py") == []
