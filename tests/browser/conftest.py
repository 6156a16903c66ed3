"""Browser journeys: a real `streamlit run` server on a temporary store, driven by Playwright in
Debian's headless Chromium. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.app_process import (
    CHROMIUM,
    CHROMIUM_ARGS,
    answers,
    free_port,
    launch_app,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
# Streamlit probes these under a page's own URL before falling back; the 404s are expected.
EXPECTED_404 = ("/_stcore/health", "/_stcore/host-config")


@dataclass
class Server:
    """A running app server and the store it uses."""

    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def server(demo_store_file: Path, tmp_path: Path) -> Iterator[Server]:
    """`streamlit run server.py` (the app and the HTTP API on one port, how scripts/start.sh
    starts them) on a free port, on a private copy of the demo store."""
    yield from _serve(demo_store_file, tmp_path)


@pytest.fixture(scope="module")
def module_server(
    demo_store_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One `streamlit run server.py` for a whole test file, on a private copy of the demo store,
    for files whose tests only read the store (starting a server costs seconds per test). The
    journeys keep a server each. A download saved under the file's id after other sessions ran
    on the same server was the app's fault (ui/downloads.py; test_downloads_shared_server.py)."""
    yield from _serve(demo_store_file, tmp_path_factory.mktemp("server"))


def _serve(demo_store_file: Path, tmp_path: Path) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
    store = tmp_path / "browser.db"
    shutil.copy(demo_store_file, store)
    port = free_port()
    env = dict(os.environ)
    env.update(
        QUARTERDECK_DATABASE_URL=f"sqlite:///{store}",
        QUARTERDECK_DEMO="0",
    )
    log = tmp_path / "server.log"
    process = launch_app(port=port, env=env, log=log)
    url = f"http://127.0.0.1:{port}"
    if not answers(f"{url}/_stcore/health", process):
        process.kill()
        pytest.fail("the app server did not start:\n" + log.read_text())
    try:
        yield Server(
            url=url, database_url=env["QUARTERDECK_DATABASE_URL"], process=process, log=log, env=env
        )
    finally:
        stop_process(process)


@dataclass
class Browser:
    """A Playwright page plus the console errors and failed requests seen so far."""

    page: object
    problems: list[str]

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot under artifacts/screenshots/."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    def assert_clean(self) -> None:
        """No Streamlit exception box, no page error (ui/page_errors.py's message with an error
        id: the server hides tracebacks) and no browser console error."""
        exceptions = self.page.locator('[data-testid="stException"]')  # type: ignore[attr-defined]
        assert exceptions.count() == 0, exceptions.first.inner_text()
        failed = self.page.get_by_text("give your administrator this error id")  # type: ignore[attr-defined]
        assert failed.count() == 0, failed.first.inner_text()
        assert not self.problems, self.problems


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's package) with a tall viewport, console errors collected."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 2200})
        problems: list[str] = []

        def on_console(message) -> None:  # type: ignore[no-untyped-def]
            if message.type == "error" and not any(p in message.text for p in EXPECTED_404):
                location = message.location.get("url", "") if message.location else ""
                if not any(p in location for p in EXPECTED_404):
                    problems.append(f"console: {message.text} {location}")

        def on_failed(request) -> None:  # type: ignore[no-untyped-def]
            # A rerun replaces a download button's file, and the browser drops its fetch of the
            # old one; a sign-in's redirect leaves a page whose script chunks are still loading.
            # An aborted /media/ or /static/ request is the page moving on, not a failure (a
            # chunk that is really missing fails with its HTTP status, not as aborted).
            aborted = "ERR_ABORTED" in (request.failure or "")
            if aborted and ("/media/" in request.url or "/static/" in request.url):
                return
            problems.append(f"request failed: {request.url} ({request.failure})")

        page.on("console", on_console)
        page.on("requestfailed", on_failed)
        yield Browser(page=page, problems=problems)
        chromium.close()
