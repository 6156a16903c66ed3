"""The product's Python files (app.py, server.py, planning/, pages/, ui/, api/; not migrations),
for the tests that read the product's source."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [ROOT / "app.py", ROOT / "server.py"] + [
    path
    for folder in ("planning", "pages", "ui", "api")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if "migrations" not in path.parts
]
