"""The domain's layering, read from the source: which part of planning/ may import which.

planning/ never imports Streamlit, the pages, ui/, api/ or the benchmark tool (bench/), so the
domain runs the same under the app, the API, the command line and the tests. Inside it, each
subpackage imports only the kernel and the layers below it (docs/architecture.md draws them). The
command line is the one outer shell that may start the benchmark, and only inside its command.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLANNING = ROOT / "planning"

KERNEL = {
    "clock",
    "config",
    "periods",
    "validation",
    "parse_reasons",
    "formatting",
    "palette",
    "i18n",
    "graphs",
}
# What each part of planning/ may import, besides itself and the kernel.
MAY_IMPORT: dict[str, set[str]] = {
    "kernel": set(),
    "store": set(),
    "access": {"store"},
    "metrics": {"store", "access"},
    "okrs": {"store", "access", "metrics"},
    "work": {"store", "access", "metrics"},
    "impact": {"store", "access", "metrics", "work"},
    "sources": {"store", "access", "metrics"},
    "reports": {"store", "access", "metrics", "okrs", "work", "impact"},
    "notify": {"store", "access", "metrics", "okrs", "work", "impact", "reports", "sources"},
    "demo": {"store", "access", "metrics", "okrs", "work", "impact", "reports"},
    "startup": {"store", "access", "metrics", "okrs", "work", "impact", "reports", "demo"},
    "trash": {"store", "access", "metrics", "okrs", "work"},
    "cli": {
        "store",
        "access",
        "metrics",
        "okrs",
        "work",
        "impact",
        "reports",
        "notify",
        "demo",
        "startup",
        "sources",
        "trash",
    },
}
OUTSIDE = ("streamlit", "ui", "api", "pages", "bench", "server", "app")


def part_of(module: str) -> str | None:
    """The layer a dotted planning module belongs to ('kernel' for the top-level modules)."""
    parts = module.split(".")
    if parts[0] != "planning" or len(parts) == 1:
        return None
    if parts[1] == "__main__":
        return "cli"  # `python -m planning` is the command line's door
    return "kernel" if parts[1] in KERNEL or parts[1] == "__init__" else parts[1]


def module_name(path: Path) -> str:
    """planning/okrs/goals.py -> planning.okrs.goals."""
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str, bool]]:
    """Every module a file imports: (line, dotted name, whether at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    found: list[tuple[int, str, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "planning":
                names = [f"planning.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
            found += [(node.lineno, name, id(node) in top_level) for name in names]
    return found


def violations() -> list[str]:
    """Every import in planning/ that breaks the layering, as 'file:line imports name'."""
    problems = []
    for path in sorted(PLANNING.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        here = part_of(module_name(path))
        for line, name, top_level in imports_of(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if name.split(".")[0] in OUTSIDE:
                lazy_bench = here == "cli" and name.startswith("bench.") and not top_level
                if not lazy_bench:
                    problems.append(where)
                continue
            target = part_of(name)
            if target is None or target in {here, "kernel"}:
                continue
            if here is None or target not in MAY_IMPORT[here]:
                problems.append(where)
    return problems


def test_planning_keeps_its_layers() -> None:
    assert violations() == []


def test_every_subpackage_says_what_it_owns_and_may_import() -> None:
    for package in sorted(p for p in PLANNING.iterdir() if (p / "__init__.py").exists()):
        if package.name == "migrations":
            continue
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"{package.name}/__init__.py: say what it owns and imports"
        # A kernel module grown into a package (config) stays in the kernel.
        known = package.name in MAY_IMPORT or package.name in KERNEL
        assert known, f"planning/{package.name}: add it to MAY_IMPORT"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import streamlit as st\n", "streamlit"),
        ("from ui.text import md\n", "ui.text"),
        ("from planning.reports import digest\n", "planning.reports"),
    ],
)
def test_the_check_sees_a_forbidden_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: str
) -> None:
    """A store module that imported Streamlit, ui/ or a higher layer would be reported."""
    fake_root = tmp_path
    (fake_root / "planning" / "store").mkdir(parents=True)
    (fake_root / "planning" / "store" / "leak.py").write_text(source, encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", fake_root)
    monkeypatch.setitem(globals(), "PLANNING", fake_root / "planning")
    assert violations() == [f"planning/store/leak.py:1 imports {expected}"]
