"""Starting the server prints Streamlit's own lines and nothing else: no warnings, no
tracebacks, nothing about caches set up before the runtime exists."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from tests.start_script import start_script


def test_start_prints_only_where_to_open_the_app(tmp_path: Path) -> None:
    with start_script(tmp_path) as started:
        # the app is served as well as started
        with urllib.request.urlopen(f"http://127.0.0.1:{started.port}/", timeout=10) as reply:
            assert reply.status == 200
        log = started.log()
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    assert lines == [
        "You can now view your Streamlit app in your browser.",
        f"URL: http://127.0.0.1:{started.port}",
    ], log
