"""Refusals in the reader's language: every action phrase a permission check words into its
refusal ("Only a director can {action}.") is marked for the catalogue and translated, read from
the product's source (a phrase passed on through a helper's parameter is followed to its
callers), and a German reader's refusal reads wholly German."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from planning import i18n
from planning.access.permissions import PermissionDenied, require_director
from planning.store.models import PersonRead, Role
from planning.trash.bin import RESTORE_ACTIONS
from tests.product_files import PRODUCT, ROOT

# Where an action phrase starts: the refusal's wording in planning.access.permissions.
START = ("_refusal", 1, "action")


@dataclass(frozen=True)
class Phrase:
    """An action phrase and where it is written."""

    text: str
    where: str


@dataclass
class _Source:
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST]


def _sources() -> list[_Source]:
    found = []
    for path in PRODUCT:
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found.append(_Source(path, tree, parents))
    return found


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _function(source: _Source, node: ast.AST) -> ast.FunctionDef | None:
    while node in source.parents:
        node = source.parents[node]
        if isinstance(node, ast.FunctionDef):
            return node
    return None


def _assigned(scope: ast.AST, name: str) -> list[ast.expr]:
    """The values `name` is given directly in `scope` (a function's body or the module's)."""
    body = scope.body if isinstance(scope, ast.Module | ast.FunctionDef) else []
    values = []
    for statement in ast.walk(ast.Module(body=list(body), type_ignores=[])):
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets)
        ) or (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == name
            and statement.value is not None
        ):
            values.append(statement.value)
    return values


def _resolve(
    source: _Source, expr: ast.expr, function: ast.FunctionDef | None
) -> Iterator[Phrase | str | tuple[str, int | None, str]]:
    """The phrases an action argument stands for; a str for one that is not marked; a
    (function, position, parameter) when it is the enclosing function's parameter."""
    where = f"{source.path.relative_to(ROOT)}:{expr.lineno}"
    if (
        isinstance(expr, ast.Call)
        and _called(expr) == "N_"
        and len(expr.args) == 1
        and isinstance(expr.args[0], ast.Constant)
        and isinstance(expr.args[0].value, str)
    ):
        yield Phrase(expr.args[0].value, where)
        return
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
        for value in _assigned(source.tree, expr.value.id):
            if isinstance(value, ast.Dict):
                for item in value.values:
                    yield from _resolve(source, item, None)
                return
    if isinstance(expr, ast.Name):
        local = _assigned(function, expr.id) if function else []
        if local:
            for value in local:
                yield from _resolve(source, value, function)
            return
        if function is not None:
            arguments = function.args
            positional = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
            if expr.id in positional or expr.id in [a.arg for a in arguments.kwonlyargs]:
                index = positional.index(expr.id) if expr.id in positional else None
                yield (function.name, index, expr.id)
                return
        module = _assigned(source.tree, expr.id)
        if module:
            for value in module:
                yield from _resolve(source, value, None)
            return
    yield f"{where}: {ast.unparse(expr)} is not an action phrase marked with N_"


def action_phrases() -> tuple[list[Phrase], list[str]]:
    """Every action phrase a refusal can word, and every action that is not marked."""
    sources = _sources()
    targets = {START[0]: START[1:]}
    phrases: list[Phrase] = []
    problems: list[str] = []
    done: set[tuple[str, int, int]] = set()
    grown = True
    while grown:
        grown = False
        for source in sources:
            for call in ast.walk(source.tree):
                if not isinstance(call, ast.Call) or _called(call) not in targets:
                    continue
                seen = (str(source.path), call.lineno, call.col_offset)
                if seen in done:
                    continue
                index, keyword = targets[str(_called(call))]
                argument = next((k.value for k in call.keywords if k.arg == keyword), None)
                if argument is None and index is not None and len(call.args) > index:
                    argument = call.args[index]
                if argument is None:
                    continue  # a definition's default or another function of that name
                done.add(seen)
                for found in _resolve(source, argument, _function(source, call)):
                    if isinstance(found, Phrase):
                        phrases.append(found)
                    elif isinstance(found, str):
                        problems.append(found)
                    elif found[0] not in targets:
                        targets[found[0]] = found[1:]
                        grown = True
    return phrases, problems


@pytest.fixture(scope="module")
def phrases() -> tuple[list[Phrase], list[str]]:
    return action_phrases()


def test_every_action_phrase_is_marked_and_translated(
    phrases: tuple[list[Phrase], list[str]],
) -> None:
    found, unmarked = phrases
    assert unmarked == []
    texts = {p.text for p in found}
    # Followed through the helpers that pass a phrase on (a triage, a person's settings, the
    # trash's restore) to the writes that name it.
    assert {"accept an idea", "change how someone is notified", *RESTORE_ACTIONS.values()} <= texts
    assert len(texts) > 40
    with i18n.catalogue_path("de").open("rb") as handle:
        catalogue = read_po(handle, locale="de")
    missing = sorted(
        f"{p.where}: {p.text}"
        for p in found
        if p.text not in catalogue or not catalogue[p.text].string
    )
    assert missing == []


def test_an_unmarked_action_is_found() -> None:
    source = _Source(ROOT / "planning" / "x.py", ast.parse(""), {})
    plain = ast.parse('require_director(actor, "delete objectives")').body[0]
    assert isinstance(plain, ast.Expr) and isinstance(plain.value, ast.Call)
    [problem] = _resolve(source, plain.value.args[1], None)
    assert problem == (
        "planning/x.py:1: 'delete objectives' is not an action phrase marked with N_"
    )


STAKEHOLDER = PersonRead(
    id=7, version=1, name="Sue", email="sue@x.test", role=Role.stakeholder, active=True
)


def test_a_german_refusal_reads_wholly_german(
    phrases: tuple[list[Phrase], list[str]],
) -> None:
    with pytest.raises(PermissionDenied) as english:
        require_director(STAKEHOLDER, RESTORE_ACTIONS["key_result"])
    assert str(english.value) == "Only a director can restore a deleted key result."
    with i18n.use_locale("de"):
        with pytest.raises(PermissionDenied) as german:
            require_director(STAKEHOLDER, RESTORE_ACTIONS["key_result"])
        assert str(german.value) == (
            "Nur eine Leitung darf ein gelöschtes Schlüsselergebnis wiederherstellen."
        )
        # Every phrase: the German sentence, never the English one kept whole.
        english_kept = []
        for phrase in {p.text for p in phrases[0]}:
            with pytest.raises(PermissionDenied) as refused:
                require_director(STAKEHOLDER, phrase)
            if not str(refused.value).startswith("Nur eine Leitung darf "):
                english_kept.append(str(refused.value))
    assert english_kept == []


# The field names a validation problem is worded around ("{what} is required").
FIELD_NAMERS = {"clean_text", "text_problems", "choice_in_address"}


def test_every_field_name_a_problem_is_worded_around_is_marked() -> None:
    plain = []
    for path in PRODUCT:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in FIELD_NAMERS:
                continue
            values = [k.value for k in node.keywords if k.arg == "what"]
            if name == "choice_in_address" and len(node.args) == 4:
                values.append(node.args[3])
            plain += [
                f"{path.relative_to(ROOT)}:{node.lineno}: {v.value!r}"
                for v in values
                if isinstance(v, ast.Constant) and isinstance(v.value, str) and v.value
            ]
    assert plain == []


def test_a_german_reader_is_told_in_german_what_is_wrong_with_an_update() -> None:
    from planning.validation import clean_text

    with i18n.use_locale("de"):
        _, missing = clean_text("", what=i18n.N_("a note"), max_length=10, required=True)
        _, long = clean_text(
            "x" * 20, what=i18n.N_("the scenario name"), max_length=10, required=True
        )
    assert missing == ["eine Notiz ist erforderlich"]
    assert long == ["der Name des Szenarios ist 20 Zeichen lang; erlaubt sind 10"]
