"""OpenID Connect sign-in in headless Chromium: `streamlit run server.py` in oidc mode against a
real provider (the oidc-provider-mock package on localhost). A member lands on This week, a
stakeholder reaches only the Roadmap, and an email nobody on the team has sees the "ask your
director" page and nothing else."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import Browser
from tests.browser.sign_in_support import (
    app_server,
    free_port,
    heading,
    headings,
    nav_links,
    settle,
    stop,
    wait_for,
)

PROVIDER_ASSET = "cdn.jsdelivr.net/npm/@picocss"
USERS = [
    {"sub": "ana", "email": "Ana@Northwind.example", "name": "Ana Souza"},  # member
    {"sub": "helen", "email": "helen@northwind.example", "name": "Helen Carter"},  # stakeholder
    {"sub": "stranger", "email": "stranger@elsewhere.example", "name": "Sam Stranger"},
]


@pytest.fixture
def provider(tmp_path: Path) -> Iterator[str]:
    """oidc-provider-mock on a free localhost port, knowing the three users above."""
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)]
    for user in USERS:
        command += ["--user-claims", json.dumps(user)]
    log = tmp_path / "provider.log"
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    wait_for(f"{url}/.well-known/openid-configuration", log, process, "the OIDC provider")
    try:
        yield url
    finally:
        stop(process)


def secrets_for(app_port: int, provider_url: str) -> str:
    return (
        "[auth]\n"
        f'redirect_uri = "http://localhost:{app_port}/oauth2callback"\n'
        'cookie_secret = "a-test-secret-that-is-long-enough-for-cookies"\n'
        'client_id = "quarterdeck"\n'
        'client_secret = "quarterdeck-secret"\n'
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n'
    )


def sign_in_as(page: object, app_url: str, sub: str) -> None:
    """From a signed-out browser: the app's Sign in button, then the provider's form."""
    page.context.clear_cookies()  # type: ignore[attr-defined]
    page.goto(app_url)  # type: ignore[attr-defined]
    heading(page, "Sign in to Quarterdeck")
    settle(page)
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.locator("input[name=sub]").fill(sub)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Authorize", exact=True).click()  # type: ignore[attr-defined]


def test_oidc_sign_in_by_role(
    browser: Browser, provider: str, demo_store_file: Path, tmp_path: Path
) -> None:
    store = tmp_path / "browser.db"
    shutil.copy(demo_store_file, store)
    port = free_port()
    page = browser.page
    with app_server(
        store=store,
        tmp_path=tmp_path,
        mode="oidc",
        secrets=secrets_for(port, provider),
        port=port,
    ) as server:
        page.goto(server.url)  # type: ignore[attr-defined]
        heading(page, "Sign in to Quarterdeck")
        settle(page)
        assert nav_links(page) == []
        browser.shot("sign_in_oidc_start")

        # A member (the provider's email differs in case from the team's) lands on This week.
        sign_in_as(page, server.url, "ana")
        heading(page, "This week")
        settle(page)
        body = page.inner_text("body")  # type: ignore[attr-defined]
        assert "you are Ana Souza (Member)" in body and "Signed in as Ana Souza" in body
        assert nav_links(page) == [
            "This week",
            "Goals",
            "Initiatives",
            "Roadmap",
            "Metrics",
            "Impact",
        ]
        browser.shot("sign_in_oidc_member_this_week")
        page.reload()  # type: ignore[attr-defined]
        heading(page, "This week")
        settle(page)

        # A stakeholder lands on This week's summary; pages outside their set lead to the Roadmap.
        sign_in_as(page, server.url, "helen")
        heading(page, "This week")
        settle(page)
        assert nav_links(page) == ["This week", "Goals", "Roadmap", "Metrics"]
        for path in ("planning", "admin", "initiatives", "impact"):
            page.goto(f"{server.url}/{path}")  # type: ignore[attr-defined]
            heading(page, "Roadmap")
            settle(page)
        browser.shot("sign_in_oidc_stakeholder_roadmap")

        # Someone the team does not know is told whom to ask, and sees nothing else.
        sign_in_as(page, server.url, "stranger")
        heading(page, "Ask your director for access")
        settle(page)
        body = page.inner_text("body")  # type: ignore[attr-defined]
        assert "stranger@elsewhere.example" in body
        assert nav_links(page) == []
        page.goto(f"{server.url}/roadmap")  # type: ignore[attr-defined]
        heading(page, "Ask your director for access")
        settle(page)
        assert "Roadmap" not in headings(page)
        browser.shot("sign_in_oidc_no_access")
        # The provider's own page links a stylesheet on a CDN this machine cannot reach; only
        # the app's pages are held to a clean console.
        browser.problems[:] = [
            p for p in browser.problems if PROVIDER_ASSET not in p and provider not in p
        ]
        browser.assert_clean()
