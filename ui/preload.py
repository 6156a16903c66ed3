"""The modules the router and pages import, loaded while the server starts.

A page imports its modules on its first run, and those bring in Altair, pandas, PyArrow and the
domain: about a second on the two-core machine, which the first visitor of a fresh server would
wait for. server.py's lifespan calls page_modules() at start-up instead (after Streamlit's
runtime exists, so the pages' cached functions are set up on its cache storage). The list is
read from the scripts' own import statements, so it follows the pages as they change.

After loading them the server settles Python's garbage collector (`settle_collector`), and the
bench's cold page process does the same, so it measures a first render as the server runs it.
"""

from __future__ import annotations

import ast
import gc
import importlib
import importlib.util
import inspect
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Allocations (less deallocations) between two collections of the youngest objects; Python's
# default is 700. A first render at xl makes millions of objects, and every tenth young collection
# sweeps the middle generation, which fills the old one until a full pass walks everything the
# render holds: at 700 that was 10 to 13 full passes, about 0.5 s of a 2 s render's CPU.
YOUNG_COLLECTION_THRESHOLD = 20_000


def imported_modules(script: Path) -> set[str]:
    """Every absolute module a script imports, submodules named in `from x import y` included."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                try:
                    if importlib.util.find_spec(name) is not None:
                        found.add(name)
                except ModuleNotFoundError:  # an attribute of a module, not a submodule
                    pass
    return found


def page_modules(project: Path = PROJECT_DIR) -> list[str]:
    """Import what app.py and every page import; return the module names."""
    scripts = [project / "app.py", *sorted((project / "pages").glob("*.py"))]
    names = sorted(set().union(*(imported_modules(s) for s in scripts)) - {"__future__"})
    for name in names:
        importlib.import_module(name)
    return names


def map_module_files() -> None:
    """Have `inspect` map every loaded module to its file now, at start-up.

    Streamlit checks once per process, as the first element is drawn, whether it runs in a REPL
    by walking the call stack with `inspect.stack()`; the first walk maps each of the ~2,100
    modules loaded by then to its file (a real path each), about 60 ms of the first visitor's
    render. Called after page_modules and before settle_collector (the map lives as long as
    the process)."""
    inspect.stack()


def settle_collector() -> None:
    """Set what is loaded so far aside from the garbage collector (it lives as long as the
    process; a full pass would walk it again every time) and collect young objects less often
    (see YOUNG_COLLECTION_THRESHOLD). Called once at start-up, after page_modules."""
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_COLLECTION_THRESHOLD), middle, old)
