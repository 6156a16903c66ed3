"""The product uses Streamlit through its public interface only: no module under
streamlit.runtime or streamlit.web, no `_`-prefixed Streamlit name, anywhere in app.py, server.py,
pages/, ui/, planning/ or api/. (The benchmark's AppTest harness lives in bench/, outside
the product, and is the one place that patches Streamlit's internals.) One module is let through
by name: ui/downloads.py lists a file a download button built as the clicking session's own, which
Streamlit's public interface cannot do, so the file is not deleted before the browser fetches it
(README "Exports and the meeting"; tests/browser/test_downloads_shared_server.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.product_files import PRODUCT, ROOT

INTERNAL_PACKAGES = ("streamlit.runtime", "streamlit.web")
# The one product module allowed Streamlit's runtime, and the imports it is allowed.
LET_THROUGH = {
    "ui/downloads.py": {
        "from streamlit import runtime",
        "from streamlit.runtime.scriptrunner import ScriptRunContext, add_script_run_ctx, "
        "get_script_run_ctx",
    }
}


def _private_module(module: str) -> bool:
    if module != "streamlit" and not module.startswith("streamlit."):
        return False
    if module.startswith(INTERNAL_PACKAGES):
        return True
    return any(part.startswith("_") for part in module.split("."))


def private_uses(path: Path) -> list[str]:
    """Every use of Streamlit's internals in one file, as 'file:line what'."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
    aliases = {"streamlit"}  # names bound to the streamlit package (import streamlit as st)
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "streamlit":
                    aliases.add(alias.asname or alias.name)
                if _private_module(alias.name):
                    found.append(f"{where}:{node.lineno} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [alias.name for alias in node.names]
            if _private_module(node.module):
                found.append(f"{where}:{node.lineno} from {node.module} import {', '.join(names)}")
            elif node.module.split(".")[0] == "streamlit":
                for name in names:
                    if name.startswith("_") or _private_module(f"{node.module}.{name}"):
                        found.append(f"{where}:{node.lineno} from {node.module} import {name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if isinstance(node.value, ast.Name) and node.value.id in aliases:
                found.append(f"{where}:{node.lineno} {node.value.id}.{node.attr}")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith(INTERNAL_PACKAGES)
        ):
            found.append(f"{where}:{node.lineno} '{node.value}'")
    return sorted(found, key=lambda hit: int(hit.split(" ", 1)[0].rsplit(":", 1)[1]))


def _let_through(hit: str) -> bool:
    where, what = hit.split(" ", 1)
    return what in LET_THROUGH.get(where.rsplit(":", 1)[0], set())


def test_the_product_uses_only_streamlits_public_interface() -> None:
    offenders = [hit for path in PRODUCT for hit in private_uses(path) if not _let_through(hit)]
    assert offenders == [], "use Streamlit's public API instead:\n" + "\n".join(offenders)


def test_the_guard_sees_each_kind_of_private_use(tmp_path: Path) -> None:
    module = tmp_path / "x.py"
    module.write_text(
        "import streamlit as st\n"
        "import streamlit.web.server\n"
        "from streamlit.runtime.scriptrunner import get_script_run_ctx\n"
        "from streamlit.runtime import pages_manager\n"
        "from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec\n"
        "from streamlit import _main\n"
        "from streamlit.proto import ForwardMsg_pb2\n"  # public path, allowed
        "st._bottom.write('x')\n"
        "cache = __import__('importlib').import_module('streamlit.runtime.caching')\n"
        "st.write('fine')\n"
    )
    assert [hit.split(" ", 1)[0].rsplit(":", 1)[1] for hit in private_uses(module)] == [
        "2",
        "3",
        "4",
        "5",
        "6",
        "8",
        "9",
    ]
