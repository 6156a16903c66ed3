"""What the sign-in journeys share: a `streamlit run server.py` server in a chosen sign-in mode
(a private copy of config/ and of the demo store, and its own secrets file), the password the
journeys sign in with, and page helpers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session

from bench.app_process import answers, free_port, launch_app, stop_process
from planning.access.people import set_password
from planning.config.settings import AuthSettings
from tests.browser.conftest import Server
from tests.config_support import config_with_sign_in

SETTLE_MS = 30_000
PASSWORD = "correct horse battery"


def give_password(session: Session, person_id: int) -> None:
    """Set PASSWORD as this person's password, as the command line sets one (no acting person)."""
    set_password(
        session=session,
        actor=None,
        person_id=person_id,
        password=PASSWORD,
        settings=AuthSettings(),
    )


def wait_for(url: str, log: Path, process: subprocess.Popen[bytes], what: str) -> None:
    """Poll a URL until it answers 200, or fail with the process's log."""
    if not answers(url, process):
        process.kill()
        pytest.fail(f"{what} did not start:\n{log.read_text()}")


stop = stop_process


@contextmanager
def app_server(
    *,
    store: Path | str,
    tmp_path: Path,
    mode: str,
    secrets: str | None = None,
    port: int | None = None,
) -> Iterator[Server]:
    """`streamlit run server.py` on the store, with settings choosing this sign-in mode.

    The repository's own config/ and .streamlit/ are left alone: the server reads a copy of
    config/ (QUARTERDECK_CONFIG_DIR) and the secrets file given here (--secrets.files). `store`
    is a SQLite file, or a database URL (a PostgreSQL store that several servers share).
    """
    port = port or free_port()
    # One config each, so two servers can share a tmp_path.
    config_dir = config_with_sign_in(tmp_path / f"config-{port}", mode)
    secrets_file = tmp_path / f"secrets-{port}.toml"
    secrets_file.write_text(secrets or "")
    env = dict(os.environ)
    env.update(
        QUARTERDECK_DATABASE_URL=store if isinstance(store, str) else f"sqlite:///{store}",
        QUARTERDECK_DEMO="0",
        QUARTERDECK_CONFIG_DIR=str(config_dir),
    )
    log = tmp_path / f"server-{port}.log"
    process = launch_app(port=port, env=env, log=log, extra=("--secrets.files", str(secrets_file)))
    url = f"http://localhost:{port}"
    wait_for(f"{url}/_stcore/health", log, process, "the app server")
    try:
        yield Server(
            url=url, database_url=env["QUARTERDECK_DATABASE_URL"], process=process, log=log, env=env
        )
    finally:
        stop(process)


def heading(page: object, text: str) -> None:
    """Wait until the page shows a heading with this text."""
    from playwright.sync_api import expect

    locator = page.get_by_role("heading", name=text, exact=True)  # type: ignore[attr-defined]
    expect(locator.first).to_be_visible(timeout=SETTLE_MS)


QUIET = """() => {
  const fetched = performance.getEntriesByType("resource").length;
  const now = performance.now();
  if (window.__qdFetched !== fetched) {
    window.__qdFetched = fetched;
    window.__qdSince = now;
    return false;
  }
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  return !running && now - window.__qdSince > 1000;
}"""


def settle(page: object) -> None:
    """Wait until Streamlit has run the script and the page has fetched nothing new for a
    second: leaving earlier would abort the page's lazy fetches (a test's fault, not the app's).
    """
    page.wait_for_function(QUIET, polling=200, timeout=SETTLE_MS)  # type: ignore[attr-defined]


def headings(page: object) -> list[str]:
    """The text of every heading on the page."""
    found = page.get_by_role("heading").all_inner_texts()  # type: ignore[attr-defined]
    return [text.strip() for text in found]


def nav_links(page: object) -> list[str]:
    """The page names in the sidebar's navigation menu (without their icons' names)."""
    links = page.locator('[data-testid="stSidebarNav"] a')  # type: ignore[attr-defined]
    return [text.strip().splitlines()[-1].strip() for text in links.all_inner_texts()]
